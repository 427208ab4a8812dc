#!/usr/bin/env bash
# Sets up the environment for vczdepot's interop tests (developers and CI):
#   1. Debian packages bcftools, tabix, flatbuffers-compiler (apt-get, only when
#      missing; `apt-get update` only if something must be installed);
#   2. a Python venv at <repo>/.venv with the pinned requirements-interop.txt
#      (bio2zarr/vcf2zarr, vcztools, zarr, numcodecs, xarray, cyvcf2, numpy and
#      their dependencies).
# Idempotent: a stamp file holding the requirements' sha256 makes a re-run skip
# pip; a complete re-run takes well under a second.
#
# Usage: scripts/setup-interop.sh [--freeze]
#   --freeze  after installing, rewrite requirements-interop.txt with every
#             package `pip freeze` reports (use after changing a direct pin).
# Environment: PYTHON (default python3) picks the interpreter for the venv.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
req="$repo/requirements-interop.txt"
venv="$repo/.venv"
stamp="$venv/.requirements-interop.sha256"
python=${PYTHON:-python3}
freeze=0
for arg in "$@"; do
  case "$arg" in
    --freeze) freeze=1 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "setup-interop: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

log() { echo "setup-interop: $*" >&2; }

# --- 1. Debian packages -------------------------------------------------------
# package name -> a command it provides
declare -A provides=([bcftools]=bcftools [tabix]=tabix [flatbuffers-compiler]=flatc)
missing=()
for pkg in bcftools tabix flatbuffers-compiler; do
  if ! command -v "${provides[$pkg]}" >/dev/null 2>&1; then missing+=("$pkg"); fi
done
if ((${#missing[@]})); then
  if ! command -v apt-get >/dev/null 2>&1; then
    log "missing ${missing[*]} and apt-get is not available; install them with your package manager"
    exit 1
  fi
  as_root=()
  if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then as_root=(sudo -n); else
      log "missing ${missing[*]}; run this script as root (or install sudo) to apt-get them"
      exit 1
    fi
  fi
  log "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${as_root[@]}" apt-get update -q
  "${as_root[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# --- 2. Python venv -----------------------------------------------------------
if [[ ! -x "$venv/bin/python" ]]; then
  log "creating venv at $venv"
  "$python" -m venv "$venv"
fi
want=$(sha256sum "$req" | cut -d' ' -f1)
have=$(cat "$stamp" 2>/dev/null || true)
if [[ "$want" != "$have" || $freeze -eq 1 ]]; then
  log "pip installing $req (a few minutes the first time)"
  "$venv/bin/python" -m pip install -q -r "$req"
  if ((freeze)); then
    {
      echo "# Python peers for vczdepot's interop tests (installed by scripts/setup-interop.sh"
      echo "# into .venv). Every version pinned (pip freeze) so the env is reproducible;"
      echo "# regenerate with scripts/setup-interop.sh --freeze after changing a direct pin."
      echo "# Direct requirements: bio2zarr vcztools zarr numcodecs xarray cyvcf2 numpy."
      "$venv/bin/python" -m pip freeze --all --exclude pip --exclude setuptools --exclude wheel
    } >"$req.tmp"
    mv "$req.tmp" "$req"
    want=$(sha256sum "$req" | cut -d' ' -f1)
    log "wrote pinned $req"
  fi
  echo "$want" >"$stamp"
else
  log "venv is current ($venv)"
fi

# Sanity check that the tools the tests call exist.
for tool in vcf2zarr vcztools python; do
  if [[ ! -x "$venv/bin/$tool" ]]; then log "expected $venv/bin/$tool after install"; exit 1; fi
done
log "ready: bcftools $(bcftools --version | head -1 | cut -d' ' -f2), $("$venv/bin/vcf2zarr" --version 2>/dev/null | tail -1)"
