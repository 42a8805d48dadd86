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
#	1x" restarted writer 1 and "... writer x" writer 0. The writer and
#	the indexer also show their -n (options good, a range refused with
#	exit 2, a folder or key missing refused with 1) and -h.
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
# -n checks the options and the folders (and key) they name; -h is the usage
for prog in vigil-writer vigil-indexer; do
	"$BIN/$prog" -n -D "$tmp" >"$tmp/out" 2>&1 || fail "$prog -n -D $tmp: $(cat "$tmp/out")"
	grep -q "configuration ok" "$tmp/out" || fail "$prog -n: $(cat "$tmp/out")"
	"$BIN/$prog" -h >"$tmp/out" 2>&1 || fail "$prog -h: exit $?"
	grep -q "^usage: $prog " "$tmp/out" || fail "$prog -h: $(head -1 "$tmp/out")"
done
refused "must be 0..3600000 ms" 5000000 "$BIN/vigil-writer" -n -D "$tmp" -i 5000000
refused "must be 0..3600000 ms" 4000000 "$BIN/vigil-indexer" -n -D "$tmp" -r 4000000
"$BIN/vigil-writer" -n -D "$tmp/no/such" >"$tmp/out" 2>&1 && fail "vigil-writer -n took a folder it cannot make"
"$BIN/vigil-indexer" -n -D "$tmp" -d "$tmp/nokeys" >"$tmp/out" 2>&1 && fail "vigil-indexer -n took a missing key"
grep -q "server.key" "$tmp/out" || fail "vigil-indexer -n: $(cat "$tmp/out")"
refused -m -3 "$BIN/vigil-syncd" -D "$tmp" -m -3
# -n takes good options and exits 0, refuses one out of its range with
# exit 2 and the range; -h prints the options and exits 0
"$BIN/vigil-streamer" -n -D "$tmp" -d "$tmp" -P "$tmp" -w 4 -t 64m -q 64 >"$tmp/out" 2>&1 ||
	fail "vigil-streamer -n: $(cat "$tmp/out")"
refused "-w 65" "must be 1..64" "$BIN/vigil-streamer" -n -D "$tmp" -d "$tmp" -P "$tmp" -w 65
refused "tls_cert (-C)" "tls_key (-K)" "$BIN/vigil-streamer" -n -C "$tmp/cert.pem"
"$BIN/vigil-streamer" -h | grep -qF "table_size" || fail "vigil-streamer -h does not list table_size"
"$BIN/vigil-syncd" -n -D "$tmp" -t 100 -T 200 -m 3 >"$tmp/out" 2>&1 ||
	fail "vigil-syncd -n: $(cat "$tmp/out")"
refused "-t 5" "must be 10..4294967295 ms" "$BIN/vigil-syncd" -n -D "$tmp" -t 5
refused "rto_max_ms (-T) 50" "below rto_ms (-t) 100" "$BIN/vigil-syncd" -n -D "$tmp" -t 100 -T 50
"$BIN/vigil-syncd" -h | grep -qF "rto_max_ms" || fail "vigil-syncd -h does not list rto_max_ms"
refused -b 1024 "$BIN/vigilctl" keygen -d "$tmp/keys" -b 1024
refused DAYS 30d "$BIN/vigilctl" retention -D "$tmp" -d "$tmp/keys" \
	0f8fad5b-d9cb-469f-a165-70867728950e 30d
refused DAYS thirty "$BIN/vigilctl" retention -D "$tmp" -d "$tmp/keys" \
	0f8fad5b-d9cb-469f-a165-70867728950e thirty
refused -R 3O "$BIN/vigilctl" expire -D "$tmp" -d "$tmp/keys" -R 3O
refused N 1x "$BIN/vigilctl" restart -p "vigil-none-$$" writer 1x
echo "options: $n mistyped numbers refused with exit 2 and a message"
