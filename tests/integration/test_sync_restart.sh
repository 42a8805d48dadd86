#!/bin/sh
# NAME
#	test_sync_restart.sh - recovery survives a camera restart, syncd
#	killed with SIGKILL and a full server restart
# DESCRIPTION
#	A camera streams through the test relay (30% loss for 6 s, then an
#	outage) and stops. Its restarted program (same store, a new session)
#	finds the server asking for the lost datagrams of the earlier session
#	and resends them, that session's hello first. In the middle of this
#	recovery syncd is killed with SIGKILL (vigild restarts it), then the
#	whole server is stopped and started again (new shared memory: the
#	listener has forgotten every session and learns them from the
#	camera's hellos). At the end every counter the camera used is in the
#	day file once, every datagram verifies, and the day is complete.
set -u
BINDIR=${BINDIR:-bin}
OUT=${OUT:-build/default}
BIN=$(cd "$BINDIR" && pwd)
RELAY=$OUT/tests/tools/relay
[ -x "$RELAY" ] || { echo "relay not built ($RELAY)"; exit 77; }
tmp=$(mktemp -d /tmp/vigil-syncr.XXXXXX)
prefix=vigilsyncr$$
vpid="" rpid="" cpid=""
cleanup() { for p in $vpid $rpid $cpid; do kill -9 "$p" 2>/dev/null; done; pkill -9 -f "$tmp" 2>/dev/null; rm -rf "$tmp"; rm -f /dev/shm/$prefix-*; }
trap cleanup EXIT INT TERM
fail() { echo "FAIL: $*"; tail -30 "$tmp/vigild.log"; exit 1; }

port=$(( 20000 + ($$ + 17) % 20000 ))
rport=$(( 20000 + ($$ + 23) % 20000 ))
"$BIN/vigilctl" keygen -d "$tmp/keys" >/dev/null || fail keygen
c=$("$BIN/vigilctl" provision -d "$tmp/keys" -s 127.0.0.1:$rport -o "$tmp/cams") || fail provision
cat >"$tmp/vigil.conf" <<CONF
shm_prefix = $prefix
metrics_listen =
writers = 2
restart_min_ms = 50
stage listener = $BIN/vigil-listener -d $tmp/keys -l 127.0.0.1:$port -r 50
stage writer = $BIN/vigil-writer -D $tmp/data
stage syncd = $BIN/vigil-syncd -D $tmp/data -r 100
CONF
start() {
	"$BIN/vigild" -f -c "$tmp/vigil.conf" 2>>"$tmp/vigild.log" >/dev/null &
	vpid=$!
	i=0
	until VIGIL_SHM_PREFIX=$prefix "$BIN/vigilctl" status 2>/dev/null | grep -q '^syncd .* [1-9][0-9]* '; do
		i=$((i + 1)); [ $i -gt 50 ] && fail "vigild did not start"; sleep 0.1
	done
}
start
"$RELAY" -l 127.0.0.1:$rport -s 127.0.0.1:$port -p 6000:loss=0.3 -p 4000:outage -p 0:loss=0 \
	-S $$ -o "$tmp/relay.stats" 2>"$tmp/relay.log" &
rpid=$!
sleep 0.3
# first run of the camera: through the loss and into the outage, then it stops
timeout 60 "$BIN/vigil-cam" -c "$tmp/cams/$c/camera.conf" -n 90 --fps 10 >"$tmp/cam1.out" 2>&1 ||
	fail "camera run 1"
sleep 1.5
# the camera program restarts (same store) once the link is back; backfill at 100/s
timeout 90 "$BIN/vigil-cam" -c "$tmp/cams/$c/camera.conf" -n 150 --fps 10 --linger 45000 \
	>"$tmp/cam2.out" 2>&1 &
cpid=$!
sleep 2.5
spid=$(VIGIL_SHM_PREFIX=$prefix "$BIN/vigilctl" status | awk '$1 == "syncd" {print $3}')
[ -n "$spid" ] && [ "$spid" -gt 0 ] || fail "no syncd pid"
kill -9 "$spid"
echo "killed syncd $spid"
sleep 2
kill -TERM "$vpid"; wait "$vpid" || fail "vigild exit"; vpid=""
echo "server stopped"
sleep 1
start
echo "server started again"
wait "$cpid" || fail "camera run 2"; cpid=""
sleep 1.5
kill -TERM "$rpid"; wait "$rpid"; rpid=""
kill -TERM "$vpid"; wait "$vpid" || fail "vigild exit"; vpid=""
cat "$tmp/cam1.out" "$tmp/cam2.out" | grep -v hello-ack
grep -q "syncd\[0\] killed by signal 9" "$tmp/vigild.log" || fail "syncd was not killed"

day=$(ls "$tmp/data/$c" | sed -n 's/\.vgl$//p')
s1=$(sed -n 's/^sent=\([0-9]*\).*/\1/p' "$tmp/cam1.out")
s2=$(sed -n 's/^sent=\([0-9]*\).*/\1/p' "$tmp/cam2.out")
next=$(awk '{print $2 + 0}' "$tmp/cams/$c/state")
echo "camera sent $s1 + $s2, next counter $next"
"$BIN/vigilctl" verify -d "$tmp/keys" "$tmp/data/$c/$day.vgl" >"$tmp/v.out" || { cat "$tmp/v.out"; fail "day does not verify"; }
tail -4 "$tmp/v.out"
grep -q '^duplicates 0$' "$tmp/v.out" || fail "duplicates stored"
grep -q "^records $(( s1 + s2 ))," "$tmp/v.out" || fail "want $(( s1 + s2 )) records"
grep -q "^present: 0-$(( next - 1 ))$" "$tmp/v.out" || fail "counters 0-$(( next - 1 )) not all present"
"$BIN/vigilctl" completeness -D "$tmp/data" "$c" "$day" >"$tmp/c.out"
grep -v '^present\|^backfilled' "$tmp/c.out"
grep -q '^missing 0,' "$tmp/c.out" || fail "completeness: counters missing"
grep -q '^complete_ms [1-9]' "$tmp/data/$c/$day.sync" || fail "syncd did not record the day complete"
echo "sync_restart: all checks passed"
