#!/usr/bin/env bash
# Runs every libFuzzer target of the module and of kmsd for SECONDS each (default 60), seeded
# from the committed corpus in <crate>/fuzz/corpus/<target>; new inputs go to a scratch
# directory, crashing inputs to <crate>/fuzz/artifacts/. Exits non-zero on the first crash.
#
# Usage: kms-daemon/scripts/fuzz.sh [SECONDS] [TARGET...]     (needs: cargo install cargo-fuzz)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
seconds="${1:-60}"
shift || true
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
for crate in pkcs11-module kms-daemon; do
  cd "$root/$crate/fuzz"
  cargo fuzz build --sanitizer none --release
  for target in $(cargo fuzz list); do
    if [ "$#" -gt 0 ] && [[ ! " $* " == *" $target "* ]]; then continue; fi
    mkdir -p "$scratch/$crate-$target" "corpus/$target" artifacts
    echo "== fuzz $crate/$target for ${seconds}s"
    if ! cargo fuzz run --sanitizer none --release "$target" "$scratch/$crate-$target" "corpus/$target" -- \
      -max_total_time="$seconds" -rss_limit_mb=2048 -artifact_prefix="$PWD/artifacts/$target-" \
      >"$scratch/$crate-$target.log" 2>&1; then
      tail -40 "$scratch/$crate-$target.log" >&2
      echo "fuzz: $crate/$target failed; the input is in $PWD/artifacts/" >&2
      exit 1
    fi
    grep -E '^Done' "$scratch/$crate-$target.log" || true
  done
done
