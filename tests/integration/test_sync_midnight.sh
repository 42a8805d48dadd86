#!/bin/sh
# NAME
#	test_sync_midnight.sh - a camera offline across UTC midnight: both
#	days end complete
# DESCRIPTION
#	The camera runs on a clock set 3 s before the next UTC midnight
#	(vigil-cam --clock-offset; the listener's hello window is widened to
#	two days). The link through the test relay is good for 1.5 s, then
#	down for 6 s, so the end of the old day and the start of the new one
#	are sent while nobody hears them, then good again. The camera
#	reports both days (the old one still unconfirmed in its store),
#	syncd asks for both, and the camera resends the old day's datagrams
#	after that day's hello. Both day files must hold every counter the
#	camera used that day, once, verify, and be recorded complete.
set -u
BINDIR=${BINDIR:-bin}
OUT=${OUT:-build/default}
BIN=$(cd "$BINDIR" && pwd)
RELAY=$OUT/tests/tools/relay
[ -x "$RELAY" ] || { echo "relay not built ($RELAY)"; exit 77; }
tmp=$(mktemp -d /tmp/vigil-syncm.XXXXXX)
prefix=vigilsyncm$$
vpid="" rpid=""
cleanup() { for p in $vpid $rpid; do kill -9 "$p" 2>/dev/null; done; pkill -9 -f "$tmp" 2>/dev/null; rm -rf "$tmp"; rm -f /dev/shm/$prefix-*; }
trap cleanup EXIT INT TERM
fail() { echo "FAIL: $*"; tail -30 "$tmp/vigild.log"; exit 1; }

port=$(( 20000 + ($$ + 29) % 20000 ))
rport=$(( 20000 + ($$ + 31) % 20000 ))
"$BIN/vigilctl" keygen -d "$tmp/keys" >/dev/null || fail keygen
c=$("$BIN/vigilctl" provision -d "$tmp/keys" -s 127.0.0.1:$rport -o "$tmp/cams") || fail provision
cat >"$tmp/vigil.conf" <<CONF
shm_prefix = $prefix
metrics_listen =
writers = 2
stage listener = $BIN/vigil-listener -d $tmp/keys -l 127.0.0.1:$port -w 172800000
stage writer = $BIN/vigil-writer -D $tmp/data
stage syncd = $BIN/vigil-syncd -D $tmp/data
CONF
"$BIN/vigild" -f -c "$tmp/vigil.conf" 2>"$tmp/vigild.log" >/dev/null &
vpid=$!
"$RELAY" -l 127.0.0.1:$rport -s 127.0.0.1:$port -p 1500:loss=0 -p 6000:outage -p 0:loss=0 \
	-S $$ -o "$tmp/relay.stats" 2>"$tmp/relay.log" &
rpid=$!
sleep 0.5
now=$(date +%s%3N)
offset=$(( (now / 86400000 + 1) * 86400000 - 3000 - now ))
timeout 90 "$BIN/vigil-cam" -c "$tmp/cams/$c/camera.conf" -n 120 --fps 10 --clock-offset $offset \
	--linger 40000 >"$tmp/cam.out" 2>&1 || fail "camera exit"
sleep 1.5
kill -TERM "$rpid"; wait "$rpid"; rpid=""
kill -TERM "$vpid"; wait "$vpid" || fail "vigild exit"; vpid=""
grep -v hello-ack "$tmp/cam.out"; cat "$tmp/relay.stats"

sent=$(sed -n 's/^sent=\([0-9]*\).*/\1/p' "$tmp/cam.out")
set -- $(ls "$tmp/data/$c" | sed -n 's/\.vgl$//p')
[ $# -eq 2 ] || fail "want two day files, have: $*"
total=0
for day in "$1" "$2"; do
	"$BIN/vigilctl" verify -d "$tmp/keys" "$tmp/data/$c/$day.vgl" >"$tmp/v.out" || { cat "$tmp/v.out"; fail "$day does not verify"; }
	tail -3 "$tmp/v.out"
	grep -q '^missing: none$' "$tmp/v.out" || fail "$day: counters missing"
	grep -q '^duplicates 0$' "$tmp/v.out" || fail "$day: duplicates stored"
	total=$(( total + $(sed -n 's/^records \([0-9]*\),.*/\1/p' "$tmp/v.out") ))
	"$BIN/vigilctl" completeness -D "$tmp/data" "$c" "$day" >"$tmp/c.out"
	grep -v '^present\|^backfilled' "$tmp/c.out"
	grep -q '^missing 0,' "$tmp/c.out" || fail "$day: completeness says counters missing"
	grep -q '^backfilled [0-9]' "$tmp/c.out" || fail "$day: nothing was backfilled"
	grep -q '^complete_ms [1-9]' "$tmp/data/$c/$day.sync" || fail "$day: not recorded complete"
done
echo "sent $sent, stored $total over $1 and $2"
[ "$total" -eq "$sent" ] || fail "stored $total of $sent"
echo "sync_midnight: all checks passed"
