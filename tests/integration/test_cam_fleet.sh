#!/bin/sh
# NAME
#	test_cam_fleet.sh - twenty cameras in one vigil-cam process
# DESCRIPTION
#	vigil-cam --fleet 20 provisions twenty cameras into a test directory
#	(each its own UUID and RSA key, registered like vigilctl provision
#	does) and streams the shared test picture from all of them through
#	vigild. Every camera's day file must verify with the keys and hold
#	exactly what that camera says it sent, and a camera's video must
#	decode with its burned-in frame numbers. A second run must reuse the
#	same twenty cameras (no new provisioning) and go on with their
#	counters where the first run stopped.
set -u
BINDIR=${BINDIR:-bin}
BIN=$(cd "$BINDIR" && pwd)
command -v ffmpeg >/dev/null || { echo "ffmpeg is not installed (scripts/deps.sh)"; exit 77; }
. "$(dirname "$0")/../lib/vigil_server.sh"
vs_setup camfleet
vs_start 2 -r 1000

fleet() {
	timeout 60 "$BIN/vigil-cam" --fleet 20 -d "$tmp/keys" -o "$tmp/fleet" --server 127.0.0.1:$port \
		-n 30 --fps 10 --no-gpsd >"$tmp/$1.out" 2>&1 || { tail "$tmp/$1.out"; fail "fleet run $1"; }
	grep -q '^fleet cameras=20 acked=20 ' "$tmp/$1.out" || fail "run $1: $(grep '^fleet' "$tmp/$1.out")"
}
fleet 1
grep -q 'provisioned 20 cameras' "$tmp/1.out" || fail "20 cameras not provisioned"
[ "$(ls "$tmp/keys/cameras" | grep -c '\.pub$')" -eq 20 ] || fail "20 cameras not registered"
fleet 2
grep -q 'provisioned' "$tmp/2.out" && fail "second run provisioned new cameras"
sleep 0.5
vs_stop

n=0
for d in "$tmp"/data/*/; do
	u=$(basename "$d")
	f=$(ls "$d"*.vgl)
	"$BIN/vigilctl" verify -d "$tmp/keys" "$f" >"$tmp/v.out" || { cat "$tmp/v.out"; fail "$u does not verify"; }
	grep -q '^missing: none$' "$tmp/v.out" || fail "$u: gaps"
	stored=$(sed -n 's/^records \([0-9]*\),.*/\1/p' "$tmp/v.out")
	s1=$(sed -n "s/^camera $u sent=\([0-9]*\) .*/\1/p" "$tmp/1.out")
	s2=$(sed -n "s/^camera $u sent=\([0-9]*\) .*/\1/p" "$tmp/2.out")
	[ "$stored" -eq $((s1 + s2)) ] || fail "$u: stored $stored, sent $s1 + $s2"
	# the second run's hello continues the counter
	"$BIN/vigilctl" dump "$f" | awk '$2 == "hello" { print $3 }' | sed -n 2p | grep -qx "counter=$s1" ||
		fail "$u: second run did not continue at counter $s1"
	n=$((n + 1))
done
[ "$n" -eq 20 ] || fail "$n cameras stored, want 20"
echo "fleet: 20 cameras, every day file verifies, stored = sent, counters continue across runs"

f=$(ls "$tmp"/data/*/*.vgl | head -1)
"$BIN/vigilctl" export -d "$tmp/keys" -l -o "$tmp/v.h264" "$f" >"$tmp/v.list" 2>/dev/null || fail export
ffmpeg -v error -f h264 -i "$tmp/v.h264" -fps_mode passthrough -vf "crop=iw:16:0:0,scale=32:1:flags=area" \
	-pix_fmt gray -f rawvideo - | od -An -v -tu1 -w32 |
	awk '{ v = 0; for (i = 1; i <= 32; i++) v = v * 2 + ($i > 128); print v }' >"$tmp/frames"
[ "$(wc -l <"$tmp/frames")" -eq 60 ] || fail "decoded $(wc -l <"$tmp/frames") pictures of 60"
# each run numbers its frames from 0
{ seq 0 29; seq 0 29; } | cmp -s - "$tmp/frames" || fail "burned-in frame numbers differ"
echo "fleet: a camera's 60 pictures decode with their frame numbers"
echo "cam_fleet: all checks passed"
