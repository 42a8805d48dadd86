#!/bin/sh
# NAME
#	test_vigild.sh - vigild supervises real processes
# DESCRIPTION
#	A real vigil-listener, three long-running stages (two writers and an
#	indexer, played by sleep) and one that crashes at start-up. Checks: a stage killed with
#	SIGKILL is restarted and the others keep their pids; the
#	crashing stage is restarted with growing delays; vigilctl restart
#	changes only the pid of the stage named; SIGTERM makes vigild exit 0
#	with every child gone and its shared segments removed; /metrics
#	shows the listener's counters for a camera's traffic, and they
#	survive a restart of the listener.
set -u
BINDIR=${BINDIR:-bin}
tmp=$(mktemp -d /tmp/vigil-vigild.XXXXXX)
prefix=vigiltest$$
vpid=""
cleanup() { [ -n "$vpid" ] && kill -9 "$vpid" 2>/dev/null; pkill -f "sleep 1000$$" 2>/dev/null; rm -rf "$tmp"; rm -f /dev/shm/$prefix-*; }
trap cleanup EXIT INT TERM
fail() { echo "FAIL: $*"; tail -30 "$tmp/vigild.log"; "$BINDIR/vigilctl" status -p $prefix; exit 1; }

port=$(( 20000 + $$ % 20000 ))
mport=$(( 40000 + $$ % 20000 ))
"$BINDIR/vigilctl" keygen -d "$tmp/keys" >/dev/null || fail keygen
cam=$("$BINDIR/vigilctl" provision -d "$tmp/keys" -s 127.0.0.1:$port -o "$tmp/cams") || fail provision
cat >"$tmp/vigil.conf" <<CONF
shm_prefix = $prefix
metrics_listen = 127.0.0.1:$mport
stage listener = $BINDIR/vigil-listener -d $tmp/keys -l 127.0.0.1:$port
writers = 2
ring_slots = 1024
restart_min_ms = 100
restart_max_ms = 800
stable_ms = 5000
drain_timeout_ms = 1000
stage writer = sleep 1000$$
stage indexer = sleep 1000$$
stage streamer = false
CONF
"$BINDIR/vigild" -n -c "$tmp/vigil.conf" || fail "config check"
printf 'writers = 0\n' >"$tmp/bad.conf"
"$BINDIR/vigild" -n -c "$tmp/bad.conf" 2>/dev/null && fail "a bad config passed the check"

"$BINDIR/vigild" -f -c "$tmp/vigil.conf" 2>"$tmp/vigild.log" &
vpid=$!
sleep 1
pid_of() { "$BINDIR/vigilctl" status -p $prefix | awk -v s="$1" -v i="$2" '$1 == s && $2 == i {print $3}'; }
w0=$(pid_of writer 0); w1=$(pid_of writer 1); ix=$(pid_of indexer 0)
[ -n "$w0" ] && [ "$w0" -gt 0 ] && [ "$w1" -gt 0 ] && [ "$ix" -gt 0 ] || fail "stages not running"

# SIGKILL one writer: back (vigild waits 50 ms; 5 s for a loaded machine), others untouched
kill -9 "$w1"
t=0; new=""
while [ $t -lt 50 ]; do
	sleep 0.1; t=$((t + 1))
	new=$(pid_of writer 1)
	[ -n "$new" ] && [ "$new" -gt 0 ] && [ "$new" != "$w1" ] && break
done
[ -n "$new" ] && [ "$new" -gt 0 ] && [ "$new" != "$w1" ] || fail "writer 1 not restarted"
[ "$(pid_of writer 0)" = "$w0" ] || fail "writer 0 changed pid"
[ "$(pid_of indexer 0)" = "$ix" ] || fail "indexer changed pid"

# vigilctl restart: only the indexer changes
"$BINDIR/vigilctl" restart -p $prefix indexer || fail "vigilctl restart"
[ "$(pid_of indexer 0)" != "$ix" ] || fail "indexer kept its pid"
[ "$(pid_of writer 0)" = "$w0" ] || fail "writer 0 changed pid on indexer restart"
[ "$(pid_of writer 1)" = "$new" ] || fail "writer 1 changed pid on indexer restart"

# the crasher (a streamer that exits at once) is throttled: delays grow 100, 200, 400, 800 and stay at the cap
sleep 2
delays=$(sed -n 's/.*streamer\[0\] exited with status 1 after [0-9]* ms; restarting in \([0-9]*\) ms.*/\1/p' "$tmp/vigild.log" | tr '\n' ' ')
echo "crasher restart delays: $delays"
set -- $delays
[ $# -ge 4 ] || fail "crasher restarted only $# times"
[ "$1" -eq 100 ] && [ "$2" -eq 200 ] && [ "$3" -eq 400 ] && [ "$4" -eq 800 ] || fail "delays do not grow: $delays"
shift 4
for d in "$@"; do [ "$d" -eq 800 ] || fail "delay fell back below the cap: $delays"; done
grep -q "keeps crashing" "$tmp/vigild.log" || fail "no loud log for a crashing stage"

# the listener's counters reach /metrics, and survive its restart
metric() { curl -s "http://127.0.0.1:$mport/metrics" | sed -n "s/^vigil_$1{stage=\"listener\",index=\"0\"} //p"; }
timeout 30 "$BINDIR/vigil-cam" -c "$tmp/cams/$cam/camera.conf" -n 20 --fps 50 >"$tmp/cam.out" || fail camera
sent=$(sed -n 's/^sent=\([0-9]*\).*/\1/p' "$tmp/cam.out")
sleep 0.5
[ "$(metric accepted)" = "$sent" ] || fail "metrics accepted=$(metric accepted), camera sent $sent"
curl -s "http://127.0.0.1:$mport/metrics" | grep -q '^vigil_stage_up{stage="writer",index="1"} 1$' || fail "no stage_up metric"
curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$mport/other" | grep -q 404 || fail "unknown path not 404"
"$BINDIR/vigilctl" restart -p $prefix listener >/dev/null || fail "listener restart"
sleep 0.3
[ "$(metric accepted)" = "$sent" ] || fail "accepted total lost on restart: $(metric accepted)"

# graceful stop
kill -TERM "$vpid"
wait "$vpid"; rc=$?
vpid=""
[ $rc -eq 0 ] || fail "vigild exited $rc"
pgrep -f "sleep 1000$$" >/dev/null && fail "children left behind"
ls /dev/shm/$prefix-* >/dev/null 2>&1 && fail "segments left behind"
echo "vigild: all checks passed"
