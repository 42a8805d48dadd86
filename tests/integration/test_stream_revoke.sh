#!/bin/sh
# NAME
#	test_stream_revoke.sh - access ends when it should: a deleted user,
#	a new password, a camera taken from a user's list, a token's
#	lifetime; and a user's streams are capped
# DESCRIPTION
#	vigild runs the listener, a writer, the indexer and a streamer with
#	one worker and at most 2 streams per user (-s 2); two cameras
#	stream live. Each viewer below watches camera 1 live, and the test
#	waits for its datagrams before the change:
#	- `vigilctl user del bob`: bob's socket is closed with code 4001,
#	  his token is refused by the API (401) and by the WebSocket.
#	- `vigilctl user add carol` with a new password: the same; the new
#	  password logs in.
#	- dave's line in the users file loses camera 1 (the file replaced
#	  by hand, same password): his stream stops with an error, no
#	  datagram after the stop, and his token gets 403 for camera 1 and
#	  200 for camera 2.
#	- erin opens three live streams at once: two stream, the third is
#	  refused ("too many streams").
#	- A second streamer on the same index with a 4 s token lifetime
#	  (-T 4000): a viewer's socket is closed with 4001 once its token
#	  ends, and the token is refused; a token of the first streamer
#	  (12 h) is refused by it: it claims to last longer than allowed.
#	Every wait is for the event, bounded (20 s); no timing is asserted.
set -u
BINDIR=${BINDIR:-bin}
OUT=${OUT:-build/default}
BIN=$(cd "$BINDIR" && pwd)
. "$(dirname "$0")/../lib/vigil_server.sh"
WSVIEW=$(cd "$OUT/tests/tools" 2>/dev/null && pwd)/wsview
[ -x "$WSVIEW" ] || { echo "wsview not built ($WSVIEW)"; exit 77; }
command -v curl >/dev/null || { echo "curl missing"; exit 77; }
tmp=$(mktemp -d /tmp/vigil-revoke.XXXXXX)
prefix=vigilrev$$
vpid="" spid=""
cleanup() {
	[ -n "$vpid" ] && kill -9 "$vpid" 2>/dev/null
	[ -n "$spid" ] && kill -9 "$spid" 2>/dev/null
	pkill -9 -f "$tmp" 2>/dev/null; rm -rf "$tmp"; rm -f /dev/shm/$prefix-*
}
trap cleanup EXIT INT TERM

port=$(( 20000 + ($$ + 41) % 20000 ))
hport=$(( 40000 + ($$ + 43) % 20000 ))
h2port=$(( 40000 + ($$ + 47) % 20000 ))
api=http://127.0.0.1:$hport
"$BIN/vigilctl" keygen -d "$tmp/keys" >/dev/null || fail keygen
for i in 1 2; do
	"$BIN/vigilctl" provision -d "$tmp/keys" -s 127.0.0.1:$port -o "$tmp/cams" >/dev/null || fail provision
done
set -- $(ls "$tmp/cams")
c1=$1 c2=$2
for u in bob carol erin; do
	echo pw | "$BIN/vigilctl" user add -d "$tmp/keys" $u --cameras all >/dev/null || fail "user add $u"
done
echo pw | "$BIN/vigilctl" user add -d "$tmp/keys" dave --cameras $c1,$c2 >/dev/null || fail "user add dave"
vs_stream -w 1 -s 2
for c in $c1 $c2; do
	timeout 300 "$BIN/vigil-cam" -c "$tmp/cams/$c/camera.conf" -n 9000 --fps 30 \
		--telemetry-hz 2 --no-gpsd >"$tmp/cam-$c.out" 2>&1 &
done

code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
login() { curl -s -X POST -d "{\"user\":\"$1\",\"password\":\"$2\"}" "${3:-$api}/api/login" |
	sed -n 's/.*"token":"\([^"]*\)".*/\1/p'; }
# wait (20 s at most) until file $1 has a line matching $2
await() {
	i=0
	until grep -q "$2" "$1" 2>/dev/null; do
		i=$((i + 1)); [ $i -gt 400 ] && { tail -3 "$1"; fail "$3"; }; sleep 0.05
	done
}
# viewer $1 with token $2 watches camera 1 live on port ${3:-hport} (pid in wpid)
view_live() {
	"$WSVIEW" -p "${3:-$hport}" -t "$2" -c "0:{\"op\":\"live\",\"camera\":\"$c1\"}" -d 120000 \
		-q "$tmp/$1.quit" -o "$tmp/$1.txt" >"$tmp/$1.sum" &
	wpid=$!
	await "$tmp/$1.txt" '^D ' "$1: no live datagrams"
}

i=0
until tok=$(login bob pw) && [ -n "$tok" ] &&
      curl -s -H "Authorization: Bearer $tok" "$api/api/cameras/$c1/days" | grep -q '"'; do
	i=$((i + 1)); [ $i -gt 400 ] && fail "camera 1 never stored"; sleep 0.05
done

# 1. a deleted user
btok=$(login bob pw)
view_live bob "$btok"
"$BIN/vigilctl" user del -d "$tmp/keys" bob >/dev/null || fail "user del"
await "$tmp/bob.txt" '^C 4001' "bob's socket was not closed after his deletion"
[ "$(code -H "Authorization: Bearer $btok" "$api/api/cameras")" = 401 ] || fail "a deleted user's token works"
"$WSVIEW" -p $hport -t "$btok" -d 500 | grep -q 'connected 0' || fail "a deleted user's WebSocket opened"
touch "$tmp/bob.quit"
echo "deleted user: socket closed (4001), token refused"

# 2. a new password
ctok=$(login carol pw)
view_live carol "$ctok"
echo pw2 | "$BIN/vigilctl" user add -d "$tmp/keys" carol --cameras all >/dev/null || fail "password"
await "$tmp/carol.txt" '^C 4001' "carol's socket was not closed after her new password"
[ "$(code -H "Authorization: Bearer $ctok" "$api/api/cameras")" = 401 ] || fail "a token of the old password works"
"$WSVIEW" -p $hport -t "$ctok" -d 500 | grep -q 'connected 0' || fail "a WebSocket of the old password opened"
[ -n "$(login carol pw2)" ] || fail "the new password does not log in"
touch "$tmp/carol.quit"
echo "new password: socket closed (4001), old token refused, new password logs in"

# 3. a camera taken from a user's list (the file replaced by hand, same password)
dtok=$(login dave pw)
view_live dave "$dtok"
awk -v c="$c2" '$1 == "dave" { $8 = c } { print }' "$tmp/keys/users" >"$tmp/users.new"
mv "$tmp/users.new" "$tmp/keys/users"
await "$tmp/dave.txt" '"mode":"stopped"' "dave's stream of camera 1 did not stop"
touch "$tmp/dave.quit"
wait "$wpid"
grep -q '"message":"not allowed to see this camera"' "$tmp/dave.txt" || fail "dave was not told why"
awk '/"mode":"stopped"/ { s = 1; next } s && /^D / { bad = 1 } END { exit bad }' "$tmp/dave.txt" ||
	fail "dave received datagrams after his stream stopped"
[ "$(code -H "Authorization: Bearer $dtok" "$api/api/cameras/$c1/days")" = 403 ] || fail "dave still sees camera 1"
[ "$(code -H "Authorization: Bearer $dtok" "$api/api/cameras/$c2/days")" = 200 ] || fail "dave lost camera 2"
"$WSVIEW" -p $hport -t "$dtok" -c "0:{\"op\":\"live\",\"camera\":\"$c1\"}" -d 800 -o "$tmp/dave2.txt" |
	grep -q 'datagrams 0' || fail "dave streams camera 1 again"
echo "camera removed: the stream stopped with an error, token refused for camera 1, kept for camera 2"

# 4. at most 2 streams per user in a worker
etok=$(login erin pw)
"$WSVIEW" -p $hport -t "$etok" -n 3 -c "0:{\"op\":\"live\",\"camera\":\"$c1\"}" -d 10000 \
	>"$tmp/erin.sum" || fail "erin's viewers"
awk '$1 == "conn" && $6 > 0 { s++ } $1 == "conn" && $6 == 0 { r++ } END { exit !(s == 2 && r == 1) }' \
	"$tmp/erin.sum" || { cat "$tmp/erin.sum"; fail "three streams of one user: not two streaming and one refused"; }
echo "stream cap: 2 of 3 streams opened"

# 5. a token's lifetime ends on an open socket
VIGIL_SHM_PREFIX=$prefix "$BIN/vigil-streamer" -l 127.0.0.1:$h2port -D "$tmp/data" -d "$tmp/keys" \
	-P "$tmp/player" -w 1 -T 4000 2>"$tmp/streamer2.log" &
spid=$!
i=0
until curl -s -o /dev/null "http://127.0.0.1:$h2port/"; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "the second streamer did not start"; sleep 0.1
done
[ "$(code -H "Authorization: Bearer $etok" "http://127.0.0.1:$h2port/api/cameras")" = 401 ] ||
	fail "a 12 h token works where tokens last 4 s"
ftok=$(login erin pw "http://127.0.0.1:$h2port")
[ -n "$ftok" ] || fail "login on the second streamer"
view_live frank "$ftok" $h2port
await "$tmp/frank.txt" '^C 4001' "a socket outlived its token"
[ "$(code -H "Authorization: Bearer $ftok" "http://127.0.0.1:$h2port/api/cameras")" = 401 ] ||
	fail "an expired token works"
echo "token lifetime: the socket closed (4001) once the token ended, the token refused"
echo "revoke: all checks passed"
