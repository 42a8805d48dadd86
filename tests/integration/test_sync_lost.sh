#!/bin/sh
# NAME
#	test_sync_lost.sh - a disk that loses what it failed to sync: syncd
#	never confirms it, even once the syncs pass again
# DESCRIPTION
#	The data folder is a failfs mount (tests/tools/failfs.c) in its
#	"lose" mode: while the control file holds "lose", fsync and
#	fdatasync answer EIO and the bytes written to a file since its last
#	good sync become zeros on the backing folder (the "disk"), while the
#	kernel's cache of the mount still shows them, as after a failed
#	writeback on a real disk. vigild runs a listener, a writer, the
#	indexer and syncd on it; a camera with its local store streams.
#
#	Phase 1, syncs failing and losing: syncd confirms nothing.
#	Phase 2, the control file removed (syncs pass again): the camera
#	comes back with its store and lingers. A sync that now succeeds
#	says nothing of the bytes lost before: syncd reads the day back
#	from the file system (O_DIRECT), finds the zeros, logs the day
#	damaged with the offset (syncd_day_damaged) and confirms nothing of
#	it; the camera keeps every datagram unconfirmed, so none is freed
#	from the only place that still has it. vigilctl verify of the
#	backing file shows the damage is real. The damage is kept in the
#	day's .sync (damaged_at), vigilctl completeness says it and calls
#	the day incomplete, the streamer's day API gives damaged_at and
#	complete false, and a restarted syncd still confirms nothing of it. Exits 77 with the reason when FUSE cannot run here.
BINDIR=${BINDIR:-bin}
OUT=${OUT:-build/default}
BIN=$(cd "$BINDIR" && pwd)
. "$(dirname "$0")/../lib/failfs.sh"
ff_need
. "$(dirname "$0")/../lib/vigil_server.sh"
set -u
vs_setup lost
ff_mount lose

ff_vigild

# phase 1: streams while every sync fails and loses what it should have kept
ff_stream_failing 60 2
grep -q '^fsync-lost .*\.vgl$' "$tmp/failfs.log" || fail "failfs lost nothing of the day file"
day=$(ls "$data/$cam/"*.vgl | head -1)
[ -f "$day" ] || fail "no day file"
d=$(basename "$day" .vgl)

# phase 2: syncs pass again; the camera comes back with its store
rm "$tmp/fail"
timeout 60 "$BIN/vigil-cam" -c "$tmp/cams/$cam/camera.conf" -n 30 --fps 30 --no-gpsd \
	--linger 6000 >"$tmp/cam2.out" 2>"$tmp/cam2.err" || fail "camera exit (phase 2)"
cat "$tmp/cam2.out"
grep -q "^fsync-ok .*/$cam/.*\.vgl$" "$tmp/failfs.log" || fail "no sync of the day file passed in phase 2"
vs_status >"$tmp/status.out"
vs_stop
grep 'syncd_confirm_sent\|syncd_day_damaged\|syncd_confirm_unsynced' "$tmp/status.out"
line=$(grep "vigil-syncd\[0\]: confirm: .*is damaged on the disk at byte" "$tmp/vigild.log") ||
	fail "syncd did not find the day damaged"
echo "$line"
grep -q 'syncd_day_damaged=[1-9]' "$tmp/status.out" || fail "syncd_day_damaged not counted"
grep -q 'syncd_confirm_sent=[1-9]' "$tmp/status.out" &&
	fail "syncd confirmed datagrams the disk lost: $(grep -o 'syncd_confirm_sent=[0-9]*' "$tmp/status.out")"
grep -q '^sync: .* confirms=0 ' "$tmp/cam2.out" || fail "the camera received a CONFIRM"
[ ! -s "$store/confirm" ] || fail "the camera's confirm log is not empty"
stored=$(( $(sed -n 's/^store: stored=\([0-9]*\) .*/\1/p' "$tmp/cam1.out") +
	$(sed -n 's/^store: stored=\([0-9]*\) .*/\1/p' "$tmp/cam2.out") ))
grep -q "^store: .* unconfirmed=$stored confirmed=0 " "$tmp/cam2.out" ||
	fail "the camera's store does not keep all $stored datagrams it stored unconfirmed"
# the damage is kept beside the day (.sync), said by vigilctl completeness
at=$(sed -n 's/^damaged_at \([0-9]*\)$/\1/p' "$data/$cam/$d.sync")
[ -n "$at" ] || fail "the day's state does not keep the damage"
echo "damaged_at $at"
[ "$at" -lt "$(stat -c %s "$day")" ] || fail "damaged at $at, beyond the file's end"
"$BIN/vigilctl" completeness -D "$data" "$cam" "$d" >"$tmp/c.out" && fail "completeness says complete"
grep "^damaged on the disk at byte" "$tmp/c.out" || { cat "$tmp/c.out"; fail "completeness does not say damaged"; }
# a restarted syncd does not forget it: the camera comes back, nothing is confirmed
# and the streamer's day API says it
cp "$tmp/vigild.log" "$tmp/vigild1.log"
hport=$(( 40000 + ($$ + 41) % 20000 ))
mkdir -p "$tmp/player"
echo '<!doctype html><title>vigil</title>' >"$tmp/player/index.html"
echo pw | "$BIN/vigilctl" user add -d "$tmp/keys" alice --cameras all >/dev/null || fail "user add"
{ sed 1,3d "$tmp/vigil.conf"
  echo "stage streamer = $BIN/vigil-streamer -l 127.0.0.1:$hport -D $data -d $tmp/keys -P $tmp/player"
} >"$tmp/stages"
vs_run syncd 1 <"$tmp/stages"
timeout 60 "$BIN/vigil-cam" -c "$tmp/cams/$cam/camera.conf" -n 15 --fps 30 --no-gpsd \
	--linger 4000 >"$tmp/cam3.out" 2>"$tmp/cam3.err" || fail "camera exit (after the restart)"
if command -v curl >/dev/null; then
	tok=$(curl -s -X POST -d '{"user":"alice","password":"pw"}' "http://127.0.0.1:$hport/api/login" |
		sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
	[ -n "$tok" ] || fail "login to the streamer"
	api=$(curl -s -H "Authorization: Bearer $tok" "http://127.0.0.1:$hport/api/cameras/$cam/days/$d")
	echo "$api" | grep -o '"complete":[a-z]*,"damaged_at":[0-9a-z]*'
	echo "$api" | grep -q "\"complete\":false,\"damaged_at\":$at}" || fail "the day API does not say damaged at $at: $api"
else
	echo "curl missing: the day API's damaged_at not checked"
fi
vs_status >"$tmp/status.out"
vs_stop
grep -q 'syncd_confirm_unsynced=[1-9]' "$tmp/status.out" || fail "the restarted syncd never tried to confirm"
grep -q 'syncd_confirm_sent=[1-9]' "$tmp/status.out" && fail "the restarted syncd confirmed the damaged day"
grep -q '^sync: .* confirms=0 ' "$tmp/cam3.out" || fail "the camera received a CONFIRM after the restart"
[ ! -s "$store/confirm" ] || fail "the camera's confirm log is not empty after the restart"
# the loss is real: the backing file (the disk) has zeros where records were
if "$BIN/vigilctl" verify -d "$tmp/keys" "$tmp/backing/data/$cam/$d.vgl" >"$tmp/v.out" 2>&1; then
	cat "$tmp/v.out"; fail "the backing file verifies: failfs lost nothing"
fi
grep -i 'damage\|missing' "$tmp/v.out" | head -3
echo "sync lost: all checks passed"
