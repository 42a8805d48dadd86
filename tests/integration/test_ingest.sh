#!/bin/sh
# NAME
#	test_ingest.sh - cameras to day files through vigild, listener, rings
#	and writers, with writers killed under load
# DESCRIPTION
#	Real UDP on 127.0.0.1, real shared memory, real io_uring, real files.
#	Three cameras stream while each writer is killed with SIGKILL at a
#	random moment; one camera also sends every 5th datagram twice and
#	follows every datagram with malformed variants of it (random bytes,
#	truncated, a bit flipped, oversized, wrong version, another camera's),
#	another tampers with every 9th. Afterwards every camera's file must
#	hold each counter it sent exactly once (the tampered ones never), and
#	`vigilctl verify` with the keys must verify every hello and GCM tag.
#	Then a file's last record is torn by hand, the system restarted, and
#	the writer must cut the torn tail and go on appending after it.
#	Last, the listener and the writers are killed 20 times each while
#	the cameras stream: everything the listener accepted is on disk
#	once, and every file still verifies (sessions survive a listener
#	restart in shared memory).
# run alone: it floods loopback and checks nothing is lost
set -u
BINDIR=${BINDIR:-bin}
BIN=$(cd "$BINDIR" && pwd)
# vigil-cam's test build: --tamper, --dup, --garbage, --replay-hello
CAMT=$(cd "${OUT:-build/default}/tests/tools" 2>/dev/null && pwd)/vigil_cam_test
[ -x "$CAMT" ] || { echo "no vigil_cam_test (make test-build)"; exit 77; }
tmp=$(mktemp -d /tmp/vigil-ingest.XXXXXX)
prefix=vigilingest$$
vpid=""
cleanup() { [ -n "$vpid" ] && kill -9 "$vpid" 2>/dev/null; pkill -9 -f "$tmp" 2>/dev/null; rm -rf "$tmp"; rm -f /dev/shm/$prefix-*; }
trap cleanup EXIT INT TERM
fail() { echo "FAIL: $*"; tail -20 "$tmp/vigild.log"; exit 1; }

port=$(( 20000 + $$ % 20000 ))
mport=$(( 40000 + ($$ + 7) % 20000 ))
"$BIN/vigilctl" keygen -d "$tmp/keys" >/dev/null || fail keygen
for i in 1 2 3; do
	"$BIN/vigilctl" provision -d "$tmp/keys" -s 127.0.0.1:$port -o "$tmp/cams" >/dev/null || fail provision
done
set -- $(ls "$tmp/cams")
c1=$1 c2=$2 c3=$3
cat >"$tmp/vigil.conf" <<CONF
shm_prefix = $prefix
metrics_listen = 127.0.0.1:$mport
writers = 2
ring_slots = 1024
restart_min_ms = 50
drain_timeout_ms = 5000
stage listener = $BIN/vigil-listener -d $tmp/keys -l 127.0.0.1:$port
stage writer = $BIN/vigil-writer -D $tmp/data
CONF
start() {
	"$BIN/vigild" -f -c "$tmp/vigil.conf" 2>>"$tmp/vigild.log" >/dev/null &
	vpid=$!
	i=0
	until VIGIL_SHM_PREFIX=$prefix "$BIN/vigilctl" status 2>/dev/null | grep -q '^writer .* [1-9][0-9]* '; do
		i=$((i + 1)); [ $i -gt 50 ] && fail "vigild did not start"; sleep 0.1
	done
	sleep 0.2
}
stop() {
	kill -TERM "$vpid"; wait "$vpid" || fail "vigild exit status"; vpid=""
}
pid_of() { VIGIL_SHM_PREFIX=$prefix "$BIN/vigilctl" status | awk -v i="$1" '$1 == "writer" && $2 == i {print $3}'; }
start

timeout 60 "$BIN/vigil-cam" -c "$tmp/cams/$c1/camera.conf" -n 300 --fps 100 >"$tmp/c1.out" &
p1=$!
timeout 60 "$CAMT" -c "$tmp/cams/$c2/camera.conf" -n 300 --fps 100 --dup 5 --garbage >"$tmp/c2.out" &
p2=$!
timeout 60 "$CAMT" -c "$tmp/cams/$c3/camera.conf" -n 300 --fps 100 --tamper 9 >"$tmp/c3.out" &
p3=$!
# kill each writer once while the cameras stream
sleep 0.$(( 3 + $$ % 5 ))
kill -9 "$(pid_of 0)"
sleep 0.$(( 2 + $$ % 7 ))
kill -9 "$(pid_of 1)"
wait $p1 && wait $p2 && wait $p3 || fail "a camera failed"
# wait for the rings to drain
i=0
until [ "$(VIGIL_SHM_PREFIX=$prefix "$BIN/vigilctl" status | grep -c 'depth 0,')" -eq 2 ]; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "rings did not drain"; sleep 0.1
done
VIGIL_SHM_PREFIX=$prefix "$BIN/vigilctl" status | tee "$tmp/status1.out"
stop
# the garbage was seen and counted by class; none of it is on disk (below)
for k in malformed oversize bad_tag no_session; do
	grep -q " $k=[1-9]" "$tmp/status1.out" || grep -q "^    $k=[1-9]" "$tmp/status1.out" ||
		fail "no $k counted"
done

day=$(ls "$tmp/data/$c1")
sent() { sed -n 's/^sent=\([0-9]*\).*/\1/p' "$1"; }
check() { # camera, cam output, expected records
	f=$tmp/data/$1/$day
	"$BIN/vigilctl" verify -d "$tmp/keys" "$f" >"$tmp/v.out"; rc=$?
	cat "$tmp/v.out"
	[ $rc -eq 0 ] || fail "$1 does not verify"
	grep -q "^records $3," "$tmp/v.out" || fail "$1: want $3 records"
	grep -q '^duplicates 0$' "$tmp/v.out" || fail "$1: duplicates stored"
}
s1=$(sent "$tmp/c1.out"); s2=$(sent "$tmp/c2.out"); s3=$(sent "$tmp/c3.out")
t3=$(sed -n 's/.*tampered=\([0-9]*\).*/\1/p' "$tmp/c3.out")
d2=$(sed -n 's/.* dups=\([0-9]*\).*/\1/p' "$tmp/c2.out")
[ "$d2" -gt 0 ] && [ "$t3" -gt 0 ] || fail "no duplicates or no tampering sent"
check "$c1" "$tmp/c1.out" "$s1"
grep -q "^present: 0-$((s1 - 1))$" "$tmp/v.out" || fail "c1 not complete"
check "$c2" "$tmp/c2.out" "$s2"
grep -q "^present: 0-$((s2 - 1))$" "$tmp/v.out" || fail "c2 not complete"
check "$c3" "$tmp/c3.out" $((s3 - t3))
grep -q "writer\[.\] killed by signal 9" "$tmp/vigild.log" || fail "no writer was killed"

# a torn tail: cut the last record short, restart, stream more
f=$tmp/data/$c1/$day
size=$(stat -c %s "$f")
truncate -s $((size - 10)) "$f"
start
timeout 60 "$BIN/vigil-cam" -c "$tmp/cams/$c1/camera.conf" -n 20 --fps 100 >"$tmp/c1b.out" || fail camera
sleep 0.5
stop
grep -q "cut a torn tail" "$tmp/vigild.log" || fail "torn tail not cut"
s1b=$(sent "$tmp/c1b.out")
"$BIN/vigilctl" verify -d "$tmp/keys" "$f" >"$tmp/v.out" || { cat "$tmp/v.out"; fail "file with a cut tail does not verify"; }
cat "$tmp/v.out"
# the torn record (the last counter of the first run) is missing; sync fetches it
grep -q "^records $((s1 - 1 + s1b))," "$tmp/v.out" || fail "want $((s1 - 1 + s1b)) records after the cut"
grep -q "^missing: $((s1 - 1))-$((s1 - 1))$" "$tmp/v.out" || fail "the torn record is not the one missing"
# kill -9 the listener and the writers 20 times each while three cameras
# stream: every datagram the listener counted as accepted is on disk, once
sed -e "s|$tmp/data|$tmp/data3|" -e 's/^restart_min_ms = 50$/restart_min_ms = 20\nstable_ms = 100/' \
	"$tmp/vigil.conf" >"$tmp/vigil3.conf"
cp "$tmp/vigil3.conf" "$tmp/vigil.conf"
start
cpids=""
for c in $c1 $c2 $c3; do
	timeout 60 "$BIN/vigil-cam" -c "$tmp/cams/$c/camera.conf" -n 600 --fps 100 >"$tmp/$c.k.out" &
	cpids="$cpids $!"
done
# each kill is of a process vigild started after the last kill of that
# stage (on a busy machine a restart can take longer than the pause)
kill_new() { # stage index: kill it once it runs as a new process
	local i=0 p
	while :; do
		p=$(VIGIL_SHM_PREFIX=$prefix "$BIN/vigilctl" status | awk -v s=$1 -v i=$2 '$1 == s && $2 == i {print $3}')
		case " $killed " in *" $p "*) p="" ;; esac
		[ -n "$p" ] && [ "$p" -gt 0 ] && kill -9 "$p" 2>/dev/null && { killed="$killed $p"; return; }
		i=$((i + 1)); [ $i -gt 1200 ] && fail "$1 $2 was not started again"; sleep 0.05
	done
}
k=0 killed=""
while [ $k -lt 20 ]; do
	for who in listener writer; do
		idx=0; [ $who = writer ] && idx=$((k % 2))
		kill_new $who $idx
		sleep 0.$(( 5 + (k * 7 + $$) % 10 ))
	done
	k=$((k + 1))
done
for p in $cpids; do wait "$p"; done
i=0
until [ "$(VIGIL_SHM_PREFIX=$prefix "$BIN/vigilctl" status | grep -c 'depth 0,')" -eq 2 ]; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "rings did not drain"; sleep 0.1
done
sleep 0.3
VIGIL_SHM_PREFIX=$prefix "$BIN/vigilctl" status >"$tmp/status.out"
cat "$tmp/status.out"
accepted=$(sed -n 's/.*accepted=\([0-9]*\).*/\1/p' "$tmp/status.out")
stop
[ "$(grep -c 'listener\[0\] killed by signal 9' "$tmp/vigild.log")" -ge 20 ] || fail "listener not killed 20 times"
stored=0
for c in $c1 $c2 $c3; do
	f=$tmp/data3/$c/$day
	"$BIN/vigilctl" verify -d "$tmp/keys" "$f" >"$tmp/v.out" || { cat "$tmp/v.out"; fail "$c does not verify after the kills"; }
	grep -q '^duplicates 0$' "$tmp/v.out" || fail "duplicates stored"
	n=$(sed -n 's/^records \([0-9]*\),.*/\1/p' "$tmp/v.out")
	# every camera got through the kills (however slowly a busy machine ran them)
	[ -n "$n" ] && [ "$n" -gt 1 ] || fail "$c: no datagram beyond its hello stored during the kills"
	stored=$(( stored + n ))
done
echo "after 20 listener and 20 writer kills: listener accepted $accepted, stored $stored"
[ -n "$accepted" ] && [ "$accepted" -gt 0 ] || fail "the listener accepted nothing: $accepted"
[ "$stored" -ge "$accepted" ] || fail "accepted datagrams lost: accepted $accepted, stored $stored"
# a revoked camera's recordings still verify: its key stays in the registry
"$BIN/vigilctl" revoke -d "$tmp/keys" "$c1" "test" >/dev/null || fail revoke
"$BIN/vigilctl" verify -d "$tmp/keys" "$tmp/data/$c1/$day" >/dev/null || fail "a revoked camera's file does not verify"
echo "ingest: all checks passed"
