#!/usr/bin/env bash
# Runs every libFuzzer target of the module and of kmsd for SECONDS each (default 60).
#
# Inputs: the named seeds kept in git, <crate>/fuzz/seeds/<target>/ (written by the seed tests,
# see README.md "Fuzzing"), and the growing corpus of earlier runs, kept outside the tree in
#   $KMS_FUZZ_CACHE/<crate>/<target>    (default: ${XDG_CACHE_HOME:-$HOME/.cache}/kms-pkcs11/fuzz)
# New inputs go to the cache only; the seeds are read, never written. An empty or missing cache
# is fine (CI starts from the seeds alone). A crashing input is written to
# <crate>/fuzz/artifacts/<target>-crash-…, and the script exits non-zero at the first one.
#
# Usage: kms-daemon/scripts/fuzz.sh [SECONDS] [TARGET...]     (needs: cargo install cargo-fuzz)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
seconds="${1:-60}"
shift || true
cache="${KMS_FUZZ_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kms-pkcs11/fuzz}"
logs="$(mktemp -d)"
trap 'rm -rf "$logs"' EXIT
for crate in pkcs11-module kms-daemon; do
  cd "$root/$crate/fuzz"
  cargo fuzz build --sanitizer none --release
  for target in $(cargo fuzz list); do
    if [ "$#" -gt 0 ] && [[ ! " $* " == *" $target "* ]]; then continue; fi
    seeds="$PWD/seeds/$target"
    corpus="$cache/$crate/$target"
    if [ ! -d "$seeds" ] || [ -z "$(ls -A "$seeds")" ]; then
      echo "fuzz: $crate/$target has no seeds in $seeds" >&2
      exit 1
    fi
    mkdir -p "$corpus" artifacts
    echo "== fuzz $crate/$target for ${seconds}s (corpus $corpus)"
    # libFuzzer reads every directory given and writes new inputs to the first one only.
    if ! cargo fuzz run --sanitizer none --release "$target" "$corpus" "$seeds" -- \
      -max_total_time="$seconds" -rss_limit_mb=2048 -artifact_prefix="$PWD/artifacts/$target-" \
      >"$logs/$crate-$target.log" 2>&1; then
      tail -40 "$logs/$crate-$target.log" >&2
      echo "fuzz: $crate/$target failed; the input is in $PWD/artifacts/" >&2
      exit 1
    fi
    grep -E '^Done' "$logs/$crate-$target.log" || true
  done
done
