# NAME
#	system.sh - start vigil on loopback for the player's tests and
#	benchmark (sourced)
# DESCRIPTION
#	player_need: exit 77 unless Chromium, playwright-core, the streamer
#	and the indexer are there. player_start TAG: keys in $tmp/keys, a user
#	file, vigild with listener, writers, indexer and streamer; sets
#	$port (cameras' UDP), $hport (HTTP), $user, $password, $prefix,
#	$vpid, and installs the cleanup trap. Needs $BIN, $top and $tmp.
#	PLAYER_DIR serves another copy of player/ (to compare two versions).
#	player_restart_cmd: a shell command that kills the streamer.

player_need() {
	[ -x /usr/bin/chromium ] || { echo "chromium is not installed (scripts/deps.sh)"; exit 77; }
	[ -f "$top/tests/browser/node_modules/playwright-core/package.json" ] ||
		{ echo "playwright-core is not installed in tests/browser (scripts/deps.sh)"; exit 77; }
	for p in vigil-streamer vigil-indexer; do
		[ -x "$BIN/$p" ] || { echo "$p is not built"; exit 77; }
	done
}

player_cleanup() {
	for p in $bgpids; do kill "$p" 2>/dev/null; done
	[ -n "$vpid" ] && kill -9 "$vpid" 2>/dev/null
	pkill -9 -f "$tmp" 2>/dev/null
	rm -rf "$tmp"
	rm -f /dev/shm/$prefix-*
}

fail() { echo "FAIL: $*"; tail -30 "$tmp/vigild.log"; exit 1; }

player_start() {
	prefix=vigil$1$$
	vpid="" bgpids=""
	trap player_cleanup EXIT INT TERM
	port=$(( 20000 + ($$ + 23) % 20000 ))
	hport=$(( 40000 + ($$ + 29) % 20000 ))
	user=operator password=pw$$
	"$BIN/vigilctl" keygen -d "$tmp/keys" >/dev/null || fail keygen
	echo "$password" | "$BIN/vigilctl" user add -d "$tmp/keys" -f "$tmp/users" "$user" --cameras all \
		2>/dev/null || fail "user add"
	cat >"$tmp/vigil.conf" <<CONF
shm_prefix = $prefix
metrics_listen =
writers = 2
restart_min_ms = 50
stage listener = $BIN/vigil-listener -d $tmp/keys -l 127.0.0.1:$port
stage writer = $BIN/vigil-writer -D $tmp/data
stage indexer = $BIN/vigil-indexer -D $tmp/data -d $tmp/keys
stage streamer = $BIN/vigil-streamer -D $tmp/data -d $tmp/keys -l 127.0.0.1:$hport -P ${PLAYER_DIR:-$top/player} -u $tmp/users
CONF
	"$BIN/vigild" -f -c "$tmp/vigil.conf" 2>"$tmp/vigild.log" >/dev/null &
	vpid=$!
	i=0
	until curl -s -o /dev/null "http://127.0.0.1:$hport/"; do
		i=$((i + 1)); [ $i -gt 100 ] && fail "the streamer does not answer"; sleep 0.1
	done
}

player_restart_cmd() {
	echo "kill -9 \$(VIGIL_SHM_PREFIX=$prefix $BIN/vigilctl status | awk '\$1 == \"streamer\" {print \$3; exit}')"
}
