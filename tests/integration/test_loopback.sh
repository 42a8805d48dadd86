#!/bin/sh
# NAME
#	test_loopback.sh - cameras and listener over real UDP on 127.0.0.1
# DESCRIPTION
#	Provisions cameras into a temporary key directory, runs vigil-listener,
#	and checks its counters against what the cameras say they sent:
#	every datagram of a good camera accepted, a revoked camera counted as
#	revoked, tampered datagrams counted as bad tags, a replayed hello
#	counted as a replay. Every wait is bounded; loopback only.
set -u
BINDIR=${BINDIR:-bin}
# vigil-cam's test build: --tamper, --dup, --garbage, --replay-hello
CAMT=$(cd "${OUT:-build/default}/tests/tools" 2>/dev/null && pwd)/vigil_cam_test
[ -x "$CAMT" ] || { echo "no vigil_cam_test (make test-build)"; exit 77; }
tmp=$(mktemp -d /tmp/vigil-loopback.XXXXXX)
lpid=""
cleanup() { [ -n "$lpid" ] && kill "$lpid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT INT TERM
fail() { echo "FAIL: $*"; [ -f "$tmp/listener.out" ] && tail -30 "$tmp/listener.out"; exit 1; }

port=$(( 20000 + $$ % 20000 ))
keys=$tmp/keys cams=$tmp/cams
"$BINDIR/vigilctl" keygen -d "$keys" >/dev/null || fail keygen
good=$("$BINDIR/vigilctl" provision -d "$keys" -s 127.0.0.1:$port -o "$cams") || fail provision
bad=$("$BINDIR/vigilctl" provision -d "$keys" -s 127.0.0.1:$port -o "$cams") || fail provision
flood=$("$BINDIR/vigilctl" provision -d "$keys" -s 127.0.0.1:$port -o "$cams") || fail provision
dupc=$("$BINDIR/vigilctl" provision -d "$keys" -s 127.0.0.1:$port -o "$cams") || fail provision
gone=$("$BINDIR/vigilctl" provision -d "$keys" -s 127.0.0.1:$port -o "$cams") || fail provision
"$BINDIR/vigilctl" revoke -d "$keys" "$gone" "test" >/dev/null || fail revoke

"$BINDIR/vigil-listener" -d "$keys" -l 127.0.0.1:$port >"$tmp/listener.out" 2>&1 &
lpid=$!
i=0
until grep -q listening "$tmp/listener.out"; do
	i=$((i + 1)); [ $i -gt 50 ] && fail "listener did not start"; sleep 0.1
done

timeout 60 "$BINDIR/vigil-cam" -c "$cams/$good/camera.conf" -n 60 --fps 50 >"$tmp/good.out" || fail "good camera"
timeout 60 "$CAMT" -c "$cams/$bad/camera.conf" -n 60 --fps 50 --tamper 7 --replay-hello >"$tmp/bad.out" || fail "bad camera"
timeout 60 "$BINDIR/vigil-cam" -c "$cams/$gone/camera.conf" -n 10 --fps 50 >"$tmp/gone.out" || fail "revoked camera"
# a restarted camera continues its counters: same identity never reused
timeout 60 "$BINDIR/vigil-cam" -c "$cams/$good/camera.conf" -n 20 --fps 50 >"$tmp/good2.out" || fail "good camera again"
# a hello flood from one source: rate limited before any RSA work, data still flows
timeout 60 "$CAMT" -c "$cams/$flood/camera.conf" -n 30 --fps 50 --replay-hello=50 >"$tmp/flood.out" || fail "flood camera"
# every 3rd datagram sent twice: the copies are replays, dropped before any crypto
timeout 60 "$CAMT" -c "$cams/$dupc/camera.conf" -n 30 --fps 50 --dup 3 >"$tmp/dup.out" || fail "dup camera"
sleep 0.5
kill -TERM "$lpid"; wait "$lpid"; lpid=""

val() { sed -n "s/^$2=//p" "$1" | head -1 | awk '{print $1}'; }
sent_good=$(sed -n 's/^sent=\([0-9]*\).*/\1/p' "$tmp/good.out")
sent_good2=$(sed -n 's/^sent=\([0-9]*\).*/\1/p' "$tmp/good2.out")
sent_bad=$(sed -n 's/^sent=\([0-9]*\).*/\1/p' "$tmp/bad.out")
tampered=$(sed -n 's/.*tampered=\([0-9]*\).*/\1/p' "$tmp/bad.out")
sent_gone=$(sed -n 's/^sent=\([0-9]*\).*/\1/p' "$tmp/gone.out")
sent_flood=$(sed -n 's/^sent=\([0-9]*\).*/\1/p' "$tmp/flood.out")
acks=$(sed -n 's/.*acks=\([0-9]*\).*/\1/p' "$tmp/good.out")
sent_dup=$(sed -n 's/^sent=\([0-9]*\).*/\1/p' "$tmp/dup.out")
dups=$(sed -n 's/.* dups=\([0-9]*\).*/\1/p' "$tmp/dup.out")
L=$tmp/listener.out
echo "good sent $sent_good + $sent_good2, bad sent $sent_bad (tampered $tampered), revoked sent $sent_gone"
cat "$L" | grep '='

[ "$sent_good" -gt 60 ] || fail "good camera sent only $sent_good"
[ "$acks" -ge 1 ] || fail "good camera got no authenticated hello-ack"
# no amplification: a revoked (unauthenticated) sender is never answered
[ "$(sed -n 's/.*acks=\([0-9]*\).*/\1/p' "$tmp/gone.out")" -eq 0 ] || fail "revoked camera got a reply"
# the bad camera's hello copy is a replay: accepted = everything else it sent, minus tampered
want=$(( sent_good + sent_good2 + sent_bad - 1 - tampered + sent_flood - 50 + sent_dup ))
[ "$(val "$L" accepted)" -eq "$want" ] || fail "accepted $(val "$L" accepted), want $want"
limited=$(val "$L" hello_rate_limited)
[ "$limited" -ge 40 ] || fail "hello_rate_limited $limited, want most of the 50 copies"
[ $(( $(val "$L" replay) + limited )) -eq 51 ] || fail "replay $(val "$L" replay) + limited $limited, want 51"
# the dup camera's copies: each one counted replay_data, none accepted
[ "$dups" -gt 0 ] || fail "the dup camera sent no copies"
[ "$(val "$L" replay_data)" -eq "$dups" ] || fail "replay_data $(val "$L" replay_data), want $dups"
[ "$(val "$L" bad_tag)" -eq "$tampered" ] || fail "bad_tag $(val "$L" bad_tag), want $tampered"
[ "$tampered" -gt 0 ] || fail "nothing tampered"
# a revoked camera: its hello is refused, then its datagrams have no session (a new
# camera, it resent its hello while it waited for the ack of its first session)
gone_hellos=$(( 1 + $(sed -n 's/.* hello_resent=\([0-9]*\).*/\1/p' "$tmp/gone.out") ))
[ "$(val "$L" revoked)" -eq $gone_hellos ] || fail "revoked $(val "$L" revoked), want $gone_hellos"
[ "$(val "$L" no_session)" -eq $(( sent_gone - 1 )) ] || fail "no_session $(val "$L" no_session), want $(( sent_gone - 1 ))"
[ "$(val "$L" hello)" -eq 5 ] || fail "hello $(val "$L" hello), want 5"
[ "$(val "$L" malformed)" -eq 0 ] || fail "malformed $(val "$L" malformed)"
# counters resumed after the restart: the state file says the next counter
next=$(awk '{print $2 + 0}' "$cams/$good/state")
[ "$next" -eq $(( sent_good + sent_good2 )) ] || fail "state next=$next, want $(( sent_good + sent_good2 ))"
echo "loopback: all checks passed"
