#!/bin/sh
# NAME
#	test_torn_header.sh - a day file torn inside its header is set aside
#	and started again; a file the writer cannot use stops no other camera
# DESCRIPTION
#	A real vigild with the listener and one writer. Three cameras find
#	today's day file cut inside its 64-byte header (1, 8 and 63 bytes,
#	as a crash while the file was created leaves it), a fourth finds a
#	folder where its day file should be, a fifth has nothing in its
#	way. Each sends a hello and 20 data datagrams (hello_probe), the
#	blocked one first. The writer must never exit; the torn files are
#	renamed aside (<file>.torn-header-<ms>, their bytes unchanged) and
#	the days started again with all 21 datagrams; the blocked camera's
#	datagrams are counted unstored and the others all stored.
set -u
BINDIR=${BINDIR:-bin}
OUT=${OUT:-build/default}
BIN=$(cd "$BINDIR" && pwd)
PROBE=$OUT/tests/tools/hello_probe
. tests/lib/vigil_server.sh
[ -x "$PROBE" ] || { echo "no $PROBE: make test-build first"; exit 77; }
vs_setup tornhdr
for i in 1 2 3 4 5; do
	"$BIN/vigilctl" provision -d "$tmp/keys" -s 127.0.0.1:$port -o "$tmp/cams" >/dev/null ||
		fail provision
done
set -- $(ls "$tmp/cams")
a1=$1 a2=$2 a3=$3 d=$4 b=$5
day=$(date -u +%F)
mkdir -p "$tmp/data/$a1" "$tmp/data/$a2" "$tmp/data/$a3" "$tmp/data/$d/$day.vgl"
for x in "$a1 1" "$a2 8" "$a3 63"; do
	set -- $x
	head -c "$2" /dev/urandom >"$tmp/data/$1/$day.vgl"
done
vs_start 1
for cam in $d $a1 $a2 $a3 $b; do
	"$PROBE" -s 127.0.0.1:$port -C "$tmp/cams/$cam" -c 0 -n 20 >"$tmp/p.$cam.out" ||
		{ cat "$tmp/p.$cam.out"; fail "camera $cam got no session"; }
done
i=0
until [ "$(vs_counter writer appended_total)" -ge 84 ]; do
	i=$((i + 1)); [ $i -gt 100 ] && { vs_status; fail "appended_total $(vs_counter writer appended_total), want 84"; }
	sleep 0.1
done
sleep 0.5
vs_status
[ "$(vs_counter writer torn_headers_total)" = 3 ] || fail "torn_headers_total $(vs_counter writer torn_headers_total), want 3"
[ "$(vs_counter writer unstored_total)" = 21 ] || fail "unstored_total $(vs_counter writer unstored_total), want 21"
vs_stop
grep 'writer\[0\] exited' "$tmp/vigild.log" | grep -v stopping && fail "the writer exited"
grep -q "$d/$day.vgl: Is a directory; its datagrams are let go unstored" "$tmp/vigild.log" ||
	fail "the unusable file was not logged with its cause"
for x in "$a1 1" "$a2 8" "$a3 63"; do
	set -- $x
	aside=$(ls "$tmp/data/$1" | grep "^$day\.vgl\.torn-header-[0-9]*$")
	[ -n "$aside" ] || fail "camera $1: no file set aside"
	[ "$(stat -c %s "$tmp/data/$1/$aside")" = "$2" ] || fail "camera $1: the file set aside is not the $2 bytes"
done
for cam in $a1 $a2 $a3 $b; do
	"$BIN/vigilctl" verify -d "$tmp/keys" "$tmp/data/$cam/$day.vgl" >"$tmp/v.out" 2>&1 ||
		{ cat "$tmp/v.out"; fail "camera $cam: day does not verify"; }
	grep -q '^records 21,' "$tmp/v.out" || { cat "$tmp/v.out"; fail "camera $cam: not 21 records"; }
done
[ -d "$tmp/data/$d/$day.vgl" ] || fail "the folder in the way was touched"
echo "torn header: all checks passed"
