#!/bin/sh
# NAME
#	bench_sync.sh - how fast a day completes after an outage, and what
#	the resends cost, against what the link lost
# DESCRIPTION
#	vigild (listener, two writers, syncd) on loopback; one camera at the
#	demo rate (vigil-cam defaults: testsrc, 320x240, 10 pictures a
#	second, 500 kbps) through the test relay: LOSS_S seconds with 20%
#	loss, an outage of D seconds, then a good link while the camera
#	keeps streaming live. Figures, each with a reference from the same
#	run:
#	  BENCH sync_complete ms=<from the end of the outage to the day
#	        complete> ref=<D in ms> ratio=...
#	  BENCH sync_resend bytes=<bytes the camera resent> ref=<bytes the
#	        relay dropped> ratio=...
#	When srt-live-transmit is installed (Debian srt-tools), the same
#	datagrams' rate and loss profile through SRT (200 ms latency, sender
#	-> srt-live-transmit caller -> relay -> srt-live-transmit listener
#	-> UDP sink):
#	  BENCH sync_srt delivered_bytes=... ref=<bytes sent> ratio=...
#	Environment: BENCH_OUTAGE (D, default 10), BENCH_LOSS_S (default 10).
#	Nothing is asserted.
set -u
BINDIR=${BINDIR:-bin}
BIN=$(cd "$BINDIR" && pwd)
OUT=${OUT:-build/default}
RELAY=$(cd "$OUT/tests/tools" 2>/dev/null && pwd)/relay
[ -x "$RELAY" ] || { echo "bench_sync: relay not built ($RELAY)"; exit 77; }
D=${BENCH_OUTAGE:-10}
L=${BENCH_LOSS_S:-10}
tmp=$(mktemp -d /tmp/vigil-benchsync.XXXXXX)
prefix=vigilbsync$$
pids=""
cleanup() { for p in $pids; do kill -9 "$p" 2>/dev/null; done; rm -rf "$tmp"; rm -f /dev/shm/$prefix-*; }
trap cleanup EXIT INT TERM

port=$(( 20000 + $$ % 20000 ))
rport=$(( 20000 + ($$ + 13) % 20000 ))
"$BIN/vigilctl" keygen -d "$tmp/keys" >/dev/null || exit 1
c=$("$BIN/vigilctl" provision -d "$tmp/keys" -s 127.0.0.1:$rport -o "$tmp/cams") || exit 1
cat >"$tmp/vigil.conf" <<CONF
shm_prefix = $prefix
metrics_listen =
writers = 2
stage listener = $BIN/vigil-listener -d $tmp/keys -l 127.0.0.1:$port
stage writer = $BIN/vigil-writer -D $tmp/data
stage syncd = $BIN/vigil-syncd -D $tmp/data
CONF
"$BIN/vigild" -f -c "$tmp/vigil.conf" 2>"$tmp/vigild.log" >/dev/null &
vpid=$!
pids="$vpid"
sleep 0.5
t0=$(date +%s%3N)
"$RELAY" -l 127.0.0.1:$rport -s 127.0.0.1:$port -p $((L * 1000)):loss=0.2 -p $((D * 1000)):outage \
	-p 0:loss=0 -S 1 -o "$tmp/relay.stats" 2>/dev/null &
rpid=$!
pids="$pids $rpid"
# live for the loss, the outage and as long again after it, then linger until confirmed
frames=$(( (L + 2 * D + 5) * 10 ))
"$BIN/vigil-cam" -c "$tmp/cams/$c/camera.conf" -n $frames --linger 120000 >"$tmp/cam.out" 2>&1
sleep 1
kill -TERM "$rpid"; wait "$rpid"
kill -TERM "$vpid"; wait "$vpid"
pids=""
day=$(ls "$tmp/data/$c" | sed -n 's/\.vgl$//p')
complete=$(sed -n 's/^complete_ms //p' "$tmp/data/$c/$day.sync")
end=$(( t0 + (L + D) * 1000 ))
lost=$(sed -n 's/^up_bytes_dropped //p' "$tmp/relay.stats")
resent=$(sed -n 's/.*resent_bytes=\([0-9]*\).*/\1/p' "$tmp/cam.out")
if [ "${complete:-0}" -gt 0 ]; then
	ms=$(( complete > end ? complete - end : 0 ))
	echo "BENCH sync_complete ms=$ms ref=$((D * 1000)) ratio=$(awk -v a=$ms -v b=$((D * 1000)) 'BEGIN{printf "%.3f", a / b}')"
else
	echo "BENCH sync_complete ms=never ref=$((D * 1000)) ratio=0"
fi
echo "BENCH sync_resend bytes=$resent ref=$lost ratio=$(awk -v a="$resent" -v b="$lost" 'BEGIN{printf "%.3f", b ? a / b : 0}')"

command -v srt-live-transmit >/dev/null 2>&1 || { echo "bench_sync: srt-live-transmit not installed: no SRT figure"; exit 0; }
# SRT: the camera's sent bytes at its rate, through the same loss profile
rate=$(sed -n 's/^sent=[0-9]* bytes=\([0-9]*\).*/\1/p' "$tmp/cam.out")
secs=$(( L + 2 * D + 5 ))
bps=$(( rate / (secs + 1) ))
sp1=$(( 20000 + ($$ + 41) % 20000 )) sp2=$(( 20000 + ($$ + 43) % 20000 ))
sp3=$(( 20000 + ($$ + 47) % 20000 )) sp4=$(( 20000 + ($$ + 53) % 20000 ))
# sink: count bytes arriving on UDP
python3 -c "
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('127.0.0.1', $sp4)); s.settimeout(5)
n = 0
try:
    while True: n += len(s.recv(2048))
except socket.timeout: pass
open('$tmp/srt.got', 'w').write(str(n))
" &
sink=$!
srt-live-transmit -q "srt://:$sp3?mode=listener&latency=200" "udp://127.0.0.1:$sp4" >/dev/null 2>&1 &
pids="$pids $!"
"$RELAY" -l 127.0.0.1:$sp2 -s 127.0.0.1:$sp3 -p $((L * 1000)):loss=0.2 -p $((D * 1000)):outage \
	-p 0:loss=0 -S 1 -o "$tmp/srt.relay" 2>/dev/null &
srelay=$!
pids="$pids $srelay"
srt-live-transmit -q -a yes "udp://:$sp1" "srt://127.0.0.1:$sp2?mode=caller&latency=200" >/dev/null 2>&1 &
pids="$pids $!"
sleep 0.5
# 1316-byte datagrams at the camera's byte rate for the same duration
python3 -c "
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
n = 0; start = time.time(); per = 1316; rate = $bps
while time.time() - start < $secs:
    while n < (time.time() - start) * rate:
        s.sendto(bytes(per), ('127.0.0.1', $sp1)); n += per
    time.sleep(0.005)
open('$tmp/srt.sent', 'w').write(str(n))
"
sleep 3
kill -TERM $srelay
wait $sink
got=$(cat "$tmp/srt.got" 2>/dev/null || echo 0)
sent=$(cat "$tmp/srt.sent")
echo "BENCH sync_srt delivered_bytes=$got ref=$sent ratio=$(awk -v a="$got" -v b="$sent" 'BEGIN{printf "%.3f", b ? a / b : 0}')"
