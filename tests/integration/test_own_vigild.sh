#!/bin/sh
# NAME
#	test_own_vigild.sh - one vigild per configuration, and none of its
#	stages outlives it
# DESCRIPTION
#	Real processes on loopback, three cameras streaming. First a second
#	vigild with the same configuration is started while the first runs
#	under load: it must exit 1 with "another vigild (pid N) runs this
#	configuration" naming the first, and leave it alone: afterwards
#	every counter each camera sent is in its day file exactly once and
#	every file's signed chain verifies. Then vigild is killed with
#	SIGKILL 10 times under load and started again at once each time:
#	its stages end with it and the new one ends what is left before it
#	starts its own, so a sampler of the process table (this test's own
#	program paths, every 20 ms) never sees two listeners or two writers
#	of one shard in two samples in a row; nothing the listeners accepted (their counter lives
#	on across generations in its metrics segment) is missing from the
#	files, nothing is stored twice, and every chain verifies.
# run alone: it floods loopback and counts processes
set -u
BINDIR=${BINDIR:-bin}
BIN=$(cd "$BINDIR" && pwd)
tmp=$(mktemp -d /tmp/vigil-ownv.XXXXXX)
prefix=vigilownv$$
vpid=""
cleanup() {
	rm -f "$tmp/sampling"
	[ -n "$vpid" ] && kill -9 "$vpid" 2>/dev/null
	pkill -9 -f "$tmp" 2>/dev/null
	rm -rf "$tmp"; rm -f /dev/shm/$prefix-*
}
trap cleanup EXIT INT TERM
fail() { echo "FAIL: $*"; tail -20 "$tmp/vigild.log"; exit 1; }

port=$(( 20000 + ($$ + 311) % 20000 ))
"$BIN/vigilctl" keygen -d "$tmp/keys" >/dev/null || fail keygen
for i in 1 2 3; do
	"$BIN/vigilctl" provision -d "$tmp/keys" -s 127.0.0.1:$port -o "$tmp/cams" >/dev/null || fail provision
done
cams=$(ls "$tmp/cams")
cat >"$tmp/vigil.conf" <<CONF
shm_prefix = $prefix
metrics_listen =
writers = 2
ring_slots = 4096
restart_min_ms = 50
drain_timeout_ms = 5000
stage listener = $BIN/vigil-listener -d $tmp/keys -l 127.0.0.1:$port
stage writer = $BIN/vigil-writer -D $tmp/data
CONF
status() { VIGIL_SHM_PREFIX=$prefix "$BIN/vigilctl" status 2>/dev/null; }
start() {
	"$BIN/vigild" -f -c "$tmp/vigil.conf" 2>>"$tmp/vigild.log" >/dev/null &
	vpid=$!
	i=0
	until [ "$(status | grep -c '^\(writer\|listener\) .* [1-9][0-9]* ')" -eq 3 ]; do
		i=$((i + 1)); [ $i -gt 100 ] && fail "vigild did not start its stages"; sleep 0.1
	done
}
stop() { kill -TERM "$vpid"; wait "$vpid" || fail "vigild exit status"; vpid=""; }
stream() { # frames per camera, tag
	cpids=""
	for c in $cams; do
		timeout 120 "$BIN/vigil-cam" -c "$tmp/cams/$c/camera.conf" -n "$1" --fps 100 \
			>"$tmp/$c.$2.out" 2>&1 &
		cpids="$cpids $!"
	done
}
drained() {
	i=0
	until [ "$(status | grep -c 'depth 0,')" -eq 2 ]; do
		i=$((i + 1)); [ $i -gt 100 ] && fail "rings did not drain"; sleep 0.1
	done
	sleep 0.3
}
chains() { # data folder: extend each file's chain, then require it
	for f in "$1"/*/*.vgl; do
		"$BIN/vigilctl" chain -d "$tmp/keys" "$f" >/dev/null 2>&1 || fail "chain of $f"
		"$BIN/vigilctl" verify -c -d "$tmp/keys" "$f" >"$tmp/v.out" 2>&1 ||
			{ cat "$tmp/v.out"; fail "$f: its chain does not verify"; }
	done
}

# 1. a second vigild of this configuration is refused; the first runs on
start
first=$vpid
stream 600 a
sleep 1
"$BIN/vigild" -f -c "$tmp/vigil.conf" >"$tmp/second.log" 2>&1 &
spid=$!
i=0
while kill -0 $spid 2>/dev/null; do
	i=$((i + 1)); [ $i -gt 50 ] && { kill -9 $spid; fail "a second vigild runs beside the first"; }
	sleep 0.1
done
wait $spid; rc=$?
cat "$tmp/second.log"
[ $rc -eq 1 ] || fail "the second vigild exited $rc, not 1"
grep -q "another vigild (pid $first) runs this configuration" "$tmp/second.log" ||
	fail "the second vigild does not name the first"
kill -0 "$first" 2>/dev/null || fail "the first vigild is gone"
for p in $cpids; do wait "$p" || fail "a camera failed"; done
drained
stop
day=$(ls "$tmp/data/$(echo "$cams" | head -1)")
for c in $cams; do
	sent=$(sed -n 's/^sent=\([0-9]*\).*/\1/p' "$tmp/$c.a.out")
	"$BIN/vigilctl" verify -d "$tmp/keys" "$tmp/data/$c/$day" >"$tmp/v.out" ||
		{ cat "$tmp/v.out"; fail "$c does not verify"; }
	grep -q "^present: 0-$((sent - 1))$" "$tmp/v.out" && grep -q '^duplicates 0$' "$tmp/v.out" &&
		grep -q "^records $sent," "$tmp/v.out" || { cat "$tmp/v.out"; fail "$c: not each of $sent once"; }
done
chains "$tmp/data"
echo "second vigild refused; every camera's $day complete, once, chained"

# 2. kill -9 vigild 10 times under load: never twins, nothing accepted lost
sed -i "s|$tmp/data|$tmp/data2|" "$tmp/vigil.conf"
rm -f /dev/shm/$prefix-*
: >"$tmp/twins"
: >"$tmp/samples"
touch "$tmp/sampling"
# The processes matching a pattern that can serve: not those whose
# parent matches too, nor those stopped under a tracer. A sanitizer's
# leak check at exit runs in a clone of the exiting stage
# (LeakSanitizer's tracer), which stops the stage's threads while it
# looks: one stage on its way out, not a second one.
stages() {
	local all p
	all=" $(pgrep -d ' ' -f "$1") "
	for p in $all; do
		case "$all" in *" $(ps -o ppid= -p "$p" 2>/dev/null | tr -d ' ') "*) continue ;; esac
		grep -q '^TracerPid:[[:space:]]*0$' "/proc/$p/status" 2>/dev/null && echo "$p"
	done
}
# A twin is what two samples in a row see (a process caught between its
# last turn and its exit in one sample is on its way out; two stages of
# one kind that both run stay for as long as both vigilds do).
(
	last=""
	while [ -f "$tmp/sampling" ]; do
		now=$(
			n=$(stages "vigil-listener .*$tmp/keys" | wc -l)
			[ "$n" -le 1 ] || echo "$n listeners"
			for p in $(stages "vigil-writer .*$tmp/data2"); do
				{ tr "\0" "\n" <"/proc/$p/environ"; } 2>/dev/null | sed -n "s/^VIGIL_STAGE_INDEX=//p"
			done | sort | uniq -d | sed 's/^/two writers of shard /'
		)
		[ -n "$now" ] && [ -n "$last" ] && echo "$now" >>"$tmp/twins"
		last=$now
		echo >>"$tmp/samples"
		sleep 0.02
	done
) &
sampler=$!
start
stream 1500 b
k=0
while [ $k -lt 10 ]; do
	sleep 0.$(( 5 + (k * 7 + $$) % 5 ))
	kill -9 "$vpid"; wait "$vpid" 2>/dev/null
	start # at once: the killed one's stages may still be finishing their turn
	k=$((k + 1))
done
for p in $cpids; do wait "$p"; done
drained
accepted=$(status | sed -n 's/.*accepted=\([0-9]*\).*/\1/p' | head -1)
rm -f "$tmp/sampling"
wait $sampler
stop
samples=$(wc -l <"$tmp/samples")
echo "process table sampled $samples times during the kills"
[ "$samples" -gt 50 ] || fail "too few samples of the process table: $samples"
[ -s "$tmp/twins" ] && { sort "$tmp/twins" | uniq -c; fail "two stages of one kind ran at once"; }
[ "$(grep -c 'started listener\[0\]' "$tmp/vigild.log")" -ge 12 ] || fail "vigild was not restarted 10 times"
stored=0
for c in $cams; do
	"$BIN/vigilctl" verify -d "$tmp/keys" "$tmp/data2/$c/$day" >"$tmp/v.out" ||
		{ cat "$tmp/v.out"; fail "$c does not verify after the kills"; }
	grep -q '^duplicates 0$' "$tmp/v.out" || fail "$c: duplicates stored"
	stored=$(( stored + $(sed -n 's/^records \([0-9]*\),.*/\1/p' "$tmp/v.out") ))
done
chains "$tmp/data2"
echo "after 10 kills of vigild: listeners accepted $accepted, stored $stored"
[ -n "$accepted" ] && [ "$accepted" -gt 1000 ] || fail "too little accepted: $accepted"
[ "$stored" -ge "$accepted" ] || fail "accepted datagrams lost: accepted $accepted, stored $stored"
echo "own_vigild: all checks passed"
