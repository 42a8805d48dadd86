#!/bin/sh
# NAME
#	test_cam_keys.sh - no (key, nonce) pair twice across restarts and midnight
# DESCRIPTION
#	One camera, on a clock set just before the next UTC midnight
#	(--clock-offset; the listener's hello window is widened for it),
#	runs four times against vigild: a clean run, a run killed with
#	SIGKILL in the middle, a long run at 150 frames a second that
#	crosses midnight, and a clean run on the new day. From the stored
#	day files alone (decrypted with the server key by `vigilctl export
#	-k`), every sealed datagram's AES key and nonce are listed: no pair
#	may occur twice. Counters: no counter is stored twice on a day, a
#	clean restart continues at the exact next counter, a restart after
#	SIGKILL continues above every counter used before it, and the new
#	day starts at counter 0 with its own hello.
set -u
BINDIR=${BINDIR:-bin}
BIN=$(cd "$BINDIR" && pwd)
. "$(dirname "$0")/../lib/vigil_server.sh"
vs_setup camkeys
c=$("$BIN/vigilctl" provision -d "$tmp/keys" -s 127.0.0.1:$port -o "$tmp/cams") || fail provision
vs_start 1 -w 172800000

now=$(date +%s%3N)
offset=$(( (now / 86400000 + 1) * 86400000 - 3500 - now ))
opts="-c $tmp/cams/$c/camera.conf --clock-offset $offset --size 160x96 --kbps 100 --no-gpsd --telemetry-hz 10"
cam() { # name, then options
	n=$1; shift
	timeout 60 "$BIN/vigil-cam" $opts "$@" >"$tmp/$n.out" 2>&1
}
cam a -n 30 --fps 60 || fail "clean run"
"$BIN/vigil-cam" $opts --fps 60 >"$tmp/b.out" 2>&1 &
cpid=$!
pids=$cpid
sleep 0.7
kill -9 $cpid; wait $cpid 2>/dev/null; cpid=""
cam c -n 1500 --fps 150 || fail "run across midnight"
cam d -n 30 --fps 60 || fail "clean run on the new day"
sleep 0.5
vs_stop

set -- $(ls "$tmp/data/$c")
[ $# -eq 2 ] || fail "want two day files, have: $*"
d1=$tmp/data/$c/$1 d2=$tmp/data/$c/$2
for f in "$d1" "$d2"; do
	"$BIN/vigilctl" verify -d "$tmp/keys" "$f" >"$tmp/v.out" || { cat "$tmp/v.out"; fail "$f does not verify"; }
	grep -q '^duplicates 0$' "$tmp/v.out" || fail "a counter stored twice in $f"
done

"$BIN/vigilctl" export -d "$tmp/keys" -k "$d1" "$d2" >"$tmp/pairs" 2>"$tmp/export.err" || { cat "$tmp/export.err"; fail "export -k"; }
total=$(wc -l <"$tmp/pairs")
hellos=$("$BIN/vigilctl" dump "$d1"; "$BIN/vigilctl" dump "$d2") 
hellos=$(printf '%s\n' "$hellos" | grep -c ' hello ')
records=$(( $("$BIN/vigilctl" dump "$d1" | grep -vc '^#') + $("$BIN/vigilctl" dump "$d2" | grep -vc '^#') ))
[ "$total" -eq $((records - hellos)) ] || fail "listed $total pairs for $records records ($hellos hellos)"
[ "$hellos" -ge 5 ] || fail "want a hello per run and one at midnight, have $hellos"
dup=$(sort "$tmp/pairs" | uniq -d | wc -l)
[ "$dup" -eq 0 ] || fail "$dup (key, nonce) pairs repeat"
echo "keys: $total sealed datagrams over $hellos sessions and two days, no (key, nonce) pair twice"

# counters: hello of each run, in order, per day
"$BIN/vigilctl" dump "$d1" | awk '$2 == "hello" { sub("counter=", "", $3); print $3 }' >"$tmp/h1"
"$BIN/vigilctl" dump "$d1" | awk '$2 != "hello" && $3 ~ /^counter=/ { sub("counter=", "", $3); print $3 }' >"$tmp/all1"
sa=$(sed -n 's/^sent=\([0-9]*\) .*/\1/p' "$tmp/a.out")
[ "$(sed -n 2p "$tmp/h1")" -eq "$sa" ] || fail "clean restart: run b's hello at $(sed -n 2p "$tmp/h1"), want $sa"
hb=$(sed -n 2p "$tmp/h1") hc=$(sed -n 3p "$tmp/h1")
maxb=$(awk -v lo="$hb" -v hi="$hc" '$1 >= lo && $1 < hi' "$tmp/all1" | sort -n | tail -1)
[ "$hc" -gt "$maxb" ] || fail "after SIGKILL the counter went back: $hc <= $maxb"
"$BIN/vigilctl" dump "$d2" | sed -n 2p | grep -q 'hello  counter=0 ' || fail "new day does not open with a hello at counter 0"
echo "keys: clean restart continues at $sa, restart after SIGKILL at $hc (> $maxb), new day at 0"
echo "cam_keys: all checks passed"
