#!/bin/sh
# NAME
#	test_gluster.sh - the data folder on a GlusterFS volume
# DESCRIPTION
#	A single-node GlusterFS volume: glusterd (started here when it does
#	not run, stopped again at the end), one brick in a temporary folder,
#	the volume mounted with FUSE. Two vigild "nodes" made from the role
#	files docs/DEPLOY.md tells operators to install (role_conf.sh: only
#	paths, ports, the shm prefix, the NATS server and stream, and
#	shorter waits differ), joined by a JetStream nats-server started
#	here: an ingest node (etc/roles/ingest.conf: listener, and syncd on
#	the mount) and a writer node (etc/roles/writer.conf, all eight
#	shards, the day files on the mount). Three cameras stream; a writer
#	that appends one of them is killed with SIGKILL under load. Every
#	file read back through the mount verifies and holds each counter
#	once, every camera is
#	complete (the killed writer's messages came back from its durable
#	consumer), the brick holds the same bytes, and the volume's profile
#	shows how the writers' appends reached Gluster: FUSE write calls
#	against records appended (the writer groups a turn's records per
#	file into one writev, and on FUSE waits 100 ms for more by default,
#	so there are fewer writes than records; GROUP_MS=N sets group_ms).
#	Exits 77 with the reason when glusterd or a FUSE mount cannot run
#	here (no /dev/fuse, no permission to mount, no glusterfs-server),
#	or nats-server is not installed.
# run alone: glusterd is a daemon of the host
set -u
BINDIR=${BINDIR:-bin}
BIN=$(cd "$BINDIR" && pwd)
. "$(dirname "$0")/role_conf.sh"
skip() { echo "skipped: $*"; exit 77; }
command -v gluster >/dev/null 2>&1 && command -v glusterd >/dev/null 2>&1 ||
	skip "glusterfs-server is not installed (scripts/deps.sh installs it)"
[ -c /dev/fuse ] || skip "no /dev/fuse: FUSE mounts cannot run here"
[ "$(id -u)" -eq 0 ] || skip "glusterd and mount need root"
command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] ||
	skip "nats-server is not installed (scripts/deps.sh installs it)"
NATS=$(command -v nats-server || echo /usr/sbin/nats-server)
tmp=$(mktemp -d /tmp/vigil-gluster.XXXXXX)
data=$tmp/mnt/data
prefix=vigilgluster$$
vol=vigiltest$$
host=$(hostname)
npid="" ourd=""
nodes="l w"
G() { gluster --mode=script "$@"; }
cleanup() {
	for n in $nodes; do
		[ -f "$tmp/$n.pid" ] && /bin/kill -KILL -- "-$(cat "$tmp/$n.pid")" 2>/dev/null
	done
	[ -n "$npid" ] && kill -9 "$npid" 2>/dev/null
	pkill -9 -f "$tmp/cams" 2>/dev/null
	umount -l "$tmp/mnt" 2>/dev/null
	G volume stop "$vol" force >/dev/null 2>&1
	G volume delete "$vol" >/dev/null 2>&1
	[ -n "$ourd" ] && kill "$(cat "$tmp/glusterd.pid")" 2>/dev/null
	rm -rf "$tmp"; rm -f /dev/shm/$prefix*
}
trap cleanup EXIT INT TERM
fail() { echo "FAIL: $*"; for n in $nodes; do echo "--- $n"; tail -12 "$tmp/$n.log" 2>/dev/null; done; exit 1; }

if ! G volume list >/dev/null 2>&1; then
	glusterd -p "$tmp/glusterd.pid" --log-file="$tmp/glusterd.log" ||
		skip "glusterd does not start: $(tail -1 "$tmp/glusterd.log" 2>/dev/null)"
	ourd=1
	i=0
	until G volume list >/dev/null 2>&1; do
		i=$((i + 1)); [ $i -gt 50 ] && skip "glusterd does not answer"; sleep 0.1
	done
fi
mkdir -p "$tmp/brick" "$tmp/mnt"
G volume create "$vol" "$host:$tmp/brick/b" force >"$tmp/g.out" 2>&1 ||
	skip "volume create: $(cat "$tmp/g.out")"
G volume start "$vol" >"$tmp/g.out" 2>&1 || skip "volume start: $(cat "$tmp/g.out")"
mount -t glusterfs "$host:/$vol" "$tmp/mnt" >"$tmp/g.out" 2>&1 ||
	skip "FUSE mount of the volume fails here: $(cat "$tmp/g.out")"
mount | grep -q " $tmp/mnt type fuse" || skip "the volume is not mounted with FUSE"
G volume profile "$vol" start >/dev/null 2>&1

nport=$(( 20000 + $$ % 20000 ))
port=$(( nport + 1 ))
mkdir -p "$tmp/nats"
"$NATS" -js -sd "$tmp/nats" -a 127.0.0.1 -p $nport >"$tmp/nats.log" 2>&1 &
npid=$!
i=0
until grep -q "Server is ready" "$tmp/nats.log"; do
	i=$((i + 1)); [ $i -gt 50 ] && { cat "$tmp/nats.log"; fail "nats-server did not start"; }
	sleep 0.1
done
"$BIN/vigilctl" keygen -d "$tmp/keys" >/dev/null || fail keygen
for i in 1 2 3; do
	"$BIN/vigilctl" provision -d "$tmp/keys" -s 127.0.0.1:$port -o "$tmp/cams" >/dev/null || fail provision
done
# node ROLE NAME [KEY=VALUE...]: the role's file for this machine; the
# NATS server here (one, so one replica) and a shorter ack wait and
# restart delay, so that the test waits less
node() {
	r=$1 n=$2
	shift 2
	role_conf "$r" "$tmp/$n.conf" shm_prefix=$prefix$n metrics_listen= \
		nats_url=nats://127.0.0.1:$nport nats_stream=gluster$$ nats_replicas=1 \
		nats_ack_wait_ms=2000 restart_min_ms=50 "$@"
}
# hello_rate: every camera here sends from 127.0.0.1
node ingest l listen=127.0.0.1:$port hello_rate=100
node writer w writer_shards=0-7
if [ -n "${GROUP_MS:-}" ]; then
	sed -i "s|^\t# group_ms = .*|\tgroup_ms = $GROUP_MS|" "$tmp/w.conf"
	grep -q "^.group_ms = $GROUP_MS$" "$tmp/w.conf" || fail "group_ms is not in writer.conf"
fi
start() { # node: its own session and process group, like its own machine
	setsid "$BIN/vigild" -f -c "$tmp/$1.conf" >>"$tmp/$1.log" 2>&1 &
	echo $! >"$tmp/$1.pid"
	i=0
	until VIGIL_SHM_PREFIX=$prefix$1 "$BIN/vigilctl" status 2>/dev/null |
		awk '$1 == "listener" || $1 == "writer" {print $3}' | grep -q '^[1-9]'; do
		i=$((i + 1)); [ $i -gt 50 ] && fail "node $1 did not start"; sleep 0.1
	done
}
start w
start l
sleep 0.5
cpids=""
for c in $(ls "$tmp/cams"); do
	timeout 60 "$BIN/vigil-cam" -c "$tmp/cams/$c/camera.conf" -n 400 --fps 100 >"$tmp/$c.out" 2>&1 &
	cpids="$cpids $!"
done
sleep 1.5
# the writer killed is one that appends a camera's file
set -- $(VIGIL_SHM_PREFIX=${prefix}w "$BIN/vigilctl" status | awk '
	$1 == "writer" {k = $2; p = $3; next}
	$1 !~ /=/ {k = ""}
	k != "" && /appended_total=[1-9]/ {print k, p; exit}')
[ $# -eq 2 ] || fail "no writer appends yet"
killed=$1
kill -9 "$2"
for p in $cpids; do wait "$p" || fail "a camera failed"; done
# every camera complete: the killed writer's messages come back after the ack wait
complete() {
	for c in $(ls "$tmp/cams"); do
		sent=$(sed -n 's/^sent=\([0-9]*\).*/\1/p' "$tmp/$c.out")
		"$BIN/vigilctl" verify -d "$tmp/keys" "$data/$c/"*.vgl 2>/dev/null |
			grep -q "^present: 0-$((sent - 1))$" || return 1
	done
}
i=0
until complete; do
	i=$((i + 1)); [ $i -gt 60 ] && break; sleep 0.5
done
VIGIL_SHM_PREFIX=${prefix}w "$BIN/vigilctl" status >"$tmp/status.out"
appended=$(sed -n 's/.*appended_total=\([0-9]*\).*/\1/p' "$tmp/status.out" | awk '{s += $1} END {print s + 0}')
for n in l w; do
	kill -TERM "$(cat "$tmp/$n.pid")"
	i=0
	while kill -0 "$(cat "$tmp/$n.pid")" 2>/dev/null; do
		i=$((i + 1)); [ $i -gt 100 ] && fail "node $n did not stop"; sleep 0.1
	done
done
cat "$tmp/l.log" "$tmp/w.log" | grep "exited with status [1-9] (stopping)" && fail "a stage failed on its way out"
grep -q "writer\[$killed\] killed by signal 9" "$tmp/w.log" || fail "writer $killed was not killed"
grep -q "is on FUSE: one fdatasync per dirty file" "$tmp/w.log" || fail "the writers did not see FUSE"

for c in $(ls "$tmp/cams"); do
	f=$(ls "$data/$c/"*.vgl)
	sent=$(sed -n 's/^sent=\([0-9]*\).*/\1/p' "$tmp/$c.out")
	"$BIN/vigilctl" verify -d "$tmp/keys" "$f" >"$tmp/v.out" || { cat "$tmp/v.out"; fail "$c does not verify"; }
	grep -q '^duplicates 0$' "$tmp/v.out" || fail "$c: duplicates stored"
	grep -q "^present: 0-$((sent - 1))$" "$tmp/v.out" || { cat "$tmp/v.out"; fail "$c: counters missing"; }
	cmp -s "$f" "$tmp/brick/b/data/$c/$(basename "$f")" || fail "$c: the brick holds other bytes"
done
G volume profile "$vol" info cumulative >"$tmp/profile.out" 2>&1
[ -n "${PROFILE_OUT:-}" ] && cp "$tmp/profile.out" "$PROFILE_OUT"
writes=$(awk '$NF == "WRITE" {print $(NF-1); exit}' "$tmp/profile.out")
echo "records appended $appended (after the kill's restart), FUSE writes at the brick ${writes:-unknown}"
grep -A3 "Block Size" "$tmp/profile.out" | head -8
if [ -n "$writes" ] && [ "$writes" -gt 0 ] && [ "$appended" -gt 0 ]; then
	[ "$writes" -lt "$appended" ] || fail "one write per record or worse: $writes writes, $appended records"
fi
echo "gluster: all checks passed"
