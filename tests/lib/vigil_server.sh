# NAME
#	vigil_server.sh - a vigild for one integration test (sourced)
# DESCRIPTION
#	After `. tests/lib/vigil_server.sh` with BIN set:
#	  vs_setup NAME     a private folder $tmp, a shm prefix $prefix and a
#	                    UDP port $port from $$, the server keys in
#	                    $tmp/keys, a trap that kills vigild and every pid
#	                    in $pids and removes it all; fail MESSAGE.
#	  vs_start WRITERS [LISTENER OPTION...]
#	                    write $tmp/vigil.conf and start vigild ($vpid),
#	                    its log in $tmp/vigild.log, the listener's stdout
#	                    in $tmp/listener.log.
#	  vs_run STAGE WRITERS
#	                    the same with the stage lines (listener included)
#	                    read from stdin; returns once `vigilctl status`
#	                    shows STAGE running.
#	  vs_stream STREAMER_OPTION...
#	                    a vigild with the listener, one writer, the
#	                    indexer and the streamer (on 127.0.0.1:$hport, a
#	                    stub player in $tmp/player, the options added to
#	                    its line) over $tmp/keys and $tmp/data ($vpid,
#	                    its log in $tmp/vigild.log); returns once the
#	                    streamer answers HTTP.
#	  vs_status         `vigilctl status` of this vigild.
#	  vs_counter STAGE NAME
#	                    STAGE's counter NAME summed over its instances (0
#	                    when absent: status leaves zeros out).
#	  vs_stop           SIGTERM to vigild and wait for it.
#	  vs_record_day FRAMES
#	                    a vigild with one writer, a new camera ($cam)
#	                    streaming FRAMES frames at 30 fps, then stopped:
#	                    $day is the camera's day file.
vpid="" pids=""
vs_cleanup() {
	for p in $pids $vpid; do kill -9 "$p" 2>/dev/null; done
	pkill -9 -f "$tmp" 2>/dev/null
	rm -rf "$tmp"
	rm -f /dev/shm/$prefix-*
}
fail() {
	echo "FAIL: $*"
	tail -20 "$tmp/vigild.log"
	exit 1
}
vs_setup() {
	tmp=$(mktemp -d "/tmp/vigil-$1.XXXXXX")
	prefix=vigil$1$$
	port=$(( 20000 + ($$ + $(printf '%s' "$1" | cksum | cut -c1-4)) % 20000 ))
	trap vs_cleanup EXIT INT TERM
	"$BIN/vigilctl" keygen -d "$tmp/keys" >/dev/null || fail keygen
}
vs_start() {
	w=$1
	shift
	cat >"$tmp/vigil.conf" <<CONF
shm_prefix = $prefix
metrics_listen =
writers = $w
stage listener = $BIN/vigil-listener -d $tmp/keys -l 127.0.0.1:$port $*
stage writer = $BIN/vigil-writer -D $tmp/data
CONF
	"$BIN/vigild" -f -c "$tmp/vigil.conf" 2>"$tmp/vigild.log" >"$tmp/listener.log" &
	vpid=$!
	sleep 0.5
	kill -0 "$vpid" 2>/dev/null || fail "vigild did not start"
}
vs_run() {
	{
		printf 'shm_prefix = %s\nmetrics_listen =\nwriters = %s\n' "$prefix" "$2"
		cat
	} >"$tmp/vigil.conf"
	"$BIN/vigild" -f -c "$tmp/vigil.conf" 2>"$tmp/vigild.log" >"$tmp/listener.log" &
	vpid=$!
	vs_i=0
	until vs_status | grep -q "^$1 .* [1-9][0-9]* "; do
		vs_i=$((vs_i + 1)); [ $vs_i -gt 100 ] && fail "vigild did not start $1"; sleep 0.1
	done
}
vs_stream() {
	mkdir -p "$tmp/player"
	echo '<!doctype html><title>vigil</title>' >"$tmp/player/index.html"
	cat >"$tmp/vigil.conf" <<CONF
shm_prefix = $prefix
metrics_listen =
writers = 1
index_days = 256
index_arena_mb = 16
restart_min_ms = 50
stage listener = $BIN/vigil-listener -d $tmp/keys -l 127.0.0.1:$port
stage writer = $BIN/vigil-writer -D $tmp/data
stage indexer = $BIN/vigil-indexer -D $tmp/data -d $tmp/keys -r 200
stage streamer = $BIN/vigil-streamer -l 127.0.0.1:$hport -D $tmp/data -d $tmp/keys -P $tmp/player $*
CONF
	"$BIN/vigild" -f -c "$tmp/vigil.conf" 2>"$tmp/vigild.log" >/dev/null &
	vpid=$!
	vs_i=0
	until curl -s -o /dev/null "http://127.0.0.1:$hport/"; do
		vs_i=$((vs_i + 1)); [ $vs_i -gt 100 ] && fail "streamer did not start"; sleep 0.1
	done
}
vs_status() { VIGIL_SHM_PREFIX=$prefix "$BIN/vigilctl" status 2>/dev/null; }
# a stage's counters are on the indented lines under its own
vs_counter() {
	vs_status | awk -v s="$1" '$1 == s {on = 1; next} /^[a-z]/ {on = 0} on' | tr ' ' '\n' |
		sed -n "s/^$2=\([0-9]*\)$/\1/p" | awk '{t += $1} END {print t + 0}'
}
vs_stop() {
	kill -TERM "$vpid"
	wait "$vpid"
	vpid=""
}
vs_record_day() {
	vs_start 1
	cam=$("$BIN/vigilctl" provision -d "$tmp/keys" -s 127.0.0.1:$port -o "$tmp/cams") || fail provision
	timeout 60 "$BIN/vigil-cam" -c "$tmp/cams/$cam/camera.conf" -n "$1" --fps 30 >"$tmp/cam.out" 2>&1 ||
		fail "camera: $(tail -3 "$tmp/cam.out")"
	sleep 0.3
	vs_stop
	day=$(ls "$tmp/data/$cam/"*.vgl | head -1)
	[ -f "$day" ] || fail "no day file"
}
