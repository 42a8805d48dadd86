/*
 * NAME
 *	writer_turn.c - one turn of the writer: datagrams from the ring to
 *	their day files, one writev per file
 *
 * DESCRIPTION
 *	Each turn peeks up to half the ring (at most WRITER_BATCH_MAX
 *	datagrams), drops those whose identity (camera, date, counter) the
 *	file already holds, and appends the rest, each as a record header
 *	plus the datagram exactly as received, with one io_uring writev per
 *	file per turn (the datagram bytes are written straight from the
 *	ring slot; a turn groups its datagrams by file in one pass). With
 *	many cameras each file gets a datagram now and then, so a turn
 *	waits until GROUP_MS (-g, default 50, 100 on FUSE) have passed
 *	since its oldest datagram arrived, or half the ring is waiting, and
 *	writes several records per file in one writev: ext4 takes no
 *	non-blocking buffered write, so each writev is handed to an io-wq
 *	worker, and that hand-over costs more than the copy of a few
 *	records. Measured with 500 cameras at 70,000 datagrams/s into one
 *	writer (16,384 ring slots), writer CPU per datagram: 3.9-4.9 us
 *	with turns of at most 2,048 and -g 20, 3.1-3.2 us with half the
 *	ring and -g 50, 2.1-2.3 us with -g 100 (a datagram then reaches the
 *	file, and live viewers, up to 100 ms after it arrived).
 *
 *	Entries are released only after their write completed; with
 *	-s durable, only after the sync that follows (writer_loop.c). Each
 *	day file that grew gets a notice to the indexer.
 *
 *	A counter the file already holds is a duplicate only when it is the
 *	same content. The writer knows without reading the file: a
 *	datagram's key and nonce derive from (session, counter), and a
 *	resend is a byte-identical copy under the same session, so each file
 *	keeps which session holds which counters (writer_file.c), looked at
 *	only on the duplicate branch. The same counter under another
 *	session, or a hello of the same session number with another hello
 *	id (a camera that lost its state starts again at counter 0), or any
 *	datagram of a session so named twice, is a conflict: counted
 *	(conflicts_total), logged, and appended to the conflict file beside
 *	the day file (<date>.conflict.vgl, docs/STORAGE.md), never to the
 *	day file and never counted as appended. The same session and counter
 *	with other bytes could only come from a camera that repeats a (key,
 *	nonce) pair; the writer takes it for a resend and keeps the first.
 *
 *	A file the writer cannot use (it cannot be created or opened, a
 *	folder stands in its way, the disk is full, its header is damaged
 *	past recovery) never stops the other cameras of the shard. The ring
 *	releases in order, so the turn ends before such a datagram (the ones
 *	before it are written and released), and the next turns hold it at
 *	the head of the ring, trying again every WRITER_STUCK_RETRY_MS. An
 *	error of the whole disk or process (ENOSPC, EDQUOT, EIO, out of
 *	descriptors or memory) holds it for as long as it lasts: every other
 *	file would fail alike, and nothing leaves the ring unstored (the
 *	listener drops what no longer fits, which it never marks as passed
 *	on, and syncd fetches that back). So does a file another process
 *	holds locked (writer_file.c): it and everything after it wait until
 *	the lock is free. An error of that one file (a folder in its way,
 *	EACCES, a header that cannot be set aside) holds it for up to WRITER_HOLD_MS: what passes costs
 *	nothing. After that the file is given up on for WRITER_RETRY_MS:
 *	its datagrams are released without being stored (with NATS,
 *	acknowledged), counted in unstored_total, and the other files go
 *	on. Such a datagram is not in the day file, so nothing confirms it
 *	to the camera, which keeps it, and syncd asks for it again
 *	(MISSING) once the file can be used; the listener passes the resend
 *	on once the counter is older than its window of counters it passed
 *	on (listener_window.c), or after it restarts.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "idx.h"
#include "stage.h"
#include "writer.h"

#define GROUP_RECS 512       /* records per writev: IOV_MAX / 2 */
#define WRITER_HOLD_MS 1000  /* a file that cannot be used holds the ring this long */
#define WRITER_RETRY_MS 1000 /* then its datagrams are let go, and it is tried again this often */
#define WRITER_STUCK_RETRY_MS 100 /* a held datagram's file is tried again this often */

void
writer_turn_free(writer_t *w)
{
	free(w->hdr);
	free(w->iov);
	free(w->gfile);
	free(w->gw);
	free(w->next);
	free(w->ghead);
	free(w->gtail);
	free(w->gcount);
	w->hdr = NULL, w->iov = NULL, w->gfile = NULL, w->gw = NULL;
	w->next = w->ghead = w->gtail = w->gcount = NULL;
}

int
writer_turn_alloc(writer_t *w, int batch)
{
	size_t n = (size_t)batch;

	w->batch = batch;
	w->hdr = calloc(n, sizeof(*w->hdr));
	w->iov = calloc(2 * n, sizeof(*w->iov));
	w->gfile = calloc(n, sizeof(*w->gfile));
	w->gw = calloc(n, sizeof(*w->gw));
	w->next = calloc(n, sizeof(int));
	w->ghead = calloc(n, sizeof(int));
	w->gtail = calloc(n, sizeof(int));
	w->gcount = calloc(n, sizeof(int));
	if (!w->hdr || !w->iov || !w->gfile || !w->gw || !w->next || !w->ghead || !w->gtail ||
	    !w->gcount) {
		writer_turn_free(w);
		return -ENOMEM;
	}
	return 0;
}

/* The first n peeked entries are handed on: free their slots. */
void
writer_turn_release(writer_t *w, uint64_t n)
{
	if (w->nats)
		writer_nats_release(w->nats, n); /* acknowledged to JetStream first */
	else
		shm_ring_release_spsc(w->in, n);
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
int
writer_turn_wait(writer_t *w, uint64_t *sleep_ns)
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

/*
 * Errors that are not the file's but the disk's or the process's (full,
 * out of descriptors or memory, failing): every file would fail alike,
 * so the datagram is held for as long as they last, never let go. A
 * file another process holds locked (-EAGAIN) is held the same way: its
 * appender is another writer, which vigild's lock and the shard leases
 * refuse, so it is a moment's overlap (a FUSE client releases a dead
 * writer's lock a little after its close), and letting its datagrams go
 * would hand them to a second appender's file.
 */
static int
whole_disk(int err)
{
	return err == -EAGAIN || err == -ENOSPC || err == -EDQUOT || err == -EMFILE ||
	       err == -ENFILE || err == -ENOMEM || err == -EIO || err == -EINTR;
}

/*
 * The file (uuid, date, kind) of the datagram at position n of the
 * turn, in *f: 0. 1: end the turn before it (it is held at the head of
 * the ring). -1: let it go unstored (its file is given up on).
 */
static int
file_of(writer_t *w, int n, const uint8_t *uuid, uint32_t date, int kind, writer_file_t **f)
{
	struct writer_bad *b = NULL;
	uint64_t now = proto_mono_ms();
	char path[4096];
	int i, rc;

	for (i = 0; i < w->nbad && b == NULL; i++)
		if (w->bad[i].date == date && w->bad[i].kind == kind &&
		    memcmp(w->bad[i].uuid, uuid, PROTO_UUID_LEN) == 0)
			b = &w->bad[i];
	if (b == NULL && n == 0 && w->stuck_ms && now < w->stuck_retry_ms)
		return 1; /* held, and not yet time to try again */
	if (b == NULL || now >= b->retry_ms) {
		if ((rc = writer_files_get(&w->files, uuid, date, kind, f)) == 0) {
			if (b) {
				writer_files_path(&w->files, uuid, date, kind, path, sizeof(path));
				log_info("%s: usable again; %llu datagrams were let go meanwhile "
					 "(the camera keeps them)",
					 path, (unsigned long long)b->unstored);
				*b = w->bad[--w->nbad];
			}
			if (n == 0)
				w->stuck_ms = 0;
			return 0;
		}
		if (b == NULL && n > 0)
			return 1; /* at the head of the next turn */
		if (b == NULL) {
			writer_files_path(&w->files, uuid, date, kind, path, sizeof(path));
			if (w->stuck_ms == 0) {
				w->stuck_ms = now ? now : 1;
				log_warnx("%s: %s; held in the ring, tried again every %d ms%s",
					  path, strerror(-rc), WRITER_STUCK_RETRY_MS,
					  whole_disk(rc) ? "" : " for a while");
			}
			w->stuck_retry_ms = now + WRITER_STUCK_RETRY_MS;
			if (now - w->stuck_ms < WRITER_HOLD_MS || whole_disk(rc))
				return 1;
			log_warnx("%s: %s; its datagrams are let go unstored (the camera keeps "
				  "them, syncd asks again), tried again every %d ms",
				  path, strerror(-rc), WRITER_RETRY_MS);
			b = &w->bad[w->nbad < 16 ? w->nbad++ : 0];
			memset(b, 0, sizeof(*b));
			memcpy(b->uuid, uuid, PROTO_UUID_LEN);
			b->date = date;
			b->kind = kind;
		}
		b->retry_ms = now + WRITER_RETRY_MS;
	}
	w->stuck_ms = 0;
	b->unstored++;
	writer_count(w->m_unstored, 1);
	return -1;
}

/*
 * The datagram dg came again with other content than the day file of
 * its camera and date holds under its counter (held_by: the session
 * it is stored under); it goes to the conflict file c. Logged once per
 * session that conflicts, counted each time.
 */
static void
conflict(writer_t *w, writer_file_t *c, const uint8_t *dg, uint32_t held_by)
{
	uint32_t sess = proto_dgram_session(dg);
	char path[4096], u[37];

	writer_count(w->m_conflicts, 1);
	if (c->logged == (uint64_t)sess + 1)
		return;
	c->logged = (uint64_t)sess + 1;
	proto_uuid_fmt(c->uuid, u);
	writer_files_path(&w->files, c->uuid, c->date, WRITER_CONFLICT, path, sizeof(path));
	log_warnx("camera %s date %u counter %u: stored under session %u, came again under "
		  "session %u with other content; kept aside in %s (further conflicts of session "
		  "%u counted in conflicts_total)",
		  u, c->date, proto_dgram_counter(dg), held_by, sess, path, sess);
}

/*
 * What a short writev left of group i, written synchronously: a file
 * system that filled up in the middle says so on the rest. 0 or -errno.
 */
static int
write_rest(writer_t *w, int i, uint64_t done)
{
	const struct writer_gw *g = &w->gw[i];
	struct iovec v[2 * GROUP_RECS], *p;
	int niov;
	ssize_t k;

	for (;;) {
		uint64_t d = done;
		/* what is written is dropped from the front */
		p = v, niov = g->niov;
		memcpy(v, &w->iov[g->iov], (size_t)niov * sizeof(*v));
		while (niov > 0 && d >= p->iov_len)
			d -= p->iov_len, p++, niov--;
		if (niov == 0)
			return 0;
		p->iov_base = (uint8_t *)p->iov_base + d;
		p->iov_len -= d;
		if ((k = pwritev(w->gfile[i]->fd, p, niov, (off_t)(g->off + done))) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (k == 0)
			return -EIO;
		done += (uint64_t)k;
	}
}

/* One turn: up to w->batch datagrams appended. Returns how many, or -errno. */
int
writer_turn_run(writer_t *w)
{
	uint8_t(*hdr)[PROTO_REC_HDR_LEN] = w->hdr;
	struct iovec *iov = w->iov;
	writer_file_t **gfile = w->gfile;
	int *next = w->next, *ghead = w->ghead, *gtail = w->gtail, *gcount = w->gcount;
	int ngroup = 0;
	int used = 0, n, i, j, k, rc = 0;
	struct io_uring_cqe *cqe;

	for (n = 0; n < w->batch; n++) {
		const shm_slot_t *s = shm_ring_peek_at_spsc(w->in, w->held + (uint64_t)n);
		proto_prefix_t p;
		proto_rec_meta_t m = {0};
		writer_file_t *f;
		uint32_t held_by;

		if (s == NULL)
			break;
		if (s->meta.len < PROTO_C2S_HDR_LEN ||
		    proto_prefix_decode(s->data, s->meta.len, &p) < 0) {
			/* never written: the listener let it through by mistake */
			writer_count(w->m_bad, 1);
			continue;
		}
		if ((k = file_of(w, n, p.uuid, p.date, WRITER_DAY, &f)) != 0) {
			if (k > 0)
				break;
			continue;
		}
		uint32_t counter = proto_dgram_counter(s->data);
		if (proto_ranges_has(&f->have, counter)) {
			if (!writer_file_conflicts(f, s->data, s->meta.len, &held_by)) {
				writer_count(w->m_dups, 1);
				continue;
			}
			if ((k = file_of(w, n, p.uuid, p.date, WRITER_CONFLICT, &f)) != 0) {
				if (k > 0)
					break;
				continue;
			}
			uint32_t was;
			if (proto_ranges_has(&f->have, counter) &&
			    !writer_file_conflicts(f, s->data, s->meta.len, &was)) {
				writer_count(w->m_dups, 1); /* a conflict kept aside already */
				continue;
			}
			conflict(w, f, s->data, held_by);
		}
		m.arrival_ns = s->meta.arrival_ns;
		memcpy(m.addr, s->meta.addr, 16);
		m.port = s->meta.port;
		static const uint8_t v4[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
		m.flags = memcmp(m.addr, v4, 12) ? PROTO_REC_F_IPV6 : 0;
		if (proto_rec_encode(&m, s->data, s->meta.len, hdr[n]) < 0) {
			/* never written with a header that does not verify */
			writer_count(w->m_bad, 1);
			continue;
		}
		if (writer_file_note(f, s->data, s->meta.len) < 0)
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
		io_uring_sqe_set_data64(sqe, (uint64_t)i);
		w->gw[i] = (struct writer_gw){f->size, bytes, used, niov};
		used += niov;
		f->size += bytes;
		f->dirty = w->round;
		w->unsynced += bytes;
		if (f->kind == WRITER_DAY) { /* what is kept aside is not stored */
			writer_count(w->m_bytes, bytes);
			writer_count(w->m_appended, (uint64_t)niov / 2);
		}
	}
	if (ngroup && (rc = io_uring_submit_and_wait(&w->ring, (unsigned)ngroup)) < 0)
		return rc;
	for (k = 0; k < ngroup; k++) {
		if ((rc = io_uring_wait_cqe(&w->ring, &cqe)) < 0)
			return rc;
		int res = cqe->res;
		i = (int)io_uring_cqe_get_data64(cqe);
		io_uring_cqe_seen(&w->ring, cqe);
		rc = res < 0                          ? res
		     : (uint64_t)res < w->gw[i].bytes ? write_rest(w, i, (uint64_t)res)
						      : 0;
		if (rc < 0) {
			char path[4096];
			writer_files_path(&w->files, gfile[i]->uuid, gfile[i]->date, gfile[i]->kind,
					  path, sizeof(path));
			log_warnx("append to %s failed: %s", path, strerror(-rc));
			return rc;
		}
	}
	for (k = 0; k < ngroup && w->notices; k++)
		if (gfile[k]->kind == WRITER_DAY)
			notify(w, gfile[k]);
	if (w->durable)
		w->held += (uint64_t)n;
	else
		writer_turn_release(w, (uint64_t)n);
	return n;
}
