#!/bin/sh
# NAME
#	test_cam_telemetry.sh - telemetry round trip, camera to day file
# DESCRIPTION
#	A camera sends telemetry only (no video) at 20 records a second,
#	walking a GPX track, with no gpsd; it logs every record it sends.
#	`vigilctl export -s telemetry` decrypts the stored day file with the
#	server key: every field of every record must equal what was sent,
#	no video may be stored, and the positions must lie on the track.
#	A second camera sends video with telemetry at 4 Hz: both streams
#	are stored, with the expected number of records.
set -u
BINDIR=${BINDIR:-bin}
BIN=$(cd "$BINDIR" && pwd)
. "$(dirname "$0")/../lib/vigil_server.sh"
vs_setup camtele
for i in 1 2; do
	"$BIN/vigilctl" provision -d "$tmp/keys" -s 127.0.0.1:$port -o "$tmp/cams" >/dev/null || fail provision
done
set -- $(ls "$tmp/cams")
ct=$1 cv=$2
vs_start 2

cat >"$tmp/track.gpx" <<'GPX'
<?xml version="1.0"?>
<gpx version="1.1" creator="vigil test"><trk><trkseg>
<trkpt lat="45.7640000" lon="4.8357000"></trkpt>
<trkpt lat="45.7650000" lon="4.8357000"></trkpt>
<trkpt lat="45.7650000" lon="4.8370000"></trkpt>
</trkseg></trk></gpx>
GPX
timeout 60 "$BIN/vigil-cam" -c "$tmp/cams/$ct/camera.conf" --telemetry-only --telemetry-hz 20 \
	-n 60 --gpx "$tmp/track.gpx" --no-gpsd --telemetry-log "$tmp/sent.txt" >"$tmp/ct.out" 2>&1 ||
	{ cat "$tmp/ct.out"; fail "telemetry camera"; }
timeout 60 "$BIN/vigil-cam" -c "$tmp/cams/$cv/camera.conf" -n 40 --fps 20 --telemetry-hz 4 \
	--no-gpsd >"$tmp/cv.out" 2>&1 || { cat "$tmp/cv.out"; fail "video camera"; }
sleep 0.5
vs_stop

ft=$(ls "$tmp"/data/$ct/*.vgl) fv=$(ls "$tmp"/data/$cv/*.vgl)
"$BIN/vigilctl" export -d "$tmp/keys" -s telemetry "$ft" >"$tmp/got.txt" || fail "export telemetry"
[ "$(wc -l <"$tmp/sent.txt")" -eq 60 ] || fail "camera logged $(wc -l <"$tmp/sent.txt") records, not 60"
cmp -s "$tmp/sent.txt" "$tmp/got.txt" || { diff "$tmp/sent.txt" "$tmp/got.txt" | head; fail "stored telemetry differs from what was sent"; }
grep -q 'flags=0 accel_mg=' "$tmp/got.txt" || fail "simulated position and accelerometer not flagged as such"
"$BIN/vigilctl" dump "$ft" | grep -q ' stream=0 ' && fail "--telemetry-only stored video"
awk '{ split($2, a, "="); split($3, b, "=");
       if (a[2] < 457640000 || a[2] > 457650000 || b[2] < 48357000 || b[2] > 48370000) bad++ }
     END { exit bad > 0 }' "$tmp/got.txt" || fail "positions off the GPX track"
echo "telemetry: 60 records round trip field for field, on the track"

"$BIN/vigilctl" export -d "$tmp/keys" -s telemetry "$fv" >"$tmp/v.txt" || fail "export video camera telemetry"
n=$(wc -l <"$tmp/v.txt")
[ "$n" -ge 7 ] && [ "$n" -le 10 ] || fail "2 s at 4 Hz should give about 8 records, stored $n"
"$BIN/vigilctl" dump "$fv" | grep -c ' stream=0 .*frag=0/' | grep -qx 40 || fail "video frames missing"
echo "cam_telemetry: all checks passed"
