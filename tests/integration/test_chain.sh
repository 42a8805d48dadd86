#!/bin/sh
# NAME
#	test_chain.sh - the signed hash chain of a real day file shows every
#	edit and where it is
# DESCRIPTION
#	vigild runs the listener, a writer and the indexer with the server
#	key; a camera streams. The indexer must sign checkpoints beside the
#	day file while it grows; vigilctl chain then closes the day. The
#	untouched file verifies (vigilctl verify -c). Copies of it with one
#	record deleted, two records swapped, the file truncated at a record,
#	one byte edited, and the chain file edited must each fail, the
#	output naming the record or entry.
set -u
BINDIR=${BINDIR:-bin}
BIN=$(cd "$BINDIR" && pwd)
. "$(dirname "$0")/../lib/vigil_server.sh"
vs_setup chain
vs_run indexer 1 <<CONF
stage listener = $BIN/vigil-listener -d $tmp/keys -l 127.0.0.1:$port
stage writer = $BIN/vigil-writer -D $tmp/data
stage indexer = $BIN/vigil-indexer -D $tmp/data -d $tmp/keys -r 200
CONF
cam=$("$BIN/vigilctl" provision -d "$tmp/keys" -s 127.0.0.1:$port -o "$tmp/cams") || fail provision
timeout 60 "$BIN/vigil-cam" -c "$tmp/cams/$cam/camera.conf" -n 150 --fps 50 >"$tmp/cam.out" 2>&1 ||
	fail "camera: $(tail -3 "$tmp/cam.out")"
day=$(ls "$tmp/data/$cam/"*.vgl | head -1)
[ -f "$day" ] || fail "no day file"
chain=${day%.vgl}.chain
i=0
until [ -s "$chain" ]; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "the indexer signed no checkpoint"; sleep 0.1
done
vs_stop
"$BIN/vigilctl" chain -d "$tmp/keys" -c "$day" || fail "vigilctl chain"
ctl_verify() { "$BIN/vigilctl" verify -d "$tmp/keys" -c "$1"; }
ctl_verify "$day" >"$tmp/ok.out" || { cat "$tmp/ok.out"; fail "untouched file does not verify"; }
grep -q "(day closed), 0 records after the last" "$tmp/ok.out" || { cat "$tmp/ok.out"; fail "chain does not cover the day"; }
nck=$(sed -n 's/^chain: \([0-9]*\) checkpoints.*/\1/p' "$tmp/ok.out")
[ "$nck" -ge 2 ] || fail "expected the indexer's checkpoints and the closing one, got $nck"

# record offsets and lengths
"$BIN/vigilctl" dump --json "$day" | sed -n 's/.*"offset":\([0-9]*\),.*"len":\([0-9]*\),.*/\1 \2/p' >"$tmp/recs"
nrec=$(wc -l <"$tmp/recs")
[ "$nrec" -gt 60 ] || fail "only $nrec records"
size=$(stat -c %s "$day")
rec() { sed -n "$(($1 + 1))p" "$tmp/recs"; }
set -- $(rec 40); o40=$1 l40=$(( $2 + 40 ))
set -- $(rec 41); o41=$1 l41=$(( $2 + 40 ))
set -- $(rec 50); o50=$1
copy() { mkdir -p "$tmp/e/$1"; cp "$chain" "$tmp/e/$1/"; echo "$tmp/e/$1/$(basename "$day")"; }
expect_broken() {
	if ctl_verify "$2" >"$tmp/$1.out"; then cat "$tmp/$1.out"; fail "$1 not detected"; fi
	grep -q "$3" "$tmp/$1.out" || { cat "$tmp/$1.out"; fail "$1: output does not say \"$3\""; }
	echo "$1: $(grep BROKEN "$tmp/$1.out")"
}

# delete record 40
f=$(copy delete)
{ head -c "$o40" "$day"; tail -c +$((o40 + l40 + 1)) "$day"; } >"$f"
expect_broken delete "$f" "BROKEN: record 40"
# swap records 40 and 41
f=$(copy reorder)
{ head -c "$o40" "$day"; dd if="$day" bs=1 skip="$o41" count="$l41" 2>/dev/null
  dd if="$day" bs=1 skip="$o40" count="$l40" 2>/dev/null; tail -c +$((o41 + l41 + 1)) "$day"; } >"$f"
[ "$(stat -c %s "$f")" -eq "$size" ] || fail "reorder copy has the wrong size"
expect_broken reorder "$f" "BROKEN: record 40"
# truncate at record 50
f=$(copy truncate)
head -c "$o50" "$day" >"$f"
expect_broken truncate "$f" "BROKEN: truncated: the file holds 50 of the $nrec chained records"
# one byte of record 41's datagram
f=$(copy edit)
cp "$day" "$f"
printf 'Z' | dd of="$f" bs=1 seek=$((o41 + 70)) conv=notrunc 2>/dev/null
expect_broken edit "$f" "BROKEN: record 41"
# one byte of the chain file
f=$(copy chainedit)
cp "$day" "$f"
printf 'Z' | dd of="${f%.vgl}.chain" bs=1 seek=300 conv=notrunc 2>/dev/null
expect_broken chainedit "$f" "BROKEN: chain file"
# without the chain file, -c fails
f=$(copy nochain)
cp "$day" "$f"; rm "${f%.vgl}.chain"
expect_broken nochain "$f" "chain: none"
echo "chain: $nrec records, $nck checkpoints; every edit detected"
