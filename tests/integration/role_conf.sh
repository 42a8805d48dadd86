# NAME
#	role_conf.sh - a node's vigil.conf made from etc/roles (sourced,
#	not run)
# DESCRIPTION
#	role_conf ROLE OUT [KEY=VALUE...]: etc/roles/ROLE.conf, the file
#	docs/DEPLOY.md tells operators to install, written to OUT with its
#	installed paths moved into the test's folders (programs to $BIN,
#	/var/lib/vigil/keys to $tmp/keys, /var/lib/vigil/data to $data,
#	the player to $tmp/player, logs to $tmp/log) and each KEY's value
#	replaced; every other line stays as shipped. A KEY that is not set
#	exactly once in the file fails the test (the role file changed
#	under the test), and so does a result vigild -n refuses. The caller
#	sets BIN, tmp, data and fail.
ROLES=${ROLES:-etc/roles}

role_conf() {
	rc_src=$ROLES/$1.conf rc_out=$2
	shift 2
	[ -f "$rc_src" ] || fail "no role file $rc_src"
	mkdir -p "$tmp/log"
	sed -e "s|/usr/local/bin/|$BIN/|" \
	    -e "s|/var/lib/vigil/keys|$tmp/keys|" \
	    -e "s|/var/lib/vigil/data|$data|" \
	    -e "s|/usr/local/share/vigil/player|$tmp/player|" \
	    -e "s|/var/log/vigil/|$tmp/log/|" "$rc_src" >"$rc_out"
	for rc_kv in "$@"; do
		rc_k=${rc_kv%%=*} rc_v=${rc_kv#*=}
		awk -v k="$rc_k" -v v="$rc_v" '
			{ line = $0; sub(/#.*/, "", line) }
			line ~ "^[ \t]*" k "[ \t]*=" {
				n++
				match($0, /^[ \t]*/)
				$0 = substr($0, 1, RLENGTH) k " = " v
			}
			{ print }
			END { exit n != 1 }' "$rc_out" >"$rc_out.new" ||
			fail "$rc_src: $rc_k is not set exactly once"
		mv "$rc_out.new" "$rc_out"
	done
	"$BIN/vigild" -n -c "$rc_out" >"$rc_out.check" 2>&1 ||
		fail "$rc_src made into $rc_out: $(cat "$rc_out.check")"
}
