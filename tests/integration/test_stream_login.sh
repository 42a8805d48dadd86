#!/bin/sh
# NAME
#	test_stream_login.sh - password guesses neither stall viewers nor
#	get checked beyond the limits; unknown and known users look alike
# DESCRIPTION
#	vigild runs the listener, a writer, the indexer and a streamer with
#	two workers; a camera streams live and a viewer watches it.
#	- A known user with a wrong password and an unknown user get the
#	  same status (401) and the same body.
#	- 32 clients try wrong passwords for alice in parallel for 20 s
#	  while the viewer watches: the viewer receives datagrams in every
#	  3-second window of the flood (its stream never stops), all
#	  verified; every answer is 401 or 429; the 401s (attempts
#	  checked) are no more than the limits admit in that time, in each
#	  worker (5 free, one more, then one per doubling wait: 1, 2, 4 ...
#	  seconds), the 429s carry Retry-After, and the streamer counted
#	  every 429 (logins_limited_total).
#	- After the waits the limits ask for, the right password logs in
#	  (never a 401 on the way).
#	Waits are bounded by outcomes; no latency or rate is asserted.
set -u
BINDIR=${BINDIR:-bin}
OUT=${OUT:-build/default}
BIN=$(cd "$BINDIR" && pwd)
. "$(dirname "$0")/../lib/vigil_server.sh"
WSVIEW=$(cd "$OUT/tests/tools" 2>/dev/null && pwd)/wsview
[ -x "$WSVIEW" ] || { echo "wsview not built ($WSVIEW)"; exit 77; }
command -v curl >/dev/null || { echo "curl missing"; exit 77; }
tmp=$(mktemp -d /tmp/vigil-login.XXXXXX)
prefix=vigillog$$
vpid=""
cleanup() { [ -n "$vpid" ] && kill -9 "$vpid" 2>/dev/null; pkill -9 -f "$tmp" 2>/dev/null; rm -rf "$tmp"; rm -f /dev/shm/$prefix-*; }
trap cleanup EXIT INT TERM
metric() { curl -s "$api/metrics" | awk -v m="$1" 'index($1, "vigil_" m "{stage=\"streamer\"") == 1 {t += $2} END {print t + 0}'; }
now_ms() { date +%s%3N; }

FLOOD_S=20
CLIENTS=32
port=$(( 20000 + ($$ + 53) % 20000 ))
hport=$(( 40000 + ($$ + 59) % 20000 ))
api=http://127.0.0.1:$hport
"$BIN/vigilctl" keygen -d "$tmp/keys" >/dev/null || fail keygen
"$BIN/vigilctl" provision -d "$tmp/keys" -s 127.0.0.1:$port -o "$tmp/cams" >/dev/null || fail provision
c=$(ls "$tmp/cams")
echo pw | "$BIN/vigilctl" user add -d "$tmp/keys" alice --cameras all >/dev/null || fail "user add"
echo pw | "$BIN/vigilctl" user add -d "$tmp/keys" viewer --cameras all >/dev/null || fail "user add"
vs_stream -w 2
timeout 300 "$BIN/vigil-cam" -c "$tmp/cams/$c/camera.conf" -n 9000 --fps 30 \
	--telemetry-hz 2 --no-gpsd >"$tmp/cam.out" 2>&1 &

post() { curl -s -D "$tmp/$3.h" -o "$tmp/$3.b" -w '%{http_code}' -X POST \
	-d "{\"user\":\"$1\",\"password\":\"$2\"}" "$api/api/login"; }

# 1. unknown and known users are refused alike
k=$(post alice wrong known) u=$(post mallory wrong unknown)
[ "$k" = 401 ] && [ "$u" = 401 ] || fail "known user: $k, unknown user: $u"
cmp -s "$tmp/known.b" "$tmp/unknown.b" || fail "the bodies differ: $(cat "$tmp/known.b") / $(cat "$tmp/unknown.b")"
echo "wrong password and unknown user: both 401, $(cat "$tmp/known.b")"

# the viewer, from before the flood to after it
vtok=$(curl -s -X POST -d '{"user":"viewer","password":"pw"}' "$api/api/login" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
[ -n "$vtok" ] || fail "viewer login"
i=0
until curl -s -H "Authorization: Bearer $vtok" "$api/api/cameras/$c/days" | grep -q '"'; do
	i=$((i + 1)); [ $i -gt 400 ] && fail "the camera never stored"; sleep 0.05
done
"$WSVIEW" -p $hport -t "$vtok" -c "0:{\"op\":\"live\",\"camera\":\"$c\"}" -d 600000 \
	-q "$tmp/view.quit" -o "$tmp/view.txt" >"$tmp/view.sum" &
wpid=$!
i=0
until grep -q '^D ' "$tmp/view.txt" 2>/dev/null; do
	i=$((i + 1)); [ $i -gt 400 ] && fail "the viewer got no datagram"; sleep 0.05
done

# 2. the flood
limited0=$(metric logins_limited_total)
flood() {
	end=$(( $(date +%s) + FLOOD_S ))
	while [ "$(date +%s)" -lt $end ]; do
		curl -s -D - -o /dev/null -w 'status %{http_code}\n' -X POST \
			-d '{"user":"alice","password":"guess"}' "$api/api/login" |
			awk '/^status/ { s = $2 } tolower($1) == "retry-after:" { r = $2 + 0 }
			     END { print s, r + 0 }'
	done >"$tmp/flood.$1"
}
t0=$(now_ms)
n=0 fpids=""
while [ $n -lt $CLIENTS ]; do flood $n & fpids="$fpids $!"; n=$((n + 1)); done
for f in $fpids; do wait "$f"; done
t1=$(now_ms)
sleep 1
limited1=$(metric logins_limited_total)
touch "$tmp/view.quit"
wait "$wpid"
cat "$tmp"/flood.* >"$tmp/flood.all"
n401=$(awk '$1 == 401' "$tmp/flood.all" | wc -l)
n429=$(awk '$1 == 429' "$tmp/flood.all" | wc -l)
nall=$(wc -l <"$tmp/flood.all")
echo "flood: $nall attempts in $(( (t1 - t0) / 1000 )) s, $n401 checked (401), $n429 refused (429)"
[ "$nall" -gt 0 ] || fail "no attempt answered"
[ $((n401 + n429)) = "$nall" ] || { sort "$tmp/flood.all" | uniq -c; fail "answers other than 401 and 429"; }
awk '$1 == 429 && $2 < 1 { bad = 1 } END { exit bad }' "$tmp/flood.all" || fail "a 429 without Retry-After"
# what the limits admit per worker in the flood's time: 6 at once, then one
# after each wait of 1, 2, 4 ... s (admitted at 1, 3, 7, 15 ... s)
secs=$(( (t1 - t0) / 1000 + 2 ))
admit=$(awk -v s="$secs" 'BEGIN { n = 6; t = 1; d = 1; while (t <= s) { n++; d *= 2; if (d > 30) d = 30; t += d } print n }')
[ "$n401" -le $((2 * admit)) ] || fail "$n401 attempts checked, the limits admit $((2 * admit)) in $secs s"
[ $((limited1 - limited0)) = "$n429" ] || fail "logins_limited_total grew by $((limited1 - limited0)), $n429 refused"
[ "$n429" -gt 0 ] || fail "nothing refused"
echo "limits: at most $((2 * admit)) checked in $secs s (2 workers); every 429 counted"

# the viewer's stream never stopped: a datagram in every 3-second window of the flood
cat "$tmp/view.sum"
awk '$1 == "conn" && $6 > 0 && $6 == $10 && $12 == 0 { ok = 1 } END { exit !ok }' "$tmp/view.sum" ||
	fail "the viewer's datagrams: missing or unverified"
awk -v a="$t0" -v b="$t1" '$1 == "D" && $10 >= a && $10 <= b { t[n++] = $10 }
	END {
		prev = a
		for (i = 0; i < n; i++) { if (t[i] - prev > g) { g = t[i] - prev; at = prev - a }; prev = t[i] }
		if (b - prev > g) { g = b - prev; at = prev - a }
		print n, g, at
	}' "$tmp/view.txt" >"$tmp/gap"
read nd gap at <"$tmp/gap"
[ "$gap" -lt 3000 ] || fail "the viewer's stream stopped for $gap ms at $at ms into the flood ($nd datagrams in it)"
echo "viewer: $nd datagrams, one in every 3 s of the flood (longest wait $gap ms; not asserted)"

# 3. the right password, after the waits asked for
i=0
while :; do
	s=$(post alice pw right)
	[ "$s" = 200 ] && break
	[ "$s" = 429 ] || fail "the right password: $s"
	i=$((i + 1)); [ $i -gt 10 ] && fail "the right password still refused after 10 waits"
	w=$(awk 'tolower($1) == "retry-after:" { print $2 + 0 }' "$tmp/right.h")
	sleep "${w:-1}"
done
grep -q '"token"' "$tmp/right.b" || fail "no token"
echo "the right password logged in after the limits' waits"
echo "login: all checks passed"
