#!/bin/sh
# NAME
#	deps.sh - install the Debian packages vigil builds, tests and runs with
# DESCRIPTION
#	Idempotent: when every package is already installed it only runs
#	dpkg-query and returns within a second. Otherwise it runs apt-get
#	update once and installs what is missing. Must run as root (or with
#	sudo available) on Debian 12.
set -eu

PKGS="build-essential pkg-config clang libclang-rt-14-dev llvm
liburing-dev libssl-dev libwebsockets-dev libck-dev libcmocka-dev
uuid-dev openssl xxd curl procps"

missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
	case "$st" in
	ii*) ;;
	*) missing="$missing $p" ;;
	esac
done

[ -z "$missing" ] && exit 0

SUDO=""
if [ "$(id -u)" != 0 ]; then
	if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
		echo "deps.sh: need root to install:$missing" >&2
		exit 1
	fi
fi
echo "deps.sh: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "deps.sh: done"
