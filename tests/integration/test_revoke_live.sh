#!/bin/sh
# NAME
#	test_revoke_live.sh - revoking a streaming camera ends its session
# DESCRIPTION
#	vigild (listener, two writers) and two cameras streaming. Camera A is
#	revoked while it streams: the listener ends its session (counted
#	revoked_live), and from then on nothing more of A reaches its day
#	file although A keeps sending, while camera B goes on being stored.
#	A restarted listener does not bring A's session back from the
#	shared session table. Then the same with the registry not watched
#	(-W, as for a registry changed from another machine): the sweep
#	finds B's revocation while C goes on. Every day file verifies.
set -u
BINDIR=${BINDIR:-bin}
BIN=$(cd "$BINDIR" && pwd)
. "$(dirname "$0")/../lib/vigil_server.sh"
vs_setup revoke
a=$("$BIN/vigilctl" provision -d "$tmp/keys" -s 127.0.0.1:$port -o "$tmp/cams") || fail provision
b=$("$BIN/vigilctl" provision -d "$tmp/keys" -s 127.0.0.1:$port -o "$tmp/cams") || fail provision
c=$("$BIN/vigilctl" provision -d "$tmp/keys" -s 127.0.0.1:$port -o "$tmp/cams") || fail provision
size() { stat -c %s "$tmp/data/$1/$(date -u +%F).vgl" 2>/dev/null || echo 0; }
wait_for() { # LISTENER-COUNTER MIN
	i=0
	until [ "$(vs_counter listener "$1")" -ge "$2" ] 2>/dev/null; do
		i=$((i + 1)); [ $i -gt 150 ] && fail "$1 stayed at $(vs_counter listener "$1"), want $2"; sleep 0.1
	done
}
cam() { # UUID
	timeout 60 "$BIN/vigil-cam" -c "$tmp/cams/$1/camera.conf" -n 240 --fps 20 --no-gpsd \
		>"$tmp/$1.out" 2>&1 &
	pids="$pids $!"
}
phase() { # WATCH-OPTION REVOKED OTHER
	vs_start 2 "$1"
	cam "$2"
	cam "$3"
	wait_for accepted 100
	"$BIN/vigilctl" revoke -d "$tmp/keys" "$2" "stolen" >/dev/null || fail revoke
	wait_for revoked_live 1
	sleep 0.5 # what the writers held when the session ended
	r0=$(size "$2") o0=$(size "$3") n0=$(vs_counter listener no_session)
	sleep 2
	r1=$(size "$2") o1=$(size "$3") n1=$(vs_counter listener no_session)
	echo "revoked camera: $r0 -> $r1 bytes, other camera: $o0 -> $o1, no_session $n0 -> $n1"
	[ "$r1" -eq "$r0" ] || fail "the revoked camera's file grew after its session ended"
	[ "$r0" -gt 0 ] || fail "nothing of the revoked camera was stored before"
	[ "$o1" -gt "$o0" ] || fail "the other camera stopped being stored"
	[ "$n1" -gt "$n0" ] || fail "the revoked camera's datagrams were not counted no_session"
}

phase "" "$a" "$b"
# a restarted listener restores B's session, not A's
VIGIL_SHM_PREFIX=$prefix "$BIN/vigilctl" restart listener >/dev/null || fail "restart listener"
sleep 1
r0=$(size "$a") o0=$(size "$b")
sleep 1.5
r1=$(size "$a") o1=$(size "$b")
echo "after a listener restart: revoked $r0 -> $r1, other $o0 -> $o1"
[ "$r1" -eq "$r0" ] || fail "a restarted listener stored the revoked camera again"
[ "$o1" -gt "$o0" ] || fail "a restarted listener lost the other camera's session"
for p in $pids; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
pids=""
vs_stop

phase "-W" "$b" "$c"
for p in $pids; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
pids=""
vs_stop
for u in "$a" "$b" "$c"; do
	"$BIN/vigilctl" verify -d "$tmp/keys" "$tmp/data/$u/$(date -u +%F).vgl" >"$tmp/verify.out" 2>&1 ||
		{ cat "$tmp/verify.out"; fail "verify $u"; }
done
echo "revoke_live: all checks passed"
