#!/bin/sh
# NAME
#	test_scale.sh - vigil on several machines, played on one: listeners
#	and writers on different nodes joined by NATS JetStream
# DESCRIPTION
#	A JetStream nats-server started here (file storage in a temporary
#	folder, loopback port only) joins four vigild "nodes", each its own
#	process group with its own configuration and shared-memory prefix,
#	each configuration made from the role file docs/DEPLOY.md tells
#	operators to install (role_conf.sh: only paths, ports, the shm
#	prefix, the NATS server and stream, and shorter waits differ): two
#	ingest nodes (etc/roles/ingest.conf: listener and syncd, each with
#	its own UDP port and cameras) and two writer nodes
#	(etc/roles/writer.conf: writer_shards 0-3 and 4-7 of writers = 8;
#	one data folder stands for the shared volume). Four cameras stream;
#	meanwhile a writer node and an ingest node are killed with SIGKILL,
#	whole, and started again, and shard 7 moves from one writer node to
#	the other as docs/DEPLOY.md says (taken out of writer_shards and
#	reloaded there, then added on the other node); once the cameras are
#	done the JetStream server is killed too and restarted on its store.
#	Afterwards every file verifies (vigilctl verify), no datagram is
#	stored twice, everything the listeners counted as accepted is on
#	disk (but for the copies the cameras sent again when syncd asked:
#	a copy is accepted, and dropped as a duplicate), and the cameras of
#	the ingest node that was never killed are complete: what the dead
#	writer had taken and not acknowledged came back from its durable
#	consumer. Last a streamer node
#	(etc/roles/streamer.conf: indexer and streamer on the data folder)
#	answers each camera's recorded ranges as the files hold them, and a
#	recorded stream from it verifies in a test viewer. Skips (77) when
#	nats-server is not installed.
# run alone: glusterd is a daemon of the host
set -u
BINDIR=${BINDIR:-bin}
OUT=${OUT:-build/default}
BIN=$(cd "$BINDIR" && pwd)
. "$(dirname "$0")/role_conf.sh"
command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] ||
	{ echo "nats-server is not installed (scripts/deps.sh installs it)"; exit 77; }
NATS=$(command -v nats-server || echo /usr/sbin/nats-server)
tmp=$(mktemp -d /tmp/vigil-scale.XXXXXX)
data=$tmp/data
prefix=vigilscale$$
npid=""
nodes="l1 l2 w1 w2 s1"
cleanup() {
	for n in $nodes; do
		[ -f "$tmp/$n.pid" ] && /bin/kill -KILL -- "-$(cat "$tmp/$n.pid")" 2>/dev/null
	done
	[ -n "$npid" ] && kill -9 "$npid" 2>/dev/null
	pkill -9 -f "$tmp" 2>/dev/null
	rm -rf "$tmp"; rm -f /dev/shm/$prefix*
}
trap cleanup EXIT INT TERM
fail() { echo "FAIL: $*"; for n in $nodes; do echo "--- $n"; tail -8 "$tmp/$n.log"; done; exit 1; }

nport=$(( 20000 + $$ % 20000 ))
pa=$(( nport + 1 )) pb=$(( nport + 2 ))
mkdir -p "$tmp/nats"
"$NATS" -js -sd "$tmp/nats" -a 127.0.0.1 -p $nport >"$tmp/nats.log" 2>&1 &
npid=$!
i=0
until grep -q "Server is ready" "$tmp/nats.log"; do
	i=$((i + 1)); [ $i -gt 50 ] && { cat "$tmp/nats.log"; echo "FAIL: nats-server did not start"; exit 1; }
	sleep 0.1
done

"$BIN/vigilctl" keygen -d "$tmp/keys" >/dev/null || fail keygen
for p in $pa $pa $pb $pb; do
	"$BIN/vigilctl" provision -d "$tmp/keys" -s 127.0.0.1:$p -o "$tmp/cams.$p" >/dev/null || fail provision
done
# node ROLE NAME [KEY=VALUE...]: the role's file for this machine; the
# NATS server here (one, so one replica) and a shorter ack wait and
# restart delay, so that the test waits less
node() {
	r=$1 n=$2
	shift 2
	role_conf "$r" "$tmp/$n.conf" shm_prefix=$prefix$n metrics_listen= \
		nats_url=nats://127.0.0.1:$nport nats_stream=scale$$ nats_replicas=1 \
		nats_ack_wait_ms=2000 restart_min_ms=50 "$@"
}
# hello_rate: every camera here sends from 127.0.0.1, and its hellos
# come again after the ingest node is killed
node ingest l1 listen=127.0.0.1:$pa hello_rate=100
node ingest l2 listen=127.0.0.1:$pb hello_rate=100
node writer w1
node writer w2 writer_shards=4-7
grep -q '^writer_shards = 0-3$' "$tmp/w1.conf" || fail "writer.conf no longer gives 0-3 to its node"
start() { # node: its own session and process group, like its own machine
	setsid "$BIN/vigild" -f -c "$tmp/$1.conf" >>"$tmp/$1.log" 2>&1 &
	echo $! >"$tmp/$1.pid"
	i=0
	until VIGIL_SHM_PREFIX=$prefix$1 "$BIN/vigilctl" status 2>/dev/null |
		awk '$1 == "listener" || $1 == "writer" {print $3}' | grep -q '^[1-9]'; do
		i=$((i + 1)); [ $i -gt 50 ] && fail "node $1 did not start"; sleep 0.1
	done
}
kill_node() { /bin/kill -KILL -- "-$(cat "$tmp/$1.pid")"; sleep 0.1; }
accepted_of() {
	VIGIL_SHM_PREFIX=$prefix$1 "$BIN/vigilctl" status | sed -n 's/.*accepted=\([0-9]*\).*/\1/p'
}
for n in l1 l2 w1 w2; do start $n; done
# each ingest node has published and each writer node consumes
sleep 0.5

cpids=""
for p in $pa $pb; do
	for c in $(ls "$tmp/cams.$p"); do
		timeout 60 "$BIN/vigil-cam" -c "$tmp/cams.$p/$c/camera.conf" -n 500 --fps 100 \
			>"$tmp/$c.out" 2>&1 &
		cpids="$cpids $!"
	done
done
sleep 1.5
kill_node w1
sleep 1
start w1
sleep 0.5
kill_node l1
sleep 0.3
start l1
# shard 7 moves from writer node 2 to writer node 1 (reload), as
# docs/DEPLOY.md says: node 2's writer exits first, then node 1 takes it
# through the same consumer
sed -i 's/^writer_shards = 4-7$/writer_shards = 4-6/' "$tmp/w2.conf"
kill -HUP "$(cat "$tmp/w2.pid")"
i=0
until grep -q "now 8 writers (shards 0x70 here)" "$tmp/w2.log"; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "writer node 2 did not give up shard 7"; sleep 0.1
done
sed -i 's/^writer_shards = 0-3$/writer_shards = 0-3,7/' "$tmp/w1.conf"
kill -HUP "$(cat "$tmp/w1.pid")"
i=0
until grep -q "consuming scale$$.7" "$tmp/w1.log"; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "writer node 1 did not take shard 7"; sleep 0.1
done
for p in $cpids; do wait "$p" || fail "a camera failed"; done
# the JetStream server dies too, with messages not yet delivered again
# to the killed writer's successor, and comes back on its store
kill -9 "$npid"; wait "$npid" 2>/dev/null
sleep 0.3
"$NATS" -js -sd "$tmp/nats" -a 127.0.0.1 -p $nport >>"$tmp/nats.log" 2>&1 &
npid=$!
grep -q "consuming scale$$.0" "$tmp/w1.log" || fail "writer node 1 does not consume its shard"

# what the cameras sent again (syncd's MISSING, or a hello after the
# server went silent): the listeners accept such a copy, the stream or
# the writer drops it
copies_all() {
	for c in $(ls "$tmp/cams.$pa") $(ls "$tmp/cams.$pb"); do
		sed -n -e 's/.*hello_resent=\([0-9]*\).*/\1/p' \
			-e 's/^sync: resent=\([0-9]*\) .*resent_hellos=\([0-9]*\) .*/\1 \2/p' "$tmp/$c.out"
	done | tr ' ' '\n' | awk '{s += $1} END {print s + 0}'
}
# wait until what the listeners accepted is on disk (redelivery after the ack wait)
stored_all() {
	s=0
	for f in "$tmp"/data/*/*.vgl; do
		r=$("$BIN/vigilctl" verify -d "$tmp/keys" "$f" 2>/dev/null | sed -n 's/^records \([0-9]*\),.*/\1/p')
		s=$((s + ${r:-0}))
	done
	echo $s
}
accepted=$(( $(accepted_of l1) + $(accepted_of l2) ))
copies=$(copies_all)
i=0
while [ $(( $(stored_all) + copies )) -lt "$accepted" ]; do
	i=$((i + 1)); [ $i -gt 40 ] && break; sleep 0.5
done
for n in l1 l2 w1 w2; do
	kill -TERM "$(cat "$tmp/$n.pid")"
done
for n in l1 l2 w1 w2; do
	i=0
	while kill -0 "$(cat "$tmp/$n.pid")" 2>/dev/null; do
		i=$((i + 1)); [ $i -gt 100 ] && fail "node $n did not stop"; sleep 0.1
	done
done
[ "$(grep -c 'started writer\[0\]' "$tmp/w1.log")" -ge 2 ] || fail "writer node 1 was not restarted"
cat "$tmp"/[lw][12].log | grep "exited with status [1-9] (stopping)" && fail "a stage failed on its way out"
[ "$(grep -c 'started listener\[0\]' "$tmp/l1.log")" -ge 2 ] || fail "ingest node 1 was not restarted"

day=$(cd "$tmp/data/$(ls "$tmp/cams.$pb" | head -1)" && ls -- *.vgl)
stored=0
for p in $pa $pb; do
	for c in $(ls "$tmp/cams.$p"); do
		f=$tmp/data/$c/$day
		"$BIN/vigilctl" verify -d "$tmp/keys" "$f" >"$tmp/v.out" ||
			{ cat "$tmp/v.out"; fail "$c does not verify"; }
		grep -q '^duplicates 0$' "$tmp/v.out" || fail "$c: duplicates stored"
		r=$(sed -n 's/^records \([0-9]*\),.*/\1/p' "$tmp/v.out")
		sent=$(sed -n 's/^sent=\([0-9]*\).*/\1/p' "$tmp/$c.out")
		echo "camera $c via port $p: sent $sent, stored $r"
		stored=$((stored + r))
		if [ "$p" = "$pb" ]; then # its ingest node never stopped
			grep -q "^present: 0-$((sent - 1))$" "$tmp/v.out" ||
				{ cat "$tmp/v.out"; fail "$c: datagrams lost through the writer kill"; }
		fi
	done
done
echo "listeners accepted $accepted, stored $stored, cameras sent $copies copies again"
[ "$accepted" -gt 1000 ] || fail "too little accepted: $accepted"
[ $((stored + copies)) -ge "$accepted" ] ||
	fail "accepted datagrams lost: accepted $accepted, stored $stored, $copies copies"

# a streamer node (indexer and streamer on the shared data folder) serves
# every camera's day: its API's ranges are what the file holds, and a
# recorded stream's datagrams verify in a viewer
WSVIEW=$(cd "$OUT/tests/tools" 2>/dev/null && pwd)/wsview
if [ -x "$BIN/vigil-streamer" ] && command -v curl >/dev/null; then
	hport=$(( nport + 3 ))
	api=http://127.0.0.1:$hport
	echo pw | "$BIN/vigilctl" user add -d "$tmp/keys" alice --cameras all >/dev/null || fail "user add"
	mkdir -p "$tmp/player"
	echo '<!doctype html><title>vigil</title>' >"$tmp/player/index.html"
	# the streamer node's file keeps the NATS keys as shipped: it has
	# no listener nor writer to use them
	role_conf streamer "$tmp/s1.conf" shm_prefix=${prefix}s1 metrics_listen= \
		restart_min_ms=50 index_days=64 index_arena_mb=1 listen=127.0.0.1:$hport workers=1
	setsid "$BIN/vigild" -f -c "$tmp/s1.conf" >>"$tmp/s1.log" 2>&1 &
	echo $! >"$tmp/s1.pid"
	i=0
	until curl -s -o /dev/null "$api/"; do
		i=$((i + 1)); [ $i -gt 50 ] && fail "streamer node did not start"; sleep 0.1
	done
	tok=$(curl -s -X POST -d '{"user":"alice","password":"pw"}' "$api/api/login" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
	[ -n "$tok" ] || fail "login at the streamer node"
	d=$(basename "$day" .vgl)
	for p in $pa $pb; do
		for c in $(ls "$tmp/cams.$p"); do
			"$BIN/vigilctl" verify -d "$tmp/keys" "$tmp/data/$c/$day" >"$tmp/v.out"
			want=$(sed -n 's/^present: //p' "$tmp/v.out")
			i=0
			while :; do
				curl -s -H "Authorization: Bearer $tok" "$api/api/cameras/$c/days/$d" >"$tmp/day.json"
				got=$(sed 's/"gaps".*//' "$tmp/day.json" | grep -o '"first":[0-9]*,"last":[0-9]*' |
					sed 's/"first":\([0-9]*\),"last":\([0-9]*\)/\1-\2/' | tr '\n' ' ')
				[ "$got" = "$want " ] && break
				i=$((i + 1)); [ $i -gt 50 ] && { cat "$tmp/day.json"; fail "$c: streamer ranges [$got], file [$want]"; }
				sleep 0.2
			done
		done
	done
	echo "streamer node: every camera's ranges as stored"
	if [ -x "$WSVIEW" ]; then
		"$WSVIEW" -p $hport -t "$tok" -c "0:{\"op\":\"play\",\"camera\":\"$c\",\"date\":\"$d\",\"from_counter\":0}" \
			-d 1500 -o "$tmp/rec.txt" >"$tmp/rec.sum"
		awk '$1 == "conn" && $6 > 0 && $12 == 0 && $10 == $6 {ok=1} END {exit !ok}' "$tmp/rec.sum" ||
			{ cat "$tmp/rec.sum"; fail "recorded stream from the streamer node does not verify"; }
		echo "streamer node: recorded stream verified ($(awk '$1 == "conn" {print $6}' "$tmp/rec.sum") datagrams)"
	fi
else
	echo "vigil-streamer is not built: playability from a streamer node not checked"
fi
echo "scale: all checks passed"
