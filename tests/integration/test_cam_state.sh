#!/bin/sh
# NAME
#	test_cam_state.sh - a camera that lost its counter state never
#	reuses a counter
# DESCRIPTION
#	One camera streams a few seconds, stops, and starts again after
#	losing its counter state file in four ways: (a) deleted, its store
#	kept; (b) deleted with the store's segments, its confirmations kept;
#	(c) garbled (random bytes), and (d) truncated, each with the store
#	deleted too. Each restart must say why it does not trust its state,
#	and the day file must end with every datagram the camera sent once:
#	no gap, no duplicate, and nothing was dropped as a duplicate but
#	the first hello of a start that took a counter the server held
#	(never in (a); in (b) when the last report and bye were not yet
#	confirmed; always in (c) and (d)), after which the HELLO_ACK moved
#	the camera to a new session above everything the server has.
set -u
BINDIR=${BINDIR:-bin}
BIN=$(cd "$BINDIR" && pwd)
. "$(dirname "$0")/../lib/vigil_server.sh"
vs_setup camstate
vs_run syncd 2 <<CONF
index_days = 64
index_arena_mb = 8
stage listener = $BIN/vigil-listener -d $tmp/keys -l 127.0.0.1:$port
stage writer = $BIN/vigil-writer -D $tmp/data
stage indexer = $BIN/vigil-indexer -D $tmp/data -d $tmp/keys -r 200
stage syncd = $BIN/vigil-syncd -D $tmp/data -r 200
CONF
cam=$("$BIN/vigilctl" provision -d "$tmp/keys" -s 127.0.0.1:$port -o "$tmp/cams") || fail provision
state=$tmp/cams/$cam/state
total=0 reused=0

run() { # NAME: stream 2 s, wait for the server's confirmations, stop
	timeout 60 "$BIN/vigil-cam" -c "$tmp/cams/$cam/camera.conf" -n 20 --fps 10 --no-gpsd \
		--linger 5000 >"$tmp/$1.out" 2>&1 || fail "camera $1: $(tail -3 "$tmp/$1.out")"
	sent=$(sed -n 's/^sent=\([0-9]*\) .*/\1/p' "$tmp/$1.out")
	total=$((total + sent))
	reused=$((reused + $(sed -n 's/^counter: reopened=\([0-9]*\)$/\1/p' "$tmp/$1.out" | awk '{t += $1} END {print t + 0}')))
	sleep 0.5
	# the listener itself drops a hello on the counter of a session it holds
	[ "$(dups)" -le $reused ] ||
		fail "($1) the writer dropped $(dups) duplicates, more than the $reused hellos on a held counter"
}
dups() { vs_counter writer duplicates_total; }

run first
[ -s "$state" ] || fail "no state file after the first run"

# (a) the state file deleted, the store kept: resume above the store
rm -f "$state"
run a
grep -q "state .* missing" "$tmp/a.out" || fail "(a) no line about the missing state"
grep -q "counter resumes at [1-9][0-9]* .*above the store" "$tmp/a.out" || fail "(a) did not resume above the store"
grep -q "^counter: reopened" "$tmp/a.out" && fail "(a) needed the server's counter"

# (b) the state and the store's segments gone, its confirm log kept
rm -f "$state" "$state.store"/seg-*
run b
grep -q "counter resumes at [1-9][0-9]* .*above the store" "$tmp/b.out" || fail "(b) did not resume above the confirmed counters"

# (c) garbled, (d) truncated; the store deleted too: the server's ack alone knows
for k in c d; do
	if [ $k = c ]; then head -c 35 /dev/urandom >"$state"; else truncate -s 12 "$state"; fi
	rm -rf "$state.store"
	run $k
	grep -q "state .* garbled" "$tmp/$k.out" || fail "($k) no line about the garbled state"
	grep -q "^counter: reopened=1$" "$tmp/$k.out" || { cat "$tmp/$k.out"; fail "($k) no new session at the server counter"; }
done
sleep 1
vs_stop

day=$(ls "$tmp/data/$cam/"????-??-??.vgl)
# a first hello on a held counter that reached the writer is kept aside
# as a conflict (docs/STORAGE.md), never in the day: nothing else may be
conflict=${day%.vgl}.conflict.vgl
if [ -f "$conflict" ]; then
	"$BIN/vigilctl" dump "$conflict" >"$tmp/c.out" || fail "the conflict file is damaged"
	[ "$(grep -vc '^#' "$tmp/c.out")" -le $reused ] || fail "conflicts beyond the $reused reused hellos"
	[ "$(awk '!/^#/ && $2 != "hello"' "$tmp/c.out" | wc -l)" -eq 0 ] || fail "data kept aside as a conflict"
fi
"$BIN/vigilctl" verify -d "$tmp/keys" "$day" >"$tmp/v.out" || { cat "$tmp/v.out"; fail "day does not verify"; }
grep -q '^missing: none$' "$tmp/v.out" || fail "gaps: $(grep missing "$tmp/v.out")"
grep -q '^duplicates 0$' "$tmp/v.out" || fail "duplicates stored"
stored=$(sed -n 's/^records \([0-9]*\),.*/\1/p' "$tmp/v.out")
[ "$stored" -eq $((total - reused)) ] || fail "stored $stored, sent $total of which $reused hellos on a held counter"
# each garbled start's first hello took a held counter; its second one is stored
hellos=$("$BIN/vigilctl" dump "$day" | awk '$2 == "hello"' | wc -l)
[ "$hellos" -eq 5 ] || fail "$hellos stored hellos, want 5 (one per start)"
echo "cam_state: every datagram sent after a lost state is stored once ($stored records)"
