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
