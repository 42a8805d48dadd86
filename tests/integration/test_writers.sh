#!/bin/sh
# NAME
#	test_writers.sh - the number of writers changed under load
# DESCRIPTION
#	vigild runs the listener, two writers, the indexer and syncd; three
#	cameras stream with their stores. Meanwhile writers is set to 3 and
#	then to 1 in vigil.conf and vigild is sent SIGHUP each time: it stops
#	the listener, drains the rings, lets every old writer exit, makes new
#	rings and starts the new writers and the listener. Afterwards each
#	camera's day file verifies, holds every counter the camera sent
#	(what arrived while the listener was stopped is fetched by sync) and
#	none twice, the log shows each change, and no two writers ever held
#	the same shard at once (from vigild's start and exit lines).
set -u
BINDIR=${BINDIR:-bin}
BIN=$(cd "$BINDIR" && pwd)
tmp=$(mktemp -d /tmp/vigil-writers.XXXXXX)
prefix=vigilwriters$$
vpid=""
cleanup() { [ -n "$vpid" ] && kill -9 "$vpid" 2>/dev/null; pkill -9 -f "$tmp" 2>/dev/null; rm -rf "$tmp"; rm -f /dev/shm/$prefix-*; }
trap cleanup EXIT INT TERM
fail() { echo "FAIL: $*"; tail -30 "$tmp/vigild.log"; exit 1; }

port=$(( 20000 + $$ % 20000 ))
"$BIN/vigilctl" keygen -d "$tmp/keys" >/dev/null || fail keygen
for i in 1 2 3; do
	"$BIN/vigilctl" provision -d "$tmp/keys" -s 127.0.0.1:$port -o "$tmp/cams" >/dev/null || fail provision
done
conf() {
	cat >"$tmp/vigil.conf" <<CONF
shm_prefix = $prefix
metrics_listen =
writers = $1
ring_slots = 1024
restart_min_ms = 50
drain_timeout_ms = 5000
index_days = 64
index_arena_mb = 4
stage listener = $BIN/vigil-listener -d $tmp/keys -l 127.0.0.1:$port -r 100
stage writer = $BIN/vigil-writer -D $tmp/data
stage indexer = $BIN/vigil-indexer -D $tmp/data -d $tmp/keys -r 200
stage syncd = $BIN/vigil-syncd -D $tmp/data -s 300 -t 500
CONF
}
conf 2
"$BIN/vigild" -f -c "$tmp/vigil.conf" 2>"$tmp/vigild.log" >/dev/null &
vpid=$!
sleep 0.5
cpids=""
for c in $(ls "$tmp/cams"); do
	timeout 50 "$BIN/vigil-cam" -c "$tmp/cams/$c/camera.conf" -n 600 --fps 60 --linger 15000 \
		--store "$tmp/store.$c" >"$tmp/$c.out" 2>"$tmp/$c.err" &
	cpids="$cpids $!"
done
resized() { # wait for the n-th change
	i=0
	until [ "$(grep -c 'now [0-9]* writers' "$tmp/vigild.log")" -ge "$1" ]; do
		i=$((i + 1)); [ $i -gt 100 ] && fail "writers not changed ($1)"; sleep 0.1
	done
}
sleep 2
conf 3; kill -HUP $vpid; resized 1
sleep 2
conf 1; kill -HUP $vpid; resized 2
for p in $cpids; do wait "$p" || fail "a camera failed"; done
kill -TERM $vpid; wait $vpid || fail "vigild exit status"; vpid=""
grep -q "writers 2 -> 3" "$tmp/vigild.log" && grep -q "writers 3 -> 1" "$tmp/vigild.log" ||
	fail "changes not logged"
# never two writers of one shard at once: replay vigild's start and exit lines
awk '/started writer\[/ { match($0, /writer\[[0-9]+\] pid [0-9]+/); split(substr($0, RSTART, RLENGTH), a, /[][ ]/);
	pid[a[5]] = a[2]; if (up[a[2]]++) { print "two writers of shard " a[2]; bad = 1 } }
     /writer\[[0-9]+\] (exited|killed)/ { match($0, /writer\[[0-9]+\]/); s = substr($0, RSTART + 7, RLENGTH - 8); up[s]-- }
     END { exit bad }' "$tmp/vigild.log" || fail "two appenders of one shard"
grep -c "started writer" "$tmp/vigild.log"
day=$(ls "$tmp/data/$(ls "$tmp/cams" | head -1)" | grep "\.vgl$")
for c in $(ls "$tmp/cams"); do
	sent=$(sed -n 's/^sent=\([0-9]*\).*/\1/p' "$tmp/$c.out")
	"$BIN/vigilctl" verify -d "$tmp/keys" "$tmp/data/$c/$day" >"$tmp/v.out" ||
		{ cat "$tmp/v.out"; fail "$c does not verify"; }
	tail -3 "$tmp/v.out"
	grep -q '^duplicates 0$' "$tmp/v.out" || fail "$c: duplicates stored"
	grep -q '^missing: none$' "$tmp/v.out" || fail "$c: counters missing"
	grep -q "^records $sent," "$tmp/v.out" || fail "$c: want $sent records"
done
echo "writers: all checks passed"
