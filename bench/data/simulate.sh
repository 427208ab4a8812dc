#!/usr/bin/env bash
# Makes (once) the simulated cohort of one size for the peer benchmarks and
# prints its directory: bench/data/cache/<size>/ (gitignored) with
# cohort/extra1/extra100/all .vcf.gz (+ .tbi) and meta.json.
# Regenerates only when meta.json (written last) is missing.
# Usage: bench/data/simulate.sh [small|large|tiny]
set -euo pipefail
size=${1:-small}
cd "$(dirname "$0")/../.."
out=bench/data/cache/$size
if [[ ! -f $out/meta.json ]]; then
  bash bench/setup-venv.sh
  rm -rf "$out"
  bench/.venv-bench/bin/python bench/data/simulate.py --size "$size" --out "$out" >&2
fi
echo "$out"
