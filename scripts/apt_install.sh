#!/bin/sh
# Installs Debian packages with apt-get (via sudo when not root): `apt_install.sh WHO PKG...`,
# where WHO names the caller in messages. Used by .ci/test_tools.sh and perf/perf_setup.sh,
# which each work out what is missing first, so a machine that has everything pays nothing.
set -eu
who=$1
shift
[ $# -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "$who: please install: $* (no apt-get here)" >&2
  exit 1
fi
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "$who: installing $*" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
