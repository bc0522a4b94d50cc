#!/bin/sh
# `deno task perf:setup`: installs what the perf tasks measure against and is not on a
# fresh machine: Debian's iperf3, netcat-openbsd (nc -N) and socat (perf:forward's relay
# reference), and iproute2's ss (perf:bench-client's paired mode reads the kernel's TCP
# byte counters with it). It also needs cc (the reference C tools in ../shared/tools) and
# node (Node's net echo, for context).
# Installs only what is missing, so it costs nothing once done.
set -eu
missing=""
command -v iperf3 >/dev/null 2>&1 || missing="$missing iperf3"
command -v socat >/dev/null 2>&1 || missing="$missing socat"
nc -h 2>&1 | grep -q "Shutdown the network socket after EOF" || missing="$missing netcat-openbsd"
command -v cc >/dev/null 2>&1 || missing="$missing gcc libc6-dev"
command -v ss >/dev/null 2>&1 || missing="$missing iproute2"
# shellcheck disable=SC2086 # one word per package
exec sh "$(dirname "$0")/../scripts/apt_install.sh" "perf:setup" $missing
