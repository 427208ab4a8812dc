"""dump_vcz.py plus each array's attributes (for test/vcz/vcz-read.test.ts).

Usage: .venv/bin/python test/helpers/dump_vcz_arrays.py STORE [ARRAY ...]

Same JSON as dump_vcz.py (values as read by zarr-python: absent chunks as the
fill value, floats as IEEE bit patterns), with two additions:
  "format": 2 or 3 (the store's zarr_format), and per array
  "attrs": the array attributes minus _ARRAY_DIMENSIONS (e.g. {"description": ...}).
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dump_vcz  # noqa: E402


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    wanted = set(sys.argv[2:])
    root = dump_vcz.open_root(sys.argv[1])
    out = {"format": root.metadata.zarr_format, "attrs": dict(root.attrs), "arrays": {}}
    for name, arr in sorted(root.arrays()):
        if wanted and name not in wanted:
            continue
        entry = dump_vcz.dump_array(arr)
        entry["attrs"] = {k: v for k, v in dict(arr.attrs).items() if k != "_ARRAY_DIMENSIONS"}
        out["arrays"][name] = entry
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
