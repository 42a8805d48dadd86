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
 *	file that grew gets a notice to the indexer. A datagram whose file
 *	another process holds locked (writer_file.c) ends the turn before
 *	it: neither it nor any after it is released, so nothing is lost
 *	and the ring's order is kept; the loop tries again.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "idx.h"
#include "stage.h"
#include "writer.h"

#define GROUP_RECS 512 /* records per writev: IOV_MAX / 2 */

void
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

int
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

/* One turn: up to w->batch datagrams appended. Returns how many, or -errno. */
int
writer_turn_run(writer_t *w)
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
			writer_count(w->m_bad, 1); /* never written: the listener let it through by mistake */
			continue;
		}
		writer_file_t *f = writer_files_get(&w->files, p.uuid, p.date);
		if (f == NULL && w->files.refused)
			break; /* another process appends to its file: it and what follows wait */
		if (f == NULL)
			return -EIO;
		uint32_t counter = proto_dgram_counter(s->data);
		if (proto_ranges_has(&f->have, counter)) {
			writer_count(w->m_dups, 1);
			continue;
		}
		m.arrival_ns = s->meta.arrival_ns;
		memcpy(m.addr, s->meta.addr, 16);
		m.port = s->meta.port;
		static const uint8_t v4[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
		m.flags = memcmp(m.addr, v4, 12) ? PROTO_REC_F_IPV6 : 0;
		if (proto_rec_encode(&m, s->data, s->meta.len, hdr[n]) < 0) {
			writer_count(w->m_bad, 1); /* never written with a header that does not verify */
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
		writer_count(w->m_bytes, bytes);
		writer_count(w->m_appended, (uint64_t)niov / 2);
	}
	if (nsqe && (rc = io_uring_submit_and_wait(&w->ring, (unsigned)nsqe)) < 0)
		return rc;
	for (k = 0; k < nsqe; k++) {
		if ((rc = io_uring_wait_cqe(&w->ring, &cqe)) < 0)
			return rc;
		rc = cqe->res < 0 ? cqe->res : (uint64_t)cqe->res != io_uring_cqe_get_data64(cqe) ? -EIO : 0;
		io_uring_cqe_seen(&w->ring, cqe);
		if (rc < 0) {
			log_warnx("append failed: %s", strerror(-rc));
			return rc;
		}
	}
	for (k = 0; k < nsqe && w->notices; k++)
		notify(w, wrote[k]);
	if (w->durable)
		w->held += (uint64_t)n;
	else
		writer_turn_release(w, (uint64_t)n);
	return n;
}
