#!/bin/sh
# The tools tcpkit's tests talk to that a fresh Debian machine lacks: openssl (s_client,
# s_server, x509, verify) and ncat and socat (TLS interop, tests/tls_interop_test.ts).
# Installs only what is missing, with apt-get, so it costs nothing once done. Run by
# .ci/run; `deno task test:setup` runs it by hand.
set -eu
missing=""
command -v openssl >/dev/null 2>&1 || missing="$missing openssl"
command -v ncat >/dev/null 2>&1 || missing="$missing ncat"
command -v socat >/dev/null 2>&1 || missing="$missing socat"
[ -z "$missing" ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "test tools: please install:$missing (no apt-get here)" >&2
  exit 1
fi
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "test tools: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086 # one word per package
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
