/*
 * NAME
 *	listener_revoke.c - a revocation ends the camera's live session
 *
 * DESCRIPTION
 *	`vigilctl revoke` writes <keydir>/cameras/<uuid>.revoked. Refusing
 *	the camera's next hello is not enough for a stolen camera: its
 *	session would go on until it said hello again. So the listener
 *	watches the registry folder with inotify and, when a ".revoked"
 *	file appears, ends every session of that camera (current and
 *	earlier) at once, here and in the shared session table, and forgets
 *	the cached registry answer; from then on its datagrams find no
 *	session (`no_session`) and its hellos are refused (`revoked`). A
 *	changed ".pub" also drops the cached answer.
 *
 *	inotify does not see a registry changed by another machine (a
 *	registry on GlusterFS): a sweep checks LISTENER_REVOKE_SWEEP live
 *	sessions a second against the registry, so every session is looked
 *	at within (sessions / LISTENER_REVOKE_SWEEP) seconds even then. A
 *	restarted listener never restores a revoked camera's session.
 *	Each session ended is counted `revoked_live`. The folder's events
 *	and the sweep are looked at ten times a second, not per batch of
 *	datagrams.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "listener.h"

#define LISTENER_REVOKE_SWEEP 256 /* sessions checked a second */

int
listener_revoke_open(listener_t *l, int watch)
{
	char dir[4096];

	l->revoke_fd = -1;
	if (!watch)
		return 0;
	if (l->keydir == NULL ||
	    (size_t)snprintf(dir, sizeof(dir), "%s/cameras", l->keydir) >= sizeof(dir))
		return -1;
	if ((l->revoke_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0)
		return -1;
	if (inotify_add_watch(l->revoke_fd, dir,
			      IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE |
				  IN_MOVED_FROM) < 0) {
		log_warnx("watching %s: %s (revocations found by the sweep)", dir, strerror(errno));
		close(l->revoke_fd);
		l->revoke_fd = -1;
		return -1;
	}
	return 0;
}

void
listener_revoke_close(listener_t *l)
{
	if (l->revoke_fd >= 0)
		close(l->revoke_fd);
	l->revoke_fd = -1;
}

/* End every session of a revoked camera; the slot stays, without a session. */
static void
end_sessions(listener_t *l, listener_sess_t *ls)
{
	int i, ended = ls->s != NULL;

	proto_session_free(ls->s);
	ls->s = NULL;
	for (i = 0; i < LISTENER_PAST; i++) {
		ended |= ls->past[i] != NULL;
		proto_session_free(ls->past[i]);
		ls->past[i] = NULL;
	}
	if (l->saved) /* a restarted listener must not restore the revoked session */
		__atomic_store_n(&l->saved[ls - l->sess].valid, 0, __ATOMIC_RELEASE);
	if (ended) {
		char u[37];
		l->st.revoked_live++;
		proto_uuid_fmt(ls->uuid, u);
		log_info("camera %s revoked: its sessions are ended", u);
	}
}

static void
changed(listener_t *l, const char *name)
{
	uint8_t uuid[PROTO_UUID_LEN];
	char u[37];
	const char *dot = strchr(name, '.');
	listener_sess_t *ls;

	if (dot == NULL || dot - name != 36)
		return;
	memcpy(u, name, 36);
	u[36] = '\0';
	if (proto_uuid_parse(u, uuid) < 0)
		return;
	listener_key_forget(l, uuid);
	if (strcmp(dot, ".revoked") == 0 && proto_registry_revoked(l->keydir, uuid) == 1 &&
	    (ls = listener_sess_find(l, uuid)) != NULL)
		end_sessions(l, ls);
}

void
listener_revoke_tick(listener_t *l, uint64_t now_ms)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	uint64_t elapsed = now_ms - l->revoke_sweep_ms;
	uint32_t want, i;
	ssize_t n;

	if (elapsed < 100)
		return; /* ten times a second at most: off the per-batch path */
	l->revoke_sweep_ms = now_ms;
	/* the sweep's share of the time since the last tick, a second's worth at most */
	want = elapsed >= 1000 ? LISTENER_REVOKE_SWEEP
			       : (uint32_t)(elapsed * LISTENER_REVOKE_SWEEP / 1000);
	while (l->revoke_fd >= 0 && (n = read(l->revoke_fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *e = (struct inotify_event *)p;
			if (e->len)
				changed(l, e->name);
			if (e->mask & IN_Q_OVERFLOW) /* events lost: look at every session */
				want = LISTENER_MAX_SESSIONS;
			p += sizeof(*e) + e->len;
		}
	}
	for (i = 0; i < LISTENER_MAX_SESSIONS && want > 0; i++) {
		listener_sess_t *ls = &l->sess[l->revoke_cursor];
		l->revoke_cursor = (l->revoke_cursor + 1) % LISTENER_MAX_SESSIONS;
		if (!ls->used || ls->s == NULL)
			continue;
		want--;
		if (proto_registry_revoked(l->keydir, ls->uuid) == 1) {
			listener_key_forget(l, ls->uuid);
			end_sessions(l, ls);
		}
	}
}
