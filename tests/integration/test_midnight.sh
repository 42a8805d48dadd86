#!/bin/sh
# NAME
#	test_midnight.sh - cameras streaming across a UTC midnight
# DESCRIPTION
#	Twenty cameras, 100,000 datagrams in all, run on a clock set 6 s
#	before the next UTC midnight
#	(vigil-cam --clock-offset) while the server keeps its own clock (the
#	listener's hello window is widened to two days for that, and its
#	hello rate per source raised: all twenty share 127.0.0.1). Each camera
#	opens a new session at midnight with counter 0 of the new day; the
#	writers put every datagram in the file of the date it carries. Both
#	day files of each camera must verify, the new day must start at
#	counter 0 with its own hello, and together they hold every datagram
#	sent, byte for byte as verified, once: every fifth camera (the test
#	build, vigil_cam_test --dup 7) sends every 7th datagram twice, as a
#	resend would, and each is stored once.
#	syncd runs as in production: what a loaded machine drops on loopback
#	is asked for again, and each camera lingers until its days are
#	confirmed (a bound of minutes: a machine at load 10 takes several
#	times longer than a quiet one, and a camera that is confirmed leaves
#	at once).
set -u
BINDIR=${BINDIR:-bin}
BIN=$(cd "$BINDIR" && pwd)
# vigil-cam's test build: --tamper, --dup, --garbage, --replay-hello
CAMT=$(cd "${OUT:-build/default}/tests/tools" 2>/dev/null && pwd)/vigil_cam_test
[ -x "$CAMT" ] || { echo "no vigil_cam_test (make test-build)"; exit 77; }
tmp=$(mktemp -d /tmp/vigil-midnight.XXXXXX)
prefix=vigilmid$$
vpid=""
cleanup() { [ -n "$vpid" ] && kill -9 "$vpid" 2>/dev/null; pkill -9 -f "$tmp" 2>/dev/null; rm -rf "$tmp"; rm -f /dev/shm/$prefix-*; }
trap cleanup EXIT INT TERM
fail() { echo "FAIL: $*"; tail -20 "$tmp/vigild.log"; exit 1; }

port=$(( 20000 + ($$ + 3) % 20000 ))
"$BIN/vigilctl" keygen -d "$tmp/keys" >/dev/null || fail keygen
cams=""
for i in $(seq 20); do
	c=$("$BIN/vigilctl" provision -d "$tmp/keys" -s 127.0.0.1:$port -o "$tmp/cams") || fail provision
	cams="$cams $c"
done
cat >"$tmp/vigil.conf" <<CONF
shm_prefix = $prefix
metrics_listen =
writers = 2
stage listener = $BIN/vigil-listener -d $tmp/keys -l 127.0.0.1:$port -w 172800000 -r 100
stage writer = $BIN/vigil-writer -D $tmp/data
stage syncd = $BIN/vigil-syncd -D $tmp/data
CONF
"$BIN/vigild" -f -c "$tmp/vigil.conf" 2>"$tmp/vigild.log" >/dev/null &
vpid=$!
sleep 0.5

now=$(date +%s%3N)
offset=$(( (now / 86400000 + 1) * 86400000 - 6000 - now ))
cpids="" i=0
for c in $cams; do
	i=$((i + 1)); cam=$BIN/vigil-cam dup=""
	[ $((i % 5)) -eq 0 ] && cam=$CAMT dup="--dup 7"
	timeout 300 "$cam" -c "$tmp/cams/$c/camera.conf" -n 5000 --fps 400 --size 160x120 $dup --clock-offset $offset --linger 240000 >"$tmp/$c.out" &
	cpids="$cpids $!"
done
for p in $cpids; do wait "$p" || fail "camera exit"; done
sleep 0.5
kill -TERM "$vpid"; wait "$vpid" || fail "vigild exit"; vpid=""

grand=0
for c in $cams; do
	sent=$(sed -n 's/^sent=\([0-9]*\).*/\1/p' "$tmp/$c.out")
	set -- $(cd "$tmp/data/$c" && ls -- *.vgl)
	[ $# -eq 2 ] || fail "$c: want two day files, have: $*"
	total=0
	for f in "$1" "$2"; do
		"$BIN/vigilctl" verify -d "$tmp/keys" "$tmp/data/$c/$f" >"$tmp/v.out" || { cat "$tmp/v.out"; fail "$c $f does not verify"; }
		grep -q '^duplicates 0$' "$tmp/v.out" || { cat "$tmp/v.out"; fail "$c $f: a datagram stored twice"; }
		total=$(( total + $(sed -n 's/^records \([0-9]*\),.*/\1/p' "$tmp/v.out") ))
	done
	# the new day starts at counter 0 with its own hello
	"$BIN/vigilctl" dump "$tmp/data/$c/$2" | sed -n 2p | grep -q 'hello  counter=0 ' || fail "$c: day $2 does not open with a hello at counter 0"
	grep -q '^missing: none$' "$tmp/v.out" || fail "$c: gaps in the new day"
	echo "$c: sent $sent, stored $total over $1 and $2"
	[ "$total" -eq "$sent" ] || fail "$c: stored $total of $sent"
	grand=$((grand + total))
done
echo "stored $grand datagrams of 20 cameras across midnight"
[ "$grand" -ge 100000 ] || fail "only $grand datagrams: the scenario wants 100,000"
echo "midnight: all checks passed"
