"""Hostile VCZ corpus for test/trust/hostile-vcz.test.ts (issue 15).

Usage: python hostile_vcz_corpus.py SAMPLE.vcz.zip SAMPLE.vcz3.zip OUT_DIR

Unzips bio2zarr's sample store (Zarr format 2 and 3), makes one edited copy
per case under OUT_DIR (a directory store, or a .vcz.zip) and prints a JSON
object on stdout: "cases", a list of {"name", "path", "array"} ("array"
is the array the import's error must name), and "good", valid stores the
checks must accept ("zstd": call_genotype and call_DP re-encoded with
numcodecs Zstd instead of Blosc). Each edit is one a user could make by hand: one
metadata file or one chunk changed.
"""
import json
import os
import shutil
import struct
import sys
import zipfile
import zlib

import numcodecs
import numpy as np

v2zip, v3zip, out = sys.argv[1], sys.argv[2], sys.argv[3]
os.makedirs(out, exist_ok=True)
cases = []


def unzip(src, name):
    d = os.path.join(out, name)
    shutil.rmtree(d, ignore_errors=True)
    with zipfile.ZipFile(src) as z:
        z.extractall(d)
    return d


def edit_json(path, fn):
    with open(path) as f:
        doc = json.load(f)
    fn(doc)
    with open(path, "w") as f:
        json.dump(doc, f)


def rezip(d):
    """Zips directory store d into d + '.vcz.zip' (deflated, as bio2zarr's) and removes d."""
    z = d + ".vcz.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        for root, _, files in os.walk(d):
            for f in sorted(files):
                p = os.path.join(root, f)
                zf.write(p, os.path.relpath(p, d))
    shutil.rmtree(d)
    return z


def case(name, path, array):
    cases.append({"name": name, "path": path, "array": array})


def zarray(d, array):
    return os.path.join(d, array, ".zarray")


def set_key(key, value):
    return lambda doc: doc.__setitem__(key, value)


# A Blosc frame of 1 GiB of zeros (numcodecs Blosc, zstd, as bio2zarr writes): ~100 KB.
BOMB_BYTES = 1 << 30
bomb = numcodecs.Blosc(cname="zstd", clevel=9, shuffle=numcodecs.Blosc.NOSHUFFLE).encode(np.zeros(BOMB_BYTES, dtype="u1"))

# --- Zarr format 2 directory stores: the three crashes

d = unzip(v2zip, "sample-id-shape-2e9")
edit_json(zarray(d, "sample_id"), set_key("shape", [2_000_000_000]))
case("sample_id shape 2,000,000,000", d, "sample_id")

d = unzip(v2zip, "gt-blosc-bomb")
with open(os.path.join(d, "call_genotype", "0.0.0"), "wb") as f:
    f.write(bomb)
case(f"call_genotype chunk 0.0.0 a {len(bomb)}-byte Blosc frame of 1 GiB", d, "call_genotype")

d = unzip(v2zip, "gt-small-blosc-bomb")
small = numcodecs.Blosc(cname="zstd", clevel=9, shuffle=numcodecs.Blosc.NOSHUFFLE).encode(np.zeros(1 << 20, dtype="u1"))
with open(os.path.join(d, "call_genotype", "0.0.0"), "wb") as f:
    f.write(small)
case(f"call_genotype chunk 0.0.0 a {len(small)}-byte Blosc frame of 1 MiB (its header is the tell)", d, "call_genotype")

d = unzip(v2zip, "gt-truncated")
p = os.path.join(d, "call_genotype", "0.0.0")
with open(p, "rb") as f:
    frame = f.read()
with open(p, "wb") as f:
    f.write(frame[: len(frame) * 2 // 3])
case("call_genotype chunk 0.0.0 truncated", d, "call_genotype")

# --- the eight edits that already gave a typed error

d = unzip(v2zip, "position-shape-1e9")
edit_json(zarray(d, "variant_position"), set_key("shape", [9 * 10**9]))
case("variant_position shape x 10^9", d, "variant_position")

d = unzip(v2zip, "dp-negative-shape")
edit_json(zarray(d, "call_DP"), set_key("shape", [-9, 3]))
case("call_DP negative shape", d, "call_DP")

d = unzip(v2zip, "gt-wrong-dtype")
edit_json(zarray(d, "call_genotype"), set_key("dtype", "<f8"))
case("call_genotype dtype <f8", d, "call_genotype")

d = unzip(v2zip, "no-variant-position")
shutil.rmtree(os.path.join(d, "variant_position"))
case("variant_position missing", d, "variant_position")

d = unzip(v2zip, "gt-chunks-1e9")
edit_json(zarray(d, "call_genotype"), lambda doc: doc.__setitem__("chunks", [4 * 10**9, 3, 2]))
case("call_genotype chunks x 10^9", d, "call_genotype")

d = unzip(v2zip, "dp-broken-json")
with open(zarray(d, "call_DP"), "w") as f:
    f.write('{"shape": [9, 3], "chunks": [')
case("call_DP .zarray broken JSON", d, "call_DP")

# --- more edits

d = unzip(v2zip, "position-chunks-2e31")
edit_json(zarray(d, "variant_position"), set_key("chunks", [2**31]))
case("variant_position chunks 2^31 (the chunk's frame holds 36 bytes)", d, "variant_position")

d = unzip(v2zip, "dp-dimension-names")
edit_json(os.path.join(d, "call_DP", ".zattrs"), set_key("_ARRAY_DIMENSIONS", ["samples", "variants"]))
case("call_DP dimension names swapped", d, "call_DP")

d = unzip(v2zip, "all-variants-1e9")
for a in os.listdir(d):
    za = os.path.join(d, a, ".zattrs")
    if os.path.exists(za):
        with open(za) as f:
            dims = json.load(f).get("_ARRAY_DIMENSIONS", [])
        if dims and dims[0] == "variants":
            edit_json(zarray(d, a), lambda doc: doc["shape"].__setitem__(0, 10**9))
case("every [variants, ...] array 10^9 variants (consistent, beyond any memory budget)", d, "variant_allele")

d = unzip(v2zip, "allele-blosc-bomb-zip")
with open(os.path.join(d, "variant_allele", "0.0"), "wb") as f:
    f.write(bomb)
case("variant_allele (vlen-utf8) chunk a Blosc frame of 1 GiB, in a zip", rezip(d), "variant_allele")

d = unzip(v2zip, "gt-truncated-zip")
p = os.path.join(d, "call_genotype", "1.0.0")
with open(p, "rb") as f:
    frame = f.read()
with open(p, "wb") as f:
    f.write(frame[:20])
case("call_genotype chunk 1.0.0 truncated, in a zip", rezip(d), "call_genotype")

# --- the zstd codec (numcodecs Zstd, as zarr-python writes it): a valid store, a bomb, a truncated frame


def to_zstd(d, array):
    edit_json(zarray(d, array), set_key("compressor", {"id": "zstd", "level": 3}))
    for f in os.listdir(os.path.join(d, array)):
        if f.startswith("."):
            continue
        p = os.path.join(d, array, f)
        raw = numcodecs.Blosc().decode(open(p, "rb").read())
        open(p, "wb").write(numcodecs.Zstd(level=3).encode(raw))


good_zstd = unzip(v2zip, "good-zstd")
for a in ("call_genotype", "call_DP"):
    to_zstd(good_zstd, a)

d = unzip(v2zip, "gt-zstd-bomb")
to_zstd(d, "call_genotype")
open(os.path.join(d, "call_genotype", "0.0.0"), "wb").write(numcodecs.Zstd(level=19).encode(bytes(BOMB_BYTES // 1024)))
case("call_genotype chunk 0.0.0 a zstd frame of 1 MiB", d, "call_genotype")

d = unzip(v2zip, "dp-zstd-truncated")
to_zstd(d, "call_DP")
p = os.path.join(d, "call_DP", "1.0")
frame = open(p, "rb").read()
open(p, "wb").write(frame[:-3])
case("call_DP chunk 1.0 a zstd frame cut short", d, "call_DP")

# --- Zarr format 3

d = unzip(v3zip, "v3-gt-huge-shape")
edit_json(os.path.join(d, "call_genotype", "zarr.json"), lambda doc: doc.__setitem__("shape", [9, 2_000_000_000, 2]))
case("v3 call_genotype zarr.json shape [9, 2e9, 2]", d, "call_genotype")

d = unzip(v3zip, "v3-sample-id-huge-shape")
edit_json(os.path.join(d, "sample_id", "zarr.json"), lambda doc: doc.__setitem__("shape", [2_000_000_000]))
case("v3 sample_id zarr.json shape 2e9", rezip(d), "sample_id")

d = unzip(v3zip, "v3-gt-blosc-bomb")
with open(os.path.join(d, "call_genotype", "c", "0", "0", "0"), "wb") as f:
    f.write(bomb)
case("v3 call_genotype chunk c/0/0/0 a Blosc frame of 1 GiB", d, "call_genotype")

# --- a zip entry whose header lies about its size: call_genotype/0.0.0 is a
# deflate stream of 256 MiB, but the local and central headers say 24 bytes.

def lying_zip(name, entry, data, declared):
    """sample.vcz.zip with `entry` holding `data` (deflated) but both its headers declaring `declared` bytes."""
    src = zipfile.ZipFile(v2zip)
    path = os.path.join(out, name + ".vcz.zip")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in src.infolist():
            zf.writestr(info.filename, data if info.filename == entry else src.read(info))
    buf = bytearray(open(path, "rb").read())
    key = entry.encode()
    pos = 0
    while (pos := buf.find(key, pos)) >= 0:
        if buf[pos - 30 : pos - 26] == b"PK\x03\x04":  # local header: uncompressed size at +22
            struct.pack_into("<I", buf, pos - 30 + 22, declared)
        if buf[pos - 46 : pos - 42] == b"PK\x01\x02":  # central header: uncompressed size at +24
            struct.pack_into("<I", buf, pos - 46 + 24, declared)
        pos += len(key)
    open(path, "wb").write(buf)
    return path


case("zip entry call_genotype/0.0.0: headers say 24 bytes, it inflates to 256 MiB",
     lying_zip("zip-lie-256m", "call_genotype/0.0.0", bytes(256 << 20), 24), "call_genotype")
case("zip entry call_genotype/0.0.0: headers say 24 bytes, it inflates to 1 MiB (within deflate's ratio)",
     lying_zip("zip-lie-1m", "call_genotype/0.0.0", bytes(1 << 20), 24), "call_genotype")
with zipfile.ZipFile(v2zip) as z:
    real = z.read("call_genotype/0.0.0")
case("zip entry call_genotype/0.0.0: headers say 40 bytes more than it holds",
     lying_zip("zip-lie-short", "call_genotype/0.0.0", real, len(real) + 40), "call_genotype")

json.dump({"cases": cases, "good": {"zstd": good_zstd}}, sys.stdout)
