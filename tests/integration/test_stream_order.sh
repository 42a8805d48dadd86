#!/bin/sh
# NAME
#	test_stream_order.sh - recorded playback follows the counters, not
#	the order of the file, through a backfilled outage
# DESCRIPTION
#	vigild runs the listener, writers, indexer, streamer and syncd. A
#	camera (one keyframe a second) streams through the test relay: a
#	good link for 5 s, an outage of 6 s, then a good link while syncd
#	fetches the outage back (syncd -r 200, beside the live datagrams).
#	The backfilled stretch is stored after datagrams captured later, so
#	the day file is out of counter order (checked, so that the test
#	proves something). Once syncd recorded the day complete:
#	- Playing the day from before the outage at 4x (tests/tools/wsview)
#	  says "order":"counter", receives the datagrams in strictly
#	  increasing counter order, every one verified, and their counters
#	  are exactly the file's data counters from the first one received
#	  to the end: the backfilled stretch plays where it belongs, once.
#	  At the end the stream goes on as live.
#	- Playing from a time in the middle of the backfilled stretch starts
#	  at the latest keyframe captured at or before it (which the file
#	  holds after datagrams captured later) and goes on in counter order.
#	No timing is asserted.
set -u
. "$(dirname "$0")/sync_setup.sh"
sync_viewer_needs
sync_setup order 43
sync_viewer_conf 47 "-w 1"
sync_start
sync_viewer_login
sync_outage_camera
sync_day_complete

# the file: data records in file order (counter, keyframe first fragment, capture)
"$BIN/vigilctl" dump "$tmp/data/$c/$day.vgl" | awk '$2 == "data" {
	c = -1; k = 0; t = 0; f = ""; s = ""
	for (i = 3; i <= NF; i++) {
		if ($i ~ /^counter=/) c = substr($i, 9)
		else if ($i ~ /^frag=/) f = substr($i, 6)
		else if ($i == "key") k = 1
		else if ($i ~ /^capture=/) t = substr($i, 9)
		else if ($i ~ /^stream=/) s = substr($i, 8)
	}
	print c, (k && s == 0 && f ~ /^0\//) ? 1 : 0, t
}' >"$tmp/file.txt"
[ -s "$tmp/file.txt" ] || fail "no data records in the day file"
awk '$1 < max { back++ } $1 > max { max = $1 } END { print back + 0 }' "$tmp/file.txt" >"$tmp/back"
[ "$(cat "$tmp/back")" -gt 0 ] || fail "the day file is in counter order: nothing backfilled later in it"
echo "file: $(wc -l <"$tmp/file.txt") data records, $(cat "$tmp/back") stored after a larger counter"

# 1. the whole day from before the outage, at 4x
t0=$(sort -n -k3 "$tmp/file.txt" | awk 'NR == 1 { print $3 }')
t=$((t0 + 2000))
sync_view play -c "0:{\"op\":\"play\",\"camera\":\"$c\",\"date\":\"$day\",\"from_ms\":$t}" \
	-c "10:{\"op\":\"speed\",\"x\":4}"
sync_view_live play
grep -q '"mode":"recorded".*"order":"counter"' "$tmp/play.txt" || { grep '^T' "$tmp/play.txt"; fail "recorded playback does not say counter order"; }
sync_counter_order play "$tmp/file.txt"
echo "play: $(wc -l <"$tmp/play.got") datagrams from counter $first in counter order, each once, then live"

# 2. from a time in the middle of the backfilled stretch
set -- $(awk '$1 == "late" && $3 - $2 > n { n = $3 - $2; a = $2; b = $3 } END { print a + 0, b + 0 }' "$tmp/data/$c/$day.sync")
lo=$1 hi=$2
[ "$hi" -gt "$lo" ] || fail "syncd recorded no backfilled run"
# the data counter at or after the middle (a record of another type may hold the middle one)
set -- $(awk -v m=$(( (lo + hi) / 2 )) -v hi="$hi" '$1 >= m && $1 <= hi && (c == "" || $1 < c) { c = $1; t = $3 }
	END { print c, t }' "$tmp/file.txt")
mid=${1:-} t=${2:-}
[ -n "$t" ] || fail "no data counter in the second half of $lo-$hi in the file"
kf=$(awk -v t="$t" '$2 == 1 && $3 <= t && $3 >= best { best = $3; c = $1 } END { print c }' "$tmp/file.txt")
[ -n "$kf" ] || fail "no keyframe at or before $t"
"$WSVIEW" -p $hport -t "$tok" -c "0:{\"op\":\"play\",\"camera\":\"$c\",\"date\":\"$day\",\"from_ms\":$t}" \
	-d 1500 -o "$tmp/seek.txt" >"$tmp/seek.sum" || fail viewer
awk -v t="$t" -v kf="$kf" '$1 == "D" { if ($2 != kf || $8 != 1 || $4 !~ /^0\// || $9 > t) bad = 1; n++; exit }
	END { exit bad || !n }' "$tmp/seek.txt" ||
	{ head -4 "$tmp/seek.txt"; fail "seek to $t did not start at keyframe $kf, the latest at or before it"; }
awk -v kf="$kf" '$1 > kf && !seen { after = 1 } $1 == kf { seen = 1 } END { exit !after }' "$tmp/file.txt" ||
	fail "keyframe $kf is not stored after a larger counter: the seek proves nothing"
awk '$1 == "D" { if (n && $2 <= last) bad = 1; last = $2; n++ } END { exit bad || n < 2 }' "$tmp/seek.txt" ||
	fail "after the seek, datagrams not in increasing counter order"
awk '$1 == "conn" && $10 == $6 && $12 == 0 {ok = 1} END {exit !ok}' "$tmp/seek.sum" || fail "seek: datagrams unverified"
echo "seek: from counter $mid (backfilled $lo-$hi) at keyframe $kf"
sync_stop
sync_check_day "$day"
echo "stream_order: all checks passed"
