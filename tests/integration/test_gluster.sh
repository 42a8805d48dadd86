#!/bin/sh
# NAME
#	test_gluster.sh - the data folder on a GlusterFS volume
# DESCRIPTION
#	A single-node GlusterFS volume: glusterd (started here when it does
#	not run, stopped again at the end), one brick in a temporary folder,
#	the volume mounted with FUSE. vigild stores three cameras' datagrams
#	there through two writers, one of them killed with SIGKILL under
#	load; every file read back through the mount verifies and holds each
#	counter once, the brick holds the same bytes, and the volume's
#	profile shows how the writers' appends reached Gluster: FUSE write
#	calls against records appended (the writer groups a turn's records
#	per file into one writev, and on FUSE waits 100 ms for more by
#	default, so there are fewer writes than records).
#	Exits 77 with the reason when glusterd or a FUSE mount cannot run
#	here (no /dev/fuse, no permission to mount, no glusterfs-server).
# run alone: glusterd is a daemon of the host
set -u
BINDIR=${BINDIR:-bin}
BIN=$(cd "$BINDIR" && pwd)
skip() { echo "skipped: $*"; exit 77; }
command -v gluster >/dev/null 2>&1 && command -v glusterd >/dev/null 2>&1 ||
	skip "glusterfs-server is not installed (scripts/deps.sh installs it)"
[ -c /dev/fuse ] || skip "no /dev/fuse: FUSE mounts cannot run here"
[ "$(id -u)" -eq 0 ] || skip "glusterd and mount need root"
tmp=$(mktemp -d /tmp/vigil-gluster.XXXXXX)
prefix=vigilgluster$$
vol=vigiltest$$
host=$(hostname)
vpid="" ourd=""
G() { gluster --mode=script "$@"; }
cleanup() {
	[ -n "$vpid" ] && kill -9 "$vpid" 2>/dev/null
	pkill -9 -f "$tmp/cams" 2>/dev/null
	umount -l "$tmp/mnt" 2>/dev/null
	G volume stop "$vol" force >/dev/null 2>&1
	G volume delete "$vol" >/dev/null 2>&1
	[ -n "$ourd" ] && kill "$(cat "$tmp/glusterd.pid")" 2>/dev/null
	rm -rf "$tmp"; rm -f /dev/shm/$prefix-*
}
trap cleanup EXIT INT TERM
fail() { echo "FAIL: $*"; tail -20 "$tmp/vigild.log" 2>/dev/null; exit 1; }

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

port=$(( 20000 + $$ % 20000 ))
"$BIN/vigilctl" keygen -d "$tmp/keys" >/dev/null || fail keygen
for i in 1 2 3; do
	"$BIN/vigilctl" provision -d "$tmp/keys" -s 127.0.0.1:$port -o "$tmp/cams" >/dev/null || fail provision
done
cat >"$tmp/vigil.conf" <<CONF
shm_prefix = $prefix
metrics_listen =
writers = 2
restart_min_ms = 50
index_days = 64
index_arena_mb = 1
stage listener = $BIN/vigil-listener -d $tmp/keys -l 127.0.0.1:$port -r 100
stage writer = $BIN/vigil-writer -D $tmp/mnt/data ${GROUP_MS:+-g $GROUP_MS}
CONF
"$BIN/vigild" -f -c "$tmp/vigil.conf" 2>"$tmp/vigild.log" >/dev/null &
vpid=$!
sleep 0.5
cpids=""
for c in $(ls "$tmp/cams"); do
	timeout 60 "$BIN/vigil-cam" -c "$tmp/cams/$c/camera.conf" -n 400 --fps 100 >"$tmp/$c.out" 2>&1 &
	cpids="$cpids $!"
done
sleep 1.5
p=$(VIGIL_SHM_PREFIX=$prefix "$BIN/vigilctl" status | awk '$1 == "writer" && $2 == 0 {print $3}')
[ -n "$p" ] && kill -9 "$p"
for p in $cpids; do wait "$p" || fail "a camera failed"; done
i=0
until [ "$(VIGIL_SHM_PREFIX=$prefix "$BIN/vigilctl" status | grep -c 'depth 0,')" -eq 2 ]; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "rings did not drain"; sleep 0.1
done
VIGIL_SHM_PREFIX=$prefix "$BIN/vigilctl" status >"$tmp/status.out"
appended=$(sed -n 's/.*appended_total=\([0-9]*\).*/\1/p' "$tmp/status.out" | awk '{s += $1} END {print s + 0}')
kill -TERM $vpid; wait $vpid || fail "vigild exit status"; vpid=""
grep -q "writer\[0\] killed by signal 9" "$tmp/vigild.log" || fail "the writer was not killed"
grep -q "is on FUSE: one fdatasync per dirty file" "$tmp/vigild.log" || fail "the writers did not see FUSE"

for c in $(ls "$tmp/cams"); do
	f=$(ls "$tmp/mnt/data/$c/"*.vgl)
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
