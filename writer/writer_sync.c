/*
 * NAME
 *	writer_sync.c - syncfs of the data folder on a thread of its own
 *
 * DESCRIPTION
 *	With many dirty files a sync is one syncfs of the data folder's file
 *	system, and syncfs waits for the write-back of everything dirty on
 *	it: 40-130 ms on the shared test machine with 500 files growing at
 *	70 MB/s. Run by the writer's loop it stopped the appends that long,
 *	several times a second, while the listener filled the ring. Here one
 *	thread runs each syncfs the loop asks for; the loop goes on appending
 *	and collects the result later (writer_loop.c decides what the sync
 *	covers: what was written before it was asked for).
 *
 *	One sync at a time: writer_sync_begin() asks, writer_sync_poll()
 *	says whether it finished and with what result (0 or -errno),
 *	writer_sync_wait() waits for it. Two eventfds carry the request and
 *	the answer; the result is published before the answer is written.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "writer.h"

struct writer_syncer {
	int dirfd;
	int req, done; /* eventfds: loop -> thread, thread -> loop */
	int rc;        /* the last sync's result, written before done */
	int stop;
	pthread_t thread;
};

static void *
writer_sync_thread(void *arg)
{
	writer_syncer_t *s = arg;
	uint64_t v;

	for (;;) {
		ssize_t r = read(s->req, &v, sizeof(v));

		if (r < 0 && errno == EINTR)
			continue;
		/* acquire: pairs with writer_sync_stop's release store before its wake-up */
		if (r != (ssize_t)sizeof(v) || __atomic_load_n(&s->stop, __ATOMIC_ACQUIRE))
			break;
		/* release: the result before the eventfd write that tells the writer to read it */
		__atomic_store_n(&s->rc, syncfs(s->dirfd) != 0 ? -errno : 0, __ATOMIC_RELEASE);
		v = 1;
		if (write(s->done, &v, sizeof(v)) != (ssize_t)sizeof(v))
			break;
	}
	return NULL;
}

int
writer_sync_start(writer_syncer_t **out, int dirfd)
{
	writer_syncer_t *s = calloc(1, sizeof(*s));
	sigset_t all, old;
	int rc;

	*out = NULL;
	if (s == NULL)
		return -ENOMEM;
	s->dirfd = dirfd;
	s->req = eventfd(0, EFD_CLOEXEC);
	s->done = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->req < 0 || s->done < 0) {
		rc = -errno;
		goto fail;
	}
	/* signals stay with the loop: the thread starts with all blocked */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&s->thread, NULL, writer_sync_thread, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		rc = -rc;
		goto fail;
	}
	*out = s;
	return 0;
fail:
	if (s->req >= 0)
		close(s->req);
	if (s->done >= 0)
		close(s->done);
	free(s);
	return rc;
}

int
writer_sync_begin(writer_syncer_t *s)
{
	uint64_t v = 1;

	return write(s->req, &v, sizeof(v)) == (ssize_t)sizeof(v) ? 0 : -errno;
}

int
writer_sync_poll(writer_syncer_t *s, int *rc)
{
	uint64_t v;

	if (read(s->done, &v, sizeof(v)) != (ssize_t)sizeof(v))
		return 0;                                /* EAGAIN: still syncing */
	*rc = __atomic_load_n(&s->rc, __ATOMIC_ACQUIRE); /* pairs with the thread's release */
	return 1;
}

int
writer_sync_wait(writer_syncer_t *s, int *rc)
{
	struct pollfd p = {s->done, POLLIN, 0};

	while (!writer_sync_poll(s, rc))
		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			return -errno;
	return 0;
}

void
writer_sync_stop(writer_syncer_t *s)
{
	uint64_t v = 1;

	if (s == NULL)
		return;
	__atomic_store_n(&s->stop, 1, __ATOMIC_RELEASE); /* before the wake-up below */
	if (write(s->req, &v, sizeof(v)) == (ssize_t)sizeof(v))
		pthread_join(s->thread, NULL);
	close(s->req);
	close(s->done);
	free(s);
}
