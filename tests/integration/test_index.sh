#!/bin/sh
# NAME
#	test_index.sh - the shared index matches the day files, across
#	indexer kills
# DESCRIPTION
#	vigild runs the listener, two writers and the indexer. Two cameras
#	stream; one flips a byte of every 7th datagram, which the listener
#	drops, so its day has gaps at known places. While they stream the
#	indexer is killed with SIGKILL three times. Afterwards, for each
#	camera, the stored ranges the index gives (`vigilctl index`) must be
#	exactly those `vigilctl verify` finds by reading the file, the index
#	must know the keyframes and the last telemetry, and the writers must
#	have kept their pids (they never waited on the indexer), and the
#	camera's reports must have been read (the day's reported counter).
set -u
BINDIR=${BINDIR:-bin}
BIN=$(cd "$BINDIR" && pwd)
# vigil-cam's test build: --tamper, --dup, --garbage, --replay-hello
CAMT=$(cd "${OUT:-build/default}/tests/tools" 2>/dev/null && pwd)/vigil_cam_test
[ -x "$CAMT" ] || { echo "no vigil_cam_test (make test-build)"; exit 77; }
tmp=$(mktemp -d /tmp/vigil-index.XXXXXX)
prefix=vigilidx$$
vpid=""
cleanup() { [ -n "$vpid" ] && kill -9 "$vpid" 2>/dev/null; pkill -9 -f "$tmp" 2>/dev/null; rm -rf "$tmp"; rm -f /dev/shm/$prefix-*; }
trap cleanup EXIT INT TERM
fail() { echo "FAIL: $*"; tail -20 "$tmp/vigild.log"; exit 1; }
ctl() { VIGIL_SHM_PREFIX=$prefix "$BIN/vigilctl" "$@"; }
pid_of() { ctl status | awk -v s="$1" -v i="$2" '$1 == s && $2 == i {print $3}'; }

port=$(( 20000 + ($$ + 29) % 20000 ))
"$BIN/vigilctl" keygen -d "$tmp/keys" >/dev/null || fail keygen
for i in 1 2; do
	"$BIN/vigilctl" provision -d "$tmp/keys" -s 127.0.0.1:$port -o "$tmp/cams" >/dev/null || fail provision
done
set -- $(ls "$tmp/cams")
c1=$1 c2=$2
cat >"$tmp/vigil.conf" <<CONF
shm_prefix = $prefix
metrics_listen =
writers = 2
index_days = 256
index_arena_mb = 16
restart_min_ms = 50
stage listener = $BIN/vigil-listener -d $tmp/keys -l 127.0.0.1:$port
stage writer = $BIN/vigil-writer -D $tmp/data
stage indexer = $BIN/vigil-indexer -D $tmp/data -d $tmp/keys -r 200 -c 300
CONF
"$BIN/vigild" -f -c "$tmp/vigil.conf" 2>"$tmp/vigild.log" >/dev/null &
vpid=$!
i=0
until [ -n "$(pid_of indexer 0)" ] && [ "$(pid_of indexer 0)" != 0 ]; do
	i=$((i + 1)); [ $i -gt 50 ] && fail "indexer did not start"; sleep 0.1
done
w0=$(pid_of writer 0) w1=$(pid_of writer 1)

timeout 60 "$CAMT" -c "$tmp/cams/$c1/camera.conf" -n 120 --fps 30 --tamper 7 \
	--telemetry-hz 5 --no-gpsd >"$tmp/c1.out" 2>&1 &
p1=$!
timeout 60 "$BIN/vigil-cam" -c "$tmp/cams/$c2/camera.conf" -n 120 --fps 30 --keyint 15 \
	--telemetry-hz 5 --no-gpsd >"$tmp/c2.out" 2>&1 &
p2=$!
for k in 1 2 3; do
	sleep 0.8
	ip=$(pid_of indexer 0)
	[ -n "$ip" ] && [ "$ip" != 0 ] && kill -9 "$ip"
done
wait $p1 || { cat "$tmp/c1.out"; fail "camera 1"; }
wait $p2 || { cat "$tmp/c2.out"; fail "camera 2"; }
sleep 1

[ "$(pid_of writer 0)" = "$w0" ] && [ "$(pid_of writer 1)" = "$w1" ] || fail "a writer was restarted"
ctl status | awk '$1 == "indexer" && $5 >= 3 {ok=1} END {exit !ok}' || { ctl status; fail "indexer restarts not counted"; }
day=$(ls "$tmp/data/$c1" | sed -n 's/\.vgl$//p' | head -1)
for c in $c1 $c2; do
	f=$(ls "$tmp"/data/$c/*.vgl | head -1)
	"$BIN/vigilctl" verify -d "$tmp/keys" "$f" >"$tmp/verify.$c" || fail "verify $c"
	i=0
	until ctl index $c "$(basename "$f" .vgl)" >"$tmp/index.$c" 2>&1 &&
	      grep -qx 'ready 1' "$tmp/index.$c" &&
	      [ "$(grep '^present:' "$tmp/index.$c")" = "$(grep '^present:' "$tmp/verify.$c")" ]; do
		i=$((i + 1)); [ $i -gt 50 ] && { cat "$tmp/index.$c" "$tmp/verify.$c"; fail "index of $c differs from its file"; }
		sleep 0.1
	done
	[ "$(grep '^missing:' "$tmp/index.$c")" = "$(grep '^missing:' "$tmp/verify.$c")" ] || fail "gaps of $c differ"
	awk '$1 == "keyframes" && $2 >= 3 {ok=1} END {exit !ok}' "$tmp/index.$c" || { cat "$tmp/index.$c"; fail "keyframes of $c"; }
	awk '$1 == "reported" && $2 > 0 {ok=1} END {exit !ok}' "$tmp/index.$c" || fail "reports of $c not read"
done
grep -q '^missing: none' "$tmp/index.$c1" && fail "tampered camera shows no gap"
grep '^missing:' "$tmp/index.$c1"
ctl index $c1 | grep -qx "$day" || fail "days of $c1"

# checkpoints: written once the files are idle, used after a kill, and
# ignored (the file scanned) when damaged or another day's
f1=$(ls "$tmp"/data/$c1/*.vgl) f2=$(ls "$tmp"/data/$c2/*.vgl)
i=0
until [ -s "$f1.idx" ] && [ -s "$f2.idx" ]; do
	i=$((i + 1)); [ $i -gt 50 ] && fail "no checkpoints written"; sleep 0.1
done
restart_indexer() {
	ip=$(pid_of indexer 0)
	n=$(grep -c 'indexed .* records' "$tmp/vigild.log")
	kill -9 "$ip"
	i=0
	until [ "$(grep -c 'indexed .* records' "$tmp/vigild.log")" -gt "$n" ]; do
		i=$((i + 1)); [ $i -gt 100 ] && fail "indexer did not restart"; sleep 0.1
	done
}
same_as_files() {
	for c in $c1 $c2; do
		f=$(ls "$tmp"/data/$c/*.vgl)
		ctl index $c "$(basename "$f" .vgl)" >"$tmp/index.$c" || fail "index of $c after $1"
		[ "$(grep '^present:' "$tmp/index.$c")" = "$(grep '^present:' "$tmp/verify.$c")" ] ||
			fail "ranges of $c differ from its file after $1"
		awk '$1 == "keyframes" && $2 >= 3 {ok=1} END {exit !ok}' "$tmp/index.$c" || fail "keyframes of $c after $1"
	done
}
restart_indexer
grep 'indexed .* records' "$tmp/vigild.log" | tail -1 | grep -q 'indexed 0 records of 2 files' ||
	fail "checkpoints not used: $(grep 'indexed .* records' "$tmp/vigild.log" | tail -1)"
grep -q 'checkpoint .* ignored' "$tmp/vigild.log" && fail "a good checkpoint was ignored"
same_as_files "a restart from checkpoints"
cp "$f1.idx" "$tmp/c1.idx"
printf 'X' | dd of="$f1.idx" bs=1 seek=300 conv=notrunc 2>/dev/null
cp "$tmp/c1.idx" "$f2.idx"
restart_indexer
grep -q "checkpoint $f1.idx ignored: damaged" "$tmp/vigild.log" || fail "a damaged checkpoint was not refused"
grep -q "checkpoint $f2.idx ignored: another partition" "$tmp/vigild.log" || fail "a foreign checkpoint was not refused"
same_as_files "damaged checkpoints"
kill -TERM "$vpid"; wait "$vpid"; vpid=""
echo "index: ranges and gaps equal the files' after 3 indexer kills and from checkpoints; writers untouched"
