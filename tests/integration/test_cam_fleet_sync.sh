#!/bin/sh
# NAME
#	test_cam_fleet_sync.sh - a fleet's cameras keep their stores: what a
#	listener outage lost, syncd fetches back from each camera
# DESCRIPTION
#	vigild runs the listener, two writers, the indexer and syncd over
#	loopback; a fleet of four cameras (one vigil-cam --fleet 4 process,
#	--linger) streams for 20 s. After 5 s the listener stops (SIGSTOP)
#	for 3 s and is then killed (SIGKILL): what the cameras sent
#	meanwhile, waiting in its socket, is gone with it, and vigild starts
#	it again (the sessions live on in shared memory). syncd asks every
#	camera for what its day lacks; each camera answers from its own
#	store, and after the last frame lingers until its day is confirmed.
#	Afterwards, for every camera: it was asked (MISSING) and resent,
#	its day file verifies and holds every counter the camera sent, each
#	once, completeness finds none missing and shows counters backfilled
#	(the outage's loss was real), syncd recorded the day complete, and
#	CONFIRMs reached the camera's store.
set -u
BINDIR=${BINDIR:-bin}
BIN=$(cd "$BINDIR" && pwd)
. "$(dirname "$0")/../lib/vigil_server.sh"
vs_setup camfleetsync
N=4

vs_run syncd 2 <<CONF
restart_min_ms = 50
stage listener = $BIN/vigil-listener -d $tmp/keys -l 127.0.0.1:$port -r 100
stage writer = $BIN/vigil-writer -D $tmp/data
stage indexer = $BIN/vigil-indexer -D $tmp/data -d $tmp/keys -r 200
stage syncd = $BIN/vigil-syncd -D $tmp/data
CONF
listener_pid() { vs_status | awk '$1 == "listener" && $3 > 0 {print $3; exit}'; }

timeout 120 "$BIN/vigil-cam" --fleet $N -d "$tmp/keys" -o "$tmp/fleet" --server 127.0.0.1:$port \
	-n 200 --fps 10 --keyint 10 --no-gpsd --linger 40000 >"$tmp/fleet.out" 2>"$tmp/fleet.err" &
cpid=$!
pids=$cpid
sleep 5
p=$(listener_pid)
[ -n "$p" ] || fail "no listener running"
kill -STOP "$p"
sleep 3
kill -9 "$p"
i=0
until q=$(listener_pid) && [ -n "$q" ] && [ "$q" != "$p" ]; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "vigild did not start the listener again"; sleep 0.1
done
echo "listener $p stopped for 3 s and killed; listener $q took over"
wait "$cpid" || { tail "$tmp/fleet.err"; fail "fleet exit"; }
pids=""
grep -v hello-ack "$tmp/fleet.out"
grep -q "^fleet cameras=$N acked=$N " "$tmp/fleet.out" || fail "$(grep '^fleet' "$tmp/fleet.out")"

n=0
for d in "$tmp"/data/*/; do
	u=$(basename "$d")
	f=$(ls "$d"*.vgl)
	day=$(basename "$f" .vgl)
	i=0
	until grep -q '^complete_ms [1-9]' "$d$day.sync" 2>/dev/null; do
		i=$((i + 1)); [ $i -gt 100 ] && fail "$u: syncd did not record $day complete"; sleep 0.1
	done
	n=$((n + 1))
done
[ "$n" -eq $N ] || fail "$n cameras stored, want $N"
sleep 0.5
vs_stop

for d in "$tmp"/data/*/; do
	u=$(basename "$d")
	f=$(ls "$d"*.vgl)
	day=$(basename "$f" .vgl)
	"$BIN/vigilctl" verify -d "$tmp/keys" "$f" >"$tmp/v.out" || { cat "$tmp/v.out"; fail "$u does not verify"; }
	"$BIN/vigilctl" completeness -D "$tmp/data" "$u" "$day" >"$tmp/c.out"
	echo "$u: $(grep '^records\|^missing' "$tmp/v.out" | tr '\n' ' ')"
	grep -q '^missing: none$' "$tmp/v.out" || fail "$u: counters missing: $(grep '^missing' "$tmp/v.out")"
	grep -q '^duplicates 0$' "$tmp/v.out" || fail "$u: duplicates stored"
	grep -q '^missing 0,' "$tmp/c.out" || fail "$u: completeness says counters missing"
	stored=$(sed -n 's/^records \([0-9]*\),.*/\1/p' "$tmp/v.out")
	sent=$(sed -n "s/^camera $u sent=\([0-9]*\) .*/\1/p" "$tmp/fleet.out")
	[ "$stored" -eq "$sent" ] || fail "$u: stored $stored, sent $sent"
	# the outage lost datagrams of this camera, and its store gave them back
	grep -q '^backfilled' "$tmp/c.out" || fail "$u: nothing backfilled: the outage lost nothing"
	grep -q "^store $u .* missing=[1-9][0-9]* resent=[1-9][0-9]* " "$tmp/fleet.out" ||
		fail "$u: not asked, or resent nothing: $(grep "^store $u" "$tmp/fleet.out")"
	grep -q "^store $u .* confirmed=[1-9][0-9]* " "$tmp/fleet.out" ||
		fail "$u: nothing in its store was confirmed"
done
echo "cam_fleet_sync: $N cameras lost datagrams in a listener outage, and every day is complete"
echo "cam_fleet_sync: all checks passed"
