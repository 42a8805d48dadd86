#!/bin/sh
# NAME
#	test_writer_syncfs.sh - a durable writer syncing many files on its
#	sync thread, killed under load, loses nothing
# DESCRIPTION
#	vigild runs the listener and one writer with -s durable; 24 cameras
#	(one vigil-cam --fleet process) stream at once, so more than 16
#	files are dirty at each sync: the writer syncs with syncfs on its
#	sync thread while it goes on appending, and frees a ring entry only
#	when a sync asked for after the entry was written has succeeded.
#	The writer is killed with SIGKILL 8 times while the cameras stream.
#	Afterwards every datagram the listener accepted is on disk once
#	(what a killed writer had written but not synced is written again
#	by the next one and recognised as a duplicate), every file verifies,
#	and the writer's syncs all succeeded.
set -u
BINDIR=${BINDIR:-bin}
BIN=$(cd "$BINDIR" && pwd)
. "$(dirname "$0")/../lib/vigil_server.sh"
vs_setup wsyncfs

vs_run writer 1 <<CONF
ring_slots = 4096
restart_min_ms = 20
stable_ms = 100
stage listener = $BIN/vigil-listener -d $tmp/keys -l 127.0.0.1:$port -r 100
stage writer = $BIN/vigil-writer -D $tmp/data -s durable
CONF
timeout 90 "$BIN/vigil-cam" --fleet 24 -d "$tmp/keys" -o "$tmp/fleet" --server 127.0.0.1:$port \
	-n 300 --fps 30 --no-gpsd >"$tmp/fleet.out" 2>&1 &
cpid=$!
pids=$cpid
sleep 1.5
# 8 kills of 8 writers: each time the one vigild started after the last
# kill (on a busy machine its restart can take longer than the pause)
k=0 i=0 last=""
while [ $k -lt 8 ]; do
	p=$(vs_status | awk '$1 == "writer" && $2 == 0 {print $3}')
	if [ -n "$p" ] && [ "$p" -gt 0 ] && [ "$p" != "$last" ] && kill -9 "$p" 2>/dev/null; then
		k=$((k + 1)) last=$p
		sleep 0.$(( 6 + (k * 7 + $$) % 4 ))
	else
		i=$((i + 1)); [ $i -gt 1200 ] && fail "the writer was not started again"; sleep 0.05
	fi
done
wait "$cpid" || { tail "$tmp/fleet.out"; fail "fleet"; }
i=0
until [ "$(vs_status | grep -c 'depth 0,')" -ge 1 ]; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "the ring did not drain"; sleep 0.1
done
sleep 0.3
accepted=$(vs_counter listener accepted)
syncs=$(vs_counter writer fdatasync_total)
failed=$(vs_counter writer fdatasync_failed_total)
vs_stop || fail "vigild exit status"
[ "$(grep -c 'writer\[0\] killed by signal 9' "$tmp/vigild.log")" -ge 8 ] || fail "writer not killed 8 times"
files=0 stored=0
for f in "$tmp"/data/*/*.vgl; do
	"$BIN/vigilctl" verify -d "$tmp/keys" "$f" >"$tmp/v.out" || { cat "$tmp/v.out"; fail "$f does not verify"; }
	grep -q '^duplicates 0$' "$tmp/v.out" || { cat "$tmp/v.out"; fail "$f: a datagram stored twice"; }
	stored=$(( stored + $(sed -n 's/^records \([0-9]*\),.*/\1/p' "$tmp/v.out") ))
	files=$((files + 1))
done
echo "24 cameras, writer killed 8 times: listener accepted $accepted, stored $stored in $files files; syncs $syncs, failed $failed"
[ "$files" -eq 24 ] || fail "want 24 day files, have $files"
[ "$accepted" -gt 2000 ] || fail "too little accepted: $accepted"
[ "$stored" -ge "$accepted" ] || fail "accepted datagrams lost: accepted $accepted, stored $stored"
[ "$syncs" -gt 0 ] && [ "$failed" -eq 0 ] || fail "syncs $syncs, failed $failed"
echo "writer syncfs: all checks passed"
