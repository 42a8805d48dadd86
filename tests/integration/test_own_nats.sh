#!/bin/sh
# NAME
#	test_own_nats.sh - a shard has one writer across nodes: the lease
# DESCRIPTION
#	A JetStream nats-server started here (loopback only) joins three
#	vigild "nodes", each with its own configuration and shm prefix: a
#	listener node, writer node 1 with writer_shards 0,1 and writer node
#	2 with writer_shards 1, which overlaps. Three cameras stream. Node
#	2's writer of shard 1 must be refused: it exits with "shard 1 is
#	owned by" node 1, its vigild logs the refusal and retries it only
#	after restart_max_ms, never in a tight loop. A reload of node 2 that
#	adds shard 0 (SIGHUP) is refused the same way. Node 1 goes on
#	alone. Then the JetStream server stops answering (SIGSTOP) for
#	longer than the lease: node 1's writers say the lease is lost and
#	stop consuming; once it answers again a node takes each shard
#	again. Afterwards every counter each camera sent is in its day file
#	exactly once and every file's signed chain verifies. Skips (77) when
#	nats-server is not installed.
# run alone: it floods loopback
set -u
BINDIR=${BINDIR:-bin}
BIN=$(cd "$BINDIR" && pwd)
command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] ||
	{ echo "nats-server is not installed (scripts/deps.sh installs it)"; exit 77; }
NATS=$(command -v nats-server || echo /usr/sbin/nats-server)
tmp=$(mktemp -d /tmp/vigil-ownn.XXXXXX)
prefix=vigilownn$$
npid=""
nodes="l1 w1 w2"
cleanup() {
	for n in $nodes; do
		[ -f "$tmp/$n.pid" ] && /bin/kill -KILL -- "-$(cat "$tmp/$n.pid")" 2>/dev/null
	done
	[ -n "$npid" ] && kill -9 "$npid" 2>/dev/null
	pkill -9 -f "$tmp" 2>/dev/null
	rm -rf "$tmp"; rm -f /dev/shm/$prefix*
}
trap cleanup EXIT INT TERM
fail() { echo "FAIL: $*"; for n in $nodes; do echo "--- $n"; tail -12 "$tmp/$n.log"; done; exit 1; }

nport=$(( 20000 + ($$ + 577) % 20000 ))
port=$(( nport + 1 ))
mkdir -p "$tmp/nats"
"$NATS" -js -sd "$tmp/nats" -a 127.0.0.1 -p $nport >"$tmp/nats.log" 2>&1 &
npid=$!
i=0
until grep -q "Server is ready" "$tmp/nats.log"; do
	i=$((i + 1)); [ $i -gt 50 ] && { cat "$tmp/nats.log"; echo "FAIL: nats-server did not start"; exit 1; }
	sleep 0.1
done
"$BIN/vigilctl" keygen -d "$tmp/keys" >/dev/null || fail keygen
for i in 1 2 3; do
	"$BIN/vigilctl" provision -d "$tmp/keys" -s 127.0.0.1:$port -o "$tmp/cams" >/dev/null || fail provision
done
cams=$(ls "$tmp/cams")
node_conf() { # name, then lines
	n=$1; shift
	{
		echo "shm_prefix = $prefix$n"
		echo "metrics_listen ="
		echo "writers = 2"
		echo "transport = nats"
		echo "nats_url = nats://127.0.0.1:$nport"
		echo "nats_stream = own$$"
		echo "nats_ack_wait_ms = 2000"
		echo "nats_lease_ms = 3000"
		echo "restart_min_ms = 50"
		echo "restart_max_ms = 1500"
		for l in "$@"; do echo "$l"; done
	} >"$tmp/$n.conf"
}
node_conf l1 "stage listener = $BIN/vigil-listener -d $tmp/keys -l 127.0.0.1:$port -r 100"
node_conf w1 "writer_shards = 0,1" "stage writer = $BIN/vigil-writer -D $tmp/data"
node_conf w2 "writer_shards = 1" "stage writer = $BIN/vigil-writer -D $tmp/data"
start() {
	setsid "$BIN/vigild" -f -c "$tmp/$1.conf" >>"$tmp/$1.log" 2>&1 &
	echo $! >"$tmp/$1.pid"
}
start l1
start w1
i=0
until grep -q "consuming own$$.0" "$tmp/w1.log" && grep -q "consuming own$$.1" "$tmp/w1.log"; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "writer node 1 does not consume its shards"; sleep 0.1
done
cpids=""
for c in $cams; do
	timeout 120 "$BIN/vigil-cam" -c "$tmp/cams/$c/camera.conf" -n 800 --fps 100 >"$tmp/$c.out" 2>&1 &
	cpids="$cpids $!"
done
sleep 1
t0=$(date +%s)
start w2
i=0
until grep -q "writer\[1\] refused" "$tmp/w2.log"; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "node 2's writer of shard 1 was not refused"; sleep 0.1
done
grep -q "shard 1 is owned by $(hostname)/${prefix}w1 pid" "$tmp/w2.log" ||
	fail "the refused writer does not name the owner"
grep -q "consuming own$$.1" "$tmp/w2.log" && fail "node 2 consumed shard 1"
# a reload that adds shard 0 is refused too
sleep 2
sed -i 's/^writer_shards = 1$/writer_shards = 0,1/' "$tmp/w2.conf"
kill -HUP "$(cat "$tmp/w2.pid")"
i=0
until grep -q "writer\[0\] refused" "$tmp/w2.log"; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "node 2's writer of shard 0 was not refused after the reload"; sleep 0.1
done
grep -q "shard 0 is owned by $(hostname)/${prefix}w1 pid" "$tmp/w2.log" ||
	fail "the refused writer of shard 0 does not name the owner"
for p in $cpids; do wait "$p" || fail "a camera failed"; done
sleep 1
t1=$(date +%s)
# the refused writer is retried no more often than restart_max_ms (1.5 s)
starts=$(grep -c 'started writer\[1\]' "$tmp/w2.log")
echo "node 2 started its writer of shard 1 $starts times in $((t1 - t0)) s"
[ "$starts" -le $(( (t1 - t0) * 2 / 3 + 2 )) ] || fail "the refused writer restarts in a tight loop"
grep -q "consuming own$$" "$tmp/w2.log" && fail "node 2 consumed a shard"
[ "$(grep -c "consuming own$$\." "$tmp/w1.log")" -eq 2 ] || fail "node 1 lost a shard"

# the JetStream server stops answering (SIGSTOP) for longer than the lease:
# node 1's writers stop consuming before it can lapse, and once the server
# is back a node takes each shard again
before=$(cat "$tmp/w1.log" "$tmp/w2.log" | grep -c "consuming own$$\.")
kill -STOP "$npid"
i=0
until [ "$(grep -c "lease lost" "$tmp/w1.log")" -ge 2 ]; do
	i=$((i + 1)); [ $i -gt 60 ] && { kill -CONT "$npid"; fail "node 1's writers kept their shards without a lease"; }
	sleep 0.1
done
kill -CONT "$npid"
i=0
until [ "$(cat "$tmp/w1.log" "$tmp/w2.log" | grep -c "consuming own$$\.")" -ge $((before + 2)) ]; do
	i=$((i + 1)); [ $i -gt 300 ] && fail "the shards were not taken again after the server came back"; sleep 0.1
done
grep "lease lost" "$tmp/w1.log" | head -2

# everything the cameras sent is on disk once (the ack wait brings back the rest)
day=$(ls "$tmp/data/$(echo "$cams" | head -1)")
complete() {
	for c in $cams; do
		sent=$(sed -n 's/^sent=\([0-9]*\).*/\1/p' "$tmp/$c.out")
		"$BIN/vigilctl" verify -d "$tmp/keys" "$tmp/data/$c/$day" 2>/dev/null |
			grep -q "^present: 0-$((sent - 1))$" || return 1
	done
}
i=0
until complete; do
	i=$((i + 1)); [ $i -gt 40 ] && break; sleep 0.5
done
for n in l1 w1 w2; do kill -TERM "$(cat "$tmp/$n.pid")"; done
for n in l1 w1 w2; do
	i=0
	while kill -0 "$(cat "$tmp/$n.pid")" 2>/dev/null; do
		i=$((i + 1)); [ $i -gt 100 ] && fail "node $n did not stop"; sleep 0.1
	done
done
for c in $cams; do
	f=$tmp/data/$c/$day
	sent=$(sed -n 's/^sent=\([0-9]*\).*/\1/p' "$tmp/$c.out")
	"$BIN/vigilctl" verify -d "$tmp/keys" "$f" >"$tmp/v.out" || { cat "$tmp/v.out"; fail "$c does not verify"; }
	grep -q "^present: 0-$((sent - 1))$" "$tmp/v.out" && grep -q '^duplicates 0$' "$tmp/v.out" &&
		grep -q "^records $sent," "$tmp/v.out" || { cat "$tmp/v.out"; fail "$c: not each of $sent once"; }
	"$BIN/vigilctl" chain -d "$tmp/keys" "$f" >/dev/null 2>&1 || fail "chain of $c"
	"$BIN/vigilctl" verify -c -d "$tmp/keys" "$f" >"$tmp/v.out" 2>&1 ||
		{ cat "$tmp/v.out"; fail "$c: its chain does not verify"; }
	echo "camera $c: $sent sent, each stored once, chain verified"
done
echo "own_nats: all checks passed"
