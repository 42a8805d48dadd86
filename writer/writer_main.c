/*
 * NAME
 *	writer_main.c - vigil-writer: from its ring to the day files, with
 *	io_uring
 *
 * DESCRIPTION
 *	vigil-writer [-D DATA_DIR] [-s periodic|durable] [-i SYNC_MS]
 *	             [-b SYNC_BYTES] [-o MAX_OPEN] [-g GROUP_MS]
 *
 *	Runs under vigild (VIGIL_SHM_PREFIX, VIGIL_STAGE_INDEX): consumes
 *	ring <prefix>-ring-<index>. Each turn peeks up to half the ring
 *	(at most BATCH_MAX datagrams), drops those whose identity (camera,
 *	date, counter) the file already holds, and appends the rest, each
 *	as a record header plus the datagram exactly as received, with one
 *	io_uring writev per file per turn (the datagram bytes are written
 *	straight from the ring slot; a turn groups its datagrams by file in
 *	one pass). With many cameras each file gets a datagram now and
 *	then, so a turn waits until GROUP_MS (-g, default 50, 100 on FUSE)
 *	have passed since its oldest datagram arrived, or half the ring is
 *	waiting, and writes several records per file in one writev: ext4
 *	takes no non-blocking buffered write, so each writev is handed to
 *	an io-wq worker, and that hand-over costs more than the copy of a
 *	few records. Measured with 500 cameras at 70,000 datagrams/s into
 *	one writer (16,384 ring slots), writer CPU per datagram: 3.9-4.9 us
 *	with turns of at most 2,048 and -g 20, 3.1-3.2 us with half the
 *	ring and -g 50, 2.1-2.3 us with -g 100 (a datagram then reaches the
 *	file, and live viewers, up to 100 ms after it arrived).
 *	Entries are released only after their write completed; with
 *	-s durable, only after the sync that follows. Syncs run every
 *	SYNC_MS (100) or SYNC_BYTES (4 MiB), whichever comes first, never
 *	more often: an idle writer sleeps until the sync is due. A sync is
 *	one fdatasync per dirty file (io_uring) while few files are dirty,
 *	and one syncfs of the data folder's file system when more than
 *	SYNCFS_FILES are: with a thousand cameras per writer, a thousand
 *	fdatasyncs every 100 ms would cost more than the writes themselves
 *	(except on FUSE, a GlusterFS mount, where syncfs does not reach the
 *	bricks: there it is always one fdatasync per dirty file). The
 *	syncfs runs on the sync thread (writer_sync.c) while the loop
 *	appends on: it covers what was written before it was asked for,
 *	and only that is counted synced and, with -s durable, released
 *	when it succeeds (it took 40-130 ms here, several times a second,
 *	and the loop used to stop that long while the ring filled).
 *	A write error ends the process without
 *	releasing: vigild restarts it and the entries are written again
 *	(duplicates are recognised by the scan on reopen). A failed sync
 *	does not: the disk still takes the appends, so the writer goes on
 *	(live viewers keep their footage), keeps the files dirty and tries
 *	again SYNC_MS later, counted in fdatasync_failed_total; with -s
 *	durable its entries stay in the ring until a sync succeeds (the
 *	listener drops what no longer fits, the cameras keep it); syncd
 *	confirms nothing to the cameras while its own sync of the day file
 *	fails (tests/integration/test_sync_unsynced.sh). SIGTERM: finish
 *	the turn, sync, release, exit 0. With transport = nats the entries
 *	come from the shard's JetStream consumer (writer_nats.c), and
 *	releasing one acknowledges it: always after its sync.
 */
#include <errno.h>
#include <getopt.h>
#include <liburing.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "shm.h"
#include "idx.h"
#include "shm_metrics.h"
#include "writer.h"

#define BATCH_MAX 8192 /* datagrams per turn at most; half the ring if less */
#define GROUP_RECS 512	 /* records per writev: IOV_MAX / 2 */
/*
 * ext4 takes no non-blocking buffered writes, so io_uring hands each
 * writev to its worker threads; more of them than cores only adds
 * switching (1000 cameras: 4.6 s of CPU with 2 workers, 5.3 s with 64).
 */
#define WRITER_IOWQ 2
#define SYNCFS_FILES 16 /* more dirty files than this: one syncfs */
#define FUSE_SUPER_MAGIC 0x65735546
#define NATS_SLOTS 4096	 /* the private ring of a NATS consumer */

static volatile sig_atomic_t writer_stop;

static void
on_signal(int sig)
{
	(void)sig;
	writer_stop = 1;
}

typedef struct writer {
	shm_ring_t *in;
	shm_ring_t *notices; /* to the indexer; NULL when vigild made none */
	writer_files_t files;
	struct io_uring ring;
	int durable;
	uint64_t sync_ms, sync_bytes;
	uint64_t last_sync_ms, unsynced;
	uint64_t held; /* peeked and written, waiting for fdatasync (durable) */
	uint64_t group_ns; /* how long a turn may wait for more datagrams */
	uint64_t group_ms;
	uint64_t sync_failures; /* failed syncs in a row, 0 while syncs succeed */
	/*
	 * A syncfs on the sync thread (writer_sync.c) covers what was
	 * written before it was asked for: files written since wait for the
	 * next round (their dirty mark is a later round), and so do the
	 * bytes and the held entries counted since.
	 */
	writer_syncer_t *syncer; /* NULL: every sync runs in the loop */
	int inflight;		 /* a sync thread's syncfs runs */
	uint64_t round;		 /* the dirty mark of a file written now */
	uint64_t inflight_round, inflight_held, inflight_unsynced;
	uint64_t *m_appended, *m_bytes, *m_dups, *m_bad, *m_syncs, *m_opened, *m_torn;
	uint64_t *m_sync_failed;
	writer_nats_t *nats; /* transport = nats: in is this consumer's private ring */
	int no_syncfs;	     /* FUSE (GlusterFS): syncfs does not reach the bricks */
	/* a turn's scratch, batch entries each (writer_turn_alloc) */
	int batch;
	uint8_t (*hdr)[PROTO_REC_HDR_LEN];
	struct iovec *iov; /* 2 * batch */
	writer_file_t **gfile, **wrote;
	int *next, *ghead, *gtail, *gcount;
} writer_t;

static void
writer_turn_free(writer_t *w)
{
	free(w->hdr);
	free(w->iov);
	free(w->gfile);
	free(w->wrote);
	free(w->next);
	free(w->ghead);
	free(w->gtail);
	free(w->gcount);
	w->hdr = NULL, w->iov = NULL, w->gfile = w->wrote = NULL;
	w->next = w->ghead = w->gtail = w->gcount = NULL;
}

/* The turn's arrays for batch datagrams; -ENOMEM (none left allocated). */
static int
writer_turn_alloc(writer_t *w, int batch)
{
	size_t n = (size_t)batch;

	w->batch = batch;
	w->hdr = calloc(n, sizeof(*w->hdr));
	w->iov = calloc(2 * n, sizeof(*w->iov));
	w->gfile = calloc(n, sizeof(*w->gfile));
	w->wrote = calloc(n, sizeof(*w->wrote));
	w->next = calloc(n, sizeof(int));
	w->ghead = calloc(n, sizeof(int));
	w->gtail = calloc(n, sizeof(int));
	w->gcount = calloc(n, sizeof(int));
	if (!w->hdr || !w->iov || !w->gfile || !w->wrote || !w->next || !w->ghead || !w->gtail ||
	    !w->gcount) {
		writer_turn_free(w);
		return -ENOMEM;
	}
	return 0;
}

static void
count(uint64_t *c, uint64_t n)
{
	if (c)
		shm_metrics_add(c, n);
}

/* The first n peeked entries are handed on: free their slots. */
static void
release(writer_t *w, uint64_t n)
{
	if (w->nats)
		writer_nats_release(w->nats, n); /* acknowledged to JetStream first */
	else
		shm_ring_release_spsc(w->in, n);
}

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
	count(w->m_syncs, 1);
	if (rc < 0) {
		count(w->m_sync_failed, 1);
		return rc;
	}
	for (i = 0; i < w->files.max; i++)
		if (w->files.f[i].dirty <= round)
			w->files.f[i].dirty = w->files.f[i].fresh = 0;
	w->unsynced -= bytes;
	if (held) {
		release(w, held);
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
		writer_log("fdatasync failed: %s; appending on, nothing counts as "
			   "durable until a sync succeeds (tried every %llu ms)",
			   strerror(-err), (unsigned long long)w->sync_ms);
	if (err == 0 && w->sync_failures) {
		writer_log("fdatasync succeeds again after %llu failures",
			   (unsigned long long)w->sync_failures);
		w->sync_failures = 0;
	}
}

/*
 * Tell the indexer that f grew. Never waits: when the ring is full the
 * notice is dropped (counted in the ring) and the indexer's rescan finds
 * the bytes anyway.
 */
static void
notify(writer_t *w, const writer_file_t *f)
{
	uint8_t rec[IDX_NOTICE_LEN];
	shm_msg_meta_t meta = {0};
	idx_notice_t n;

	memcpy(n.uuid, f->uuid, PROTO_UUID_LEN);
	n.date = f->date;
	n.end = f->size;
	idx_notice_encode(&n, rec);
	shm_ring_enqueue_spsc(w->notices, &meta, rec, sizeof(rec));
}

/*
 * Should the next turn wait for more datagrams? Yes while fewer than a
 * batch (or half the ring) wait and the oldest arrived less than
 * group_ns ago; *sleep_ns says how long at most.
 */
static int
turn_wait(writer_t *w, uint64_t *sleep_ns)
{
	uint64_t waiting = shm_ring_depth(w->in) - w->held, limit = (uint64_t)w->batch, now, age;
	const shm_slot_t *s;
	struct timespec ts;

	if (waiting == 0 || waiting >= limit || w->group_ns == 0 ||
	    (s = shm_ring_peek_at_spsc(w->in, w->held)) == NULL)
		return 0;
	clock_gettime(CLOCK_REALTIME, &ts); /* the listener's arrival clock */
	now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	age = now > s->meta.arrival_ns ? now - s->meta.arrival_ns : 0;
	if (age >= w->group_ns)
		return 0;
	*sleep_ns = w->group_ns - age;
	return 1;
}

/* One turn: up to w->batch datagrams appended. Returns how many, or -errno. */
static int
turn(writer_t *w)
{
	uint8_t (*hdr)[PROTO_REC_HDR_LEN] = w->hdr;
	struct iovec *iov = w->iov;
	writer_file_t **gfile = w->gfile, **wrote = w->wrote;
	int *next = w->next, *ghead = w->ghead, *gtail = w->gtail, *gcount = w->gcount;
	int ngroup = 0;
	int nsqe = 0, used = 0, n, i, j, k, rc = 0;
	struct io_uring_cqe *cqe;

	for (n = 0; n < w->batch; n++) {
		const shm_slot_t *s = shm_ring_peek_at_spsc(w->in, w->held + (uint64_t)n);
		proto_prefix_t p;
		proto_rec_meta_t m = {0};

		if (s == NULL)
			break;
		if (s->meta.len < PROTO_C2S_HDR_LEN || proto_prefix_decode(s->data, s->meta.len, &p) < 0) {
			count(w->m_bad, 1); /* never written: the listener let it through by mistake */
			continue;
		}
		writer_file_t *f = writer_files_get(&w->files, p.uuid, p.date);
		if (f == NULL)
			return -EIO;
		uint32_t counter = proto_dgram_counter(s->data);
		if (proto_ranges_has(&f->have, counter)) {
			count(w->m_dups, 1);
			continue;
		}
		m.arrival_ns = s->meta.arrival_ns;
		memcpy(m.addr, s->meta.addr, 16);
		m.port = s->meta.port;
		static const uint8_t v4[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
		m.flags = memcmp(m.addr, v4, 12) ? PROTO_REC_F_IPV6 : 0;
		if (proto_rec_encode(&m, s->data, s->meta.len, hdr[n]) < 0) {
			count(w->m_bad, 1); /* never written with a header that does not verify */
			continue;
		}
		if (proto_ranges_add(&f->have, counter, counter + 1) < 0)
			return -ENOMEM;
		/* chain the datagram into its file's group, in ring order */
		next[n] = -1;
		if (f->group < 0 || gcount[f->group] == GROUP_RECS) { /* a new writev */
			f->group = ngroup;
			gfile[ngroup] = f;
			gcount[ngroup] = 0;
			ghead[ngroup++] = n;
		} else {
			next[gtail[f->group]] = n;
		}
		gtail[f->group] = n;
		gcount[f->group]++;
	}
	if (n == 0)
		return 0;
	/* one writev per file, its records in ring order */
	for (i = 0; i < ngroup; i++) {
		struct iovec *v = &iov[used];
		writer_file_t *f = gfile[i];
		size_t bytes = 0;
		int niov = 0;

		for (j = ghead[i]; j >= 0; j = next[j]) {
			const shm_slot_t *s = shm_ring_peek_at_spsc(w->in, w->held + (uint64_t)j);
			v[niov++] = (struct iovec){hdr[j], PROTO_REC_HDR_LEN};
			v[niov++] = (struct iovec){(void *)s->data, s->meta.len};
			bytes += PROTO_REC_HDR_LEN + s->meta.len;
		}
		if (f->group == i)
			f->group = -1;
		struct io_uring_sqe *sqe = io_uring_get_sqe(&w->ring);
		if (sqe == NULL) /* cannot be: the submission queue holds a batch */
			return -EIO;
		io_uring_prep_writev(sqe, f->fd, v, (unsigned)niov, f->size);
		io_uring_sqe_set_data64(sqe, (uint64_t)bytes);
		used += niov;
		wrote[nsqe++] = f;
		f->size += bytes;
		f->dirty = w->round;
		w->unsynced += bytes;
		count(w->m_bytes, bytes);
		count(w->m_appended, (uint64_t)niov / 2);
	}
	if (nsqe && (rc = io_uring_submit_and_wait(&w->ring, (unsigned)nsqe)) < 0)
		return rc;
	for (k = 0; k < nsqe; k++) {
		if ((rc = io_uring_wait_cqe(&w->ring, &cqe)) < 0)
			return rc;
		rc = cqe->res < 0 ? cqe->res : (uint64_t)cqe->res != io_uring_cqe_get_data64(cqe) ? -EIO : 0;
		io_uring_cqe_seen(&w->ring, cqe);
		if (rc < 0) {
			writer_log("append failed: %s", strerror(-rc));
			return rc;
		}
	}
	for (k = 0; k < nsqe && w->notices; k++)
		notify(w, wrote[k]);
	if (w->durable)
		w->held += (uint64_t)n;
	else
		release(w, (uint64_t)n);
	return n;
}

/*
 * One issuer (this thread), and completions run only when it asks for
 * them: the io-wq workers then wake it once per turn, when the last
 * write of the turn completes, instead of once per write.
 */
static int
writer_ring_init(writer_t *w)
{
	int n = io_uring_queue_init((unsigned)w->batch, &w->ring,
				    IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN);

	if (n == -EINVAL) /* a kernel before 6.1 */
		n = io_uring_queue_init((unsigned)w->batch, &w->ring, 0);
	return n;
}

int
main(int argc, char **argv)
{
	const char *dir = "/var/lib/vigil/data", *pfx = getenv("VIGIL_SHM_PREFIX");
	const char *idx = getenv("VIGIL_STAGE_INDEX");
	int opt, max_open = 8192, rc = 1, n;
	uint32_t shard;
	struct statfs sfs;
	shm_seg_t seg, mseg, nseg;
	shm_metrics_t *m;
	struct sigaction sa;
	writer_t w;

	memset(&w, 0, sizeof(w));
	w.sync_ms = 100;
	w.sync_bytes = 4u << 20;
	w.group_ms = 0; /* unset: 50, or 100 on FUSE */
	while ((opt = getopt(argc, argv, "D:s:i:b:o:g:h")) != -1) {
		int bad = 0;

		switch (opt) {
		case 'D': dir = optarg; break;
		case 's':
			if (optarg == NULL || (strcmp(optarg, "durable") && strcmp(optarg, "periodic"))) {
				proto_set_errmsg("-s: \"%s\" is neither periodic nor durable",
				                 optarg ? optarg : "");
				bad = -EINVAL;
			} else
				w.durable = !strcmp(optarg, "durable");
			break;
		case 'i': bad = proto_parse_u64("-i", optarg, 3600000, &w.sync_ms); break;
		case 'b': bad = proto_parse_u64("-b", optarg, UINT64_MAX, &w.sync_bytes); break;
		case 'o': bad = proto_parse_int("-o", optarg, 1, 1 << 20, &max_open); break;
		case 'g':
			/* stored plus one: 0 means unset */
			if ((bad = proto_parse_u64("-g", optarg, 3600000, &w.group_ms)) == 0)
				w.group_ms++;
			break;
		case 'h':
			printf("usage: vigil-writer [-D DATA_DIR] [-s periodic|durable] [-i SYNC_MS] "
			       "[-b SYNC_BYTES] [-o MAX_OPEN] [-g GROUP_MS]\n");
			return 0;
		default: return 2;
		}
		if (bad < 0) {
			fprintf(stderr, "vigil-writer: %s\n", proto_errmsg());
			return 2;
		}
	}
	if (max_open < BATCH_MAX + 1)
		max_open = BATCH_MAX + 1; /* a turn never evicts a file it is writing to */
	/* one descriptor per open day file, and a few for the rest */
	uint64_t nofile = proto_nofile_raise((uint64_t)max_open + 64);
	if (nofile && (uint64_t)max_open + 64 > nofile && nofile > BATCH_MAX + 65) {
		writer_log("descriptor limit %llu: at most %llu open day files",
			   (unsigned long long)nofile, (unsigned long long)nofile - 64);
		max_open = (int)nofile - 64;
	}
	if (pfx == NULL || idx == NULL) {
		fprintf(stderr, "vigil-writer: runs under vigild (VIGIL_SHM_PREFIX and "
				"VIGIL_STAGE_INDEX are not set)\n");
		return 2;
	}
	if (proto_parse_u32("VIGIL_STAGE_INDEX", idx, 1023, &shard) < 0) {
		fprintf(stderr, "vigil-writer: %s\n", proto_errmsg());
		return 2;
	}
	if (writer_nats_open(&w.nats, shard, NATS_SLOTS, &w.in) < 0)
		return 1;
	if (w.nats)
		w.durable = 1; /* a message is acknowledged only once it is synced */
	else if ((n = shm_ring_attach(pfx, SHM_KIND_RING, shard, &seg, &w.in)) < 0) {
		writer_log("ring %s: %s", seg.name, strerror(-n));
		return 1;
	}
	/* without its notice ring the indexer still finds the appends by rescanning */
	(void)shm_ring_attach(pfx, SHM_KIND_NOTICE, shard, &nseg, &w.notices);
	if (shm_metrics_open(pfx, "writer", shard, &mseg, &m) == 0) {
		w.m_appended = shm_metrics_counter(m, "appended_total");
		w.m_bytes = shm_metrics_counter(m, "appended_bytes_total");
		w.m_dups = shm_metrics_counter(m, "duplicates_total");
		w.m_bad = shm_metrics_counter(m, "malformed_total");
		w.m_syncs = shm_metrics_counter(m, "fdatasync_total");
		w.m_sync_failed = shm_metrics_counter(m, "fdatasync_failed_total");
		w.m_opened = shm_metrics_counter(m, "files_opened_total");
		w.m_torn = shm_metrics_counter(m, "torn_tails_cut_total");
	}
	/* a turn takes up to half the ring: the listener fills the other half meanwhile */
	n = w.in->nslots / 2 < BATCH_MAX ? (int)(w.in->nslots / 2) : BATCH_MAX;
	if ((n = writer_turn_alloc(&w, n > 0 ? n : 1)) < 0 ||
	    (n = writer_files_init(&w.files, dir, max_open)) < 0 ||
	    (n = writer_ring_init(&w)) < 0) {
		writer_log("setup: %s", strerror(-n));
		writer_turn_free(&w);
		return 1;
	}
	{
		unsigned workers[2] = {WRITER_IOWQ, 0}; /* bounded (file) workers; unbounded as is */

		if ((n = io_uring_register_iowq_max_workers(&w.ring, workers)) < 0)
			writer_log("io-wq workers: %s (kept the kernel's default)", strerror(-n));
	}
	/*
	 * On FUSE (a GlusterFS mount) syncfs only writes back the page cache:
	 * unless the file system server implements FUSE_SYNCFS, which
	 * GlusterFS does not, nothing reaches the bricks' disks. Only an
	 * fsync per file makes an append durable there.
	 */
	if (fstatfs(w.files.dirfd, &sfs) == 0 && sfs.f_type == FUSE_SUPER_MAGIC) {
		w.no_syncfs = 1;
		writer_log("%s is on FUSE: one fdatasync per dirty file, never syncfs", dir);
	}
	/*
	 * Each writev is one FUSE request, a network round trip on Gluster:
	 * there a turn waits longer for more records per file (100 ms made
	 * 3.5 times fewer writes than 20 in tests/integration/test_gluster.sh).
	 */
	w.group_ms = w.group_ms ? w.group_ms - 1 : w.no_syncfs ? 100 : 50;
	w.round = 1;
	if (!w.no_syncfs && (n = writer_sync_start(&w.syncer, w.files.dirfd)) < 0)
		writer_log("sync thread: %s (syncs run in the loop)", strerror(-n));
	w.group_ns = w.group_ms * 1000000;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: a sleeping wait returns */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	w.last_sync_ms = proto_mono_ms();

	while (!writer_stop) {
		uint64_t opened = w.files.opened, torn = w.files.torn_cut, nap;
		if (turn_wait(&w, &nap)) { /* short naps: the ring may fill meanwhile */
			struct timespec ts = {0, (long)(nap < 2000000 ? nap : 2000000)};
			nanosleep(&ts, NULL);
			continue;
		}
		if ((n = turn(&w)) < 0)
			goto out; /* unreleased entries are written again by our successor */
		count(w.m_opened, w.files.opened - opened);
		count(w.m_torn, w.files.torn_cut - torn);
		if (w.nats)
			count(w.m_bad, writer_nats_bad(w.nats));
		uint64_t due = w.last_sync_ms + w.sync_ms, now = proto_mono_ms();
		int err;
		if (w.inflight) {
			if (writer_sync_poll(w.syncer, &err)) {
				sync_report(&w, sync_end(&w, err));
				due = w.last_sync_ms + w.sync_ms;
			}
		} else if (w.unsynced &&
			   /* while syncs fail, SYNC_BYTES brings no earlier try */
			   (now >= due || (w.unsynced >= w.sync_bytes && !w.sync_failures))) {
			/* many dirty files: one syncfs, on the sync thread */
			if (w.syncer == NULL || writer_files_dirty(&w.files) <= SYNCFS_FILES ||
			    sync_begin(&w) < 0) {
				sync_report(&w, sync_files(&w));
				due = w.last_sync_ms + w.sync_ms;
			}
		}
		if (n == 0 && w.held) {
			/*
			 * Every entry in the ring is written and waits for a
			 * sync (durable): the ring's wait would return at once.
			 * Nap instead, a little at a time for what comes.
			 */
			struct timespec ts = {0, 10 * 1000000L};
			if (!w.inflight && due > now && due - now < 10)
				ts.tv_nsec = (long)(due - now) * 1000000L;
			nanosleep(&ts, NULL);
		} else if (n == 0) { /* idle: sleep until data comes or the sync is due */
			int ms = w.unsynced ? (int)(due > now ? due - now : 1) : 1000;
			shm_ring_wait_spsc(w.in, w.inflight && ms > 10 ? 10 : ms);
		}
	}
	/* stop: the current turn is done; make it durable and release it */
	if (w.inflight && (writer_sync_wait(w.syncer, &n) < 0 || sync_end(&w, n) < 0))
		w.inflight = 0; /* what it covered is still dirty: synced below */
	if (sync_files(&w) < 0)
		goto out;
	rc = 0;
out:
	writer_sync_stop(w.syncer); /* after the sync in flight, if any */
	writer_nats_close(w.nats); /* what was not released goes back at once */
	writer_files_close(&w.files);
	io_uring_queue_exit(&w.ring);
	writer_turn_free(&w);
	return rc;
}
