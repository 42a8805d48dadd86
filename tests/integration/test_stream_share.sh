#!/bin/sh
# NAME
#	test_stream_share.sh - the viewers of a day in counter order share
#	one table of points per streamer worker, and the tables are bounded
# DESCRIPTION
#	vigild runs the listener, writers, indexer, one streamer worker and
#	syncd. A camera streams through the test relay with an outage that
#	syncd fetches back, so the day file is out of counter order
#	(checked). Once syncd recorded the day complete:
#	- One viewer plays the day from its first capture at 4x in counter
#	  order to the end (then live); while it is connected the worker's
#	  metrics give the bytes of one table (order_table_bytes, with
#	  order_tables 1 and order_table_viewers 1).
#	- Eight viewers (tests/tools/wsview -n 8, until each received as
#	  many datagrams as the one viewer) play the same day at once:
#	  each receives every data counter of the file from the first one
#	  once, in increasing order, all verified; while all eight hold the
#	  table (order_table_viewers 8) the worker holds one table
#	  (order_tables 1) of the same bytes as for one viewer, not eight.
#	  When they leave, the table is freed (order_tables 0, bytes 0).
#	- A viewer that played the day to the end (holding its table) plays
#	  it again after the indexer was killed and came back (a new index
#	  generation): it moves to a table of the new generation, bringing
#	  its points, and gets every counter once in order; the worker then
#	  holds one table (the old one went with its last viewer).
#	- vigild is restarted with room for one and a half tables of this
#	  day in the streamer (-t, in bytes: one fits, two do not). A
#	  viewer plays the day in counter order and stays (live), holding
#	  its table; the indexer is killed and comes back; another viewer
#	  plays the day and needs a table of the new generation, which does
#	  not fit: it says "order":"counter", then "order":"file", and still
#	  receives every data counter of the file from the first one exactly
#	  once (in file order: out of counter order, checked), all verified.
#	No timing is asserted.
set -u
. "$(dirname "$0")/sync_setup.sh"
sync_viewer_needs
sync_setup share 53
sync_viewer_conf 57 "-w 1"
sync_start
sync_viewer_login
sync_outage_camera
sync_day_complete

metric() { curl -s "$api/metrics" | awk -v m="$1" 'index($1, "vigil_" m "{stage=\"streamer\"") == 1 {t += $2} END {print t + 0}'; }
# wait until metric $1 is $2 (bounded)
metric_is() {
	i=0
	until [ "$(metric "$1")" = "$2" ]; do
		i=$((i + 1)); [ $i -gt 200 ] && fail "$1 is $(metric "$1"), not $2"; sleep 0.05
	done
}

sync_file_counters
t0=$(sort -n -k2 "$tmp/file.txt" | awk 'NR == 1 { print $2 }')
play="0:{\"op\":\"play\",\"camera\":\"$c\",\"date\":\"$day\",\"from_ms\":$t0}"
[ "$(metric order_tables)" = 0 ] || fail "a table before any viewer"

# 1. one viewer: the bytes of one table
i=0
sync_view one -c "$play" -c "10:{\"op\":\"speed\",\"x\":4}"
until awk '/^T .*"mode":"live"/ { ok = 1 } END { exit !ok }' "$tmp/one.txt" 2>/dev/null; do
	i=$((i + 1)); [ $i -gt 1200 ] && fail "one: the recorded stream did not go on as live"; sleep 0.05
done
metric_is order_table_viewers 1
[ "$(metric order_tables)" = 1 ] || fail "one viewer: $(metric order_tables) tables"
one=$(metric order_table_bytes)
[ "$one" -gt 0 ] || fail "one viewer: no table bytes"
sync_view_live one
grep -q '"mode":"recorded".*"order":"counter"' "$tmp/one.txt" || fail "one: not in counter order"
sync_counter_order one "$tmp/file.txt"
n=$(wc -l <"$tmp/one.got")
echo "one viewer: $n datagrams in counter order, a table of $one bytes"
metric_is order_tables 0
[ "$(metric order_table_bytes)" = 0 ] || fail "the table was not freed with its viewer"

# 2. eight viewers of the same day at once
first=$(head -1 "$tmp/one.got") last=$(tail -1 "$tmp/one.got")
"$WSVIEW" -p $hport -t "$tok" -n 8 -c "$play" -c "10:{\"op\":\"speed\",\"x\":4}" \
	-e "$n" -d 80000 -o "$tmp/many.txt" >"$tmp/many.sum" &
wpid=$!
metric_is order_table_viewers 8
tables=$(metric order_tables) bytes=$(metric order_table_bytes)
[ "$tables" = 1 ] || fail "eight viewers of one day: $tables tables"
[ "$bytes" = "$one" ] || fail "eight viewers of one day: $bytes bytes of tables, one table is $one"
echo "eight viewers: $tables table of $bytes bytes"
wait "$wpid" || fail "many: viewer"
cat "$tmp/many.sum"
awk -v n="$n" -v f="$first" -v l="$last" '$1 == "conn" {
	k++
	if ($6 != n || $10 != n || $12 != 0 || $14 != 0 || $18 != f || $20 != l || $22 != 0) bad++
} END { exit bad || k != 8 }' "$tmp/many.sum" ||
	fail "many: a viewer did not get counters $first-$last ($n datagrams) once each, in order, verified"
metric_is order_tables 0
[ "$(metric order_table_bytes)" = 0 ] || fail "the shared table was not freed with its viewers"
echo "eight viewers: each $n datagrams $first-$last in counter order; the table freed after them"

pid_of() { VIGIL_SHM_PREFIX=$prefix "$BIN/vigilctl" status | awk -v s="$1" '$1 == s && $2 == 0 {print $3}'; }
# kill -9 the indexer: vigild restarts it, and it starts a new index generation
new_generation() {
	ip=$(pid_of indexer)
	kill -9 "$ip"
	i=0
	until [ "$(pid_of indexer)" != "$ip" ] && [ "$(pid_of indexer)" != 0 ] &&
	      curl -s "$api/metrics" | grep -q '^vigil_index_ready 1'; do
		i=$((i + 1)); [ $i -gt 200 ] && fail "the indexer did not come back"; sleep 0.05
	done
}
# Viewer $1 plays the day to the end (live), the indexer is killed and
# comes back (a new index generation), the viewer plays the day again
# and goes on as live again; it stays connected until replay_end $1.
replay_after_new_generation() {
	sync_view $1 -c "$play" -c "10:{\"op\":\"speed\",\"x\":4}" -c "@$tmp/$1.go:${play#0:}"
	i=0
	until awk '/^T .*"mode":"live"/ { ok = 1 } END { exit !ok }' "$tmp/$1.txt" 2>/dev/null; do
		i=$((i + 1)); [ $i -gt 1200 ] && fail "$1: the recorded stream did not go on as live"; sleep 0.05
	done
	metric_is order_tables 1
	new_generation
	touch "$tmp/$1.go"
	i=0
	until [ "$(grep -c '^T .*"mode":"live"' "$tmp/$1.txt")" -ge 2 ]; do
		i=$((i + 1)); [ $i -gt 1200 ] && { grep "^T" "$tmp/$1.txt"; fail "$1: the second play did not go on as live"; }
		sleep 0.05
	done
}
# the viewer leaves; what the second play sent: $1.got2
replay_end() {
	touch "$tmp/$1.quit"
	wait "$wpid" || fail "$1: viewer"
	awk '/^T .*"mode":"live"/ { if (again) exit; live = 1; next } live && /^T .*"mode":"recorded"/ { again = 1 }
		again && $1 == "D" { print $2 }' "$tmp/$1.txt" >"$tmp/$1.got2"
}

# 3. a new index generation: the viewer moves to a new table, the old one goes
replay_after_new_generation gen
[ "$(metric order_tables)" = 1 ] || fail "after a new index generation: $(metric order_tables) tables"
[ "$(metric order_table_viewers)" = 1 ] || fail "after a new index generation: $(metric order_table_viewers) references"
replay_end gen
cmp -s "$tmp/gen.got2" "$tmp/one.got" || { diff "$tmp/gen.got2" "$tmp/one.got" | head
	fail "gen: after a new index generation, not counters $first-$last once each in order"; }
metric_is order_tables 0
echo "new index generation: $(wc -l <"$tmp/gen.got2") datagrams in counter order from one table"

# 4. room for one table of the day, not two: file order, said, every datagram once
[ "$one" -gt 0 ] || fail "no table measured"
cap=$((one * 3 / 2))
sync_stop
sync_conf "" "-r 200" "index_days = 256" "index_arena_mb = 16" \
	"stage indexer = $BIN/vigil-indexer -D $tmp/data -d $tmp/keys -r 200" \
	"stage streamer = $BIN/vigil-streamer -l 127.0.0.1:$hport -D $tmp/data -d $tmp/keys -P $tmp/player -a $tmp/audit.log -w 1 -t $cap"
sync_start
sync_viewer_login
i=0
until curl -s "$api/metrics" | grep -q '^vigil_index_ready 1'; do
	i=$((i + 1)); [ $i -gt 200 ] && fail "the index is not ready"; sleep 0.05
done
# a viewer holds the table of the old generation
sync_view hold -c "$play" -c "10:{\"op\":\"speed\",\"x\":4}"
hold=$wpid
i=0
until awk '/^T .*"mode":"live"/ { ok = 1 } END { exit !ok }' "$tmp/hold.txt" 2>/dev/null; do
	i=$((i + 1)); [ $i -gt 1200 ] && fail "hold: the recorded stream did not go on as live"; sleep 0.05
done
awk '$1 == "D" { print $2 }' "$tmp/hold.txt" | cmp -s - "$tmp/one.got" ||
	fail "cap: one table did not fit: the first viewer was not in counter order"
metric_is order_tables 1
new_generation
# another viewer needs a table of the new generation: no room
sync_view cap -c "$play" -c "10:{\"op\":\"speed\",\"x\":4}"
sync_view_live cap
touch "$tmp/hold.quit"
wait "$hold" || fail "hold: viewer"
awk '/^T .*"order":"counter"/ { c = 1 } c && /^T .*"mode":"recorded".*"order":"file"/ { ok = 1 } END { exit !ok }' \
	"$tmp/cap.txt" || { grep '^T' "$tmp/cap.txt"; fail "cap: counter order then file order not said"; }
sort -n "$tmp/cap.got" >"$tmp/cap.sorted"
cmp -s "$tmp/cap.sorted" "$tmp/one.got" || { diff "$tmp/cap.sorted" "$tmp/one.got" | head
	fail "cap: not every counter $first-$last once"; }
cmp -s "$tmp/cap.got" "$tmp/one.got" && fail "cap: in counter order: the cap proved nothing"
grep -q 'no room for the points' "$tmp/vigild.log" || fail "cap: the streamer did not log the fallback"
echo "cap: one table fits, two do not: \"order\":\"file\", $(wc -l <"$tmp/cap.got") datagrams $first-$last once each, in file order"
sync_stop
echo "stream_share: all checks passed"
