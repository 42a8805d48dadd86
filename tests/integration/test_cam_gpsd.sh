#!/bin/sh
# NAME
#	test_cam_gpsd.sh - the camera's position comes from gpsd when it runs
# DESCRIPTION
#	A private gpsd (no hotplug, no D-Bus needed) reads NMEA sentences
#	from a FIFO fed by this test: a fix at 48°07.038' N 11°31.000' E,
#	22.4 knots, heading 84.4°. A camera sending telemetry only with
#	--gpsd pointing at it must send that position, speed and heading
#	with the satellite-fix flag, and the stored day file must decrypt to
#	exactly what it sent. Then gpsd stops: the camera started afterwards
#	falls back to its simulated track, flagged as such.
set -u
BINDIR=${BINDIR:-bin}
BIN=$(cd "$BINDIR" && pwd)
GPSD=$(command -v gpsd || echo /usr/sbin/gpsd)
[ -x "$GPSD" ] || { echo "gpsd is not installed (scripts/deps.sh)"; exit 77; }
. "$(dirname "$0")/../lib/vigil_server.sh"
vs_setup camgpsd
c=$("$BIN/vigilctl" provision -d "$tmp/keys" -s 127.0.0.1:$port -o "$tmp/cams") || fail provision
vs_start 1
gport=$(( 20000 + ($$ + 31) % 20000 ))

mkfifo "$tmp/nmea"
"$GPSD" -N -n -b -S $gport -F "$tmp/gpsd.sock" "$tmp/nmea" >"$tmp/gpsd.log" 2>&1 &
gpid=$!
sleep 0.7
( while :; do
	printf '$GPRMC,120000.00,A,4807.038,N,01131.000,E,022.4,084.4,251126,003.1,W*46\r\n'
	printf '$GPGGA,120000.00,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*67\r\n'
	sleep 0.2
  done >"$tmp/nmea" ) &
fpid=$!
pids="$gpid $fpid"
sleep 1
timeout 60 "$BIN/vigil-cam" -c "$tmp/cams/$c/camera.conf" --telemetry-only --telemetry-hz 5 -n 15 \
	--gpsd 127.0.0.1:$gport --telemetry-log "$tmp/sent.txt" >"$tmp/c1.out" 2>&1 || fail "camera with gpsd"
kill $fpid $gpid; wait $gpid 2>/dev/null; pids=""
timeout 60 "$BIN/vigil-cam" -c "$tmp/cams/$c/camera.conf" --telemetry-only --telemetry-hz 5 -n 5 \
	--gpsd 127.0.0.1:$gport --telemetry-log "$tmp/sent2.txt" >"$tmp/c2.out" 2>&1 || fail "camera without gpsd"
sleep 0.5
vs_stop

"$BIN/vigilctl" export -d "$tmp/keys" -s telemetry "$tmp"/data/$c/*.vgl >"$tmp/got.txt" 2>/dev/null || fail export
cat "$tmp/sent.txt" "$tmp/sent2.txt" | cmp -s - "$tmp/got.txt" || fail "stored telemetry differs from what was sent"
# the first records may precede gpsd's first report; the last ones carry the fix
tail -5 "$tmp/sent.txt" | grep -c 'lat_e7=481173000 lon_e7=115166667 speed_cms=1152 heading_cdeg=8440 .* flags=1 ' |
	grep -qx 5 || { tail -3 "$tmp/sent.txt"; fail "position, speed or heading not from gpsd"; }
grep -c ' flags=0 ' "$tmp/sent2.txt" | grep -qx 5 || fail "without gpsd the position is not flagged simulated"
echo "cam_gpsd: all checks passed"
