#!/bin/sh
# NAME
#	test_options.sh - a mistyped number in an option or in the
#	environment vigild hands a stage is refused, never read as 0
# DESCRIPTION
#	Each program is started with one bad number (letters, trailing
#	characters, out of bounds, a negative count) and must exit 2 before
#	doing anything, with a message naming the option and the value. No
#	server is started: every refusal comes before a key, socket or
#	segment is opened. Before, "vigilctl retention UUID thirty" set a
#	retention of 0 days (expire then deleted every day of the camera),
#	"vigil-writer -s durble" ran periodic, and "vigilctl restart writer
#	1x" restarted writer 1 and "... writer x" writer 0.
set -u
BINDIR=${BINDIR:-bin}
BIN=$(cd "$BINDIR" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
n=0

fail() { echo "FAIL: $*"; exit 1; }

# refused WHAT... : the command exits 2 and says WHAT and the value
refused() {
	want=$1 val=$2
	shift 2
	env "$@" >"$tmp/out" 2>&1 </dev/null
	rc=$?
	[ "$rc" -eq 2 ] || fail "$*: exit $rc, not 2: $(head -2 "$tmp/out")"
	grep -qF -- "$want" "$tmp/out" || fail "$*: no mention of $want: $(head -2 "$tmp/out")"
	grep -qF -- "$val" "$tmp/out" || fail "$*: no mention of $val: $(head -2 "$tmp/out")"
	n=$((n + 1))
}

cam="$BIN/vigil-cam -c $tmp/none.conf"
refused --fps 25x $cam --fps 25x
refused --fps 0 $cam --fps 0
refused --kbps abc $cam --kbps abc
refused --telemetry-hz 1,5 $cam --telemetry-hz 1,5
refused --store-max -1 $cam --store-max -1
refused --linger 10s $cam --linger 10s
refused --clock-offset 1e3 $cam --clock-offset 1e3
refused --replay-hello x "${OUT:-build/default}/tests/tools/vigil_cam_test" -c "$tmp/none.conf" --replay-hello=x
refused --tamper 7x "${OUT:-build/default}/tests/tools/vigil_cam_test" -c "$tmp/none.conf" --tamper 7x
refused --size 320x $cam --size 320x
refused --codec vp9 $cam --codec vp9
refused --fleet 99999999999999999999 "$BIN/vigil-cam" --fleet 99999999999999999999
refused -w 12o "$BIN/vigil-listener" -w 12o
refused -r 0 "$BIN/vigil-listener" -r 0
refused -c 5k "$BIN/vigil-listener" -c 5k
refused -L 200000000 "$BIN/vigil-listener" -L 200000000
refused VIGIL_WRITERS 0 VIGIL_SHM_PREFIX=x VIGIL_WRITERS=0 "$BIN/vigil-listener"
refused -i 1OO "$BIN/vigil-writer" -i 1OO
refused -s durble "$BIN/vigil-writer" -s durble
refused VIGIL_STAGE_INDEX one VIGIL_SHM_PREFIX=x VIGIL_STAGE_INDEX=one "$BIN/vigil-writer"
refused -w 0 "$BIN/vigil-streamer" -w 0
refused port 80a "$BIN/vigil-streamer" -l 127.0.0.1:80a
refused -r fast "$BIN/vigil-indexer" -r fast
refused -m -3 "$BIN/vigil-syncd" -D "$tmp" -m -3
refused -b 1024 "$BIN/vigilctl" keygen -d "$tmp/keys" -b 1024
refused DAYS 30d "$BIN/vigilctl" retention -D "$tmp" -d "$tmp/keys" \
	0f8fad5b-d9cb-469f-a165-70867728950e 30d
refused DAYS thirty "$BIN/vigilctl" retention -D "$tmp" -d "$tmp/keys" \
	0f8fad5b-d9cb-469f-a165-70867728950e thirty
refused -R 3O "$BIN/vigilctl" expire -D "$tmp" -d "$tmp/keys" -R 3O
refused N 1x "$BIN/vigilctl" restart -p "vigil-none-$$" writer 1x
echo "options: $n mistyped numbers refused with exit 2 and a message"
