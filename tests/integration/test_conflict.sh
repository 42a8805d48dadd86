#!/bin/sh
# NAME
#	test_conflict.sh - a counter that comes again with other content is
#	kept aside as a conflict, never dropped as a duplicate
# DESCRIPTION
#	A real vigild with the listener and one writer over loopback. A
#	camera (hello_probe) sends its hello and data, counters 0-20, in
#	session 0. The listener is restarted (it forgets which counters it
#	passed on, as after a crash; before each step below), and the day file is sent again byte
#	for byte, hello included: same session, so 21 duplicates and no
#	conflict. Then a second session, 5, sends counters 5-20 again (as a
#	camera that lost its counter would): other content under counters
#	the day holds. All 16 must be counted in conflicts_total, stored in
#	<day>.conflict.vgl (which dump and verify read), none counted as
#	appended, and the day file must be unchanged.
set -u
BINDIR=${BINDIR:-bin}
OUT=${OUT:-build/default}
BIN=$(cd "$BINDIR" && pwd)
PROBE=$OUT/tests/tools/hello_probe
REPLAY=$OUT/tests/tools/vgl_replay
. tests/lib/vigil_server.sh
[ -x "$PROBE" ] && [ -x "$REPLAY" ] || { echo "no test tools: make test-build first"; exit 77; }
vs_setup conflict
"$BIN/vigilctl" provision -d "$tmp/keys" -s 127.0.0.1:$port -o "$tmp/cams" >/dev/null || fail provision
c=$(ls "$tmp/cams")
vs_start 1
wait_for() { # STAGE NAME VALUE
	i=0
	until [ "$(vs_counter "$1" "$2")" -ge "$3" ]; do
		i=$((i + 1)); [ $i -gt 100 ] && { vs_status; fail "$1 $2 is $(vs_counter "$1" "$2"), want $3"; }
		sleep 0.1
	done
}
"$PROBE" -s 127.0.0.1:$port -C "$tmp/cams/$c" -c 0 -n 20 >"$tmp/p1.out" || { cat "$tmp/p1.out"; fail "session 0"; }
wait_for writer appended_total 21
day=$(ls "$tmp/data/$c" | grep '^....-..-..\.vgl$')
f=$tmp/data/$c/$day
sleep 0.3 # a sync
sum=$(sha256sum <"$f")

# the same session again, byte for byte: duplicates
VIGIL_SHM_PREFIX=$prefix "$BIN/vigilctl" restart listener >/dev/null || fail "restart listener"
sleep 1
"$REPLAY" -a "$f" 127.0.0.1:$port || fail replay
wait_for writer duplicates_total 20
[ "$(vs_counter writer conflicts_total)" = 0 ] || fail "a resend of the same session was taken for a conflict"

# another session over the same counters: conflicts (the listener
# restarted once more, for its own window of passed counters would drop
# them first)
VIGIL_SHM_PREFIX=$prefix "$BIN/vigilctl" restart listener >/dev/null || fail "restart listener"
sleep 1
"$PROBE" -s 127.0.0.1:$port -C "$tmp/cams/$c" -c 5 -n 15 >"$tmp/p2.out" || { cat "$tmp/p2.out"; fail "session 5"; }
wait_for writer conflicts_total 16
sleep 0.5
vs_status
[ "$(vs_counter writer conflicts_total)" = 16 ] || fail "conflicts_total $(vs_counter writer conflicts_total), want 16"
[ "$(vs_counter writer appended_total)" = 21 ] || fail "appended_total $(vs_counter writer appended_total), want 21: a conflict counted as stored"
[ "$(vs_counter writer duplicates_total)" = 20 ] || fail "duplicates_total $(vs_counter writer duplicates_total), want 20"
grep -q "counter 5: stored under session 0, came again under session 5 with other content" "$tmp/vigild.log" ||
	fail "the conflict was not logged"
vs_stop
[ "$(sha256sum <"$f")" = "$sum" ] || fail "the day file changed"
cf=$tmp/data/$c/${day%.vgl}.conflict.vgl
[ -f "$cf" ] || fail "no conflict file"
"$BIN/vigilctl" dump "$cf" >"$tmp/cdump.out" || { cat "$tmp/cdump.out"; fail "dump of the conflict file"; }
[ "$(grep -c ' counter=' "$tmp/cdump.out")" = 16 ] || { cat "$tmp/cdump.out"; fail "the conflict file does not hold 16 records"; }
"$BIN/vigilctl" verify -d "$tmp/keys" "$cf" >"$tmp/cverify.out" 2>&1
cat "$tmp/cverify.out"
grep -q '^present: 5-20$' "$tmp/cverify.out" || fail "the conflict file does not hold counters 5-20"
grep -q "^verified$" "$tmp/cverify.out" && grep -q 'hellos verified 1, failed 0; tags verified 15, failed 0' "$tmp/cverify.out" ||
	fail "the conflict file's datagrams do not verify"
"$BIN/vigilctl" verify -d "$tmp/keys" "$f" >"$tmp/verify.out" 2>&1 || { cat "$tmp/verify.out"; fail "the day file does not verify"; }
echo "conflict: all checks passed"
