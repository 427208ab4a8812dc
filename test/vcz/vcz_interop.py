"""Python side of vczdepot's VCZ writer tests (test/vcz/*.test.ts).

Usage: .venv/bin/python test/vcz/vcz_interop.py COMMAND ARGS...

  blosc-gen DIR          write random arrays (CASE.raw) and numcodecs Blosc
                         frames (CASE.blosc) for every dtype/shuffle/size/clevel
                         case; DIR/cases.json lists them
  blosc-check DIR        decode every DIR/*.ours frame with numcodecs and
                         compare with DIR/<same name>.raw; prints a JSON report
  vlen IN.json OUT.bin   encode the JSON list of strings with numcodecs VLenUTF8
                         into OUT.bin and decode OUT.bin.ours (if present),
                         printing the decoded list as JSON
  dump STORE             JSON of every array: dtype, shape, chunks, dims,
                         attrs, fill_value, values (float32 as uint32 bits)
  compare OURS THEIRS    compare two VCZ stores array by array: metadata
                         files (byte for byte, except the root attrs' source)
                         and every chunk's decoded bytes (an absent chunk
                         counts as zeros / ""); prints a JSON report
  check-af OURS THEIRS   ours' variant_AF against AC/AN counted (numpy) from
                         theirs' call_genotype: AC[k]/AN as float32, missing
                         when AN = 0 or without ALT, fill past the ALTs; its
                         shape and dims equal theirs'; prints a JSON report
  xarray STORE           open with xarray.open_zarr(concat_characters=False)
                         and print dims, dtypes and values as JSON

STORE is a directory or a .zip.
"""

import json
import os
import sys

import numcodecs
import numpy as np
import zarr
from numcodecs import Blosc

numcodecs.blosc.use_threads = False


def blosc_gen(out):
    rng = np.random.default_rng(20261121)
    cases = []
    sizes = [1, 5, 100, 127, 128, 129, 1000, 1003, 4096, 33000, 70001, 300000, 700000]
    for dt in ["b1", "i1", "i2", "i4", "f4", "i8"]:
        for shuffle in [0, 1, 2]:
            for n in sizes:
                if dt == "b1":
                    a = rng.random(n) < 0.1
                elif dt == "f4":
                    a = np.round(rng.random(n) * 100, 1).astype("f4")
                    a[rng.random(n) < 0.05] = np.array([0x7F800001], dtype="u4").view("f4")[0]
                else:
                    a = rng.integers(-2, 4, n).astype(dt)
                clevels = [1, 5, 7, 9] if n in (1003, 70001) else [7]
                for clevel in clevels:
                    name = f"{dt}_{shuffle}_{n}_{clevel}"
                    a.tofile(os.path.join(out, name + ".raw"))
                    frame = Blosc(cname="zstd", clevel=clevel, shuffle=shuffle, blocksize=0).encode(a)
                    with open(os.path.join(out, name + ".blosc"), "wb") as f:
                        f.write(frame)
                    cases.append({"name": name, "typesize": a.dtype.itemsize, "shuffle": shuffle, "clevel": clevel, "nbytes": a.nbytes})
    # incompressible data: exercises raw blocks and the memcpy fallback
    for n in [200, 70000, 600000]:
        a = rng.integers(0, 256, n).astype("u1")
        for shuffle in [0, 1, 2]:
            name = f"rand_{shuffle}_{n}_7"
            a.tofile(os.path.join(out, name + ".raw"))
            with open(os.path.join(out, name + ".blosc"), "wb") as f:
                f.write(Blosc(cname="zstd", clevel=7, shuffle=shuffle).encode(a))
            cases.append({"name": name, "typesize": 1, "shuffle": shuffle, "clevel": 7, "nbytes": n})
    with open(os.path.join(out, "cases.json"), "w") as f:
        json.dump(cases, f)


def blosc_check(d):
    ok, bad = 0, []
    for fn in sorted(os.listdir(d)):
        if not fn.endswith(".ours"):
            continue
        name = fn[: -len(".ours")]
        with open(os.path.join(d, fn), "rb") as f:
            frame = f.read()
        with open(os.path.join(d, name + ".raw"), "rb") as f:
            raw = f.read()
        try:
            dec = bytes(Blosc().decode(frame))
        except Exception as e:  # noqa: BLE001
            bad.append({"name": name, "error": repr(e)})
            continue
        if dec == raw:
            ok += 1
        else:
            bad.append({"name": name, "error": "decoded bytes differ"})
    print(json.dumps({"ok": ok, "bad": bad}))


def vlen(inp, out):
    with open(inp) as f:
        items = json.load(f)
    codec = numcodecs.VLenUTF8()
    enc = codec.encode(np.array(items, dtype=object))
    with open(out, "wb") as f:
        f.write(bytes(enc))
    decoded = None
    if os.path.exists(out + ".ours"):
        with open(out + ".ours", "rb") as f:
            decoded = [str(x) for x in codec.decode(f.read())]
    print(json.dumps({"decoded": decoded}))


def open_store(path, mode="r"):
    if path.endswith(".zip"):
        return zarr.open_group(zarr.storage.ZipStore(path, mode="r"), mode="r")
    return zarr.open_group(path, mode="r")


def values_of(data):
    data = np.asarray(data)
    if data.dtype.kind == "f":
        return data.astype("f4").view("u4").ravel().tolist()
    if data.dtype.kind == "b":
        return data.astype("u1").ravel().tolist()
    if data.dtype.kind in "iu":
        return data.ravel().tolist()
    return [str(x) for x in data.ravel().tolist()]


def dims_of(arr):
    if arr.metadata.zarr_format == 3:
        return list(arr.metadata.dimension_names or [])
    return list(arr.attrs.get("_ARRAY_DIMENSIONS", []))


def dump(path):
    root = open_store(path)
    out = {"attrs": dict(root.attrs), "zarr_format": root.metadata.zarr_format, "arrays": {}}
    for name, arr in sorted(root.arrays()):
        out["arrays"][name] = {
            "dtype": str(arr.dtype),
            "shape": list(arr.shape),
            "chunks": list(arr.chunks),
            "dims": dims_of(arr),
            "attrs": {k: v for k, v in arr.attrs.items() if k != "_ARRAY_DIMENSIONS"},
            "values": values_of(arr[...]),
        }
    print(json.dumps(out))


# ---------------------------------------------------------------- compare


class DirReader:
    def __init__(self, path):
        self.path = path
        self.zip = None
        if path.endswith(".zip"):
            import zipfile

            self.zip = zipfile.ZipFile(path)
            self.names = set(self.zip.namelist())

    def get(self, key):
        if self.zip is not None:
            return self.zip.read(key) if key in self.names else None
        p = os.path.join(self.path, key)
        if not os.path.exists(p):
            return None
        with open(p, "rb") as f:
            return f.read()

    def keys(self):
        if self.zip is not None:
            return sorted(self.names)
        out = []
        for dirpath, _, files in os.walk(self.path):
            for fn in files:
                out.append(os.path.relpath(os.path.join(dirpath, fn), self.path).replace(os.sep, "/"))
        return sorted(out)


V3_NUMPY = {"bool": "|b1", "int8": "|i1", "int16": "<i2", "int32": "<i4", "int64": "<i8", "float32": "<f4", "float64": "<f8"}
V3_SHUFFLE = {"noshuffle": 0, "shuffle": 1, "bitshuffle": 2}


def chunk_decoder(meta, fmt):
    """Returns (decode(bytes) -> numpy array of the chunk, nchunks grid, key(coords))."""
    if fmt == 2:
        shape, chunks = meta["shape"], meta["chunks"]
        comp = numcodecs.get_codec(meta["compressor"])
        is_str = meta["dtype"] == "|O"
        dtype = None if is_str else np.dtype(meta["dtype"])
        sep = meta.get("dimension_separator", ".")

        def key(c):
            return sep.join(str(x) for x in c)

    else:
        shape = meta["shape"]
        chunks = meta["chunk_grid"]["configuration"]["chunk_shape"]
        codecs = meta["codecs"]
        last = codecs[-1]
        if last["name"] == "blosc":
            cfg = last["configuration"]
            comp = Blosc(cname=cfg["cname"], clevel=cfg["clevel"], shuffle=V3_SHUFFLE[cfg["shuffle"]], blocksize=cfg["blocksize"])
        else:
            comp = numcodecs.Zstd(level=last["configuration"]["level"])
        is_str = codecs[0]["name"] == "vlen-utf8"
        dt = meta["data_type"]
        dtype = None if is_str else (np.dtype("<U1") if isinstance(dt, dict) else np.dtype(V3_NUMPY[dt]))

        def key(c):
            return "c/" + "/".join(str(x) for x in c)

    n = int(np.prod(chunks))

    def decode(b):
        if b is None:
            return np.array([""] * n, dtype=object) if is_str else np.zeros(n, dtype=dtype)
        raw = bytes(comp.decode(b))
        if is_str:
            return np.array(numcodecs.VLenUTF8().decode(raw), dtype=object)
        return np.frombuffer(raw, dtype=dtype)

    grid = [-(-s // c) if c else 0 for s, c in zip(shape, chunks)]  # chunk 0 only along an empty dim
    return decode, grid, key


def compare(ours, theirs):
    a, b = DirReader(ours), DirReader(theirs)
    fmt = 2 if a.get(".zgroup") is not None else 3
    meta_name = ".zarray" if fmt == 2 else "zarr.json"
    problems = []
    stats = {"arrays": 0, "chunks": 0, "identical_chunk_files": 0, "metadata_files": 0}
    arrays_a = sorted(k[: -len(meta_name) - 1] for k in a.keys() if k.endswith("/" + meta_name))
    arrays_b = sorted(k[: -len(meta_name) - 1] for k in b.keys() if k.endswith("/" + meta_name))
    if arrays_a != arrays_b:
        problems.append({"what": "array list", "ours": arrays_a, "theirs": arrays_b})
    # root metadata (source differs by design: compare without it)
    root_files = [".zgroup", ".zattrs"] if fmt == 2 else ["zarr.json"]
    for fn in root_files:
        ra, rb = a.get(fn), b.get(fn)
        if fn in (".zattrs", "zarr.json"):
            ja, jb = json.loads(ra), json.loads(rb)
            attrs_a = ja if fmt == 2 else ja["attributes"]
            attrs_b = jb if fmt == 2 else jb["attributes"]
            attrs_a.pop("source", None)
            attrs_b.pop("source", None)
            if ja != jb:
                problems.append({"what": "root " + fn, "ours": ja, "theirs": jb})
        elif ra != rb:
            problems.append({"what": "root " + fn, "ours": ra.decode(), "theirs": rb.decode()})
    for name in sorted(set(arrays_a) & set(arrays_b)):
        stats["arrays"] += 1
        files = [".zarray", ".zattrs"] if fmt == 2 else ["zarr.json"]
        for fn in files:
            stats["metadata_files"] += 1
            ma, mb = a.get(f"{name}/{fn}"), b.get(f"{name}/{fn}")
            if ma != mb:
                problems.append({"what": f"{name}/{fn}", "ours": (ma or b"").decode(), "theirs": (mb or b"").decode()})
        meta_a = json.loads(a.get(f"{name}/{meta_name}"))
        meta_b = json.loads(b.get(f"{name}/{meta_name}"))
        if meta_a != meta_b:
            continue
        decode, grid, key = chunk_decoder(meta_a, fmt)
        for idx in np.ndindex(*grid):
            stats["chunks"] += 1
            k = f"{name}/{key(idx)}"
            ba, bb = a.get(k), b.get(k)
            if ba is None:
                problems.append({"what": f"chunk {k} missing in ours"})
                continue
            if ba == bb:
                stats["identical_chunk_files"] += 1
            da, db = decode(ba), decode(bb)
            if da.dtype == object:
                same = list(da) == list(db)
            else:
                same = da.tobytes() == db.tobytes()
            if not same:
                problems.append({"what": f"chunk {k} differs", "ours": values_of(da)[:64], "theirs": values_of(db)[:64]})
    print(json.dumps({"stats": stats, "problems": problems}))


def xarray_open(path):
    import xarray as xr

    if path.endswith(".zip"):
        store = zarr.storage.ZipStore(path, mode="r")
    else:
        store = path
    ds = xr.open_zarr(store, concat_characters=False)
    out = {"dims": {k: int(v) for k, v in ds.sizes.items()}, "vars": {}}
    for name, var in ds.variables.items():
        data = var.values
        out["vars"][name] = {"dims": list(var.dims), "dtype": str(data.dtype), "values": values_of(data)}
    print(json.dumps(out))


def check_af(ours, theirs):
    a, b = open_store(ours), open_store(theirs)
    problems = []
    af = a["variant_AF"]
    if list(af.shape) != list(b["variant_AF"].shape) or dims_of(af) != dims_of(b["variant_AF"]) or af.dtype != np.float32:
        problems.append({"what": "variant_AF shape/dims/dtype", "ours": [list(af.shape), dims_of(af), str(af.dtype)], "theirs": [list(b["variant_AF"].shape), dims_of(b["variant_AF"])]})
    else:
        gt = b["call_genotype"][:]
        alleles = b["variant_allele"][:]
        nalt = np.array([sum(1 for x in row if x != "") - 1 for row in alleles], dtype=np.int64)
        an = (gt >= 0).sum(axis=(1, 2))
        ours_bits = np.asarray(af[:]).reshape(af.shape[0], -1).view(np.uint32)
        w = ours_bits.shape[1]
        exp = np.zeros((af.shape[0], w), dtype=np.uint32)
        for v in range(af.shape[0]):
            for k in range(w):
                if nalt[v] == 0 or (k < nalt[v] and an[v] == 0):
                    exp[v, k] = 0x7F800001
                elif k >= nalt[v]:
                    exp[v, k] = 0x7F800002
                else:
                    ac = int((gt[v] == k + 1).sum())
                    exp[v, k] = np.array([ac / int(an[v])], dtype=np.float32).view(np.uint32)[0]
        bad = np.argwhere(exp != ours_bits)
        if len(bad):
            v, k = bad[0]
            problems.append({"what": f"variant_AF[{v},{k}]", "ours": int(ours_bits[v, k]), "expected": int(exp[v, k]), "differing": int(len(bad))})
    print(json.dumps({"checked": int(np.prod(af.shape)), "problems": problems}))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "blosc-gen":
        blosc_gen(*args)
    elif cmd == "blosc-check":
        blosc_check(*args)
    elif cmd == "vlen":
        vlen(*args)
    elif cmd == "dump":
        dump(*args)
    elif cmd == "compare":
        compare(*args)
    elif cmd == "check-af":
        check_af(*args)
    elif cmd == "xarray":
        xarray_open(*args)
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
