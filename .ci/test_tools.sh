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
# shellcheck disable=SC2086 # one word per package
exec sh "$(dirname "$0")/../scripts/apt_install.sh" "test tools" $missing
