"""Runs a vczstore command and then makes what it wrote durable.

vczstore writes its chunk and metadata files without fsync, so when its
command returns the change may still be only in the page cache. vczdepot's
`append` and `remove` return after a durable commit. Issue 5 compares the
two "both durable": this wrapper runs the same vczstore CLI entry point
(`vczstore.cli:vczstore_main`, what the `vczstore` script runs) in this
process, then fsyncs every file and directory under the store that was
created or modified since the command started (directories too, so new
file names survive a crash). That is the least a caller of vczstore must do
for the same guarantee; `sync` would flush the whole file system.

Usage: python vczstore_durable.py STORE -- vczstore-args...
Exits with vczstore's exit code. When VCZSTORE_DURABLE_REPORT names a file,
appends one JSON line to it: {"fsyncSec": seconds spent in the fsync step,
"files": files and directories fsynced}.
"""

import json
import os
import sys
import time


def fsync_path(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_changed(store, since_ns):
    """fsyncs files and directories under `store` with mtime/ctime >= since_ns; returns the count."""
    n = 0
    for dirpath, _dirnames, filenames in os.walk(store):
        for name in filenames:
            p = os.path.join(dirpath, name)
            st = os.stat(p)
            if st.st_mtime_ns >= since_ns or st.st_ctime_ns >= since_ns:
                fsync_path(p)
                n += 1
        st = os.stat(dirpath)
        if st.st_mtime_ns >= since_ns or st.st_ctime_ns >= since_ns:
            fsync_path(dirpath)
            n += 1
    return n


def main():
    argv = sys.argv[1:]
    sep = argv.index("--")
    store, args = argv[0], argv[sep + 1 :]
    # File-system timestamps are coarser than time_ns on some file systems: back off 10 ms.
    since = time.time_ns() - 10_000_000
    from vczstore.cli import vczstore_main

    sys.argv = ["vczstore", *args]
    code = 0
    try:
        vczstore_main()
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    if code == 0:
        t = time.perf_counter()
        files = fsync_changed(store, since)
        report = os.environ.get("VCZSTORE_DURABLE_REPORT")
        if report:
            with open(report, "a") as f:
                f.write(json.dumps({"fsyncSec": time.perf_counter() - t, "files": files}) + "\n")
    sys.exit(code)


if __name__ == "__main__":
    main()
