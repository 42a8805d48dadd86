#!/bin/sh
# NAME
#	test_cam_video.sh - the camera's video decodes, frame for frame
# DESCRIPTION
#	A camera streams its synthetic test picture through vigild (listener
#	and writers) as H.264, then as JPEG. `vigilctl export` decrypts the
#	stored day file with the server key and reassembles the frames;
#	ffmpeg, the reference decoder, decodes them. Every frame sent must
#	decode, and the frame number and capture time burned into each
#	picture as a bar code (read back from the decoded pixels) must be
#	0, 1, 2, ... and the capture time the frame's clear header carries.
#	Last, the exported H.264 stream and JPEG images are fed to cameras as
#	file:PATH: they must be sent as they are, access unit for access
#	unit and image for image, so exporting them again gives the same
#	bytes.
set -u
BINDIR=${BINDIR:-bin}
BIN=$(cd "$BINDIR" && pwd)
command -v ffmpeg >/dev/null || { echo "ffmpeg is not installed (scripts/deps.sh)"; exit 77; }
. "$(dirname "$0")/../lib/vigil_server.sh"
vs_setup camvideo
for i in 1 2 3 4; do
	"$BIN/vigilctl" provision -d "$tmp/keys" -s 127.0.0.1:$port -o "$tmp/cams" >/dev/null || fail provision
done
set -- $(ls "$tmp/cams")
ch=$1 cj=$2 cf=$3 cm=$4
vs_start 2

# bar codes of a decoded stream: "frame capture_ms" per picture
bars() {
	ffmpeg -v error -f "$1" -i "$2" -fps_mode passthrough \
		-vf "crop=iw:48:0:0,scale=32:3:flags=area" -pix_fmt gray -f rawvideo - |
		od -An -v -tu1 -w96 |
		awk '{ for (b = 0; b < 3; b++) { v[b] = 0; for (i = 1; i <= 32; i++) v[b] = v[b] * 2 + ($(b * 32 + i) > 128) }
		       printf "%d %.0f\n", v[0], v[1] * 4294967296 + v[2] }'
}

# expected: the frame list of the export, "frame capture_ms"
check() { # name file-format stream list frames
	bars "$2" "$3" >"$tmp/$1.bars" || fail "$1: ffmpeg cannot decode the stream"
	n=$(wc -l <"$tmp/$1.bars")
	[ "$n" -eq "$5" ] || fail "$1: decoded $n pictures, $5 were sent"
	sed -n 's/^frame=\([0-9]*\) .* capture_ms=\([0-9]*\) .*/\1 \2/p' "$4" >"$tmp/$1.want"
	awk '{ print NR - 1, $2 }' "$tmp/$1.want" | cmp -s - "$tmp/$1.bars" ||
		{ diff "$tmp/$1.bars" "$tmp/$1.want" | head; fail "$1: burned-in frame numbers or times differ"; }
	echo "$1: $n pictures decoded, frame numbers 0..$((n - 1)) and capture times read back"
}

timeout 60 "$BIN/vigil-cam" -c "$tmp/cams/$ch/camera.conf" -n 90 --fps 30 --keyint 15 \
	--size 320x240 --kbps 400 >"$tmp/ch.out" 2>&1 || { cat "$tmp/ch.out"; fail "h264 camera"; }
timeout 60 "$BIN/vigil-cam" -c "$tmp/cams/$cj/camera.conf" -n 20 --fps 10 --codec jpeg \
	--quality 60 >"$tmp/cj.out" 2>&1 || { cat "$tmp/cj.out"; fail "jpeg camera"; }
sleep 0.5

fh=$(ls "$tmp"/data/$ch/*.vgl) fj=$(ls "$tmp"/data/$cj/*.vgl)
"$BIN/vigilctl" export -d "$tmp/keys" -l -o "$tmp/h.h264" "$fh" >"$tmp/h.list" || fail "export h264"
keys=$(grep -c ' key=1 ' "$tmp/h.list")
[ "$keys" -eq 6 ] || fail "want 6 keyframes (every 15th of 90), have $keys"
check h264 h264 "$tmp/h.h264" "$tmp/h.list" 90
"$BIN/vigilctl" export -d "$tmp/keys" -c jpeg -l -o "$tmp/j.mjpeg" "$fj" >"$tmp/j.list" || fail "export jpeg"
grep -q 'codec=3 key=1' "$tmp/j.list" || fail "JPEG frames not marked codec 3, keyframe"
check jpeg mjpeg "$tmp/j.mjpeg" "$tmp/j.list" 20

# a recorded stream as the source: sent as it is
timeout 60 "$BIN/vigil-cam" -c "$tmp/cams/$cf/camera.conf" -n 90 --fps 50 \
	--source "file:$tmp/h.h264" >"$tmp/cf.out" 2>&1 || { cat "$tmp/cf.out"; fail "file camera"; }
sleep 0.5
"$BIN/vigilctl" export -d "$tmp/keys" -l -o "$tmp/f.h264" "$tmp"/data/$cf/*.vgl >"$tmp/f.list" || fail "export file"
cmp -s "$tmp/h.h264" "$tmp/f.h264" || fail "file:PATH source did not send the recording as it is"
[ "$(grep -c ' key=1 ' "$tmp/f.list")" -eq 6 ] || fail "file:PATH source lost the keyframe flags"
echo "file source: 90 access units sent unchanged"
timeout 60 "$BIN/vigil-cam" -c "$tmp/cams/$cm/camera.conf" -n 20 --fps 50 \
	--source "file:$tmp/j.mjpeg" >"$tmp/cm.out" 2>&1 || { cat "$tmp/cm.out"; fail "jpeg file camera"; }
sleep 0.5
"$BIN/vigilctl" export -d "$tmp/keys" -c jpeg -o "$tmp/m.mjpeg" "$tmp"/data/$cm/*.vgl 2>/dev/null || fail "export jpeg file"
cmp -s "$tmp/j.mjpeg" "$tmp/m.mjpeg" || fail "file:PATH source did not send the JPEG images as they are"
echo "file source: 20 JPEG images sent unchanged"

"$BIN/vigil-cam" -c "$tmp/cams/$cf/camera.conf" -n 1 --source v4l2:/dev/video-none >"$tmp/v.out" 2>&1 &&
	fail "v4l2 source without a device did not fail"
grep -q 'no camera device at /dev/video-none' "$tmp/v.out" || { cat "$tmp/v.out"; fail "v4l2: no clear message"; }
vs_stop
echo "cam_video: all checks passed"
