#!/bin/sh
# `deno task perf:setup`: installs what the perf tasks measure against and is not on a
# fresh machine: Debian's iperf3, netcat-openbsd (nc -N) and socat (perf:forward's relay
# reference). It also needs cc (the reference C tools in ../shared/tools) and node (Node's
# net echo, for context).
# Installs only what is missing, so it costs nothing once done.
set -eu
missing=""
command -v iperf3 >/dev/null 2>&1 || missing="$missing iperf3"
command -v socat >/dev/null 2>&1 || missing="$missing socat"
nc -h 2>&1 | grep -q "Shutdown the network socket after EOF" || missing="$missing netcat-openbsd"
command -v cc >/dev/null 2>&1 || missing="$missing gcc libc6-dev"
[ -z "$missing" ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "perf:setup: please install:$missing (no apt-get here)" >&2
  exit 1
fi
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "perf:setup: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
