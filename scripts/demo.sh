#!/bin/sh
# NAME
#	demo.sh - run vigil on loopback with a fleet of simulated cameras
# DESCRIPTION
#	Called by `make demo` after the build. Creates ./demo-data (server
#	keys, camera registry, camera folders), starts vigil-listener on
#	127.0.0.1, runs DEMO_CAMERAS cameras (default 3) for DEMO_SECONDS
#	seconds (default 5) at 10 frames per second, and prints what the
#	listener saw: one line per datagram, then its counters.
set -eu
cd "$(dirname "$0")/.."
BINDIR=${BINDIR:-bin}
N=${DEMO_CAMERAS:-3}
SECS=${DEMO_SECONDS:-5}
DATA=$PWD/demo-data
PORT=${DEMO_PORT:-7400}

rm -rf "$DATA"
mkdir -p "$DATA"
echo "== server keys and $N cameras in $DATA"
"$BINDIR/vigilctl" keygen -d "$DATA/keys" >/dev/null
i=0
while [ $i -lt "$N" ]; do
	u=$("$BINDIR/vigilctl" provision -d "$DATA/keys" -s 127.0.0.1:$PORT -o "$DATA/cameras")
	echo "   camera $u"
	i=$((i + 1))
done

echo "== vigil-listener on udp 127.0.0.1:$PORT (log: $DATA/listener.log)"
"$BINDIR/vigil-listener" -d "$DATA/keys" -l 127.0.0.1:$PORT -v >"$DATA/listener.log" 2>&1 &
lpid=$!
trap 'kill $lpid 2>/dev/null || true' EXIT INT TERM
sleep 0.3
kill -0 $lpid 2>/dev/null || { cat "$DATA/listener.log"; exit 1; }

echo "== cameras streaming for ${SECS}s"
pids=""
for c in "$DATA"/cameras/*/camera.conf; do
	"$BINDIR/vigil-cam" -c "$c" -n $((SECS * 10)) --fps 10 >"${c%/camera.conf}/cam.log" 2>&1 &
	pids="$pids $!"
done
for p in $pids; do wait "$p"; done
sleep 0.3
kill -TERM $lpid
wait $lpid || true
trap - EXIT INT TERM

echo "== what the listener saw (first lines of $DATA/listener.log)"
grep -v '=' "$DATA/listener.log" | head -25
echo "   ..."
echo "== per camera"
for c in "$DATA"/cameras/*/; do
	echo "   $(basename "$c"): $(tail -1 "$c/cam.log")"
done
echo "== listener counters"
grep '=' "$DATA/listener.log" | grep -v '=0$' | sed 's/^/   /'
acc=$(sed -n 's/^accepted=//p' "$DATA/listener.log")
[ "${acc:-0}" -gt 0 ] || { echo "demo: nothing was accepted"; exit 1; }
echo "== done: $acc datagrams authenticated"
