#!/bin/sh
# NAME
#	test_cam_cookie.sh - vigil-cam answers the hello cookie, alone and
#	as a fleet
# DESCRIPTION
#	vigild (listener, writers, syncd) with hello_cookie = always: every
#	hello without a valid trailer is answered with a COOKIE. A vigil-cam
#	(testsrc, 3 s) and a fleet of three (--fleet 3) must each take the
#	COOKIE, resend the hello with the trailer, get their HELLO_ACK and
#	stream: the listener's hello_cookie_sent is at least one per camera,
#	every camera counts a cookie taken and none dropped, every day file
#	verifies, and every hello on disk, the server's and the camera's
#	store alike, is the signed hello alone (64 + W + S bytes: no
#	trailer). A new camera has no counter state, so it waits for its
#	first HELLO_ACK before it sends anything else (docs/PROTOCOL.md,
#	"Identity and counters"): nothing it sends finds no session, and
#	every day file holds all its camera sent, none missing.
set -u
BINDIR=${BINDIR:-bin}
BIN=$(cd "$BINDIR" && pwd)
. "$(dirname "$0")/../lib/vigil_server.sh"
vs_setup camcookie
c=$("$BIN/vigilctl" provision -d "$tmp/keys" -s 127.0.0.1:$port -o "$tmp/cams") || fail provision
vs_run syncd 2 <<CONF
hello_cookie = always
stage listener = $BIN/vigil-listener -d $tmp/keys -l 127.0.0.1:$port -r 100
stage writer = $BIN/vigil-writer -D $tmp/data
stage syncd = $BIN/vigil-syncd -D $tmp/data
CONF

timeout 60 "$BIN/vigil-cam" -c "$tmp/cams/$c/camera.conf" -n 30 --fps 10 --no-gpsd \
	--linger 20000 >"$tmp/cam.out" 2>&1 || { tail "$tmp/cam.out"; fail "vigil-cam"; }
timeout 60 "$BIN/vigil-cam" --fleet 3 -d "$tmp/keys" -o "$tmp/fleet" --server 127.0.0.1:$port \
	-n 30 --fps 10 --no-gpsd >"$tmp/fleet.out" 2>&1 || { tail "$tmp/fleet.out"; fail "fleet"; }
sleep 0.5
vs_status >"$tmp/status.out"
vs_stop
grep -v hello-ack "$tmp/cam.out"; grep -v hello-ack "$tmp/fleet.out"; grep '^listener' "$tmp/status.out"

# the listener asked every camera for a cookie; every camera took one and got its session
sent=$(tr ' ' '\n' <"$tmp/status.out" | sed -n 's/^hello_cookie_sent=\([0-9]*\)$/\1/p' | head -1)
[ "${sent:-0}" -ge 4 ] || fail "hello_cookie_sent ${sent:-0}, want one per camera (4)"
grep -q 'hello-ack session 0 status 0' "$tmp/cam.out" || fail "the camera got no HELLO_ACK"
grep -q ' cookies=[1-9][0-9]* cookies_dropped=0$' "$tmp/cam.out" || fail "the camera took no cookie"
grep -q '^fleet cameras=3 acked=3 ' "$tmp/fleet.out" || fail "$(grep '^fleet' "$tmp/fleet.out")"
[ "$(grep -c '^camera .* cookies=[1-9][0-9]* cookies_dropped=0$' "$tmp/fleet.out")" -eq 3 ] ||
	fail "a fleet camera took no cookie"

# what each camera sent is on disk and verifies
bits() { openssl pkey -in "$1" -pubin -noout -text 2>/dev/null | sed -n 's/.*(\([0-9]*\) bit.*/\1/p'; }
n=0
for d in "$tmp"/data/*/; do
	u=$(basename "$d")
	f=$(ls "$d"*.vgl)
	"$BIN/vigilctl" verify -d "$tmp/keys" "$f" >"$tmp/v.out" || { cat "$tmp/v.out"; fail "$u does not verify"; }
	stored=$(sed -n 's/^records \([0-9]*\),.*/\1/p' "$tmp/v.out")
	if [ "$u" = "$c" ]; then
		s=$(sed -n 's/^sent=\([0-9]*\) .*/\1/p' "$tmp/cam.out")
	else
		s=$(sed -n "s/^camera $u sent=\([0-9]*\) .*/\1/p" "$tmp/fleet.out")
	fi
	[ "$stored" -eq "$s" ] || fail "$u: stored $stored, sent $s"
	grep -q '^missing: none$' "$tmp/v.out" || fail "$u: $(grep '^missing' "$tmp/v.out")"
	# the stored hello is the signed hello: 64 + W (server key) + S (camera key) bytes
	want=$(( 64 + $(bits "$tmp/keys/server.pub") / 8 + $(bits "$tmp/keys/cameras/$u.pub") / 8 ))
	"$BIN/vigilctl" dump "$f" | awk '$2 == "hello"' >"$tmp/h.out"
	[ -s "$tmp/h.out" ] || fail "$u: no hello stored"
	grep -v " len=$want\$" "$tmp/h.out" && fail "$u: a stored hello is not $want bytes"
	n=$((n + 1))
done
[ "$n" -eq 4 ] || fail "$n cameras stored, want 4"
# the camera's own store keeps the signed hello alone too: records of 12 + 64 + W + S bytes
want=$(( 64 + $(bits "$tmp/keys/server.pub") / 8 + $(bits "$tmp/keys/cameras/$c.pub") / 8 ))
h=$(stat -c %s "$tmp/cams/$c/state.store/hellos")
[ "$h" -gt 0 ] && [ $(( h % (12 + want) )) -eq 0 ] || fail "the camera's stored hellos are $h bytes"
echo "cam_cookie: $sent cookies sent, 4 cameras through them, stored hellos $want bytes"
echo "cam_cookie: all checks passed"
