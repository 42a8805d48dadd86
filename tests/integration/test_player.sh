#!/bin/sh
# NAME
#	test_player.sh - the browser player in real headless Chromium against
#	the whole system
# DESCRIPTION
#	Starts vigild with listener, writers, indexer and streamer on
#	loopback, and three test cameras sending the synthetic test picture:
#	one live in H.264 with its telemetry logged, one alternating JPEG and
#	H.264 sessions, and one that streamed briefly with every 40th
#	datagram tampered on the wire (dropped by the listener: gaps in its
#	day) and that then has one stored datagram altered on disk (with a
#	good record CRC). tests/browser/test_player.mjs then drives the
#	player in Debian's Chromium: live decode, JPEG fallback, telemetry
#	against the camera's log, seek, gaps, integrity failure, reconnect
#	after the streamer is killed, and a refused token. Then a fleet of
#	16 cameras (640x360, 25 pictures a second, 2 Mbps), more than the
#	machine decodes: tests/browser/test_player_load.mjs checks that one
#	tile alone is never reduced and that on the grid every tile's
#	picture stays within a few seconds of capture, tiles that skip
#	saying "reduced". Screenshots go to $OUT/browser/. Skips (77)
#	without Chromium, playwright-core or the streamer.
# run alone: Chromium decodes 16 live tiles; the lag it checks means something only on an idle machine
set -u
BINDIR=${BINDIR:-bin}
BIN=$(cd "$BINDIR" && pwd)
top=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$(mkdir -p "${OUT:-build/default}" && cd "${OUT:-build/default}" && pwd)
# vigil-cam's test build: --tamper, --dup, --garbage, --replay-hello
CAMT=$(cd "${OUT:-build/default}/tests/tools" 2>/dev/null && pwd)/vigil_cam_test
[ -x "$CAMT" ] || { echo "no vigil_cam_test (make test-build)"; exit 77; }
. "$top/tests/browser/system.sh"
player_need
tmp=$(mktemp -d /tmp/vigil-player.XXXXXX)
player_start player
for i in 1 2 3; do
	"$BIN/vigilctl" provision -d "$tmp/keys" -s 127.0.0.1:$port -o "$tmp/cams" >/dev/null || fail provision
done
set -- $(ls "$tmp/cams")
cl=$1 cs=$2 ct=$3

# a stopped camera with gaps, then one stored datagram altered on disk
timeout 60 "$CAMT" -c "$tmp/cams/$ct/camera.conf" -n 75 --fps 25 --keyint 25 \
	--size 320x240 --kbps 500 --tamper 40 >"$tmp/ct.out" 2>&1 || { cat "$tmp/ct.out"; fail "camera $ct"; }
sleep 0.5
node "$top/tests/browser/vgl_tamper.mjs" "$(ls "$tmp"/data/$ct/*.vgl)" 20 >"$tmp/tamper.out" || fail "tamper on disk"
cat "$tmp/tamper.out"
tcap=$(sed -n 's/.*capture_ms=\([0-9]*\).*/\1/p' "$tmp/tamper.out")
# the live camera, 60 s at most
timeout 90 "$BIN/vigil-cam" -c "$tmp/cams/$cl/camera.conf" -n 1500 --fps 25 --keyint 25 \
	--size 640x360 --kbps 1000 --no-gpsd --telemetry-log "$tmp/tele.log" >"$tmp/cl.out" 2>&1 &
bgpids="$bgpids $!"
# JPEG and H.264 sessions in turn
(
	end=$(( $(date +%s) + 60 ))
	while [ "$(date +%s)" -lt $end ]; do
		timeout 30 "$BIN/vigil-cam" -c "$tmp/cams/$cs/camera.conf" -n 30 --fps 10 \
			--codec jpeg --quality 60 --size 320x240 >>"$tmp/cs.out" 2>&1 || exit 1
		timeout 30 "$BIN/vigil-cam" -c "$tmp/cams/$cs/camera.conf" -n 75 --fps 25 \
			--keyint 25 --size 320x240 --kbps 500 >>"$tmp/cs.out" 2>&1 || exit 1
	done
) &
bgpids="$bgpids $!"
sleep 1

cd "$top/tests/browser" &&
VIGIL_URL=http://127.0.0.1:$hport VIGIL_USER=$user VIGIL_PASSWORD=$password \
CAM_LIVE=$cl CAM_SWITCH=$cs CAM_TAMPER=$ct TAMPER_CAPTURE=$tcap TELE_LOG=$tmp/tele.log KEYINT_MS=1000 \
RESTART_CMD="$(player_restart_cmd)" OUT=$OUT timeout 400 node test_player.mjs
rc=$?
[ $rc -eq 0 ] || fail "player tests (exit $rc)"

# more live tiles than this machine decodes: a fleet of 16 cameras
for p in $bgpids; do kill "$p" 2>/dev/null; done
bgpids=""
N=16
timeout 120 "$BIN/vigil-cam" --fleet $N -d "$tmp/keys" -o "$tmp/fleet" --server 127.0.0.1:$port \
	-n 2500 --fps 25 --kbps 2000 --size 640x360 --keyint 25 --no-gpsd >"$tmp/fleet.log" 2>&1 &
bgpids="$bgpids $!"
i=0
until [ "$(ls "$tmp/fleet" 2>/dev/null | wc -l)" -ge $N ] &&
	[ "$(for c in $(ls "$tmp/fleet"); do ls "$tmp"/data/$c/*.vgl; done 2>/dev/null | wc -l)" -ge $N ]; do
	i=$((i + 1)); [ $i -gt 300 ] && { cat "$tmp/fleet.log"; fail "the fleet does not stream"; }
	sleep 0.1
done
cd "$top/tests/browser" &&
VIGIL_URL=http://127.0.0.1:$hport VIGIL_USER=$user VIGIL_PASSWORD=$password \
CAMS=$(ls "$tmp/fleet" | paste -sd, -) KEYINT_MS=1000 FPS=25 SECONDS=8 OUT=$OUT \
	timeout 400 node test_player_load.mjs
rc=$?
[ $rc -eq 0 ] || fail "player load tests (exit $rc)"
echo "screenshots in $OUT/browser/"
