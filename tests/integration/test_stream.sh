#!/bin/sh
# NAME
#	test_stream.sh - the streamer: logins, API ranges and gaps, live and
#	recorded WebSocket streams, replay-merge, slow viewers, kills
# DESCRIPTION
#	vigild runs the listener, two writers, the indexer and a streamer
#	with two workers and a small per-viewer queue. Camera 1 streams
#	H.264 and telemetry and flips a byte of every 9th datagram (dropped
#	by the listener: gaps); camera 2 streams at 2 Mbps.
#	- Without a token, with a forged one, or with a wrong password,
#	  the API answers 401 and the WebSocket is refused.
#	- A user allowed camera 2 only gets 403 and a stream error for 1.
#	- Live: every datagram received verifies with the frame key sent
#	  before it (AES-GCM in the test viewer), in counter order.
#	- Recorded from a time: the first datagram is the first fragment
#	  of a keyframe captured at or before that time.
#	- Replay-merge: playing from 3 s ago at 4x becomes live, and the
#	  counters received are exactly the file's data counters over that
#	  stretch: no duplicate, no hole.
#	- A viewer that stops reading does not delay another: the other
#	  receives every datagram, the stopped one is skipped (metrics).
#	- The API's ranges and gaps equal what `vigilctl verify` reads in
#	  the file.
#	- kill -9 of the streamer and the indexer: both come back and serve
#	  (the same token still works), the writers keep their pids and
#	  their counters keep growing. The audit log names the viewers.
#	- With a certificate the port speaks TLS only, with the same rules.
set -u
BINDIR=${BINDIR:-bin}
OUT=${OUT:-build/default}
BIN=$(cd "$BINDIR" && pwd)
# vigil-cam's test build: --tamper, --dup, --garbage, --replay-hello
CAMT=$(cd "${OUT:-build/default}/tests/tools" 2>/dev/null && pwd)/vigil_cam_test
[ -x "$CAMT" ] || { echo "no vigil_cam_test (make test-build)"; exit 77; }
WSVIEW=$(cd "$OUT/tests/tools" 2>/dev/null && pwd)/wsview
[ -x "$WSVIEW" ] || { echo "wsview not built ($WSVIEW)"; exit 77; }
command -v curl >/dev/null || { echo "curl missing"; exit 77; }
tmp=$(mktemp -d /tmp/vigil-stream.XXXXXX)
prefix=vigilstr$$
vpid=""
cleanup() { [ -n "$vpid" ] && kill -9 "$vpid" 2>/dev/null; pkill -9 -f "$tmp" 2>/dev/null; rm -rf "$tmp"; rm -f /dev/shm/$prefix-*; }
trap cleanup EXIT INT TERM
fail() { echo "FAIL: $*"; tail -20 "$tmp/vigild.log"; exit 1; }
ctl() { VIGIL_SHM_PREFIX=$prefix "$BIN/vigilctl" "$@"; }
pid_of() { ctl status | awk -v s="$1" -v i="$2" '$1 == s && $2 == i {print $3}'; }
metric() { curl -s "$api/metrics" | awk -v m="$2" -v s="$1" 'index($1, "vigil_" m "{stage=\"" s "\"") == 1 {t += $2} END {print t + 0}'; }

port=$(( 20000 + ($$ + 31) % 20000 ))
hport=$(( 40000 + ($$ + 37) % 20000 ))
api=http://127.0.0.1:$hport
"$BIN/vigilctl" keygen -d "$tmp/keys" >/dev/null || fail keygen
for i in 1 2; do
	"$BIN/vigilctl" provision -d "$tmp/keys" -s 127.0.0.1:$port -o "$tmp/cams" >/dev/null || fail provision
done
set -- $(ls "$tmp/cams")
c1=$1 c2=$2
echo pw | "$BIN/vigilctl" user add -d "$tmp/keys" alice --cameras all >/dev/null || fail "user add"
echo pw2 | "$BIN/vigilctl" user add -d "$tmp/keys" bob --cameras $c2 >/dev/null || fail "user add bob"
mkdir -p "$tmp/player"
echo '<!doctype html><title>vigil</title>' >"$tmp/player/index.html"
cat >"$tmp/vigil.conf" <<CONF
shm_prefix = $prefix
metrics_listen =
writers = 2
index_days = 256
index_arena_mb = 16
restart_min_ms = 50
stage listener = $BIN/vigil-listener -d $tmp/keys -l 127.0.0.1:$port
stage writer = $BIN/vigil-writer -D $tmp/data
stage indexer = $BIN/vigil-indexer -D $tmp/data -d $tmp/keys -r 200
stage streamer = $BIN/vigil-streamer -l 127.0.0.1:$hport -D $tmp/data -d $tmp/keys -P $tmp/player -a $tmp/audit.log -w 2 -q 256
CONF
"$BIN/vigild" -f -c "$tmp/vigil.conf" 2>"$tmp/vigild.log" >/dev/null &
vpid=$!
i=0
until curl -s -o /dev/null "$api/"; do
	i=$((i + 1)); [ $i -gt 50 ] && fail "streamer did not start"; sleep 0.1
done

# refusals
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
[ "$(code "$api/api/cameras")" = 401 ] || fail "API without a token"
[ "$(code -H 'Authorization: Bearer alice.99999999999.00' "$api/api/cameras")" = 401 ] || fail "forged token"
[ "$(code -X POST -d '{"user":"alice","password":"nope"}' "$api/api/login")" = 401 ] || fail "wrong password"
"$WSVIEW" -p $hport -d 500 | grep -q 'connected 0' || fail "WebSocket without a token"
"$WSVIEW" -p $hport -t alice.9999999999.0000 -d 500 | grep -q 'connected 0' || fail "WebSocket with a forged token"
[ "$(code "$api/")" = 200 ] || fail "player page"
login() { curl -s -X POST -d "{\"user\":\"$1\",\"password\":\"$2\"}" "$api/api/login" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p'; }
tok=$(login alice pw)
btok=$(login bob pw2)
[ -n "$tok" ] && [ -n "$btok" ] || fail "login"

timeout 60 "$CAMT" -c "$tmp/cams/$c1/camera.conf" -n 900 --fps 30 --tamper 9 \
	--telemetry-hz 5 --no-gpsd >"$tmp/c1.out" 2>&1 &
p1=$!
timeout 60 "$BIN/vigil-cam" -c "$tmp/cams/$c2/camera.conf" -n 900 --fps 30 --kbps 2000 \
	--telemetry-hz 2 --no-gpsd >"$tmp/c2.out" 2>&1 &
p2=$!
sleep 4
day=$(date -u +%F)
w0=$(pid_of writer 0) w1=$(pid_of writer 1)

[ "$(code -H "Authorization: Bearer $btok" "$api/api/cameras/$c1/days")" = 403 ] || fail "bob sees camera 1"
curl -s -H "Authorization: Bearer $btok" "$api/api/cameras" | grep -q "$c1" && fail "bob lists camera 1"
"$WSVIEW" -p $hport -t "$btok" -c "0:{\"op\":\"live\",\"camera\":\"$c1\"}" -d 800 -o "$tmp/bob.txt" |
	grep -q 'datagrams 0 keys 0' || fail "bob received camera 1"
grep -q '"type":"error"' "$tmp/bob.txt" || fail "bob got no error"
curl -s -H "Authorization: Bearer $tok" "$api/api/cameras" | grep -q "\"uuid\":\"$c1\".*\"online\":true" || fail "camera list"
# Paths the router must refuse: outside the player's folder, a day in a
# form the date parser once let through, an unknown API path.
[ "$(code --path-as-is "$api/../etc/passwd")" = 404 ] || fail "a path with .. was served"
[ "$(code -H "Authorization: Bearer $tok" "$api/api/cameras/$c1/days/${day%-*}-+5")" = 404 ] ||
	fail "a day with a sign was taken"
[ "$(code -H "Authorization: Bearer $tok" "$api/api/cameras/$c1/nothing")" = 404 ] || fail "unknown API path"
[ "$(code "$api/api/cameras/$c1/days/$day")" = 401 ] || fail "a day without a token"
[ "$(code -H "Authorization: Bearer $tok" "$api/api/cameras/$c1/days/$day")" = 200 ] || fail "a day"

# live, and a slow viewer beside a normal one, on the 2 Mbps camera
"$WSVIEW" -p $hport -t "$tok" -c "0:{\"op\":\"live\",\"camera\":\"$c1\"}" -d 3000 -o "$tmp/live.txt" >"$tmp/live.sum" &
lv=$!
skips0=$(metric streamer slow_viewer_skips_total)
"$WSVIEW" -p $hport -t "$tok" -n 2 -S 300 -c "0:{\"op\":\"live\",\"camera\":\"$c2\"}" -d 8000 >"$tmp/slow.sum" || fail "slow viewers"
wait $lv
awk '$1 == "conn" && $6 > 50 && $12 == 0 && $10 == $6 && $22 == 0 {ok=1} END {exit !ok}' "$tmp/live.sum" ||
	{ cat "$tmp/live.sum"; fail "live: datagrams missing, unverified or out of order"; }
grep -q '^D .* 1 1 0 1 ' "$tmp/live.txt" || fail "live did not start at a keyframe flagged live"
[ "$(head -2 "$tmp/live.txt" | sed -n 2p | cut -c1)" = K ] || fail "no frame key before the first datagram"
awk '$2 == 1 && $12 == 0 && $22 == 0 && $6 > 300 {ok=1} END {exit !ok}' "$tmp/slow.sum" ||
	{ cat "$tmp/slow.sum"; fail "the reading viewer was held up"; }
[ "$(metric streamer slow_viewer_skips_total)" -gt "$skips0" ] || { cat "$tmp/slow.sum"; fail "the stopped viewer was never skipped"; }

# recorded from a time: starts at a keyframe at or before it
curl -s -H "Authorization: Bearer $tok" "$api/api/cameras/$c1/days/$day" >"$tmp/day.json"
kf2=$(sed 's/.*"keyframes":\[\([0-9,]*\)\].*/\1/' "$tmp/day.json" | cut -d, -f2)
[ -n "$kf2" ] || fail "no keyframes in $(cat "$tmp/day.json" | head -c 300)"
t=$((kf2 + 400))
"$WSVIEW" -p $hport -t "$tok" -c "0:{\"op\":\"play\",\"camera\":\"$c1\",\"date\":\"$day\",\"from_ms\":$t}" \
	-d 1500 -o "$tmp/rec.txt" >"$tmp/rec.sum"
awk -v t=$t '$1 == "D" { if ($7 != 0 || $8 != 1 || $4 !~ /^0\// || $9 > t) bad = 1; n++; exit }
	END { exit bad || !n }' "$tmp/rec.txt" || { head -5 "$tmp/rec.txt"; fail "recorded did not start at a keyframe at or before $t"; }
awk '$1 == "conn" && $12 == 0 && $10 == $6 {ok=1} END {exit !ok}' "$tmp/rec.sum" || { cat "$tmp/rec.sum"; fail "recorded datagrams unverified"; }

# replay-merge: from 3 s ago at 4x into live
t=$(( $(date +%s%3N) - 3000 ))
"$WSVIEW" -p $hport -t "$tok" -c "0:{\"op\":\"play\",\"camera\":\"$c1\",\"from_ms\":$t}" \
	-c "10:{\"op\":\"speed\",\"x\":4}" -d 4000 -o "$tmp/merge.txt" >"$tmp/merge.sum"
grep -q '"mode":"live"' "$tmp/merge.txt" || fail "recorded never reached live"
awk '$1 == "D" && $6 == 0 {r++} $1 == "D" && $6 == 1 {l++} END {exit !(r > 0 && l > 0)}' "$tmp/merge.txt" ||
	fail "replay-merge: not both recorded and live datagrams"
awk '$1 == "conn" {exit !($22 == 0)}' "$tmp/merge.sum" || fail "replay-merge: a counter repeated or went back"
wait $p1 || { cat "$tmp/c1.out"; fail "camera 1"; }
wait $p2 || { cat "$tmp/c2.out"; fail "camera 2"; }
sleep 0.5
f1=$(ls "$tmp"/data/$c1/*.vgl)
first=$(awk '$1 == "D" {print $2; exit}' "$tmp/merge.txt")
last=$(awk '$1 == "D" {c = $2} END {print c}' "$tmp/merge.txt")
awk '$1 == "D" {print $2}' "$tmp/merge.txt" >"$tmp/got.txt"
"$BIN/vigilctl" dump "$f1" | awk -v a=$first -v b=$last '$2 == "data" { split($3, c, "="); if (c[2] >= a && c[2] <= b) print c[2] }' >"$tmp/want.txt"
cmp -s "$tmp/got.txt" "$tmp/want.txt" || { diff "$tmp/want.txt" "$tmp/got.txt" | head; fail "replay-merge: counters differ from the file ($first..$last)"; }
echo "replay-merge: $(wc -l <"$tmp/got.txt") datagrams $first..$last, none repeated, none missing"

# API ranges and gaps equal the file's
"$BIN/vigilctl" verify -d "$tmp/keys" "$f1" >"$tmp/verify.txt" || fail "verify"
i=0
while :; do
	curl -s -H "Authorization: Bearer $tok" "$api/api/cameras/$c1/days/$day" >"$tmp/day.json"
	got=$(sed 's/"gaps".*//' "$tmp/day.json" | grep -o '"first":[0-9]*,"last":[0-9]*' | sed 's/"first":\([0-9]*\),"last":\([0-9]*\)/\1-\2/' | tr '\n' ' ')
	want=$(sed -n 's/^present: //p' "$tmp/verify.txt")
	[ "$got" = "$want " ] && break
	i=$((i + 1)); [ $i -gt 30 ] && fail "API ranges [$got] differ from the file's [$want]"
	sleep 0.2
done
gaps=$(sed 's/.*"gaps"//; s/"keyframes".*//' "$tmp/day.json" | grep -o '"first":[0-9]*,"last":[0-9]*' | sed 's/"first":\([0-9]*\),"last":\([0-9]*\)/\1-\2/' | tr '\n' ' ')
[ "$gaps" = "$(sed -n 's/^missing: //p' "$tmp/verify.txt") " ] || fail "API gaps [$gaps] differ from the file's"
grep -q '"complete":false' "$tmp/day.json" || fail "a day with gaps said complete"

# kill -9 the streamer and the indexer under vigild
a0=$(metric writer appended_total)
# (it streams until stopped below: on a busy machine the restarts can
# outlast a short run, and then there would be nothing live to see)
timeout 60 "$BIN/vigil-cam" -c "$tmp/cams/$c2/camera.conf" -n 1800 --fps 30 --no-gpsd >"$tmp/c3.out" 2>&1 &
p3=$!
sp=$(pid_of streamer 0) ip=$(pid_of indexer 0)
kill -9 "$sp" "$ip"
i=0
until [ "$(pid_of streamer 0)" != "$sp" ] && [ "$(pid_of streamer 0)" != 0 ] &&
      [ "$(pid_of indexer 0)" != "$ip" ] && [ "$(pid_of indexer 0)" != 0 ] &&
      [ "$(code -H "Authorization: Bearer $tok" "$api/api/cameras/$c2/days")" = 200 ]; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "streamer or indexer did not come back"; sleep 0.1
done
i=0
until "$WSVIEW" -p $hport -t "$tok" -c "0:{\"op\":\"live\",\"camera\":\"$c2\"}" -d 1500 |
	awk '$6 > 0 && $12 == 0 {ok=1} END {exit !ok}'; do
	i=$((i + 1)); [ $i -gt 10 ] && fail "no live stream after the kills"
done
kill -TERM $p3
wait $p3 || fail "camera 3: $(tail -3 "$tmp/c3.out")"
sleep 0.5
[ "$(pid_of writer 0)" = "$w0" ] && [ "$(pid_of writer 1)" = "$w1" ] || fail "a writer was restarted"
[ "$(metric writer appended_total)" -gt "$a0" ] || fail "writers stopped appending"
grep -q "user=alice live camera=$c1" "$tmp/audit.log" && grep -q "user=alice play camera=$c1" "$tmp/audit.log" ||
	fail "audit log: $(cat "$tmp/audit.log")"

# TLS: with a certificate the port speaks HTTPS only, token rules unchanged
if command -v openssl >/dev/null; then
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/tls.key" -out "$tmp/tls.crt" -days 1 \
		-subj /CN=127.0.0.1 2>/dev/null || fail "openssl req"
	tport=$((hport + 1))
	VIGIL_SHM_PREFIX=$prefix "$BIN/vigil-streamer" -l 127.0.0.1:$tport -D "$tmp/data" -d "$tmp/keys" \
		-P "$tmp/player" -C "$tmp/tls.crt" -K "$tmp/tls.key" 2>"$tmp/tls.log" &
	tpid=$!
	i=0
	until [ "$(code -k "https://127.0.0.1:$tport/api/cameras")" = 401 ]; do
		i=$((i + 1)); [ $i -gt 50 ] && { kill $tpid; fail "TLS streamer"; }; sleep 0.1
	done
	[ "$(code -k -H "Authorization: Bearer $tok" "https://127.0.0.1:$tport/api/cameras/$c1/days")" = 200 ] ||
		{ kill $tpid; fail "TLS API with a token"; }
	[ "$(code "http://127.0.0.1:$tport/")" = 000 ] || { kill $tpid; fail "plain HTTP on the TLS port"; }
	kill $tpid; wait $tpid 2>/dev/null
fi
kill -TERM "$vpid"; wait "$vpid"; vpid=""
echo "stream: all checks passed"
