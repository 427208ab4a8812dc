#!/usr/bin/env bash
# Creates bench/.venv-bench (msprime, vczstore and their pinned dependencies
# from bench/requirements-bench.txt) for the peer benchmarks. Idempotent: a
# stamp holding the requirements' sha256 makes a re-run skip pip.
# Also makes sure the repo's .venv (vcf2zarr, vcztools) and bcftools/tabix
# exist, via scripts/setup-interop.sh.
# Environment: PYTHON (default python3) picks the interpreter for the venv.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-interop.sh >&2
req=bench/requirements-bench.txt
venv=bench/.venv-bench
stamp=$venv/.requirements-bench.sha256
python=${PYTHON:-python3}
log() { echo "setup-venv: $*" >&2; }
if [[ ! -x "$venv/bin/python" ]]; then
  log "creating $venv with $("$python" --version 2>&1)"
  "$python" -m venv "$venv"
fi
want=$(sha256sum "$req" | cut -d' ' -f1)
have=$(cat "$stamp" 2>/dev/null || true)
if [[ "$want" != "$have" ]]; then
  log "pip installing $req (--ignore-requires-python: vczstore declares >=3.12)"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check --ignore-requires-python -r "$req"
  echo "$want" >"$stamp"
fi
for tool in vczstore python; do
  [[ -x "$venv/bin/$tool" ]] || { log "expected $venv/bin/$tool after install"; exit 1; }
done
