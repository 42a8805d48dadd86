#!/bin/sh
# NAME
#	test_sync_midnight_late.sh - a slow link across UTC midnight: the
#	camera acts on server messages sealed for the previous day's session
# DESCRIPTION
#	The camera runs on a clock set 8 s before the next UTC midnight
#	(vigil-cam --clock-offset; the listener's hello window is widened to
#	two days) behind the test relay holding every datagram back 2.5 s
#	each way. The listener learns the new day's hello 2.5 s after the
#	camera opened that session, and seals every message until then with
#	the previous day's session: receiver reports, and CONFIRMs of the
#	previous day that reach the camera only after it moved on. The
#	camera must open them with the earlier session it keeps (no
#	"dropped a server message" line), and such a CONFIRM must mark the
#	previous day's datagrams held by the server (confirmed_earlier),
#	so that at the end the store holds nothing of that day unconfirmed.
#	Both day files hold every counter once and verify.
. "$(dirname "$0")/sync_setup.sh"
sync_setup syncl 31
sync_conf "-w 172800000" ""
sync_start
sync_relay 0:reorder=1,delay=2500,down
sleep 0.3
now=$(date +%s%3N)
offset=$(( (now / 86400000 + 1) * 86400000 - 8000 - now ))
timeout 90 "$BIN/vigil-cam" -c "$tmp/cams/$c/camera.conf" -n 120 --fps 10 --clock-offset $offset \
	--linger 40000 >"$tmp/cam.out" 2>&1 || fail "camera exit"
sleep 3.5 # the camera's last report and bye are still on the slow link
sync_stop
grep -v hello-ack "$tmp/cam.out"; cat "$tmp/relay.stats"

set -- $(ls "$tmp/data/$c" | sed -n 's/\.vgl$//p')
[ $# -eq 2 ] || fail "want two day files, have: $*"
sent=$(sed -n 's/^sent=\([0-9]*\).*/\1/p' "$tmp/cam.out")
total=0
for day in "$1" "$2"; do
	sync_check_day "$day"
	grep -q '^missing: none$' "$tmp/v.out" || fail "$day: counters missing"
	total=$(( total + $(sed -n 's/^records \([0-9]*\),.*/\1/p' "$tmp/v.out") ))
done
[ "$total" -eq "$sent" ] || fail "stored $total of $sent"
! grep -q 'dropped a server message' "$tmp/cam.out" || fail "the camera dropped server messages"
earlier=$(sed -n 's/.* s2c_earlier=\([0-9]*\).*/\1/p' "$tmp/cam.out")
[ "${earlier:-0}" -gt 0 ] || fail "no server message was sealed for the earlier session"
freed=$(sed -n 's/.* confirmed_earlier=\([0-9]*\).*/\1/p' "$tmp/cam.out")
[ "${freed:-0}" -gt 0 ] || fail "no CONFIRM for the earlier session marked datagrams held"
grep -q "^store_day $1 held=[1-9][0-9]* unconfirmed=0$" "$tmp/cam.out" ||
	fail "the store still holds unconfirmed datagrams of $1"
echo "sent $sent over $1 and $2; $earlier messages for the earlier session, $freed datagrams confirmed by them"
echo "sync_midnight_late: all checks passed"
