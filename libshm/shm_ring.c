/*
 * NAME
 *	shm_ring.c - lock-free single-producer single-consumer ring in
 *	shared memory, with futex doorbells
 *
 * DESCRIPTION
 *	See shm.h for the contract. The producer owns tail, the consumer
 *	owns head; each reads the other's index only. Every fence below says
 *	what it orders. The futex words (tail_seq, head_seq) are the low 32
 *	bits of the indexes; a sleeper passes the value it saw, so a wake
 *	that races ahead of its sleep makes FUTEX_WAIT return at once.
 */
#include <errno.h>
#include <linux/futex.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <ck_pr.h>

#include "shm.h"

#define RING_HDR_SIZE sizeof(shm_ring_t)
#define SHM_RING_SPIN 512 /* pause iterations: about 15 us here (4096 took 116 us) */

_Static_assert(sizeof(shm_ring_t) == 3 * SHM_CACHELINE, "ring header is three cache lines");
_Static_assert(offsetof(shm_ring_t, head) == SHM_CACHELINE, "head on its own line");
_Static_assert(offsetof(shm_ring_t, tail) == 2 * SHM_CACHELINE, "tail on its own line");

static int
futex_wait(uint32_t *addr, uint32_t val, int timeout_ms)
{
	struct timespec ts, *tsp = NULL;

	if (timeout_ms >= 0) {
		ts.tv_sec = timeout_ms / 1000;
		ts.tv_nsec = (long)(timeout_ms % 1000) * 1000000L;
		tsp = &ts;
	}
	/* not FUTEX_PRIVATE: the word lives in memory shared between processes */
	if (syscall(SYS_futex, addr, FUTEX_WAIT, val, tsp, NULL, 0) == 0)
		return 0;
	return errno == EAGAIN ? 0 : -errno;
}

static void
futex_wake(uint32_t *addr)
{
	syscall(SYS_futex, addr, FUTEX_WAKE, 1, NULL, NULL, 0);
}

size_t
shm_ring_size(uint32_t nslots)
{
	return RING_HDR_SIZE + (size_t)nslots * SHM_SLOT_SIZE;
}

int
shm_ring_init(shm_ring_t *r, uint32_t nslots)
{
	if (nslots < 2 || (nslots & (nslots - 1)) != 0)
		return -EINVAL;
	r->version = SHM_RING_VERSION;
	r->nslots = nslots;
	r->slot_size = (uint32_t)SHM_SLOT_SIZE;
	r->slots = RING_HDR_SIZE;
	/* the layout is complete before the magic declares it */
	ck_pr_fence_store();
	ck_pr_store_32(&r->magic, SHM_RING_MAGIC);
	return 0;
}

int
shm_ring_check(const shm_ring_t *r, size_t avail)
{
	if (avail < RING_HDR_SIZE || ck_pr_load_32(&r->magic) != SHM_RING_MAGIC)
		return -EPROTO;
	/* read the layout only after seeing the magic that published it */
	ck_pr_fence_load();
	if (r->version != SHM_RING_VERSION || r->slot_size != SHM_SLOT_SIZE || r->nslots < 2 ||
	    (r->nslots & (r->nslots - 1)) != 0 || r->slots != RING_HDR_SIZE ||
	    shm_ring_size(r->nslots) > avail)
		return -EPROTO;
	return 0;
}

static int
ring_kind(uint32_t kind)
{
	const shm_kind_info_t *k = shm_kind_info(kind);

	return k != NULL && k->ring;
}

int
shm_ring_create(const char *prefix, uint32_t kind, uint32_t index, uint32_t nslots, shm_seg_t *seg,
		shm_ring_t **ring)
{
	int rc;

	if (!ring_kind(kind) || nslots < 2 || (nslots & (nslots - 1)) != 0)
		return -EINVAL;
	if ((rc = shm_kind_create(prefix, kind, NULL, index, shm_ring_size(nslots), seg)) < 0)
		return rc;
	*ring = shm_seg_body(seg);
	return shm_ring_init(*ring, nslots);
}

int
shm_ring_attach(const char *prefix, uint32_t kind, uint32_t index, shm_seg_t *seg,
		shm_ring_t **ring)
{
	int rc;

	if (!ring_kind(kind))
		return -EINVAL;
	if ((rc = shm_kind_attach(prefix, kind, NULL, index, 0, seg)) < 0)
		return rc;
	if ((rc = shm_ring_check(shm_seg_body(seg), shm_seg_body_size(seg))) < 0) {
		shm_seg_detach(seg);
		return rc;
	}
	*ring = shm_seg_body(seg);
	return 0;
}

static shm_slot_t *
slot_at(shm_ring_t *r, uint64_t i)
{
	return (shm_slot_t *)((uint8_t *)r + r->slots + (i & (r->nslots - 1)) * r->slot_size);
}

static int
try_enqueue(shm_ring_t *r, const shm_msg_meta_t *meta, const void *data, size_t len, int count)
{
	uint64_t tail = ck_pr_load_64(&r->tail);
	shm_slot_t *s;

	if (len > SHM_MSG_MAX)
		return -EMSGSIZE;
	if (tail - r->head_cache >= r->nslots) {
		/* only when the cached view says full: read the consumer's line */
		ck_pr_store_64(&r->head_cache, ck_pr_load_64(&r->head));
		/* the consumer finished reading a slot before it released it:
		 * our writes to that slot come after we saw the release */
		ck_pr_fence_load_store();
		if (tail - r->head_cache >= r->nslots) {
			if (count)
				ck_pr_store_64(&r->dropped, r->dropped + 1);
			return -ENOSPC;
		}
	}
	s = slot_at(r, tail);
	s->meta = *meta;
	s->meta.len = (uint32_t)len;
	s->meta.seq = tail;
	memcpy(s->data, data, len);
	/* the slot's contents are visible before the tail that publishes it */
	ck_pr_fence_store();
	ck_pr_store_64(&r->tail, tail + 1);
	ck_pr_store_32(&r->tail_seq, (uint32_t)(tail + 1));
	/* publish the tail before looking for a sleeper (pairs with the
	 * consumer's fence between announcing itself and re-reading tail) */
	ck_pr_fence_memory();
	if (ck_pr_load_32(&r->consumer_waiting))
		futex_wake(&r->tail_seq);
	return 0;
}

int
shm_ring_enqueue_spsc(shm_ring_t *r, const shm_msg_meta_t *meta, const void *data, size_t len)
{
	return try_enqueue(r, meta, data, len, 1);
}

int
shm_ring_enqueue_wait_spsc(shm_ring_t *r, const shm_msg_meta_t *meta, const void *data, size_t len,
			   int timeout_ms)
{
	int rc;

	for (;;) {
		if ((rc = try_enqueue(r, meta, data, len, 0)) != -ENOSPC)
			return rc;
		/* bounded spin before sleeping, as in shm_ring_wait_spsc */
		for (int spin = 0; spin < SHM_RING_SPIN; spin++) {
			if (ck_pr_load_64(&r->tail) - ck_pr_load_64(&r->head) < r->nslots)
				break;
			ck_pr_stall();
		}
		if ((rc = try_enqueue(r, meta, data, len, 0)) != -ENOSPC)
			return rc;
		uint32_t seq = ck_pr_load_32(&r->head_seq);
		ck_pr_store_32(&r->producer_waiting, 1);
		/* announce before re-checking head (pairs with release_spsc) */
		ck_pr_fence_memory();
		if (ck_pr_load_64(&r->tail) - ck_pr_load_64(&r->head) < r->nslots) {
			ck_pr_store_32(&r->producer_waiting, 0);
			continue;
		}
		rc = futex_wait(&r->head_seq, seq, timeout_ms);
		ck_pr_store_32(&r->producer_waiting, 0);
		if (rc == -ETIMEDOUT || rc == -EINTR)
			return rc;
	}
}

const shm_slot_t *
shm_ring_peek_at_spsc(shm_ring_t *r, uint64_t n)
{
	uint64_t head = ck_pr_load_64(&r->head);

	if (head + n >= r->tail_cache) {
		/* only when the cached view says empty: read the producer's line */
		ck_pr_store_64(&r->tail_cache, ck_pr_load_64(&r->tail));
		if (head + n >= r->tail_cache)
			return NULL;
	}
	/* the slot contents were written before the tail we read */
	ck_pr_fence_load();
	return slot_at(r, head + n);
}

const shm_slot_t *
shm_ring_peek_spsc(shm_ring_t *r)
{
	return shm_ring_peek_at_spsc(r, 0);
}

void
shm_ring_release_spsc(shm_ring_t *r, uint64_t n)
{
	uint64_t head = ck_pr_load_64(&r->head) + n;

	/* our reads of the released slots complete before the producer may
	 * see them free and overwrite them */
	ck_pr_fence_release();
	ck_pr_store_64(&r->head, head);
	ck_pr_store_32(&r->head_seq, (uint32_t)head);
	/* publish head before looking for a waiting producer */
	ck_pr_fence_memory();
	if (ck_pr_load_32(&r->producer_waiting))
		futex_wake(&r->head_seq);
}

int
shm_ring_wait_spsc(shm_ring_t *r, int timeout_ms)
{
	uint32_t seq;
	int rc, spin;

	/*
	 * A short bounded spin first: under load the next message is usually
	 * a few hundred nanoseconds away, and sleeping would cost the producer
	 * a FUTEX_WAKE per message. An idle ring still ends up asleep.
	 */
	for (spin = 0; spin < SHM_RING_SPIN; spin++) {
		if (ck_pr_load_64(&r->tail) != ck_pr_load_64(&r->head))
			return 0;
		ck_pr_stall();
	}
	seq = ck_pr_load_32(&r->tail_seq);

	ck_pr_store_32(&r->consumer_waiting, 1);
	/* announce before re-checking tail (pairs with try_enqueue) */
	ck_pr_fence_memory();
	if (ck_pr_load_64(&r->tail) != ck_pr_load_64(&r->head)) {
		ck_pr_store_32(&r->consumer_waiting, 0);
		return 0;
	}
	rc = futex_wait(&r->tail_seq, seq, timeout_ms);
	ck_pr_store_32(&r->consumer_waiting, 0);
	return rc;
}

uint64_t
shm_ring_depth(const shm_ring_t *r)
{
	uint64_t head = ck_pr_load_64(&r->head);

	return ck_pr_load_64(&r->tail) - head;
}
