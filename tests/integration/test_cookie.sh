#!/bin/sh
# NAME
#	test_cookie.sh - the hello cookie: a session only after the cookie,
#	and a forged-source hello flood costs no RSA work
# DESCRIPTION
#	Real UDP on 127.0.0.1, vigild with a listener and a writer.
#	(a) hello_cookie = always: a camera (tests/tools/hello_probe) that
#	sends a signed hello gets a 60-byte COOKIE echoing its UUID, date and
#	hello id and no HELLO_ACK; the hello again with one bit of the
#	cookie's MAC flipped gets no HELLO_ACK and counts hello_cookie_bad;
#	with the cookie's trailer it gets its HELLO_ACK, and its data lands.
#	The day file holds the hello as signed (64 + W + S bytes, no trailer)
#	and `vigilctl verify` passes; one RSA check was done in all.
#	(b) hello_cookie = auto, hello_load = 100: forged hellos for a
#	registered camera from 4096 source addresses (127.2.x.y) at 10000 a
#	second. Once cookies flow, hello_verify grows only by the good
#	camera's hello (bound: hello_load per second of flood), a fresh good
#	camera still gets its HELLO_ACK by answering its cookie, and the flood
#	addresses receive fewer bytes than they sent (a tenth at most).
#	(c) a real vigil-cam connects with hello_cookie = always (it took a
#	cookie), its data lands on disk and its stored hello has no trailer.
set -u
BINDIR=${BINDIR:-bin}
OUT=${OUT:-build/default}
BIN=$(cd "$BINDIR" && pwd)
PROBE=$OUT/tests/tools/hello_probe
. tests/lib/vigil_server.sh
[ -x "$PROBE" ] || { echo "no $PROBE: make test-build first"; exit 77; }
vs_setup cookie
for i in 1 2; do
	"$BIN/vigilctl" provision -d "$tmp/keys" -s 127.0.0.1:$port -o "$tmp/cams" >/dev/null ||
		fail provision
done
set -- $(ls "$tmp/cams")
c1=$1 c2=$2

status() { VIGIL_SHM_PREFIX=$prefix "$BIN/vigilctl" status; }
# a listener counter from the status segment (shown when not zero)
ctr() {
	v=$(status | tr ' ' '\n' | sed -n "s/^$1=\([0-9]*\)$/\1/p" | head -1)
	echo "${v:-0}"
}
start() { # hello_cookie hello_load [listener option...]
	cat >"$tmp/vigil.conf" <<CONF
shm_prefix = $prefix
metrics_listen =
writers = 1
hello_cookie = $1
hello_load = $2
stage listener = $BIN/vigil-listener -d $tmp/keys -l 127.0.0.1:$port ${3:-}
stage writer = $BIN/vigil-writer -D $tmp/data
CONF
	"$BIN/vigild" -n -c "$tmp/vigil.conf" 2>>"$tmp/vigild.log" || fail "vigild -n refused the file"
	"$BIN/vigild" -f -c "$tmp/vigil.conf" 2>>"$tmp/vigild.log" >>"$tmp/listener.log" &
	vpid=$!
	i=0
	until status 2>/dev/null | grep -q '^listener .* [1-9][0-9]* '; do
		i=$((i + 1)); [ $i -gt 100 ] && fail "vigild did not start"; sleep 0.1
	done
	sleep 0.3
}
drained() {
	i=0
	until status | grep -q 'depth 0,'; do
		i=$((i + 1)); [ $i -gt 100 ] && fail "ring did not drain"; sleep 0.1
	done
	sleep 0.3
}
bad_conf() {
	printf 'stage listener = /bin/true\n%s\n' "$1" >"$tmp/bad.conf"
	"$BIN/vigild" -n -c "$tmp/bad.conf" 2>/dev/null && fail "vigild -n took \"$1\""
}
bad_conf "hello_cookie = sometimes"
bad_conf "hello_load = -1"
bad_conf "hello_load = many"

# (a) always: no session before the cookie is answered
start always 500
"$PROBE" -s 127.0.0.1:$port -C "$tmp/cams/$c1" -x -r -n 5 >"$tmp/a.out"
rc=$?
cat "$tmp/a.out"
[ $rc -eq 0 ] || fail "the probe got no session through the cookie"
head -1 "$tmp/a.out" | grep -q '^cookie len=60 decode=ok uuid=ok date=ok hello_id=ok ' ||
	fail "the first answer is not a 60-byte COOKIE echoing the hello"
grep -q '^bad_trailer reply=cookie$' "$tmp/a.out" || fail "a flipped MAC bit was not answered with a new cookie"
grep -q '^ack session=0 ' "$tmp/a.out" || fail "no HELLO_ACK after the cookie"
drained
status | tee "$tmp/status-a.out"
[ "$(ctr hello_cookie_bad)" = 1 ] || fail "hello_cookie_bad is $(ctr hello_cookie_bad), want 1"
[ "$(ctr hello_cookie_sent)" -ge 2 ] || fail "hello_cookie_sent below 2"
[ "$(ctr hello)" = 1 ] || fail "sessions opened: $(ctr hello), want 1"
[ "$(ctr hello_verify)" = 1 ] || fail "RSA checks: $(ctr hello_verify), want 1 (only the hello with a valid cookie)"
[ "$(ctr data)" = 5 ] || fail "data accepted: $(ctr data), want 5"
vs_stop
day=$(ls "$tmp/data/$c1")
f=$tmp/data/$c1/$day
W=$(( $(openssl pkey -in "$tmp/keys/server.key" -noout -text | sed -n 's/.*(\([0-9]*\) bit.*/\1/p') / 8 ))
S=$(( $(openssl pkey -in "$tmp/cams/$c1/camera.key" -noout -text | sed -n 's/.*(\([0-9]*\) bit.*/\1/p') / 8 ))
"$BIN/vigilctl" dump "$f" >"$tmp/dump.out" || fail dump
grep hello "$tmp/dump.out"
[ "$(grep -c ' hello ' "$tmp/dump.out")" = 1 ] || fail "want one stored hello"
grep -q " hello .*counter=0 len=$((64 + W + S))\$" "$tmp/dump.out" ||
	fail "the stored hello is not the signed hello alone ($((64 + W + S)) bytes)"
"$BIN/vigilctl" verify -d "$tmp/keys" "$f" >"$tmp/v.out"; rc=$?
cat "$tmp/v.out"
[ $rc -eq 0 ] || fail "the day file does not verify"
grep -q '^records 6,' "$tmp/v.out" || fail "want 6 records (hello and 5 data)"

# (b) auto: a forged-source flood is answered with cookies, not RSA work
load=100
start auto $load
v0=$(ctr hello_verify)
"$PROBE" -s 127.0.0.1:$port -C "$tmp/cams/$c2" -F 200000 -R 10000 -S 4096 >"$tmp/flood.out" &
fpid=$!
pids="$fpid"
i=0
until [ "$(ctr hello_cookie_sent)" -gt 0 ]; do
	i=$((i + 1)); [ $i -gt 200 ] && fail "no cookie sent during the flood"; sleep 0.1
done
v1=$(ctr hello_verify)
"$PROBE" -s 127.0.0.1:$port -b 127.0.0.1 -C "$tmp/cams/$c1" -c 100 -r -n 5 >"$tmp/b.out"
rc=$?
cat "$tmp/b.out"
[ $rc -eq 0 ] || fail "a good camera got no session during the flood"
grep -q '^ack session=100 ' "$tmp/b.out" || fail "no HELLO_ACK during the flood"
sleep 1
kill -TERM $fpid
wait $fpid
pids=""
cat "$tmp/flood.out"
sleep 1.2 # the next second still counts the flood's hellos
v2=$(ctr hello_verify)
sent=$(ctr hello_cookie_sent)
secs=$(sed -n 's/.* seconds=\([0-9]*\).*/\1/p' "$tmp/flood.out")
fsent=$(sed -n 's/^flood sent=\([0-9]*\) .*/\1/p' "$tmp/flood.out")
sb=$(sed -n 's/.* sent_bytes=\([0-9]*\) .*/\1/p' "$tmp/flood.out")
rb=$(sed -n 's/.* received_bytes=\([0-9]*\) .*/\1/p' "$tmp/flood.out")
status | tee "$tmp/status-b.out"
echo "flood: $fsent forged hellos in about $secs s; RSA checks $v0 -> $v1 (cookies flowing)" \
	"-> $v2; cookies sent $sent; flood sources sent $sb bytes, received $rb"
[ "$sent" -gt 0 ] || fail "no cookies sent"
# hellos reach RSA only while not under load: at most hello_load a second
[ $((v2 - v0)) -le $((load * (secs + 3) + 1)) ] ||
	fail "RSA checks grew by $((v2 - v0)) during the flood, more than $load a second"
echo "RSA checks while cookies flowed: $((v2 - v1)) (the good camera's hello: 1)"
[ $((v2 - v0)) -lt "$fsent" ] || fail "every forged hello was checked"
[ "$rb" -le "$sb" ] || fail "the flood's sources received more than they sent: $rb > $sb"
[ $((rb * 9)) -le "$sb" ] || fail "the server sent the flood's sources more than a ninth of their bytes"
drained
vs_stop
"$BIN/vigilctl" verify -d "$tmp/keys" "$f" >"$tmp/v.out"; rc=$?
cat "$tmp/v.out"
[ $rc -eq 0 ] || fail "the day file does not verify after the flood"
grep -q '^records 12,' "$tmp/v.out" || fail "want 12 records (two sessions of a hello and 5 data)"

# (d) the cookies themselves are capped (-K): a flood above the cap gets
# no more than the cap's cookies, the rest counted hello_cookie_capped
start auto $load "-K 1000"
c0=$(ctr hello_cookie_sent)
"$PROBE" -s 127.0.0.1:$port -C "$tmp/cams/$c2" -F 30000 -R 10000 -S 4096 >"$tmp/flood2.out" ||
	fail "second flood"
sleep 1.2
sent=$(( $(ctr hello_cookie_sent) - c0 )) capped=$(ctr hello_cookie_capped)
secs=$(sed -n 's/.* seconds=\([0-9]*\).*/\1/p' "$tmp/flood2.out")
echo "capped flood: 30000 hellos in about $secs s: cookies $sent, capped $capped"
[ "$capped" -gt 0 ] || fail "no hello counted hello_cookie_capped above the cap"
# a burst of one second's worth, then 1000 a second
[ "$sent" -le $((1000 * (secs + 2) + 1000)) ] || fail "$sent cookies, more than the cap allows"
vs_stop

# (c) a real vigil-cam with hello_cookie = always: its data lands on disk
start always 500
timeout 60 "$BIN/vigil-cam" -c "$tmp/cams/$c2/camera.conf" -n 50 --fps 50 >"$tmp/cam.out" ||
	{ cat "$tmp/cam.out"; fail "vigil-cam failed with hello_cookie = always"; }
drained
status | tee "$tmp/status-c.out"
vs_stop
grep ' cookies=' "$tmp/cam.out"
grep -q ' cookies=[1-9]' "$tmp/cam.out" || fail "vigil-cam took no cookie"
grep -q ' hello_cookie_sent=[1-9]' "$tmp/status-c.out" || fail "vigil-cam was not asked for a cookie"
s=$(sed -n 's/^sent=\([0-9]*\).*/\1/p' "$tmp/cam.out")
f2=$tmp/data/$c2/$(ls "$tmp/data/$c2" | tail -1)
"$BIN/vigilctl" verify -d "$tmp/keys" "$f2" >"$tmp/v.out" || { cat "$tmp/v.out"; fail "vigil-cam's file does not verify"; }
cat "$tmp/v.out"
grep -q "^records $s," "$tmp/v.out" || fail "vigil-cam sent $s, stored $(grep ^records "$tmp/v.out")"
S2=$(( $(openssl pkey -in "$tmp/cams/$c2/camera.key" -noout -text | sed -n 's/.*(\([0-9]*\) bit.*/\1/p') / 8 ))
"$BIN/vigilctl" dump "$f2" | grep ' hello ' | grep -qv " len=$((64 + W + S2))\$" &&
	fail "a stored hello of vigil-cam is not the signed hello alone"
echo "vigil-cam through the cookie: $s datagrams stored"
echo "cookie: all checks passed"
