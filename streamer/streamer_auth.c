/*
 * NAME
 *	streamer_auth.c - who is asking: tokens, permissions, audit log
 *
 * DESCRIPTION
 *	The users file is read again whenever it changes (its modification
 *	time, size or inode), so `vigilctl user add|del` takes effect
 *	without a restart: a deleted user's tokens stop working at once, and
 *	so do the tokens issued before a password changed (the token's MAC
 *	covers the user's salt and hash, libauth/auth.h). A request names
 *	its token in "Authorization: Bearer T" or "?token=T" (WebSockets).
 *	Tokens last token_life_ms (-T, 12 hours); a token that claims to
 *	last longer than that from now is refused too. Every stream a
 *	viewer opens (live, play, seek) is appended to the audit log: one
 *	line, written with one write() on an O_APPEND descriptor so that
 *	workers never interleave.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "stage_log.h"
#include "streamer.h"

static auth_users_t users;
static struct stat users_st;
static int users_loaded;

static const auth_users_t *
current_users(void)
{
	struct stat st;
	auth_users_t fresh;
	int line = 0, rc;

	if (stat(streamer.users_path, &st) < 0) {
		auth_users_free(&users);
		users_loaded = 0;
		return &users;
	}
	if (users_loaded && st.st_mtim.tv_sec == users_st.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == users_st.st_mtim.tv_nsec && st.st_ino == users_st.st_ino &&
	    st.st_size == users_st.st_size)
		return &users;
	if ((rc = auth_users_load(streamer.users_path, &fresh, &line)) < 0) {
		log_warnx("%s:%d: %s; keeping the users read before", streamer.users_path, line,
			  strerror(-rc));
		return &users;
	}
	auth_users_free(&users);
	users = fresh;
	users_st = st;
	users_loaded = 1;
	return &users;
}

int
streamer_auth_token_of(struct lws *wsi, char *out, size_t cap)
{
	char buf[AUTH_TOKEN_MAX + 16];
	const char *v;

	if (lws_hdr_copy(wsi, buf, sizeof(buf), WSI_TOKEN_HTTP_AUTHORIZATION) > 7 &&
	    !strncmp(buf, "Bearer ", 7)) {
		snprintf(out, cap, "%s", buf + 7);
		return 0;
	}
	if ((v = lws_get_urlarg_by_name(wsi, "token=", buf, sizeof(buf))) != NULL) {
		snprintf(out, cap, "%s", v);
		return 0;
	}
	return -ENOENT;
}

const auth_user_t *
streamer_auth_user(const char *token)
{
	char name[AUTH_NAME_MAX + 1];
	const auth_user_t *u;

	if (auth_token_name(token, name) < 0 ||
	    (u = auth_users_find(current_users(), name)) == NULL ||
	    auth_token_check(streamer.token_key, token, u, (uint64_t)time(NULL),
			     streamer.token_life_s) < 0)
		return NULL;
	return u;
}

int
streamer_auth_record(const char *name, auth_user_t *out)
{
	const auth_user_t *u;

	if (name == NULL || !auth_name_valid(name) ||
	    (u = auth_users_find(current_users(), name)) == NULL)
		return -ENOENT;
	*out = *u;
	return 0;
}

int
streamer_auth_issue(const char *name, char *out, size_t cap)
{
	const auth_user_t *u = auth_users_find(current_users(), name);

	if (u == NULL)
		return -EACCES; /* deleted while its password was checked */
	return auth_token_make(streamer.token_key, u, (uint64_t)time(NULL) + streamer.token_life_s,
			       out, cap);
}

void
streamer_audit(const char *user, const char *what, const uint8_t uuid[16], uint32_t date,
	       uint64_t from_ms)
{
	char line[256], u[37], d[11];
	struct timespec ts;
	struct tm tm;
	int n;

	if (streamer.audit_fd < 0)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	proto_uuid_fmt(uuid, u);
	proto_date_fmt(date, d);
	n = snprintf(line, sizeof(line),
		     "%04d-%02d-%02dT%02d:%02d:%02dZ user=%s %s camera=%s date=%s from_ms=%llu\n",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		     user, what, u, d, (unsigned long long)from_ms);
	if (n > 0 && write(streamer.audit_fd, line, (size_t)n) != n)
		log_warn("audit log");
}
