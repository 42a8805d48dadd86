#!/bin/sh
# NAME
#	demo.sh - run vigil on loopback with a fleet of simulated cameras
# DESCRIPTION
#	Called by `make demo` after the build. Creates ./var (server
#	keys, camera registry, camera folders, vigil.conf), starts vigild,
#	which creates the shared memory and supervises the listener and two
#	writers (files under var/data), runs a fleet of
#	DEMO_CAMERAS cameras (default 3) in one vigil-cam process (each its
#	own UUID and key, provisioned into var/cameras on the first run,
#	all sending the same encoded test picture: H.264 at 10 frames per
#	second, and telemetry) until Ctrl-C when run from a terminal, or for
#	DEMO_SECONDS seconds (default 5 without a terminal or under CI;
#	DEMO_SECONDS=0 runs until Ctrl-C), and then shows what the system
#	saw: the
#	listener's log of authenticated datagrams, `vigilctl status` and the
#	/metrics endpoint. The indexer and the streamer run too: the player
#	is at http://127.0.0.1:DEMO_HTTP_PORT/ (default 8080) with the login
#	printed at the start, for as long as the cameras stream; the demo
#	checks the JSON API with that login. DEMO_PORT (UDP, default 7400),
#	DEMO_METRICS_PORT (default 9740) and DEMO_HTTP_PORT move it off busy
#	ports. Ctrl-C stops the cameras and prints the summary.
set -eu
cd "$(dirname "$0")/.."
BINDIR=${BINDIR:-bin}
BIN=$(cd "$BINDIR" && pwd)
N=${DEMO_CAMERAS:-3}
if [ -t 0 ] && [ -t 1 ] && [ -z "${CI:-}" ]; then SECS=${DEMO_SECONDS:-0}; else SECS=${DEMO_SECONDS:-5}; fi
FRAMES=$((SECS * 10))
[ "$SECS" -gt 0 ] || FRAMES=$((86400 * 10)) # a day at 10 fps: until Ctrl-C
DATA=$PWD/var
PORT=${DEMO_PORT:-7400}
MPORT=${DEMO_METRICS_PORT:-9740}
HPORT=${DEMO_HTTP_PORT:-8080}
PREFIX=vigildemo

rm -rf "$DATA"
mkdir -p "$DATA"
echo "== server keys in $DATA/keys"
"$BIN/vigilctl" keygen -d "$DATA/keys" >/dev/null

cat >"$DATA/vigil.conf" <<CONF
# written by scripts/demo.sh; every option is described in etc/vigil.conf
shm_prefix = $PREFIX
metrics_listen = 127.0.0.1:$MPORT
writers = 2
stage listener = $BIN/vigil-listener -d $DATA/keys -l 127.0.0.1:$PORT -v -r 1000
stage writer = $BIN/vigil-writer -D $DATA/data
stage indexer = $BIN/vigil-indexer -D $DATA/data -d $DATA/keys
stage syncd = $BIN/vigil-syncd -D $DATA/data
stage streamer = $BIN/vigil-streamer -l 127.0.0.1:$HPORT -D $DATA/data -d $DATA/keys -P $PWD/player -a $DATA/audit.log
CONF
echo demo | "$BIN/vigilctl" user add -d "$DATA/keys" demo --cameras all >/dev/null
"$BIN/vigild" -n -c "$DATA/vigil.conf"
echo "== vigild on udp 127.0.0.1:$PORT, metrics http://127.0.0.1:$MPORT/metrics (log: $DATA/vigild.log)"
# its own session: a Ctrl-C at the terminal stops the cameras, not the server
setsid "$BIN/vigild" -f -c "$DATA/vigil.conf" >"$DATA/listener.log" 2>"$DATA/vigild.log" &
vpid=$!
fpid=""
trap 'kill $vpid $fpid 2>/dev/null || true' EXIT
trap 'kill $vpid $fpid 2>/dev/null || true; exit 130' TERM
# Ctrl-C ends the cameras only: the summary below still runs
trap 'kill $fpid 2>/dev/null || true' INT
sleep 0.5
kill -0 $vpid 2>/dev/null || { cat "$DATA/vigild.log"; exit 1; }

i=0
until curl -s -o /dev/null "http://127.0.0.1:$HPORT/api/cameras"; do
	i=$((i + 1)); [ $i -gt 50 ] && { tail "$DATA/vigild.log"; exit 1; }; sleep 0.1
done
echo "== player: http://127.0.0.1:$HPORT/  (login: demo / password: demo) while the cameras stream"
if [ "$SECS" -gt 0 ]; then
	echo "== a fleet of $N cameras (vigil-cam --fleet, testsrc H.264) streaming for ${SECS}s"
else
	echo "== a fleet of $N cameras (vigil-cam --fleet, testsrc H.264) streaming until Ctrl-C"
fi
# in the background, so that Ctrl-C reaches this shell's trap at once
"$BIN/vigil-cam" --fleet "$N" -d "$DATA/keys" -o "$DATA/cameras" --server 127.0.0.1:$PORT \
	-n $FRAMES --fps 10 --no-gpsd >"$DATA/fleet.log" 2>&1 &
fpid=$!
wait $fpid || wait $fpid || true # a Ctrl-C interrupts the first wait
fpid=""
trap 'kill $vpid 2>/dev/null || true; exit 130' INT
grep '^vigil-cam: provisioned' "$DATA/fleet.log" | sed 's/^/   /'
sleep 0.5

echo "== vigilctl status"
VIGIL_SHM_PREFIX=$PREFIX "$BIN/vigilctl" status | sed 's/^/   /'
echo "== http://127.0.0.1:$MPORT/metrics (listener counters that are not zero)"
curl -s "http://127.0.0.1:$MPORT/metrics" | grep 'stage="listener"' | grep -v ' 0$' | sed 's/^/   /'
acc=$(curl -s "http://127.0.0.1:$MPORT/metrics" |
	sed -n 's/^vigil_accepted{stage="listener",index="0"} //p')
echo "== the streamer's JSON API, logged in as demo"
tok=$(curl -s -X POST -d '{"user":"demo","password":"demo"}' "http://127.0.0.1:$HPORT/api/login" |
	sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
ncam=$(curl -s -H "Authorization: Bearer $tok" "http://127.0.0.1:$HPORT/api/cameras" | grep -o '"uuid"' | wc -l)
echo "   /api/cameras lists $ncam cameras"

kill -TERM $vpid
wait $vpid || true
trap - EXIT INT TERM

echo "== what the listener saw (its first -v lines in $DATA/vigild.log)"
grep ' vigil-listener\[0\]: [0-9a-f]\{8\} ' "$DATA/vigild.log" | head -20 | sed 's/^/   /'
echo "   ..."
echo "== per camera (from $DATA/fleet.log)"
grep -E '^(camera|fleet) ' "$DATA/fleet.log" | sed 's/^/   /'
echo "== what is on disk: one file per camera and day, checked by vigilctl verify"
for f in "$DATA"/data/*/*.vgl; do
	echo "   $f"
	"$BIN/vigilctl" verify -d "$DATA/keys" "$f" | sed -n 's/^/      /; 2,3p; $p'
done
[ "${acc:-0}" -gt 0 ] || { echo "demo: nothing was accepted"; exit 1; }
[ "$ncam" -eq "$N" ] || { echo "demo: the streamer lists $ncam cameras, not $N"; exit 1; }
echo "== done: $acc datagrams authenticated."
[ "$SECS" -eq 0 ] || echo "   From a terminal (or with DEMO_SECONDS=0) the demo runs until Ctrl-C, so that the player at http://127.0.0.1:$HPORT/ (demo / demo) can be watched."
