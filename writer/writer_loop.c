/*
 * NAME
 *	writer_loop.c - the writer's loop: turns, and when they are synced
 *
 * DESCRIPTION
 *	writer_loop_open() sets the writer up: the turn's arrays (a turn
 *	takes up to half the ring: the listener fills the other half
 *	meanwhile), the cache of open day files, io_uring, the sync thread.
 *	max_open is raised to twice a turn's batch plus one (a day file and
 *	its conflict file per datagram), so that a turn never
 *	evicts a file it is writing to, and lowered to what the descriptor
 *	limit allows.
 *
 *	writer_loop_run() runs turns (writer_turn.c) until SIGTERM. Syncs
 *	run every SYNC_MS (100) or SYNC_BYTES (4 MiB), whichever comes
 *	first, never more often: an idle writer sleeps until the sync is
 *	due. A sync is one fdatasync per dirty file (io_uring) while few
 *	files are dirty, and one syncfs of the data folder's file system
 *	when more than SYNCFS_FILES are: with a thousand cameras per
 *	writer, a thousand fdatasyncs every 100 ms would cost more than the
 *	writes themselves (except on FUSE, a GlusterFS mount, where syncfs
 *	does not reach the bricks: there it is always one fdatasync per
 *	dirty file). The syncfs runs on the sync thread (writer_sync.c)
 *	while the loop appends on: it covers what was written before it was
 *	asked for, and only that is counted synced and, with -s durable,
 *	released when it succeeds (it took 40-130 ms here, several times a
 *	second, and the loop used to stop that long while the ring filled).
 *
 *	A write error ends the loop without releasing: vigild restarts the
 *	writer and the entries are written again (duplicates are recognised
 *	by the scan on reopen). A failed sync does not: the disk still
 *	takes the appends, so the writer goes on (live viewers keep their
 *	footage), keeps the files dirty and tries again SYNC_MS later,
 *	counted in fdatasync_failed_total; with -s durable its entries stay
 *	in the ring until a sync succeeds (the listener drops what no
 *	longer fits, the cameras keep it); syncd confirms nothing to the
 *	cameras while its own sync of the day file fails
 *	(tests/integration/test_sync_unsynced.sh). SIGTERM: finish the
 *	turn, sync, release, return.
 */
#include <errno.h>
#include <string.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "stage.h"
#include "writer.h"

/*
 * ext4 takes no non-blocking buffered writes, so io_uring hands each
 * writev to its worker threads; more of them than cores only adds
 * switching (1000 cameras: 4.6 s of CPU with 2 workers, 5.3 s with 64).
 */
#define WRITER_IOWQ 2
#define SYNCFS_FILES 16 /* more dirty files than this: one syncfs */
#define FUSE_SUPER_MAGIC 0x65735546

/*
 * A sync ended with rc. When it succeeded, what it covered is durable:
 * the files whose dirty mark is round or earlier are clean, bytes of
 * the unsynced count are synced, and the held oldest entries (durable)
 * are released. Returns rc.
 */
static int
synced(writer_t *w, int rc, uint64_t round, uint64_t held, uint64_t bytes)
{
	int i;

	w->last_sync_ms = proto_mono_ms();
	writer_count(w->m_syncs, 1);
	if (rc < 0) {
		writer_count(w->m_sync_failed, 1);
		return rc;
	}
	for (i = 0; i < w->files.max; i++)
		if (w->files.f[i].dirty <= round)
			w->files.f[i].dirty = w->files.f[i].fresh = 0;
	w->unsynced -= bytes;
	if (held) {
		writer_turn_release(w, held);
		w->held -= held;
	}
	return 0;
}

/*
 * Make every dirty file durable, then release what waited for it
 * (durable). A failed sync changes nothing: the files stay dirty, the
 * entries held, and the next try comes SYNC_MS later. Returns 0 or
 * -errno.
 */
static int
sync_files(writer_t *w)
{
	struct io_uring_cqe *cqe;
	int i, n = 0, rc = 0, err = 0;

	if (!w->no_syncfs && writer_files_dirty(&w->files) > SYNCFS_FILES) {
		rc = syncfs(w->files.dirfd) != 0 ? -errno : 0;
	} else {
		for (i = 0; i < w->files.max; i++) {
			writer_file_t *f = &w->files.f[i];
			if (f->fd < 0 || !f->dirty)
				continue;
			/* a new file's name: its folder too (syncfs covers it) */
			if (f->fresh && (rc = writer_files_sync_dir(&w->files, f)) < 0)
				err = rc;
			struct io_uring_sqe *sqe = io_uring_get_sqe(&w->ring);
			if (sqe == NULL) {
				io_uring_submit_and_wait(&w->ring, (unsigned)n);
				sqe = io_uring_get_sqe(&w->ring);
			}
			io_uring_prep_fsync(sqe, f->fd, IORING_FSYNC_DATASYNC);
			n++;
		}
		if (n && (rc = io_uring_submit_and_wait(&w->ring, (unsigned)n)) < 0)
			goto done;
		rc = 0;
		for (i = 0; i < n; i++) {
			if (io_uring_wait_cqe(&w->ring, &cqe) < 0) {
				rc = -EIO;
				goto done;
			}
			if (cqe->res < 0)
				rc = cqe->res;
			io_uring_cqe_seen(&w->ring, cqe);
		}
		if (rc == 0)
			rc = err;
	}
done:
	/* nothing was written meanwhile: the files synced are the dirty ones */
	return synced(w, rc, UINT64_MAX, w->held, w->unsynced);
}

/* Ask the sync thread for a syncfs of what is written so far. */
static int
sync_begin(writer_t *w)
{
	int rc;

	if ((rc = writer_sync_begin(w->syncer)) < 0)
		return rc;
	w->inflight = 1;
	w->inflight_round = w->round++;
	w->inflight_held = w->held;
	w->inflight_unsynced = w->unsynced;
	return 0;
}

/* The sync thread's syncfs finished with rc: it covered what was written before it began. */
static int
sync_end(writer_t *w, int rc)
{
	w->inflight = 0;
	return synced(w, rc, w->inflight_round, w->inflight_held, w->inflight_unsynced);
}

/* A sync ended with err (0 or -errno): say when syncs start or stop failing. */
static void
sync_report(writer_t *w, int err)
{
	if (err < 0 && w->sync_failures++ == 0)
		log_warnx("fdatasync failed: %s; appending on, nothing counts as "
			  "durable until a sync succeeds (tried every %llu ms)",
			  strerror(-err), (unsigned long long)w->sync_ms);
	if (err == 0 && w->sync_failures) {
		log_info("fdatasync succeeds again after %llu failures",
			 (unsigned long long)w->sync_failures);
		w->sync_failures = 0;
	}
}

/*
 * A sync when one is due (now, the time it is due in *due): collect the
 * sync thread's, or start one there (many dirty files), or run one here.
 */
static void
sync_due(writer_t *w, uint64_t now, uint64_t *due)
{
	int err;

	if (w->inflight) {
		if (writer_sync_poll(w->syncer, &err)) {
			sync_report(w, sync_end(w, err));
			*due = w->last_sync_ms + w->sync_ms;
		}
	} else if (w->unsynced &&
		   /* while syncs fail, SYNC_BYTES brings no earlier try */
		   (now >= *due || (w->unsynced >= w->sync_bytes && !w->sync_failures))) {
		/* many dirty files: one syncfs, on the sync thread */
		if (w->syncer == NULL || writer_files_dirty(&w->files) <= SYNCFS_FILES ||
		    sync_begin(w) < 0) {
			sync_report(w, sync_files(w));
			*due = w->last_sync_ms + w->sync_ms;
		}
	}
}

/*
 * One issuer (this thread), and completions run only when it asks for
 * them: the io-wq workers then wake it once per turn, when the last
 * write of the turn completes, instead of once per write.
 */
static int
ring_init(writer_t *w)
{
	int n = io_uring_queue_init((unsigned)w->batch, &w->ring,
				    IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN);

	if (n == -EINVAL) /* a kernel before 6.1 */
		n = io_uring_queue_init((unsigned)w->batch, &w->ring, 0);
	return n;
}

int
writer_loop_open(writer_t *w, const char *dir, int max_open)
{
	unsigned workers[2] = {WRITER_IOWQ, 0}; /* bounded (file) workers; unbounded as is */
	struct statfs sfs;
	uint64_t nofile;
	int n;

	/* a turn never evicts a file it is writing to: a day file and its conflict file each */
	if (max_open < 2 * WRITER_BATCH_MAX + 1)
		max_open = 2 * WRITER_BATCH_MAX + 1;
	/* one descriptor per open day file, and a few for the rest */
	nofile = proto_nofile_raise((uint64_t)max_open + 64);
	if (nofile && (uint64_t)max_open + 64 > nofile && nofile > WRITER_BATCH_MAX + 65) {
		log_warnx("descriptor limit %llu: at most %llu open day files",
			  (unsigned long long)nofile, (unsigned long long)nofile - 64);
		max_open = (int)nofile - 64;
	}
	/* a turn takes up to half the ring: the listener fills the other half meanwhile */
	n = w->in->nslots / 2 < WRITER_BATCH_MAX ? (int)(w->in->nslots / 2) : WRITER_BATCH_MAX;
	if ((n = writer_turn_alloc(w, n > 0 ? n : 1)) < 0)
		return n;
	if ((n = writer_files_init(&w->files, dir, max_open)) < 0 || (n = ring_init(w)) < 0) {
		writer_turn_free(w);
		return n;
	}
	if ((n = io_uring_register_iowq_max_workers(&w->ring, workers)) < 0)
		log_warnx("io-wq workers: %s (kept the kernel's default)", strerror(-n));
	/*
	 * On FUSE (a GlusterFS mount) syncfs only writes back the page cache:
	 * unless the file system server implements FUSE_SYNCFS, which
	 * GlusterFS does not, nothing reaches the bricks' disks. Only an
	 * fsync per file makes an append durable there.
	 */
	if (fstatfs(w->files.dirfd, &sfs) == 0 && sfs.f_type == FUSE_SUPER_MAGIC) {
		w->no_syncfs = 1;
		log_info("%s is on FUSE: one fdatasync per dirty file, never syncfs", dir);
	}
	/*
	 * Each writev is one FUSE request, a network round trip on Gluster:
	 * there a turn waits longer for more records per file (100 ms made
	 * 3.5 times fewer writes than 20 in tests/integration/test_gluster.sh).
	 */
	if (w->group_ms == WRITER_GROUP_AUTO)
		w->group_ms = w->no_syncfs ? 100 : 50;
	w->group_ns = w->group_ms * 1000000;
	w->round = 1;
	if (!w->no_syncfs && (n = writer_sync_start(&w->syncer, w->files.dirfd)) < 0)
		log_warnx("sync thread: %s (syncs run in the loop)", strerror(-n));
	w->last_sync_ms = proto_mono_ms();
	return 0;
}

int
writer_loop_run(writer_t *w)
{
	int n;

	while (!stage_stop_requested()) {
		uint64_t opened = w->files.opened, torn = w->files.torn_cut, nap;
		uint64_t torn_hdr = w->files.torn_headers;
		uint64_t locked = w->files.locked;
		if (writer_turn_wait(w, &nap)) { /* short naps: the ring may fill meanwhile */
			struct timespec ts = {0, (long)(nap < 2000000 ? nap : 2000000)};
			nanosleep(&ts, NULL);
			continue;
		}
		if ((n = writer_turn_run(w)) < 0)
			return n; /* unreleased entries are written again by our successor */
		writer_count(w->m_opened, w->files.opened - opened);
		writer_count(w->m_torn, w->files.torn_cut - torn);
		writer_count(w->m_torn_hdr, w->files.torn_headers - torn_hdr);
		writer_count(w->m_locked, w->files.locked - locked);
		if (w->nats)
			writer_count(w->m_bad, writer_nats_bad(w->nats));
		uint64_t due = w->last_sync_ms + w->sync_ms, now = proto_mono_ms();
		sync_due(w, now, &due);
		if (n == 0 && (w->held || w->stuck_ms)) {
			/*
			 * Every entry in the ring is written and waits for a
			 * sync (durable), or the oldest waits for its file
			 * (writer_turn.c): the ring's wait would return at once.
			 * Nap instead, a little at a time for what comes.
			 */
			struct timespec ts = {0, 10 * 1000000L};
			if (!w->inflight && due > now && due - now < 10)
				ts.tv_nsec = (long)(due - now) * 1000000L;
			nanosleep(&ts, NULL);
		} else if (n == 0) { /* idle: sleep until data comes or the sync is due */
			int ms = w->unsynced ? (int)(due > now ? due - now : 1) : 1000;
			shm_ring_wait_spsc(w->in, w->inflight && ms > 10 ? 10 : ms);
		}
	}
	/* stop: the current turn is done; make it durable and release it */
	if (w->inflight && (writer_sync_wait(w->syncer, &n) < 0 || sync_end(w, n) < 0))
		w->inflight = 0; /* what it covered is still dirty: synced below */
	return sync_files(w);
}

void
writer_loop_close(writer_t *w)
{
	writer_sync_stop(w->syncer); /* after the sync in flight, if any */
	writer_nats_close(w->nats);  /* what was not released goes back at once */
	writer_files_close(&w->files);
	io_uring_queue_exit(&w->ring);
	writer_turn_free(w);
}
