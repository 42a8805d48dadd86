#!/bin/sh
# NAME
#	test_cam_abr.sh - the camera adapts to a narrow link, to JPEG and back
# DESCRIPTION
#	A camera streams 640x360 H.264 at 1 Mbps with --abr through the test
#	relay (tests/tools/relay) to vigild's listener, which sends it a
#	receiver report about every second. The relay's plan: 7 s capped at
#	50,000 bytes/s (400 kbps), 6 s at 12,000 bytes/s (96 kbps), then no
#	cap. Under the first cap the camera's own send rate must fall under
#	it within a few reports, still in H.264; under the second, below the
#	JPEG threshold (200 kbps), it must switch to JPEG; once the link is
#	free, it must come back to H.264 after its hysteresis. The switches
#	are read from what is stored on disk (the codec of every stored
#	frame, in order), and the stored JPEG images must decode. Another
#	camera, on a perfect link but with a 10 % signal, must go to JPEG
#	at its first report.
# run alone: the bitrate it checks follows the CPU and the link
set -u
BINDIR=${BINDIR:-bin}
OUT=${OUT:-build/default}
BIN=$(cd "$BINDIR" && pwd)
RELAY=$OUT/tests/tools/relay
[ -x "$RELAY" ] || { echo "no $RELAY (make test-build)"; exit 77; }
command -v ffmpeg >/dev/null || { echo "ffmpeg is not installed (scripts/deps.sh)"; exit 77; }
. "$(dirname "$0")/../lib/vigil_server.sh"
vs_setup camabr
fail() { echo "FAIL: $*"; grep '^abr' "$tmp/cam.out" | cut -c1-160; tail -n 3 "$tmp/relay.log"; tail -n 3 "$tmp/cam.out"; exit 1; }
rport=$(( 20000 + ($$ + 19) % 20000 ))
cam=$("$BIN/vigilctl" provision -d "$tmp/keys" -s 127.0.0.1:$rport -o "$tmp/cams") || fail provision
weak=$("$BIN/vigilctl" provision -d "$tmp/keys" -s 127.0.0.1:$port -o "$tmp/cams") || fail provision
vs_start 1
"$RELAY" -l 127.0.0.1:$rport -s 127.0.0.1:$port -p 7000:rate=50000 -p 6000:rate=12000 -p 0:good \
	-S 7 -o "$tmp/relay.stats" 2>"$tmp/relay.log" &
rpid=$!
pids=$rpid
sleep 0.2
"$BIN/vigil-cam" -c "$tmp/cams/$cam/camera.conf" --size 640x360 --kbps 1000 --fps 15 \
	--keyint 30 --abr --jpeg-below 200 --jpeg-fps 2 --no-gpsd --signal 90 >"$tmp/cam.out" 2>&1 &
cpid=$!
pids="$rpid $cpid"
# meanwhile, straight to the server, a camera whose signal is weak
timeout 60 "$BIN/vigil-cam" -c "$tmp/cams/$weak/camera.conf" --size 640x360 --kbps 1000 --fps 15 \
	--abr --no-gpsd --signal 10 -n 24 >"$tmp/weak.out" 2>&1 &
wpid=$!
pids="$rpid $cpid $wpid"
sleep 30
wait $wpid || fail "weak camera"
kill -INT "$cpid"; wait "$cpid" || { cat "$tmp/cam.out"; fail "camera exit"; }; cpid=""
sleep 0.5
kill -TERM "$rpid"; wait "$rpid"; rpid=""
vs_stop

# 1. the camera's send rate falls under the first cap, in H.264, within 6 reports
grep '^abr t=' "$tmp/cam.out" | head -6 |
	awk '{ split($5, s, "="); split($8, c, "="); if (s[2] < 400 && c[2] == 1) ok = 1 } END { exit !ok }' ||
	fail "send rate not under 400 kbps in H.264 within 6 reports"
echo "abr: send rate under the 400 kbps cap within 6 reports, still H.264"

# 2. on disk: H.264, then JPEG, then H.264 again
f=$(ls "$tmp"/data/$cam/*.vgl)
"$BIN/vigilctl" dump "$f" | sed -n 's/.* stream=0 codec=\([0-9]\) .*frag=0\/.*/\1/p' | uniq >"$tmp/runs"
tr '\n' ' ' <"$tmp/runs" | grep -q '^1 3 1' || fail "stored codecs in order: $(tr '\n' ' ' <"$tmp/runs"), want 1 3 1"
grep -q '^abr changes=.* to_jpeg=[1-9].* from_jpeg=[1-9]' "$tmp/cam.out" || fail "camera counters: $(grep '^abr changes' "$tmp/cam.out")"
echo "abr: stored frames go H.264, JPEG under 96 kbps, H.264 again when the link is free"

# 3. the JPEG fallback decodes
"$BIN/vigilctl" export -d "$tmp/keys" -c jpeg -l -o "$tmp/j.mjpeg" "$f" >"$tmp/j.list" 2>"$tmp/j.err"
n=$(grep -c '^frame=' "$tmp/j.list")
[ "$n" -ge 3 ] || fail "only $n JPEG frames stored"
d=$(ffmpeg -v error -f mjpeg -i "$tmp/j.mjpeg" -f framecrc - | grep -vc '^#')
[ "$d" -eq "$n" ] || fail "ffmpeg decoded $d of $n stored JPEG images"
echo "abr: $n stored JPEG images decode"
# 4. a weak signal alone sends the camera to JPEG, with no loss on the way
grep -q '^abr t=.* loss=0.000 .*signal=10 rung=5 codec=3 ' "$tmp/weak.out" || { cat "$tmp/weak.out"; fail "weak signal did not lead to JPEG"; }
"$BIN/vigilctl" dump "$tmp"/data/$weak/*.vgl | sed -n 's/.* stream=0 codec=\([0-9]\) .*frag=0\/.*/\1/p' | uniq |
	tr '\n' ' ' | grep -qx '1 3 ' || fail "weak camera stored codecs: not H.264 then JPEG"
echo "abr: a 10 % signal moves the camera to JPEG without any loss"
echo "cam_abr: all checks passed"
