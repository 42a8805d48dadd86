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
#	  vs_stop           SIGTERM to vigild and wait for it.
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
vs_stop() {
	kill -TERM "$vpid"
	wait "$vpid"
	vpid=""
}
