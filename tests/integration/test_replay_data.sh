#!/bin/sh
# NAME
#	test_replay_data.sh - recorded datagrams sent again never reach a
#	writer
# DESCRIPTION
#	vigild (listener, two writers, indexer). A camera streams, then its
#	day file's datagrams are sent again by vgl_replay, as an attacker who
#	recorded the traffic would: once against the running listener (the
#	newest counters are in its replay window, older ones are found in
#	the indexer's shared index) and once after the listener is
#	restarted (an empty window: the index alone). Each time every copy
#	is counted replay_data by the listener, the writers see none of
#	them (duplicates_total stays 0), the file does not grow and it
#	verifies.
set -u
BINDIR=${BINDIR:-bin}
BIN=$(cd "$BINDIR" && pwd)
OUT=${OUT:-build/default}
REPLAY=$(cd "$OUT/tests/tools" && pwd)/vgl_replay
. "$(dirname "$0")/../lib/vigil_server.sh"
vs_setup replaydata
c=$("$BIN/vigilctl" provision -d "$tmp/keys" -s 127.0.0.1:$port -o "$tmp/cams") || fail provision
vs_run indexer 2 <<CONF
stage listener = $BIN/vigil-listener -d $tmp/keys -l 127.0.0.1:$port
stage writer = $BIN/vigil-writer -D $tmp/data
stage indexer = $BIN/vigil-indexer -D $tmp/data -d $tmp/keys
CONF
# more than the window's 4096 counters, so the oldest copies need the index
timeout 60 "$BIN/vigil-cam" -c "$tmp/cams/$c/camera.conf" -n 200 --fps 50 --codec jpeg --size 640x480 --quality 90 --no-gpsd \
	>"$tmp/cam.out" 2>&1 || { tail "$tmp/cam.out"; fail "vigil-cam"; }
f=$tmp/data/$c/$(date -u +%F).vgl
sleep 1.5 # the indexer reads the file's end
size0=$(stat -c %s "$f")

replay() { # WHAT
	r0=$(vs_counter listener replay_data) d0=$(vs_counter writer duplicates_total)
	n=$("$REPLAY" "$f" 127.0.0.1:$port | sed -n 's/^replayed //p')
	sleep 1
	r1=$(vs_counter listener replay_data) d1=$(vs_counter writer duplicates_total)
	echo "$1: replayed $n, replay_data +$((r1 - r0)), writers' duplicates +$((d1 - d0))"
	[ "$n" -gt 4096 ] || fail "$1: only $n datagrams in the file"
	[ $((r1 - r0)) -eq "$n" ] || fail "$1: replay_data +$((r1 - r0)), want $n"
	[ $((d1 - d0)) -eq 0 ] || fail "$1: copies reached a writer"
	[ "$(stat -c %s "$f")" -eq "$size0" ] || fail "$1: the day file grew"
}
replay "running listener"
VIGIL_SHM_PREFIX=$prefix "$BIN/vigilctl" restart listener >/dev/null || fail "restart listener"
sleep 1
replay "restarted listener"
vs_stop
"$BIN/vigilctl" verify -d "$tmp/keys" "$f" >"$tmp/v.out" 2>&1 || { cat "$tmp/v.out"; fail verify; }
echo "replay_data: all checks passed"
