/*
 * NAME
 *	streamer_main.c - vigil-streamer: the player, the JSON API and the
 *	WebSocket streams
 *
 * DESCRIPTION
 *	vigil-streamer [-l HOST:PORT] [-D DATA_DIR] [-d KEYDIR] [-P PLAYER_DIR]
 *	               [-u USERS] [-a AUDIT_LOG] [-w WORKERS] [-q QUEUE_KB]
 *	               [-t TABLE_SIZE] [-T TOKEN_LIFE_MS] [-s USER_STREAMS]
 *	               [-C CERT -K KEY] [-n] [-h]
 *
 *	The options are libstage's (stage_schema.c, STAGE_STREAMER): -h
 *	lists them with their ranges and defaults. Runs under vigild
 *	(VIGIL_SHM_PREFIX): attaches the shared index, loads the server key
 *	(frame keys for viewers), the token key (KEYDIR/streamer.token,
 *	created once) and the users file (USERS, default KEYDIR/users, read
 *	again when it changes), then runs WORKERS processes on the port
 *	(streamer_serve.c). With -C and -K the port speaks TLS only. Each
 *	viewer's queue holds at most QUEUE_KB KiB. The tables of index
 *	points that a worker's viewers in counter order share (one per day)
 *	hold at most TABLE_SIZE bytes; with 0, recorded playback goes on in
 *	file order where counter order first needs a table
 *	(streamer_order.c). A login token lasts TOKEN_LIFE_MS (whole
 *	seconds); a WebSocket still open when its token ends is closed. A
 *	user has at most USER_STREAMS streams open at once in a worker.
 *
 *	-n checks the options, that the data and player folders can be
 *	read and that the token key can be read (or created), and exits 0
 *	or 1. SIGTERM: close, exit 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stage.h"
#include "streamer.h"

/* HOST:PORT (HOST may be [IPv6] or empty) into l; the schema checked its form. */
static int
listen_split(const char *addr, streamer_listen_t *l)
{
	char *colon, *host = l->host;

	snprintf(l->host, sizeof(l->host), "%s", addr);
	if ((colon = strrchr(l->host, ':')) == NULL)
		return -1;
	*colon = '\0';
	l->port = atoi(colon + 1);
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		host[strlen(host) - 1] = '\0';
		memmove(host, host + 1, strlen(host));
	}
	return 0;
}

/* -n: what can be checked without serving; 0 or -1 (said why). */
static int
check(const char *keydir, const char *token_path)
{
	int rc = 0;

	if (access(streamer.data_dir, R_OK | X_OK) < 0)
		log_warn("data_dir %s", streamer.data_dir), rc = -1;
	if (access(streamer.player_dir, R_OK | X_OK) < 0)
		log_warn("player_dir %s", streamer.player_dir), rc = -1;
	if (access(token_path, R_OK) < 0 && (errno != ENOENT || access(keydir, W_OK | X_OK) < 0))
		log_warn("token key %s", token_path), rc = -1;
	if (streamer.audit_path && access(streamer.audit_path, W_OK) < 0 && errno != ENOENT)
		log_warn("audit log %s", streamer.audit_path), rc = -1;
	return rc;
}

int
main(int argc, char **argv)
{
	static stage_opts_t o;
	static char users[4096], path[4096];
	streamer_listen_t l = {0};
	const char *keydir;
	int rc;

	log_init("vigil-streamer", -1, STAGE_LOG_STDERR);
	rc = stage_opts_getopt(STAGE_STREAMER, argc, argv, &o);
	if (listen_split(o.v[STAGE_STREAMER_LISTEN].s, &l) < 0) {
		log_warnx("-l %s: no :PORT", o.v[STAGE_STREAMER_LISTEN].s);
		return 2;
	}
	if (o.v[STAGE_STREAMER_TLS_CERT].set) {
		l.cert = o.v[STAGE_STREAMER_TLS_CERT].s;
		l.key = o.v[STAGE_STREAMER_TLS_KEY].s;
	}
	keydir = o.v[STAGE_STREAMER_KEYDIR].s;
	streamer.data_dir = o.v[STAGE_STREAMER_DATA_DIR].s;
	streamer.player_dir = o.v[STAGE_STREAMER_PLAYER_DIR].s;
	streamer.queue_bytes = (size_t)o.v[STAGE_STREAMER_QUEUE_KB].u * 1024;
	streamer.table_bytes = (size_t)o.v[STAGE_STREAMER_TABLE_SIZE].u;
	streamer.token_life_s = o.v[STAGE_STREAMER_TOKEN_LIFE_MS].u / 1000;
	streamer.user_streams = (int)o.v[STAGE_STREAMER_USER_STREAMS].u;
	if (o.v[STAGE_STREAMER_AUDIT_LOG].set)
		streamer.audit_path = o.v[STAGE_STREAMER_AUDIT_LOG].s;
	if (o.v[STAGE_STREAMER_USERS].set)
		snprintf(users, sizeof(users), "%s", o.v[STAGE_STREAMER_USERS].s);
	else
		snprintf(users, sizeof(users), "%s/users", keydir);
	streamer.users_path = users;
	snprintf(path, sizeof(path), "%s/server.key", keydir);
	if ((streamer.server_key = proto_key_load_private(path)) == NULL)
		log_warnx("%s: %s; viewers get no frame keys", path, proto_errmsg());
	snprintf(path, sizeof(path), "%s/streamer.token", keydir);
	if (rc == STAGE_OPTS_CHECK) {
		if (check(keydir, path) < 0)
			return 1;
		printf("vigil-streamer: options ok\n");
		return 0;
	}
	if ((rc = auth_key_load(path, streamer.token_key)) < 0)
		fatalx("token key %s: %s", path, strerror(-rc));
	if (stage_env_prefix(&streamer.prefix) < 0) {
		log_warnx("%s", stage_errmsg());
		return 2;
	}
	if ((rc = idx_attach(streamer.prefix, &streamer.idx)) < 0)
		fatalx("index %s-index: %s", streamer.prefix, strerror(-rc));
	idx_set_patience(streamer.idx, STREAMER_INDEX_PATIENCE_MS);
	if (streamer.audit_path &&
	    (streamer.audit_fd =
		 open(streamer.audit_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600)) < 0)
		log_warn("audit log %s", streamer.audit_path);
	if (stage_signals_init(STAGE_SIG_STOP | STAGE_SIG_NOPIPE, streamer_serve_wake) < 0)
		fatalx("%s", stage_errmsg());

	rc = streamer_serve_run(&l, (int)o.v[STAGE_STREAMER_WORKERS].u);

	if (streamer.audit_fd >= 0)
		close(streamer.audit_fd);
	idx_close(streamer.idx);
	EVP_PKEY_free(streamer.server_key);
	return rc;
}
