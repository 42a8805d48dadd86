#!/bin/sh
# NAME
#	test_sync_restart.sh - recovery survives a camera restart, syncd
#	killed with SIGKILL and a full server restart
# DESCRIPTION
#	A camera streams through the test relay (30% loss for 6 s, then an
#	outage) and is killed with SIGKILL in the outage. Its restarted
#	program (same store, a new session) resumes its counter past the
#	block it had reserved, reports those counters as never used, and
#	finds the server asking for the lost datagrams of the earlier
#	session: it resends them, that session's hello first. In the middle of this
#	recovery syncd is killed with SIGKILL (vigild restarts it), then the
#	whole server is stopped and started again (new shared memory: the
#	listener has forgotten every session and learns them from the
#	camera's hellos). At the end every counter the camera used is in the
#	day file once, every datagram verifies, and the day is complete
#	(the counters never used are excused, not lost).
. "$(dirname "$0")/sync_setup.sh"
sync_setup syncr 17
sync_conf "-r 50" "-r 100"
sync_start
sync_relay 6000:loss=0.3 4000:outage 0:loss=0
sleep 0.3
# first run of the camera: through the loss and into the outage, then it crashes
"$BIN/vigil-cam" -c "$tmp/cams/$c/camera.conf" --fps 10 >"$tmp/cam1.out" 2>&1 &
cpid=$!
sleep 8.5
kill -9 "$cpid"; wait "$cpid"; cpid=""
sleep 2
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
sync_start
echo "server started again"
wait "$cpid" || fail "camera run 2"; cpid=""
sleep 1.5
sync_stop
cat "$tmp/cam1.out" "$tmp/cam2.out" | grep -v hello-ack
grep -q "syncd\[0\] killed by signal 9" "$tmp/vigild.log" || fail "syncd was not killed"

day=$(ls "$tmp/data/$c" | sed -n 's/\.vgl$//p')
s2=$(sed -n 's/^sent=\([0-9]*\).*/\1/p' "$tmp/cam2.out")
next=$(awk '{print $2 + 0}' "$tmp/cams/$c/state")
sync_check_day "$day"
# the crash skipped a block of counters: never used, reported as such
set -- $(sed -n 's/^never used \([0-9]*\)-\([0-9]*\)$/\1 \2/p' "$tmp/c.out")
[ $# -eq 2 ] || fail "no unused counters reported after the crash"
v0=$1 v1=$2
echo "camera's second run sent $s2, next counter $next, never used $v0-$v1"
grep -q "^records $(( next - (v1 - v0 + 1) ))," "$tmp/v.out" || fail "want $(( next - (v1 - v0 + 1) )) records"
grep -q "^present: 0-$(( v0 - 1 )) $(( v1 + 1 ))-$(( next - 1 ))$" "$tmp/v.out" ||
	fail "counters 0-$(( next - 1 )) not all present but $v0-$v1"
echo "sync_restart: all checks passed"
