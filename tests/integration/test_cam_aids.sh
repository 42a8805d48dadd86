#!/bin/sh
# NAME
#	test_cam_aids.sh - the camera's test aids are in its test build only
# DESCRIPTION
#	bin/vigil-cam refuses --tamper, --dup, --garbage and --replay-hello
#	as unknown options (exit 2, nothing sent) and does not list them in
#	its usage. Its test build (tests/tools/vigil_cam_test, the same
#	camera with a send filter) still misbehaves: against a listener on
#	127.0.0.1, every datagram it tampered with is counted as a bad tag
#	and every other one it sent is accepted.
set -u
BINDIR=${BINDIR:-bin}
BIN=$(cd "$BINDIR" && pwd)
CAMT=$(cd "${OUT:-build/default}/tests/tools" 2>/dev/null && pwd)/vigil_cam_test
[ -x "$CAMT" ] || { echo "no vigil_cam_test (make test-build)"; exit 77; }
tmp=$(mktemp -d /tmp/vigil-camaids.XXXXXX)
lpid=""
cleanup() { [ -n "$lpid" ] && kill "$lpid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT INT TERM
fail() { echo "FAIL: $*"; [ -f "$tmp/listener.out" ] && tail -20 "$tmp/listener.out"; exit 1; }

port=$(( 20000 + ($$ + 23) % 20000 ))
"$BIN/vigilctl" keygen -d "$tmp/keys" >/dev/null || fail keygen
c=$("$BIN/vigilctl" provision -d "$tmp/keys" -s 127.0.0.1:$port -o "$tmp/cams") || fail provision
conf=$tmp/cams/$c/camera.conf

# the shipped camera: unknown options, refused before anything is sent
for aid in "--tamper 5" "--dup 3" --garbage --replay-hello --replay-hello=2; do
	"$BIN/vigil-cam" -c "$conf" -n 1 $aid >"$tmp/out" 2>&1 </dev/null
	rc=$?
	[ "$rc" -eq 2 ] || fail "vigil-cam $aid: exit $rc, not 2: $(head -2 "$tmp/out")"
	grep -q 'unrecognized option' "$tmp/out" || fail "vigil-cam $aid: $(head -2 "$tmp/out")"
	grep -q '^sent=' "$tmp/out" && fail "vigil-cam $aid ran"
done
"$BIN/vigil-cam" -h | grep -q -e '--tamper\|--dup\|--garbage\|--replay-hello' &&
	fail "vigil-cam -h lists a test aid"
[ -f "$tmp/cams/$c/state" ] && fail "a refused camera touched its counter state"

# the test build tampers, and the listener sees it
"$BIN/vigil-listener" -d "$tmp/keys" -l 127.0.0.1:$port >"$tmp/listener.out" 2>&1 &
lpid=$!
i=0
until grep -q listening "$tmp/listener.out"; do
	i=$((i + 1)); [ $i -gt 50 ] && fail "listener did not start"; sleep 0.1
done
timeout 60 "$CAMT" -c "$conf" -n 40 --fps 50 --tamper 5 >"$tmp/cam.out" 2>&1 ||
	{ cat "$tmp/cam.out"; fail "test camera"; }
sleep 0.5
kill -TERM "$lpid"; wait "$lpid"; lpid=""

val() { sed -n "s/^$2=//p" "$1" | head -1 | awk '{print $1}'; }
sent=$(sed -n 's/^sent=\([0-9]*\) .*/\1/p' "$tmp/cam.out")
tampered=$(sed -n 's/^aids: tampered=\([0-9]*\) .*/\1/p' "$tmp/cam.out")
L=$tmp/listener.out
echo "test camera sent $sent, tampered $tampered; listener bad_tag $(val "$L" bad_tag)" \
	"accepted $(val "$L" accepted)"
[ -n "$sent" ] && [ -n "$tampered" ] || { cat "$tmp/cam.out"; fail "no counters from the test camera"; }
[ "$tampered" -gt 0 ] || fail "nothing tampered"
[ "$tampered" -eq $(( sent / 5 )) ] || fail "tampered $tampered of $sent, want every 5th"
[ "$(val "$L" bad_tag)" -eq "$tampered" ] || fail "bad_tag $(val "$L" bad_tag), want $tampered"
[ "$(val "$L" accepted)" -eq $(( sent - tampered )) ] ||
	fail "accepted $(val "$L" accepted), want $(( sent - tampered ))"
echo "cam_aids: the shipped camera refuses the aids, the test build tampers"
