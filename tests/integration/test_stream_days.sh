#!/bin/sh
# NAME
#	test_stream_days.sh - a camera with 700 stored days: live is on the
#	newest, and recorded playback goes on with the next day
# DESCRIPTION
#	A camera records 30 frames (vs_record_day); its day file is then
#	linked under the 699 dates before it as well. vigild runs the
#	streamer with tests/tools/idxscan -R as its indexer, which indexes
#	each file under the date of its name: 700 days of one camera,
#	more than the 512 the streamer once asked the index for. Then:
#	- live starts on the newest day (the audit log names it);
#	- playing the day before the newest from its first keyframe at 4x
#	  sends that day's data counters in counter order, goes on with
#	  the newest day (the file's data counters again, all of them, in
#	  counter order), and then goes on as live. The linked days'
#	  datagrams carry the newest day's date, so of the two days only
#	  the newest's verify with the frame keys the streamer sends.
#	No timing is asserted.
set -u
BINDIR=${BINDIR:-bin}
OUT=${OUT:-build/default}
BIN=$(cd "$BINDIR" && pwd)
. "$(dirname "$0")/../lib/vigil_server.sh"
WSVIEW=$(cd "$OUT/tests/tools" 2>/dev/null && pwd)/wsview
IDXSCAN=$(cd "$OUT/tests/tools" 2>/dev/null && pwd)/idxscan
[ -x "$WSVIEW" ] && [ -x "$IDXSCAN" ] || { echo "wsview or idxscan not built in $OUT/tests/tools"; exit 77; }
[ -x "$BIN/vigil-streamer" ] || { echo "vigil-streamer not built"; exit 77; }
command -v curl >/dev/null || { echo "curl missing"; exit 77; }
vs_setup days
vs_record_day 30
newest=$(basename "$day" .vgl)
i=1
while [ $i -lt 700 ]; do
	ln "$day" "$tmp/data/$cam/$(date -u -d "$newest - $i days" +%F).vgl" || fail "link day $i"
	i=$((i + 1))
done
before=$(date -u -d "$newest - 1 day" +%F)
[ "$(ls "$tmp/data/$cam" | grep -c '\.vgl$')" = 700 ] || fail "700 day files wanted"

echo pw | "$BIN/vigilctl" user add -d "$tmp/keys" alice --cameras all >/dev/null || fail "user add"
mkdir -p "$tmp/player"
echo '<!doctype html><title>vigil</title>' >"$tmp/player/index.html"
hport=$(( 40000 + ($$ + 71) % 20000 ))
vs_run streamer 1 <<CONF
index_days = 2048
index_arena_mb = 64
stage listener = $BIN/vigil-listener -d $tmp/keys -l 127.0.0.1:$port
stage writer = $BIN/vigil-writer -D $tmp/data
stage indexer = $IDXSCAN -D $tmp/data -R
stage streamer = $BIN/vigil-streamer -l 127.0.0.1:$hport -D $tmp/data -d $tmp/keys -P $tmp/player -a $tmp/audit.log -w 1
CONF
i=0
until grep -q 'idxscan: 700 day files indexed, ready' "$tmp/vigild.log"; do
	i=$((i + 1)); [ $i -gt 200 ] && fail "idxscan did not index 700 days"; sleep 0.1
done
i=0
until curl -s -o /dev/null "http://127.0.0.1:$hport/"; do
	i=$((i + 1)); [ $i -gt 50 ] && fail "streamer did not start"; sleep 0.1
done
tok=$(curl -s -X POST -d '{"user":"alice","password":"pw"}' "http://127.0.0.1:$hport/api/login" |
	sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
[ -n "$tok" ] || fail login

# 1. live: the newest day
"$WSVIEW" -p $hport -t "$tok" -c "0:{\"op\":\"live\",\"camera\":\"$cam\"}" -d 1000 -o "$tmp/live.txt" >/dev/null ||
	fail "live viewer"
grep -q '^T .*"mode":"live"' "$tmp/live.txt" || { grep '^T' "$tmp/live.txt"; fail "no live stream"; }
grep -q " live camera=$cam date=" "$tmp/audit.log" || fail "no live line in the audit log"
got=$(sed -n "s/.* live camera=$cam date=\([0-9-]*\) .*/\1/p" "$tmp/audit.log")
[ "$got" = "$newest" ] || fail "live started on $got, not on the newest day $newest"

# 2. the day before the newest, then the newest, then live
"$BIN/vigilctl" dump "$day" |
	awk '$2 == "data" { for (i = 3; i <= NF; i++) if ($i ~ /^counter=/) print substr($i, 9) }' |
	sort -n >"$tmp/file.txt"
[ -s "$tmp/file.txt" ] || fail "no data records in the day file"
"$WSVIEW" -p $hport -t "$tok" -c "0:{\"op\":\"play\",\"camera\":\"$cam\",\"date\":\"$before\",\"from_counter\":0}" \
	-c "0:{\"op\":\"speed\",\"x\":4}" -q "$tmp/quit" -d 30000 -o "$tmp/play.txt" >"$tmp/play.sum" &
wpid=$!
i=0
until grep -q '^T .*"mode":"live"' "$tmp/play.txt" 2>/dev/null; do
	i=$((i + 1)); [ $i -gt 400 ] && { grep '^T' "$tmp/play.txt"; fail "playback did not reach live"; }
	sleep 0.05
done
sleep 0.5 # anything sent after live, it would have been a duplicate: let it arrive
touch "$tmp/quit"
wait "$wpid" || fail "play viewer"
cat "$tmp/play.sum"
# the linked days' datagrams name the newest day, whose frame keys they need: only the newest's verify
awk -v n="$(wc -l <"$tmp/file.txt")" '$1 == "conn" && $10 == n && $14 == 0 {ok = 1} END {exit !ok}' "$tmp/play.sum" ||
	fail "the newest day's datagrams unverified, or skips"
first=$(awk '$1 == "D" { print $2; exit }' "$tmp/play.txt")
[ -n "$first" ] || fail "no datagram played"
{
	awk -v a="$first" '$1 >= a' "$tmp/file.txt"
	cat "$tmp/file.txt"
} >"$tmp/want.txt"
awk '$1 == "D" { print $2 }' "$tmp/play.txt" >"$tmp/got.txt"
cmp -s "$tmp/want.txt" "$tmp/got.txt" ||
	{ diff "$tmp/want.txt" "$tmp/got.txt" | tail -5; fail "not $before from counter $first, then all of $newest, in counter order"; }
echo "days: live on $newest of 700 days; $before from counter $first, then $newest, then live ($(wc -l <"$tmp/got.txt") datagrams)"
vs_stop
echo "stream_days: all checks passed"
