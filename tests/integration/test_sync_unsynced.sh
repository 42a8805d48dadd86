#!/bin/sh
# NAME
#	test_sync_unsynced.sh - a disk whose fsync fails: syncd confirms
#	nothing, the camera keeps everything; when the disk heals, all of
#	it is confirmed and the day is complete
# DESCRIPTION
#	The data folder is a failfs mount (tests/tools/failfs.c: a FUSE
#	passthrough whose fsync and fdatasync answer EIO while a control
#	file exists). vigild runs a listener, a writer, the indexer and
#	syncd on it; a camera with its local store streams straight to the
#	listener over loopback.
#
#	Phase 1, the control file present: the camera streams, then
#	lingers, reporting every second. syncd's sync of the day file fails
#	each second (syncd_confirm_unsynced grows), no CONFIRM is sent
#	(syncd_confirm_sent stays 0), and the camera leaves with every
#	datagram it stored still unconfirmed: its store's confirm log is
#	empty, its counters say unconfirmed = stored, confirmed = 0.
#	syncd finds the day complete meanwhile but cannot write its state
#	file (.sync); once the control file is removed, with the camera
#	gone and nothing new to say, it writes it.
#	Phase 2, the control file removed: the camera starts again from its
#	store, streams a little more and lingers until everything it sent
#	before is confirmed: CONFIRMs go out, and the camera's confirm log
#	covers every counter up to its last hello or data datagram (only
#	the linger's own reports may stay unconfirmed). Before it confirms
#	again, syncd reads what was written since its last good sync back
#	from the file system (O_DIRECT) and finds it whole. Then the day file
#	verifies, holds every counter the camera used exactly once, and
#	syncd recorded the day complete; the indexer's chain writes that
#	failed left nothing behind (the chain extends over every record
#	and verifies). The writer's syncs failed too
#	(fdatasync_failed_total), but it never exited: it went on
#	appending. WRITER_ARGS="-s durable" runs the same with the durable
#	policy. Exits 77 with the reason when FUSE cannot run here.
BINDIR=${BINDIR:-bin}
OUT=${OUT:-build/default}
BIN=$(cd "$BINDIR" && pwd)
. "$(dirname "$0")/../lib/failfs.sh"
ff_need
. "$(dirname "$0")/../lib/vigil_server.sh"
set -u
vs_setup unsynced
ff_mount

ff_vigild

# phase 1: the camera streams and lingers; nothing can be made durable
ff_stream_failing 90 3
unsynced=$(vs_counter syncd syncd_confirm_unsynced)
confirms=$(vs_counter syncd syncd_confirm_sent)
wfailed=$(vs_counter writer fdatasync_failed_total)
cat "$tmp/cam1.out"
echo "phase 1: syncd_confirm_unsynced=$unsynced syncd_confirm_sent=$confirms" \
	"writer fdatasync_failed_total=$wfailed"
[ "$confirms" -eq 0 ] || fail "syncd sent $confirms CONFIRMs while the day file could not be synced"
[ "$unsynced" -ge 3 ] || fail "syncd_confirm_unsynced $unsynced: syncd did not try to confirm"
[ "$wfailed" -gt 0 ] || fail "the writer's syncs did not fail"
stored1=$(sed -n 's/^store: stored=\([0-9]*\) .*/\1/p' "$tmp/cam1.out")
[ "${stored1:-0}" -gt 0 ] || fail "the camera stored nothing"
grep -q "^store: .* unconfirmed=$stored1 confirmed=0 " "$tmp/cam1.out" ||
	fail "the camera's store does not hold all $stored1 datagrams unconfirmed"
grep -q '^sync: .* confirms=0 ' "$tmp/cam1.out" || fail "the camera received a CONFIRM"
[ ! -s "$store/confirm" ] || fail "the camera's confirm log is not empty"
grep -q "^fsync-eio .*/$cam/.*\.vgl$" "$tmp/failfs.log" || fail "no fsync of the day file failed"
grep -q '^fsync-ok' "$tmp/failfs.log" && fail "a sync passed while the control file was there"

# phase 2: the disk heals. syncd found the day complete while it could
# not write its state file (docs/STORAGE.md, ".sync"): it must write it
# once it can, although the camera is gone and nothing changes. The
# pause lets syncd's last write (at most every 2 s) fail first.
sleep 3
rm "$tmp/fail"
day=$(ls "$data/$cam/"*.vgl | head -1)
[ -f "$day" ] || fail "no day file"
d=$(basename "$day" .vgl)
[ "$(vs_counter syncd syncd_days_complete)" -ge 1 ] || fail "syncd did not find the day complete while syncs failed"
i=0
until grep -q '^complete_ms [1-9]' "$data/$cam/$d.sync" 2>/dev/null; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "syncd never wrote the day's state once syncs passed again"; sleep 0.1
done
# the camera comes back with its store
timeout 60 "$BIN/vigil-cam" -c "$tmp/cams/$cam/camera.conf" -n 30 --fps 30 --no-gpsd \
	--linger 30000 >"$tmp/cam2.out" 2>"$tmp/cam2.err" || fail "camera exit (phase 2)"
cat "$tmp/cam2.out"
stored2=$(sed -n 's/^store: stored=\([0-9]*\) .*/\1/p' "$tmp/cam2.out")
i=0
until [ "$(vs_counter syncd syncd_days_complete)" -ge 1 ]; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "syncd never found the day complete"; sleep 0.1
done
vs_status >"$tmp/status.out"
vs_stop
cat "$tmp/status.out"
grep -q 'syncd_confirm_sent=[1-9]' "$tmp/status.out" || fail "no CONFIRM sent after the disk healed"
# before confirming again, syncd read the day back from the disk itself
grep "vigil-syncd\[0\]: confirm: .*reads back whole from the disk" "$tmp/vigild.log" ||
	fail "syncd confirmed again without reading the day back from the disk"
grep -q 'syncd_day_damaged=[1-9]' "$tmp/status.out" && fail "syncd called an intact day damaged"
grep -q "^fsync-ok .*/$cam/.*\.vgl$" "$tmp/failfs.log" || fail "no sync of the day file passed in phase 2"

# Everything the camera sent before it lingered is confirmed: the
# camera's confirm log (docs/STORAGE.md, "Camera store") covers every
# counter up to its last hello or data datagram in the day file; what
# stays unconfirmed is the reports (and bye) of the linger itself,
# sent after the last CONFIRM that could cover them.
"$BIN/vigilctl" dump "$day" >"$tmp/dump.out" || fail "dump"
date=$(sed -n 's/^# camera .* date \([0-9]*\)$/\1/p' "$tmp/dump.out")
# 16-byte records, big-endian: date, first counter, count, CRC
od -An -v -tu1 -w16 "$store/confirm" | awk -v d="$date" '
	function be(i) { return (($i * 256 + $(i + 1)) * 256 + $(i + 2)) * 256 + $(i + 3) }
	be(1) == d { for (c = be(5); c < be(5) + be(9); c++) print c }' >"$tmp/confirmed"
awk 'FILENAME == ARGV[1] {ok[$1] = 1; next}
	/^#/ {next}
	{ c = substr($3, 9) + 0; if ($2 != "report" && $2 != "bye" && c >= upto) upto = c + 1 }
	END {
		for (c = 0; c < upto; c++) if (!(c in ok)) { print "not confirmed: " c; bad = 1 }
		print "confirmed by the camera: every counter below " upto
		exit bad
	}' "$tmp/confirmed" "$tmp/dump.out" || fail "the camera still holds unconfirmed datagrams sent before its linger"
unconf=$(sed -n 's/^store: .* unconfirmed=\([0-9]*\) .*/\1/p' "$tmp/cam2.out")
confirmed=$(sed -n 's/^store: .* confirmed=\([0-9]*\) .*/\1/p' "$tmp/cam2.out")
[ $((confirmed + unconf)) -eq $((stored1 + stored2)) ] ||
	fail "confirmed $confirmed + unconfirmed $unconf, stored $stored1 + $stored2"

# nothing lost or damaged while the syncs failed, and the writer never
# stopped for them
"$BIN/vigilctl" verify -d "$tmp/keys" "$day" >"$tmp/v.out" || { cat "$tmp/v.out"; fail "the day does not verify"; }
tail -4 "$tmp/v.out"
sent=$(( $(sed -n 's/^sent=\([0-9]*\) .*/\1/p' "$tmp/cam1.out") + $(sed -n 's/^sent=\([0-9]*\) .*/\1/p' "$tmp/cam2.out") ))
grep -q '^duplicates 0$' "$tmp/v.out" || fail "duplicates stored"
grep -q '^missing: none$' "$tmp/v.out" || fail "counters missing"
grep -q "^records $sent," "$tmp/v.out" || fail "want $sent records"
"$BIN/vigilctl" completeness -D "$data" "$cam" "$d" >"$tmp/c.out"
grep -q '^missing 0,' "$tmp/c.out" || { cat "$tmp/c.out"; fail "completeness says counters missing"; }
grep -q '^complete_ms [1-9]' "$data/$cam/$d.sync" || fail "syncd did not record the day complete"
cmp -s "$day" "$tmp/backing/data/$cam/$d.vgl" || fail "the backing folder holds other bytes"
# the indexer's chain writes that failed left no half checkpoint: the
# chain extends over everything and verifies
grep -q 'chain: .*Input/output error' "$tmp/vigild.log" && echo "the indexer's chain write failed in phase 1"
"$BIN/vigilctl" chain -d "$tmp/keys" "$day" >"$tmp/chain.out" 2>&1 || { cat "$tmp/chain.out"; fail "vigilctl chain"; }
"$BIN/vigilctl" verify -d "$tmp/keys" -c "$day" >"$tmp/v.out" || { cat "$tmp/v.out"; fail "the chain does not verify"; }
grep '^chain' "$tmp/v.out"
grep '\] exited\|killed by' "$tmp/vigild.log" | grep -v '(stopping)' && fail "a stage exited while the syncs failed"
grep -q 'vigil-writer.*fdatasync failed: Input/output error' "$tmp/vigild.log" ||
	fail "the writer did not report its failing sync"
echo "failed syncs: $(grep -c '^fsync-eio' "$tmp/failfs.log"), passed: $(grep -c '^fsync-ok' "$tmp/failfs.log")"
echo "sync unsynced: all checks passed"
