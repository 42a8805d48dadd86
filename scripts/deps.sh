#!/bin/sh
# NAME
#	deps.sh - install the Debian packages vigil builds, tests and runs with
# DESCRIPTION
#	Idempotent: when every package is already installed it only runs
#	dpkg-query and returns within a second. Otherwise it runs apt-get
#	update once and installs what is missing. Must run as root (or with
#	sudo available) on Debian 12.
set -eu

# server: the five required libraries; camera: x264, turbojpeg, gpsd's
# client library; vigil-verify: libavformat (MP4); make analyze: clang-tools;
# make format and the test that the tree conforms: clang-format;
# tests: ffmpeg (reference decoder), Chromium driven by
# playwright-core (npm, below), jq; scale-out: nats-server, libnats,
# glusterfs; the failing-sync test: libfuse3, fusermount3.
PKGS="build-essential pkg-config clang libclang-rt-14-dev llvm
liburing-dev libssl-dev libwebsockets-dev libck-dev libcmocka-dev
uuid-dev libjansson-dev openssl xxd curl procps iproute2
libx264-dev libturbojpeg0-dev libgps-dev gpsd ffmpeg libavformat-dev clang-tools clang-format
chromium fonts-dejavu-core jq srt-tools
nats-server libnats-dev glusterfs-server
libfuse3-dev fuse3"
command -v node >/dev/null 2>&1 || PKGS="$PKGS nodejs"
command -v npm >/dev/null 2>&1 || PKGS="$PKGS npm"

missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
	case "$st" in
	ii*) ;;
	*) missing="$missing $p" ;;
	esac
done

# npm packages of the browser tests, pinned in tests/browser/package.json.
top=$(cd "$(dirname "$0")/.." && pwd)
npm_deps() {
	[ -f "$top/tests/browser/node_modules/playwright-core/package.json" ] && return 0
	echo "deps.sh: npm install in tests/browser"
	(cd "$top/tests/browser" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
}

if [ -z "$missing" ]; then
	npm_deps
	exit 0
fi

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
npm_deps
echo "deps.sh: done"
