# NAME
#	sync_setup.sh - what the sync tests share (sourced, not run)
# DESCRIPTION
#	sync_setup NAME: programs, a temporary folder, shm prefix and ports
#	from $$, cleanup on exit, a server key and one camera provisioned to
#	talk to the relay (camera UUID in $c). sync_conf LISTENER_ARGS
#	SYNCD_ARGS [LINE...]: vigil.conf with a listener, two writers and
#	syncd (extra lines appended). sync_start: vigild up with syncd
#	running. sync_relay PHASE...: the test relay from the camera's port
#	to the listener. sync_stop: relay and vigild stopped, their
#	statistics written. sync_check_day DAY: the day file verifies, holds
#	no counter twice, completeness finds none missing (counters the
#	camera never used excused), and syncd recorded the day complete.
#	For a WebSocket viewer: sync_viewer_needs (before sync_setup: skips
#	without wsview, the streamer or curl); sync_viewer_conf SALT
#	STREAMER_ARGS [SYNCD_ARGS]: user alice, a player folder, and
#	sync_conf with the indexer and the streamer on $hport ($api);
#	sync_viewer_login after sync_start: waits for the streamer, token
#	in $tok.
#	A backfilled day: sync_outage_camera: the relay (5 s good, 6 s
#	outage, then good while syncd fetches the outage back beside the
#	live datagrams) and the camera streaming 20 s through it, in the
#	background ($cpid); sync_day_complete: the camera ended and syncd
#	recorded its day ($day) complete.
#	sync_view NAME WSVIEW_COMMANDS...: a viewer in the background
#	($wpid), its lines in $tmp/NAME.txt; sync_view_live NAME: once it
#	went on as live after a recorded stream, it runs 0.5 s more (a
#	duplicate would come then) and ends; its datagrams must verify,
#	none skipped, and their counters are left in $tmp/NAME.got.
#	sync_counter_order NAME FILE: those counters are exactly the data
#	counters of FILE (first column, file order) from the first one
#	received on, in counter order, and FILE does not hold them so.
set -u
BINDIR=${BINDIR:-bin}
OUT=${OUT:-build/default}
BIN=$(cd "$BINDIR" && pwd)
RELAY=$OUT/tests/tools/relay
vpid="" rpid="" cpid=""

sync_setup() {
	[ -x "$RELAY" ] || { echo "relay not built ($RELAY)"; exit 77; }
	tmp=$(mktemp -d /tmp/vigil-$1.XXXXXX)
	prefix=vigil$1$$
	trap sync_cleanup EXIT INT TERM
	port=$(( 20000 + ($$ + $2) % 20000 ))
	rport=$(( 20000 + ($$ + $2 + 1) % 20000 ))
	mport=$(( 40000 + ($$ + $2) % 20000 ))
	"$BIN/vigilctl" keygen -d "$tmp/keys" >/dev/null || fail keygen
	c=$("$BIN/vigilctl" provision -d "$tmp/keys" -s 127.0.0.1:$rport -o "$tmp/cams") || fail provision
}

sync_cleanup() {
	for p in $vpid $rpid $cpid; do kill -9 "$p" 2>/dev/null; done
	pkill -9 -f "$tmp" 2>/dev/null
	rm -rf "$tmp"
	rm -f /dev/shm/$prefix-*
}

fail() { echo "FAIL: $*"; tail -30 "$tmp/vigild.log"; exit 1; }

sync_conf() {
	listener_args=$1 syncd_args=$2
	shift 2
	{
		echo "shm_prefix = $prefix"
		echo "metrics_listen = 127.0.0.1:$mport"
		echo "writers = 2"
		echo "restart_min_ms = 50"
		echo "stage listener = $BIN/vigil-listener -d $tmp/keys -l 127.0.0.1:$port $listener_args"
		echo "stage writer = $BIN/vigil-writer -D $tmp/data"
		echo "stage syncd = $BIN/vigil-syncd -D $tmp/data $syncd_args"
		for line in "$@"; do echo "$line"; done
	} >"$tmp/vigil.conf"
}

sync_start() {
	"$BIN/vigild" -f -c "$tmp/vigil.conf" 2>>"$tmp/vigild.log" >/dev/null &
	vpid=$!
	i=0
	until VIGIL_SHM_PREFIX=$prefix "$BIN/vigilctl" status 2>/dev/null | grep -q '^syncd .* [1-9][0-9]* '; do
		i=$((i + 1)); [ $i -gt 50 ] && fail "vigild did not start"; sleep 0.1
	done
}

sync_relay() {
	phases=""
	for p in "$@"; do phases="$phases -p $p"; done
	"$RELAY" -l 127.0.0.1:$rport -s 127.0.0.1:$port $phases -S $$ -o "$tmp/relay.stats" \
		2>"$tmp/relay.log" &
	rpid=$!
}

sync_stop() {
	[ -n "$rpid" ] && { kill -TERM "$rpid"; wait "$rpid"; rpid=""; }
	kill -TERM "$vpid"; wait "$vpid" || fail "vigild exit"; vpid=""
}

sync_check_day() {
	"$BIN/vigilctl" verify -d "$tmp/keys" "$tmp/data/$c/$1.vgl" >"$tmp/v.out" ||
		{ cat "$tmp/v.out"; fail "$1 does not verify"; }
	tail -4 "$tmp/v.out"
	grep -q '^duplicates 0$' "$tmp/v.out" || fail "$1: duplicates stored"
	"$BIN/vigilctl" completeness -D "$tmp/data" "$c" "$1" >"$tmp/c.out"
	grep -v '^present\|^backfilled' "$tmp/c.out"
	grep -q '^missing 0,' "$tmp/c.out" || fail "$1: completeness says counters missing"
	grep -q '^complete_ms [1-9]' "$tmp/data/$c/$1.sync" || fail "$1: syncd did not record it complete"
}

sync_viewer_needs() {
	WSVIEW=$(cd "$OUT/tests/tools" 2>/dev/null && pwd)/wsview
	[ -x "$WSVIEW" ] || { echo "wsview not built ($WSVIEW)"; exit 77; }
	[ -x "$BIN/vigil-streamer" ] || { echo "vigil-streamer not built"; exit 77; }
	command -v curl >/dev/null || { echo "curl missing"; exit 77; }
}

sync_viewer_conf() {
	hport=$(( 40000 + ($$ + $1) % 20000 ))
	api=http://127.0.0.1:$hport
	echo pw | "$BIN/vigilctl" user add -d "$tmp/keys" alice --cameras all >/dev/null || fail "user add"
	mkdir -p "$tmp/player"
	echo '<!doctype html><title>vigil</title>' >"$tmp/player/index.html"
	sync_conf "" "${3:--r 200}" "index_days = 256" "index_arena_mb = 16" \
		"stage indexer = $BIN/vigil-indexer -D $tmp/data -d $tmp/keys -r 200" \
		"stage streamer = $BIN/vigil-streamer -l 127.0.0.1:$hport -D $tmp/data -d $tmp/keys -P $tmp/player -a $tmp/audit.log $2"
}

sync_viewer_login() {
	i=0
	until curl -s -o /dev/null "$api/"; do
		i=$((i + 1)); [ $i -gt 50 ] && fail "streamer did not start"; sleep 0.1
	done
	tok=$(curl -s -X POST -d '{"user":"alice","password":"pw"}' "$api/api/login" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
	[ -n "$tok" ] || fail login
}

sync_outage_camera() {
	sync_relay 5000:loss=0 6000:outage 0:loss=0
	timeout 90 "$BIN/vigil-cam" -c "$tmp/cams/$c/camera.conf" -n 200 --fps 10 --keyint 10 --kbps 1000 \
		--no-gpsd --linger 30000 >"$tmp/cam.out" 2>&1 &
	cpid=$!
}

sync_day_complete() {
	wait "$cpid" || { cat "$tmp/cam.out"; fail "camera exit"; }
	cpid=""
	day=$(ls "$tmp/data/$c" | sed -n 's/\.vgl$//p')
	i=0
	until grep -q '^complete_ms [1-9]' "$tmp/data/$c/$day.sync" 2>/dev/null; do
		i=$((i + 1)); [ $i -gt 100 ] && fail "syncd did not record $day complete"; sleep 0.1
	done
}

sync_view() {
	vn=$1
	shift
	"$WSVIEW" -p $hport -t "$tok" "$@" -q "$tmp/$vn.quit" -d 80000 -o "$tmp/$vn.txt" >"$tmp/$vn.sum" &
	wpid=$!
}

sync_view_live() {
	i=0
	until awk '/^T .*"mode":"recorded"/ { r = 1 } r && /^T .*"mode":"live"/ { ok = 1 } END { exit !ok }' \
		"$tmp/$1.txt" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 600 ] && { grep '^T' "$tmp/$1.txt"; fail "$1: the recorded stream did not go on as live"; }
		sleep 0.05
	done
	sleep 0.5
	touch "$tmp/$1.quit"
	wait "$wpid" || fail "$1: viewer"
	cat "$tmp/$1.sum"
	awk '$1 == "conn" && $10 == $6 && $12 == 0 && $14 == 0 {ok = 1} END {exit !ok}' "$tmp/$1.sum" ||
		fail "$1: datagrams unverified or skipped"
	awk '$1 == "D" { print $2 }' "$tmp/$1.txt" >"$tmp/$1.got"
	[ -s "$tmp/$1.got" ] || fail "$1: no datagram"
}

sync_counter_order() {
	first=$(head -1 "$tmp/$1.got")
	awk -v a="$first" '$1 >= a { print $1 }' "$2" | sort -n >"$tmp/$1.want"
	cmp -s "$tmp/$1.want" "$tmp/$1.got" || { diff "$tmp/$1.want" "$tmp/$1.got" | head
		fail "$1: not the file's data counters from $first on, each once, in counter order"; }
	awk -v a="$first" '$1 >= a { print $1 }' "$2" | cmp -s - "$tmp/$1.want" &&
		fail "$1: the file holds counters from $first on in counter order: nothing proved"
	return 0
}

# The day file's data records in file order, "counter capture_ms" a line,
# into $tmp/file.txt; out of counter order (backfilled later), checked.
sync_file_counters() {
	"$BIN/vigilctl" dump "$tmp/data/$c/$day.vgl" | awk '$2 == "data" {
		c = -1; t = 0
		for (i = 3; i <= NF; i++) {
			if ($i ~ /^counter=/) c = substr($i, 9)
			else if ($i ~ /^capture=/) t = substr($i, 9)
		}
		print c, t
	}' >"$tmp/file.txt"
	[ -s "$tmp/file.txt" ] || fail "no data records in the day file"
	awk '$1 < max { back++ } $1 > max { max = $1 } END { exit !back }' "$tmp/file.txt" ||
		fail "the day file is in counter order: nothing backfilled later in it"
}
