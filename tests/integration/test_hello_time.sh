#!/bin/sh
# NAME
#	test_hello_time.sh - a hello's time is part of the evidence: no
#	session for a day its signed time does not bear out, none from the
#	future, no stale hello over the live session, no answer to a replay
# DESCRIPTION
#	Real UDP on loopback, vigild with a listener (window 120 s) and a
#	writer; tests/tools/hello_probe stands for the camera and for an
#	attacker holding its key or its hellos. The genuine camera opens
#	session 10 from 127.0.0.2 and sends 5 datagrams. Then, each from its
#	own address, each sent every second, answered by no HELLO_ACK and
#	counted once a copy: the genuine hello byte for byte from another
#	address (hello_replay, no RSA check: hello_verify does not move), a
#	hello 10 minutes old with the higher session 200 (stale, never
#	current), a hello dated 30 days back with today's time (hello_date),
#	hellos 10 minutes and 400 days ahead (hello_future). The genuine
#	camera's session is still current: a copy of its hello from its own
#	address is answered and its data lands; a copy from a new address (a
#	NAT mapping that moved) is answered only after the session's data
#	came from there. No day file exists for a refused hello's day, and
#	the day file verifies.
set -u
BINDIR=${BINDIR:-bin}
OUT=${OUT:-build/default}
BIN=$(cd "$BINDIR" && pwd)
PROBE=$OUT/tests/tools/hello_probe
. tests/lib/vigil_server.sh
[ -x "$PROBE" ] || { echo "no $PROBE: make test-build first"; exit 77; }
# a test near UTC midnight would see its days move under it
s=$(( $(date -u +%s) % 86400 ))
[ $s -gt 900 ] && [ $s -lt 86100 ] || { echo "too close to UTC midnight"; exit 77; }
vs_setup hellotime
"$BIN/vigilctl" provision -d "$tmp/keys" -s 127.0.0.1:$port -o "$tmp/cams" >/dev/null ||
	fail provision
cam=$(ls "$tmp/cams")
ctr() { vs_counter listener "$1"; }
probe() { "$PROBE" -s 127.0.0.1:$port -C "$tmp/cams/$cam" "$@"; }
day() { date -u -d "@$(( $(date -u +%s) + $1 * 86400 ))" +%F; }
drained() {
	i=0
	until vs_status | grep -q 'depth 0,'; do
		i=$((i + 1)); [ $i -gt 100 ] && fail "ring did not drain"; sleep 0.1
	done
	sleep 0.3
}
# refused CASE [probe option...]: no HELLO_ACK reaches the probe's address
refused() {
	what=$1
	shift
	probe -e -t 2 "$@" >"$tmp/$what.out"
	rc=$?
	cat "$tmp/$what.out"
	[ $rc -eq 0 ] || fail "$what: a HELLO_ACK reached the sender ($(cat "$tmp/$what.out"))"
}
vs_start 1
gport=$((port + 1)) # the genuine camera's source port, kept as a camera keeps its socket

# the genuine camera: session 10, 5 datagrams (11..15)
probe -b 127.0.0.2:$gport -c 10 -n 5 -w "$tmp/genuine.hello" -t 5 >"$tmp/genuine.out" ||
	{ cat "$tmp/genuine.out"; fail "the genuine camera got no HELLO_ACK"; }
grep -q 'session=10 ' "$tmp/genuine.out" || fail "no HELLO_ACK of session 10"
drained
[ "$(ctr hello)" = 1 ] || fail "sessions opened: $(ctr hello), want 1"

# each refused hello is counted by its cause, once per copy sent
tries() { sed -n 's/^no_ack_expected tries=\([0-9]*\) .*/\1/p' "$tmp/$1.out"; }
# 1. the genuine hello byte for byte from another address: no RSA, no answer
v0=$(ctr hello_verify)
refused replay -b 127.0.0.6 -H "$tmp/genuine.hello"
[ "$(ctr hello_replay)" = "$(tries replay)" ] ||
	fail "hello_replay is $(ctr hello_replay), want $(tries replay), the copies"
[ "$(ctr hello_verify)" = "$v0" ] ||
	fail "a replay of a verified hello cost RSA checks: hello_verify $v0 -> $(ctr hello_verify)"
# 2. 10 minutes old, with a higher session than the live one: never current
s0=$(ctr stale)
refused stale -b 127.0.0.5 -c 200 -a 600000
[ $(( $(ctr stale) - s0 )) = "$(tries stale)" ] ||
	fail "stale went $s0 -> $(ctr stale), want every copy of the old hello ($(tries stale))"
# 3. a date the signed time does not bear out: 30 days back, camera time now
refused date -b 127.0.0.3 -c 100 -D -30
[ "$(ctr hello_date)" = "$(tries date)" ] ||
	fail "hello_date is $(ctr hello_date), want $(tries date), the refused hellos"
# 4. ahead of the server's clock: 10 minutes, and 400 days (its own date)
refused future -b 127.0.0.4 -c 300 -a -600000
refused future400 -b 127.0.0.4 -c 301 -a -34560000000
[ "$(ctr hello_future)" = $(( $(tries future) + $(tries future400) )) ] ||
	fail "hello_future is $(ctr hello_future), want every copy of both"
[ "$(ctr hello)" = 1 ] || fail "sessions opened: $(ctr hello), want only the genuine one"

# the genuine session is still current: a copy of its hello from its own
# address is answered (its ack was lost), and its data (16..20) lands
probe -b 127.0.0.2:$gport -H "$tmp/genuine.hello" -n 5 -f 16 -t 5 >"$tmp/again.out" ||
	{ cat "$tmp/again.out"; fail "the genuine session is no longer current: its hello unanswered"; }
# its NAT mapping moved: the hello from there is answered once data came from there (21..23)
probe -b 127.0.0.7 -H "$tmp/genuine.hello" -m -n 3 -f 21 >"$tmp/moved.out"
rc=$?
cat "$tmp/moved.out"
[ $rc -eq 0 ] || fail "moved address: want no answer to the hello, the ack after the data"
drained
vs_status | tee "$tmp/status.out"
[ "$(ctr data)" = 13 ] || fail "data accepted: $(ctr data), want 13"
[ "$(ctr hello)" = 1 ] || fail "sessions opened: $(ctr hello), want 1"
vs_stop

# no day file for a refused hello's day; the genuine day verifies
for d in $(day -30) $(day 400); do
	[ -e "$tmp/data/$cam/$d.vgl" ] && fail "a day file exists for the refused day $d"
done
ls "$tmp/data/$cam"
[ "$(ls "$tmp/data/$cam" | grep -c '\.vgl$')" = 1 ] || fail "want one day file, today's"
f=$tmp/data/$cam/$(day 0).vgl
"$BIN/vigilctl" dump "$f" >"$tmp/dump.out" || fail dump
[ "$(awk '$2 == "data"' "$tmp/dump.out" | wc -l)" = 13 ] || fail "want 13 stored data datagrams"
"$BIN/vigilctl" verify -d "$tmp/keys" "$f" >"$tmp/v.out"
rc=$?
cat "$tmp/v.out"
[ $rc -eq 0 ] || fail "the day file does not verify"
echo "PASS"
