#!/bin/sh
# NAME
#	test_own_gluster.sh - a day file's lock holds across two FUSE mounts
#	of one GlusterFS volume
# DESCRIPTION
#	A single-node GlusterFS volume (glusterd started here when it does
#	not run, stopped again at the end) mounted twice with FUSE, A and B:
#	two clients, as two machines would be. lock_probe takes the lock a
#	writer takes on its day file (F_OFD_SETLK). First the probe itself:
#	held through A, refused through B. Then a writer appending through
#	A holds its camera's day file: the probe through B is refused while
#	vigild runs. Last the other way round: the probe holds the file
#	through B while vigild starts again and the camera streams more; the
#	writer on A is refused (its log names the file, file_locked_total
#	counts it), appends nothing to it, and once the probe lets go takes
#	the lock and stores everything the camera sent, each counter once.
#	Exits 77 with the reason when glusterd or a FUSE mount cannot run
#	here (no /dev/fuse, no permission to mount, no glusterfs-server).
# run alone: glusterd is a daemon of the host
set -u
BINDIR=${BINDIR:-bin}
BIN=$(cd "$BINDIR" && pwd)
PROBE=$(cd "${OUT:-build/default}/tests/tools" 2>/dev/null && pwd)/lock_probe
skip() { echo "skipped: $*"; exit 77; }
[ -x "$PROBE" ] || skip "no lock_probe (make test-build)"
command -v gluster >/dev/null 2>&1 && command -v glusterd >/dev/null 2>&1 ||
	skip "glusterfs-server is not installed (scripts/deps.sh installs it)"
[ -c /dev/fuse ] || skip "no /dev/fuse: FUSE mounts cannot run here"
[ "$(id -u)" -eq 0 ] || skip "glusterd and mount need root"
tmp=$(mktemp -d /tmp/vigil-owng.XXXXXX)
prefix=vigilowng$$
vol=vigilown$$
host=$(hostname)
vpid="" ourd="" hpid=""
G() { gluster --mode=script "$@"; }
cleanup() {
	[ -n "$vpid" ] && kill -9 "$vpid" 2>/dev/null
	[ -n "$hpid" ] && kill -9 "$hpid" 2>/dev/null
	pkill -9 -f "$tmp/cams" 2>/dev/null
	umount -l "$tmp/a" 2>/dev/null
	umount -l "$tmp/b" 2>/dev/null
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
mkdir -p "$tmp/brick" "$tmp/a" "$tmp/b"
G volume create "$vol" "$host:$tmp/brick/b" force >"$tmp/g.out" 2>&1 ||
	skip "volume create: $(cat "$tmp/g.out")"
G volume start "$vol" >"$tmp/g.out" 2>&1 || skip "volume start: $(cat "$tmp/g.out")"
for m in a b; do
	mount -t glusterfs "$host:/$vol" "$tmp/$m" >"$tmp/g.out" 2>&1 ||
		skip "FUSE mount of the volume fails here: $(cat "$tmp/g.out")"
	mount | grep -q " $tmp/$m type fuse" || skip "the volume is not mounted with FUSE"
done

# the probe: held through A, refused through B, free again after
echo x >"$tmp/a/f"
"$PROBE" -H 3 "$tmp/a/f" >"$tmp/h.out" &
hpid=$!
sleep 1
grep -q locked "$tmp/h.out" || fail "the probe did not lock through mount A"
[ "$("$PROBE" "$tmp/b/f")" = refused ] || fail "a lock held through mount A is not seen through mount B"
wait $hpid; hpid=""
[ "$("$PROBE" "$tmp/b/f")" = locked ] || fail "the lock is not free after its holder ended"
echo "probe: a lock through mount A refuses mount B"

port=$(( 20000 + ($$ + 911) % 20000 ))
"$BIN/vigilctl" keygen -d "$tmp/keys" >/dev/null || fail keygen
cam=$("$BIN/vigilctl" provision -d "$tmp/keys" -s 127.0.0.1:$port -o "$tmp/cams") || fail provision
cat >"$tmp/vigil.conf" <<CONF
shm_prefix = $prefix
metrics_listen =
writers = 1
restart_min_ms = 50
index_days = 64
index_arena_mb = 1
stage listener = $BIN/vigil-listener -d $tmp/keys -l 127.0.0.1:$port
stage writer = $BIN/vigil-writer -D $tmp/a/data
CONF
status() { VIGIL_SHM_PREFIX=$prefix "$BIN/vigilctl" status 2>/dev/null; }
start() {
	"$BIN/vigild" -f -c "$tmp/vigil.conf" 2>>"$tmp/vigild.log" >/dev/null &
	vpid=$!
	i=0
	until [ "$(status | grep -c '^\(writer\|listener\) .* [1-9][0-9]* ')" -eq 2 ]; do
		i=$((i + 1)); [ $i -gt 100 ] && fail "vigild did not start"; sleep 0.1
	done
}
stop() { kill -TERM "$vpid"; wait "$vpid" || fail "vigild exit status"; vpid=""; }
sent() { sed -n 's/^sent=\([0-9]*\).*/\1/p' "$1"; }

# a writer appending through A holds its day file: refused through B
start
timeout 60 "$BIN/vigil-cam" -c "$tmp/cams/$cam/camera.conf" -n 100 --fps 50 >"$tmp/c1.out" || fail camera
sleep 0.5
day=$(ls "$tmp/a/data/$cam")
[ -n "$day" ] || fail "no day file"
[ "$("$PROBE" "$tmp/b/data/$cam/$day")" = refused ] ||
	fail "the writer's day file (through A) is not locked for mount B"
stop
# the FUSE client lets a lock go when it handles the file's release, a moment after the close
i=0
until [ "$("$PROBE" "$tmp/b/data/$cam/$day")" = locked ]; do
	i=$((i + 1)); [ $i -gt 50 ] && fail "the day file stays locked after the writer stopped"; sleep 0.1
done
s1=$(sent "$tmp/c1.out")
echo "a writer through mount A holds $day: refused through mount B"

# the other way round: the file is held through B when the writer comes
"$PROBE" -H 6 "$tmp/b/data/$cam/$day" >"$tmp/h.out" &
hpid=$!
sleep 0.5
grep -q locked "$tmp/h.out" || fail "the probe did not lock the day file through mount B"
size=$(stat -c %s "$tmp/b/data/$cam/$day")
start
timeout 60 "$BIN/vigil-cam" -c "$tmp/cams/$cam/camera.conf" -n 100 --fps 50 >"$tmp/c2.out" || fail camera
s2=$(sent "$tmp/c2.out")
grep -q "$tmp/a/data/$cam/$day: locked by another process" "$tmp/vigild.log" ||
	fail "the writer did not report the file locked by another"
[ "$(status | sed -n 's/.*file_locked_total=\([0-9]*\).*/\1/p' | head -1)" -ge 1 ] 2>/dev/null ||
	{ status; fail "file_locked_total does not count the refusal"; }
[ "$(stat -c %s "$tmp/b/data/$cam/$day")" -eq "$size" ] || fail "the writer appended to a file held by another"
[ "$(grep -c ": locked by another process" "$tmp/vigild.log")" -eq 1 ] || fail "the refusal is not logged once"
wait $hpid; hpid=""
i=0
until grep -q "$tmp/a/data/$cam/$day: the lock is ours now" "$tmp/vigild.log"; do
	i=$((i + 1)); [ $i -gt 50 ] && fail "the writer did not take the file once free"; sleep 0.1
done
i=0
until [ "$(status | grep -c 'depth 0,')" -eq 1 ]; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "the ring did not drain"; sleep 0.1
done
sleep 0.3
stop
"$BIN/vigilctl" verify -d "$tmp/keys" "$tmp/b/data/$cam/$day" >"$tmp/v.out" ||
	{ cat "$tmp/v.out"; fail "the day file does not verify"; }
cat "$tmp/v.out"
grep -q "^records $((s1 + s2))," "$tmp/v.out" && grep -q '^duplicates 0$' "$tmp/v.out" ||
	fail "want each of $((s1 + s2)) datagrams once"
echo "own_gluster: all checks passed"
