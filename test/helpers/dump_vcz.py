"""Print a JSON dump of a VCF Zarr store's arrays (for vczdepot's tests).

Usage: .venv/bin/python test/helpers/dump_vcz.py STORE [ARRAY ...]

STORE is a directory or a .zip (zarr.storage.ZipStore). With ARRAY names, only
those arrays are dumped. Output (one JSON object on stdout):

  {"attrs": {root attributes},
   "arrays": {name: {"dtype": numpy dtype str (e.g. "int8", "float32", "bool",
                      "StringDType()"/"object", "<U1"),
                     "kind": "int" | "float" | "bool" | "str",
                     "shape": [...], "dims": [...dimension names],
                     "values": flat C-order list}}}

Values: ints as numbers, bools as 0/1, strings as strings, floats as their
IEEE bit patterns (uint32 for float32, so NaN payloads such as the VCZ
missing 0x7F800001 and fill 0x7F800002 survive).
"""

import json
import sys

import numpy as np
import zarr


def dims_of(arr):
    dims = arr.metadata.dimension_names if arr.metadata.zarr_format == 3 else None
    if dims is None:
        dims = arr.attrs.get("_ARRAY_DIMENSIONS")
    return list(dims) if dims is not None else None


def dump_array(arr):
    data = arr[...]
    data = np.asarray(data)
    kind = data.dtype.kind
    if kind == "f":
        if data.dtype == np.float32:
            values = data.view(np.uint32).ravel().tolist()
        elif data.dtype == np.float64:
            values = [str(v) for v in data.view(np.uint64).ravel().tolist()]
        else:
            values = data.view(np.uint16).ravel().tolist()
        out_kind = "float"
    elif kind == "b":
        values = data.astype(np.uint8).ravel().tolist()
        out_kind = "bool"
    elif kind in "iu":
        values = data.ravel().tolist()
        out_kind = "int"
    else:
        values = [str(v) for v in data.ravel().tolist()]
        out_kind = "str"
    return {
        "dtype": str(data.dtype) if kind != "O" and kind != "T" else "str",
        "kind": out_kind,
        "shape": list(data.shape),
        "dims": dims_of(arr),
        "values": values,
    }


def open_root(path):
    """The root group of a store: a .zip (ZipStore) or a directory."""
    if path.endswith(".zip"):
        store = zarr.storage.ZipStore(path, mode="r")
    else:
        store = zarr.storage.LocalStore(path, read_only=True)
    return zarr.open_group(store, mode="r")


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    wanted = set(sys.argv[2:])
    root = open_root(sys.argv[1])
    out = {"attrs": dict(root.attrs), "arrays": {}}
    for name, arr in sorted(root.arrays()):
        if wanted and name not in wanted:
            continue
        out["arrays"][name] = dump_array(arr)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
