#!/bin/sh
# NAME
#	bench_login.sh - what a password-guessing flood costs viewers and
#	the API, against the same measures without it
# DESCRIPTION
#	vigild (listener, writer, indexer, a streamer with two workers) on
#	loopback; one camera streams live at 30 frames a second and one
#	viewer (tests/tools/wsview) watches it throughout. For BENCH_SECS
#	(20) seconds without a flood, then as long with BENCH_CLIENTS (32)
#	clients posting wrong passwords to /api/login as fast as they get
#	answers, a prober asks GET /api/cameras one request after another.
#	Figures, the reference being the same measure without the flood in
#	the same run:
#	  BENCH login_viewer_gap max_ms=<the viewer's longest wait between
#	        datagrams during the flood> ref=<without> ratio=...
#	  BENCH login_api p99_ms=<the prober's p99 during the flood>
#	        ref=<without> ratio=... p50_ms=... ref_p50_ms=...
#	  BENCH login_flood attempts=... checked=<401> limited=<429>
#	Nothing is asserted.
set -u
BINDIR=${BINDIR:-bin}
BIN=$(cd "$BINDIR" && pwd)
. "$(dirname "$0")/../tests/lib/vigil_server.sh"
OUT=${OUT:-build/default}
WSVIEW=$(cd "$OUT/tests/tools" 2>/dev/null && pwd)/wsview
[ -x "$WSVIEW" ] || { echo "bench_login: wsview not built ($WSVIEW)"; exit 77; }
command -v curl >/dev/null || { echo "bench_login: curl missing"; exit 77; }
S=${BENCH_SECS:-20}
N=${BENCH_CLIENTS:-32}
tmp=$(mktemp -d /tmp/vigil-benchlogin.XXXXXX)
prefix=vigilblog$$
pids=""
cleanup() { for p in $pids; do kill -9 "$p" 2>/dev/null; done; rm -rf "$tmp"; rm -f /dev/shm/$prefix-*; }
trap cleanup EXIT INT TERM
die() { echo "bench_login: $*"; exit 1; }
now_ms() { date +%s%3N; }

port=$(( 20000 + ($$ + 61) % 20000 ))
hport=$(( 40000 + ($$ + 67) % 20000 ))
api=http://127.0.0.1:$hport
"$BIN/vigilctl" keygen -d "$tmp/keys" >/dev/null || die keygen
"$BIN/vigilctl" provision -d "$tmp/keys" -s 127.0.0.1:$port -o "$tmp/cams" >/dev/null || die provision
c=$(ls "$tmp/cams")
echo pw | "$BIN/vigilctl" user add -d "$tmp/keys" alice --cameras all >/dev/null || die "user add"
echo pw | "$BIN/vigilctl" user add -d "$tmp/keys" viewer --cameras all >/dev/null || die "user add"
vs_stream -w 2
pids="$pids $vpid"
timeout $((4 * S + 120)) "$BIN/vigil-cam" -c "$tmp/cams/$c/camera.conf" -n $((30 * (4 * S + 120))) \
	--fps 30 --telemetry-hz 2 --no-gpsd >"$tmp/cam.out" 2>&1 &
pids="$pids $!"
tok=$(curl -s -X POST -d '{"user":"viewer","password":"pw"}' "$api/api/login" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
[ -n "$tok" ] || die "login"
i=0
until curl -s -H "Authorization: Bearer $tok" "$api/api/cameras/$c/days" | grep -q '"'; do
	i=$((i + 1)); [ $i -gt 400 ] && die "the camera never stored"; sleep 0.05
done
"$WSVIEW" -p $hport -t "$tok" -c "0:{\"op\":\"live\",\"camera\":\"$c\"}" -d $((4 * S * 1000 + 60000)) \
	-q "$tmp/view.quit" -o "$tmp/view.txt" >/dev/null &
wpid=$!
pids="$pids $wpid"
sleep 2

# GET /api/cameras one after another for S seconds: one time (s) a line into $1
probe() {
	end=$(( $(date +%s) + S ))
	while [ "$(date +%s)" -lt $end ]; do
		curl -s -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $tok" "$api/api/cameras"
	done >"$1"
}
flood() {
	end=$(( $(date +%s) + S ))
	while [ "$(date +%s)" -lt $end ]; do
		curl -s -o /dev/null -w '%{http_code}\n' -X POST \
			-d '{"user":"alice","password":"guess"}' "$api/api/login"
	done >"$tmp/flood.$1"
}
# the viewer's longest wait between datagrams received in [$1, $2] (ms)
gap() {
	awk -v a="$1" -v b="$2" '$1 == "D" && $10 >= a && $10 <= b { if (p) { if ($10 - p > g) g = $10 - p }; p = $10 }
		END { print g + 0 }' "$tmp/view.txt"
}
pct() { sort -n "$1" | awk -v q="$2" '{ v[NR] = $1 } END { i = int(NR * q); if (i < 1) i = 1; printf "%.1f", v[i] * 1000 }'; }

a0=$(now_ms)
probe "$tmp/quiet.t"
a1=$(now_ms)
b0=$(now_ms)
n=0 fp=""
while [ $n -lt "$N" ]; do flood $n & fp="$fp $!"; n=$((n + 1)); done
probe "$tmp/flood.t"
for p in $fp; do wait "$p"; done
b1=$(now_ms)
touch "$tmp/view.quit"
wait "$wpid"

gq=$(gap "$a0" "$a1") gf=$(gap "$b0" "$b1")
q99=$(pct "$tmp/quiet.t" 0.99) f99=$(pct "$tmp/flood.t" 0.99)
q50=$(pct "$tmp/quiet.t" 0.50) f50=$(pct "$tmp/flood.t" 0.50)
cat "$tmp"/flood.[0-9]* >"$tmp/flood.all"
echo "BENCH login_viewer_gap max_ms=$gf ref=$gq ratio=$(awk -v a="$gf" -v b="$gq" 'BEGIN { printf "%.2f", b ? a / b : 0 }')"
echo "BENCH login_api p99_ms=$f99 ref=$q99 ratio=$(awk -v a="$f99" -v b="$q99" 'BEGIN { printf "%.2f", b ? a / b : 0 }') p50_ms=$f50 ref_p50_ms=$q50 requests=$(wc -l <"$tmp/flood.t") ref_requests=$(wc -l <"$tmp/quiet.t")"
echo "BENCH login_flood attempts=$(wc -l <"$tmp/flood.all") checked=$(grep -c '^401' "$tmp/flood.all") limited=$(grep -c '^429' "$tmp/flood.all") clients=$N seconds=$S"
