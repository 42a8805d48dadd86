#!/bin/sh
# NAME
#	test_stream_fallback.sh - recorded playback in file order while the
#	index is not ready, and from where the index and the file disagree
# DESCRIPTION
#	First a day with a backfilled outage, as in test_stream_order.sh:
#	vigild with the indexer and syncd, a camera through the test relay
#	(5 s good, 6 s outage, then good while syncd fetches the outage
#	back), until syncd records the day complete. The file holds the
#	backfilled stretch after datagrams captured later (checked).
#	Then vigild again with the streamer and, as its indexer,
#	tests/tools/idxscan, which indexes the file once:
#	- never marking the index ready (an indexer in its start-up scan,
#	  for as long as the test runs): playing the day from before the
#	  outage says "order":"file" and sends the file's data datagrams in
#	  file order from the first one sent, each once, to the end, then
#	  goes on as live;
#	- ready, with the record of counter A indexed at the offset of the
#	  record before it (A: the last live record that the file holds
#	  right after a backfilled one, so a run start): playback starts in
#	  counter order, says "order":"file" when it looks for A, and goes
#	  on in file order from the record after A-1, without the counters
#	  below A that the file holds further on (sent already): what it
#	  sends is exactly the counters below A in counter order, then the
#	  file's counters from A on in file order, each once, then live.
#	No timing is asserted.
set -u
. "$(dirname "$0")/sync_setup.sh"
sync_viewer_needs
IDXSCAN=$(cd "$OUT/tests/tools" 2>/dev/null && pwd)/idxscan
[ -x "$IDXSCAN" ] || { echo "idxscan not built ($IDXSCAN)"; exit 77; }
sync_setup fallback 61
sync_viewer_conf 67 "-w 1"
sync_start
sync_viewer_login
sync_outage_camera
sync_day_complete
sync_stop

sync_file_counters
t0=$(sort -n -k2 "$tmp/file.txt" | awk 'NR == 1 { print $2 }')
t=$((t0 + 2000))

# vigild with idxscan ARGS as its indexer; the streamer as before
scan_run() {
	sync_conf "" "-r 200" "index_days = 256" "index_arena_mb = 16" \
		"stage indexer = $IDXSCAN -D $tmp/data $*" \
		"stage streamer = $BIN/vigil-streamer -l 127.0.0.1:$hport -D $tmp/data -d $tmp/keys -P $tmp/player -a $tmp/audit.log -w 1"
	n0=$(grep -c 'idxscan: 1 day files indexed' "$tmp/vigild.log")
	sync_start
	i=0
	until [ "$(grep -c 'idxscan: 1 day files indexed' "$tmp/vigild.log")" -gt "$n0" ]; do
		i=$((i + 1)); [ $i -gt 100 ] && fail "idxscan did not index the day"; sleep 0.1
	done
	sync_viewer_login
}
# play the day from t at 4x until live: the viewer's lines in $tmp/$1.txt
play() {
	sync_view "$1" -c "0:{\"op\":\"play\",\"camera\":\"$c\",\"date\":\"$day\",\"from_ms\":$t}" \
		-c "0:{\"op\":\"speed\",\"x\":4}"
	sync_view_live "$1"
	sort -n "$tmp/$1.got" | uniq -d | head -3 | grep . && fail "$1: counters received twice"
	return 0
}

# 1. the index is never ready: file order
scan_run
play notready
grep '^T .*"type":"state"' "$tmp/notready.txt" | grep -v '"order":"file"' && fail "a state says counter order before the index is ready"
first=$(head -1 "$tmp/notready.got")
awk -v a="$first" '$1 == a { on = 1 } on { print $1 }' "$tmp/file.txt" >"$tmp/notready.want"
cmp -s "$tmp/notready.want" "$tmp/notready.got" ||
	{ diff "$tmp/notready.want" "$tmp/notready.got" | head; fail "not ready: datagrams not the file's from counter $first on, in file order"; }
sort -n "$tmp/notready.want" | cmp -s - "$tmp/notready.want" && fail "not ready: the file from counter $first on is in counter order: nothing proved"
echo "not ready: $(wc -l <"$tmp/notready.got") datagrams in file order from counter $first, each once, then live"
sync_stop

# 2. index and file disagree at A, the last live record stored right after a backfilled one
a=$(awk 'NR > 1 && $1 > max && prev < $1 - 1 && prev < max { a = $1 }
	{ if ($1 > max) max = $1; prev = $1 } END { print a + 0 }' "$tmp/file.txt")
[ "$a" -gt 0 ] || fail "no live record after a backfilled record in the file"
scan_run -R -m "$a" -n 1
play disagree
awk '/^T .*"mode":"recorded".*"order":"counter"/ { c = 1 } c && /^T .*"mode":"recorded".*"order":"file"/ { f = 1 }
	END { exit !f }' "$tmp/disagree.txt" || { grep '^T' "$tmp/disagree.txt"; fail "counter order did not fall back to file order at $a"; }
first=$(head -1 "$tmp/disagree.got")
{
	awk -v f="$first" -v a="$a" '$1 >= f && $1 < a { print $1 }' "$tmp/file.txt" | sort -n
	awk -v a="$a" '$1 == a - 1 { on = 1; next } on && $1 >= a { print $1 }' "$tmp/file.txt"
} >"$tmp/disagree.want"
cmp -s "$tmp/disagree.want" "$tmp/disagree.got" ||
	{ diff "$tmp/disagree.want" "$tmp/disagree.got" | head; fail "disagree: not the counters below $a in counter order, then the file's from $a on in file order"; }
awk -v a="$a" '$1 == a - 1 { on = 1; next } on && $1 < a { n++ } END { exit !n }' "$tmp/file.txt" ||
	fail "the file holds no counter below $a after $((a - 1)): the fallback proves nothing"
echo "disagree: counter order from $first to $((a - 1)), then file order from $a, each once, then live"
sync_stop
echo "stream_fallback: all checks passed"
