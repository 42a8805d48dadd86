#!/bin/sh
# NAME
#	test_stream_resume.sh - a paused live stream resumes in counter
#	order, through a stretch backfilled while it was paused
# DESCRIPTION
#	vigild runs the listener, writers, indexer, streamer and syncd. A
#	camera (one keyframe a second) streams through the test relay: a
#	good link for 5 s, an outage of 6 s, then a good link while syncd
#	fetches the outage back beside the live datagrams, so the day file
#	holds the backfilled stretch after datagrams captured later.
#	A viewer (tests/tools/wsview) goes live as soon as the day file
#	exists and pauses at its first datagram, before the outage. Once
#	syncd recorded the day complete, it resumes at 4x. Then:
#	- the resumed stream says "order":"counter", and becomes live again
#	  at the end;
#	- every datagram it received, live before the pause and recorded
#	  after it, came in strictly increasing counter order, verified,
#	  none skipped, and their counters are exactly the file's data
#	  counters from the first one received to the end: each once, no
#	  hole, the backfilled stretch where it was captured;
#	- the file holds those counters out of order (so the test proves
#	  something), and the pause came before the backfilled stretch.
#	The pause and resume follow events (files the viewer waits for),
#	not times; no timing is asserted.
set -u
. "$(dirname "$0")/sync_setup.sh"
sync_viewer_needs
sync_setup resume 53
sync_viewer_conf 57 "-w 1"
sync_start
sync_viewer_login
sync_outage_camera
i=0
until ls "$tmp/data/$c/"*.vgl >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "no day file"; sleep 0.05
done
sync_view view -c "0:{\"op\":\"live\",\"camera\":\"$c\"}" -c "@$tmp/pause:{\"op\":\"pause\"}" \
	-c "@$tmp/resume:{\"op\":\"speed\",\"x\":4}" -c "@$tmp/resume:{\"op\":\"resume\"}"
i=0
until grep -q '^D ' "$tmp/view.txt" 2>/dev/null; do
	i=$((i + 1)); [ $i -gt 200 ] && fail "no live datagram"; sleep 0.05
done
touch "$tmp/pause"
i=0
until grep -q '"mode":"paused"' "$tmp/view.txt"; do
	i=$((i + 1)); [ $i -gt 200 ] && fail "the viewer did not pause"; sleep 0.05
done
sync_day_complete
touch "$tmp/resume"
sync_view_live view

"$BIN/vigilctl" dump "$tmp/data/$c/$day.vgl" |
	awk '$2 == "data" { for (i = 3; i <= NF; i++) if ($i ~ /^counter=/) print substr($i, 9) }' >"$tmp/file.txt"
[ -s "$tmp/file.txt" ] || fail "no data records in the day file"
grep -q '^T .*"mode":"recorded".*"order":"counter"' "$tmp/view.txt" ||
	{ grep '^T' "$tmp/view.txt"; fail "the resumed stream does not say counter order"; }
sync_counter_order view "$tmp/file.txt"
# the pause came before the backfilled stretch: it was sent after the resume
set -- $(awk '$1 == "late" && $3 - $2 > n { n = $3 - $2; a = $2; b = $3 } END { print a + 0, b + 0 }' "$tmp/data/$c/$day.sync")
lo=$1 hi=$2
[ "$hi" -gt "$lo" ] || fail "syncd recorded no backfilled run"
paused=$(awk '/^T .*"mode":"paused"/ { print last + 0; exit } $1 == "D" { last = $2 }' "$tmp/view.txt")
[ "$paused" -lt "$lo" ] || fail "paused at counter $paused, not before the backfilled stretch $lo-$hi"
echo "resume: paused after counter $paused, $(wc -l <"$tmp/view.got") datagrams from counter $first in counter order (backfilled $lo-$hi), each once, live again"
sync_stop
sync_check_day "$day"
echo "stream_resume: all checks passed"
