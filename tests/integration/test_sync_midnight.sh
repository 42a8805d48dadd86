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
#	camera used that day, once, verify, and be recorded complete; the
#	camera drops no server message (each is for a session it holds).
. "$(dirname "$0")/sync_setup.sh"
sync_setup syncm 29
sync_conf "-w 172800000" ""
sync_start
sync_relay 1500:loss=0 6000:outage 0:loss=0
sleep 0.5
now=$(date +%s%3N)
offset=$(( (now / 86400000 + 1) * 86400000 - 3000 - now ))
timeout 90 "$BIN/vigil-cam" -c "$tmp/cams/$c/camera.conf" -n 120 --fps 10 --clock-offset $offset \
	--linger 40000 >"$tmp/cam.out" 2>&1 || fail "camera exit"
sleep 1.5
sync_stop
grep -v hello-ack "$tmp/cam.out"; cat "$tmp/relay.stats"

sent=$(sed -n 's/^sent=\([0-9]*\).*/\1/p' "$tmp/cam.out")
set -- $(ls "$tmp/data/$c" | sed -n 's/\.vgl$//p')
[ $# -eq 2 ] || fail "want two day files, have: $*"
total=0
for day in "$1" "$2"; do
	sync_check_day "$day"
	grep -q '^missing: none$' "$tmp/v.out" || fail "$day: counters missing"
	total=$(( total + $(sed -n 's/^records \([0-9]*\),.*/\1/p' "$tmp/v.out") ))
	grep -q '^backfilled [0-9]' "$tmp/c.out" || fail "$day: nothing was backfilled"
done
echo "sent $sent, stored $total over $1 and $2"
[ "$total" -eq "$sent" ] || fail "stored $total of $sent"
# a message sealed for the previous day's session is one the camera still holds
! grep -q 'dropped a server message' "$tmp/cam.out" || fail "the camera dropped server messages"
echo "sync_midnight: all checks passed"
