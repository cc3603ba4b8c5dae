#!/usr/bin/env bash
# The quick start, end to end: kmsd on its embedded SQLite store (mutual TLS, sealed keys,
# audit chain), and OpenSC's pkcs11-tool — an unmodified client — making and using keys through
# libkms_pkcs11.so, with openssl checking the results. kmsd keeps serving afterwards (Ctrl-C).
#
# Usage: kms-daemon/scripts/quickstart-demo.sh [DIR]   (default DIR: ./kms-quickstart)
# Needs: cargo build --release --workspace; pkcs11-tool (opensc) and openssl.
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
bin="$root/target/release"
dir="$(mkdir -p "${1:-kms-quickstart}" && cd "${1:-kms-quickstart}" && pwd)"
pin="${KMS_DEMO_PIN:-123456}"
[ -x "$bin/kmsd" ] && [ -f "$bin/libkms_pkcs11.so" ] || { echo "build first: cargo build --release --workspace" >&2; exit 1; }
command -v pkcs11-tool >/dev/null || { echo "install OpenSC first: apt-get install -y opensc" >&2; exit 1; }

log="$dir/kmsd.out"
# The PINs from the environment, not the command line (which every user sees in ps).
KMS_DEMO_USER_PIN="$pin" KMS_DEMO_SO_PIN="${pin}00" "$bin/kmsd" quickstart --dir "$dir" \
  --user-pin-from env:KMS_DEMO_USER_PIN --so-pin-from env:KMS_DEMO_SO_PIN >"$log" 2>"$dir/kmsd.log" &
kmsd_pid=$!
trap 'kill $kmsd_pid 2>/dev/null || true' INT TERM
for _ in $(seq 1 100); do grep -q '^kmsd listening on' "$log" && break; sleep 0.1; done
grep -q '^kmsd listening on' "$log" || { cat "$log" "$dir/kmsd.log" >&2; exit 1; }
cat "$log"
export KMS_PKCS11_CONFIG="$dir/pkcs11.toml"

tool() { pkcs11-tool --module "$bin/libkms_pkcs11.so" --token-label kms-default "$@"; }
step() { printf '\n== %s\n' "$*"; }
cd "$dir"

step "the token, as any PKCS#11 application sees it"
tool -L
if ! tool --login --pin "$pin" -O --type privkey --id 01 2>/dev/null | grep -q 'Private Key Object'; then
  step "generate an RSA-2048 key pair in kmsd (the private key never leaves it)"
  tool --login --pin "$pin" --keypairgen --key-type rsa:2048 --id 01 --label demo-rsa
fi
step "sign with it through the module, verify with openssl"
printf 'signed by a key held in kmsd\n' > demo.txt
tool --read-object --type pubkey --id 01 -o demo-rsa.der
openssl pkey -pubin -inform DER -in demo-rsa.der -out demo-rsa.pem
tool --login --pin "$pin" --sign --id 01 -m SHA256-RSA-PKCS -i demo.txt -o demo.sig
openssl dgst -sha256 -verify demo-rsa.pem -signature demo.sig demo.txt
step "the audit chain of everything above"
"$bin/kmsd" audit verify --config "$dir/kmsd.toml"

printf '\nkmsd keeps serving (pid %s). Point applications at it with:\n  export KMS_PKCS11_CONFIG=%s\n  module: %s\nUser PIN: %s. Ctrl-C stops kmsd; run this again to reuse the same keys.\n' \
  "$kmsd_pid" "$KMS_PKCS11_CONFIG" "$bin/libkms_pkcs11.so" "$pin"
wait "$kmsd_pid"
