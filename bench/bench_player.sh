#!/bin/sh
# NAME
#	bench_player.sh - the browser player with 16 live tiles at 2 Mbps
# DESCRIPTION
#	vigild (listener, writers, indexer, streamer) on loopback and a fleet
#	of 16 cameras (vigil-cam --fleet: one encoder, 640x360, 25 pictures
#	a second, 2 Mbps, a keyframe every 2 s); tests/browser/bench_player.mjs
#	then measures in headless Chromium the pictures decoded per second
#	and dropped with the 16 tiles of the live grid, and the time from
#	page load to the first live picture, each against a reference
#	measured in the same run in the same browser (the same access units
#	decoded in the page without network, WebSocket or AES). A recording
#	of one camera, exported with vigilctl, gives the reference its
#	frames.
set -u
BINDIR=${BINDIR:-bin}
BIN=$(cd "$BINDIR" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
OUT=$(mkdir -p "${OUT:-build/default}" && cd "${OUT:-build/default}" && pwd)
N=${N:-16} FPS=25 KBPS=2000 SECONDS_=${SECONDS_:-10}
. "$top/tests/browser/system.sh"
player_need
tmp=$(mktemp -d /tmp/vigil-benchplayer.XXXXXX)
player_start benchplayer

timeout 300 "$BIN/vigil-cam" --fleet $N -d "$tmp/keys" -o "$tmp/cams" --server 127.0.0.1:$port \
	-n $((FPS * 120)) --fps $FPS --kbps $KBPS --size 640x360 --keyint $((FPS * 2)) --no-gpsd \
	>"$tmp/fleet.log" 2>&1 &
bgpids="$bgpids $!"
# every camera provisioned and stored, and a few seconds of pictures
i=0
until [ "$(ls "$tmp"/data/*/*.vgl 2>/dev/null | wc -l)" -ge $N ]; do
	i=$((i + 1)); [ $i -gt 300 ] && { cat "$tmp/fleet.log"; fail "the fleet does not stream"; }
	sleep 0.1
done
sleep 3
cams=$(ls "$tmp/cams" | head -$N | paste -sd, -)
f=$(ls "$tmp"/data/$(ls "$tmp/cams" | head -1)/*.vgl)
"$BIN/vigilctl" export -d "$tmp/keys" -c h264 -l -o "$tmp/ref.h264" "$f" >"$tmp/ref.list" ||
	fail "export the reference frames"

cd "$top/tests/browser" &&
VIGIL_URL=http://127.0.0.1:$hport VIGIL_USER=$user VIGIL_PASSWORD=$password CAMS=$cams \
FPS=$FPS SECONDS=$SECONDS_ REF_H264=$tmp/ref.h264 REF_LIST=$tmp/ref.list OUT=$OUT \
	timeout 240 node bench_player.mjs || fail "bench_player.mjs"
