/*
 * NAME
 *	streamer_watch.c - which viewers follow which day file
 *
 * DESCRIPTION
 *	A viewer at the end of a file waits for the writer's next append.
 *	One inotify descriptor per worker, adopted into the lws loop, with
 *	an IN_MODIFY watch per followed file: an append wakes the viewers
 *	of that file at once (no polling latency, no coupling to the
 *	writer). A safety poll every 200 ms also pumps every live viewer
 *	(a day file created after the viewer started, a missed event) and
 *	lets live viewers move to the next day's file at midnight.
 *
 *	The same descriptor watches the folder of the users file: when
 *	vigilctl replaces it (a user deleted, a password or a camera list
 *	changed) or it is written in place, every viewer of the worker is
 *	checked again at once (streamer_view_recheck_all), so that access
 *	ends within the time the event takes, not a poll later.
 */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "streamer.h"

#define WATCH_MAX 4096

static int ifd = -1, users_wd = -1;
static char users_name[256]; /* the users file's name in its folder */
static struct watch {
	int wd;
	viewer_t *head;
} watches[WATCH_MAX];
static int nwatches;
static viewer_t *all[WATCH_MAX]; /* every viewer with a stream, for the poll */
static int nall;

int
streamer_watch_users(const char *path)
{
	char dir[4096], base[4096];

	if (ifd < 0)
		return -ENOTCONN;
	snprintf(dir, sizeof(dir), "%s", path);
	snprintf(base, sizeof(base), "%s", path);
	snprintf(users_name, sizeof(users_name), "%s", basename(base));
	users_wd = inotify_add_watch(ifd, dirname(dir),
				     IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |
					 IN_CREATE | IN_ONLYDIR);
	return users_wd < 0 ? -errno : 0;
}

int
streamer_watch_init(struct lws_vhost *vh)
{
	lws_sock_file_fd_type fd;

	if ((ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0)
		return -errno;
	fd.filefd = ifd;
	if (lws_adopt_descriptor_vhost(vh, LWS_ADOPT_RAW_FILE_DESC, fd, "vigil-watch", NULL) ==
	    NULL)
		return -EIO;
	return 0;
}

static struct watch *
find(int wd)
{
	int i;

	for (i = 0; i < nwatches; i++)
		if (watches[i].wd == wd)
			return &watches[i];
	return NULL;
}

void
streamer_watch_del(viewer_t *v)
{
	struct watch *w;
	viewer_t **pp;
	int i;

	for (i = 0; i < nall; i++)
		if (all[i] == v) {
			all[i] = all[--nall];
			break;
		}
	if (v->wd < 0)
		return;
	if ((w = find(v->wd)) != NULL) {
		for (pp = &w->head; *pp; pp = &(*pp)->watch_next)
			if (*pp == v) {
				*pp = v->watch_next;
				break;
			}
		if (w->head == NULL) {
			inotify_rm_watch(ifd, w->wd);
			*w = watches[--nwatches];
		}
	}
	v->wd = -1;
	v->watch_next = NULL;
}

void
streamer_watch_add(viewer_t *v)
{
	char path[4096];
	struct watch *w;
	int wd;

	streamer_watch_del(v);
	if (nall < WATCH_MAX)
		all[nall++] = v;
	if (ifd < 0 ||
	    proto_file_path(streamer.data_dir, v->uuid, v->date, path, sizeof(path)) < 0 ||
	    (wd = inotify_add_watch(ifd, path, IN_MODIFY)) < 0)
		return; /* the poll covers it */
	if ((w = find(wd)) == NULL) {
		if (nwatches == WATCH_MAX) {
			inotify_rm_watch(ifd, wd);
			return;
		}
		w = &watches[nwatches++];
		w->wd = wd;
		w->head = NULL;
	}
	v->wd = wd;
	v->watch_next = w->head;
	w->head = v;
}

void
streamer_watch_events(void)
{
	char buf[4096] __attribute__((aligned(8)));
	int users_changed = 0;
	ssize_t n;

	while ((n = read(ifd, buf, sizeof(buf))) > 0) {
		char *p = buf;
		while (p < buf + n) {
			struct inotify_event *e = (struct inotify_event *)p;
			struct watch *w = e->wd == users_wd ? NULL : find(e->wd);
			viewer_t *v, *next;
			if (e->wd == users_wd && e->len && !strcmp(e->name, users_name))
				users_changed = 1;
			for (v = w ? w->head : NULL; v; v = next) {
				next = v->watch_next; /* grew may move v to another file */
				streamer_view_grew(v);
			}
			p += sizeof(*e) + e->len;
		}
	}
	if (users_changed)
		streamer_view_recheck_all();
}

void
streamer_watch_poll(void)
{
	int i;

	for (i = nall - 1; i >= 0; i--)
		if (i < nall && all[i]->mode == VIEW_LIVE)
			streamer_view_tick(all[i]);
}
