/*
 * NAME
 *	shm.h - shared segments and lock-free SPSC rings between vigil stages
 *
 * DESCRIPTION
 *	A segment is a named POSIX shared-memory object that the master
 *	creates and stages attach to. It starts with a header of
 *	SHM_SEG_HDR_SIZE bytes (magic, kind, the kind's layout version,
 *	size); everything inside is addressed by offsets, never pointers, so
 *	each process may map it anywhere. Which segments exist, their names,
 *	owners and versions: shm_kind.h (the registry); its helpers build the
 *	names, and shm_ring_create / shm_ring_attach do the same for rings.
 *
 *	A ring is single-producer single-consumer, copies each message
 *	inline into a fixed slot, and keeps head (consumer) and tail
 *	(producer) on separate cache lines. Both indexes only grow (64-bit,
 *	never wrap in practice); the slot of index i is i mod nslots.
 *
 *	Crash contract: a producer fills a slot and only then publishes it
 *	by advancing tail with release semantics, so a producer killed
 *	mid-write leaves nothing visible. A consumer peeks at the slot at
 *	head, hands the message on durably, and only then releases it by
 *	advancing head, so a consumer killed before release has its
 *	successor see the same message again (at least once; duplicates are
 *	dropped downstream by the datagram's identity).
 *
 *	Sleeping: an idle consumer (or a producer that waits for room)
 *	announces itself in a waiter word, re-checks, and sleeps on a futex
 *	in the shared mapping. The other side wakes it only when the word
 *	says someone sleeps. The futex is a doorbell, not a lock: no side
 *	ever waits for the other to leave a critical section.
 *
 *	Functions return 0 or -errno (bool for full/empty) and never print.
 *	Ownership: shm_seg_* fill a caller-provided shm_seg_t; the mapping
 *	is released by shm_seg_detach.
 */
#ifndef VIGIL_SHM_H
#define VIGIL_SHM_H

#include <stddef.h>
#include <stdint.h>

#include "shm_kind.h"

#define SHM_MAGIC 0x5649474c53484d31ull /* "VIGLSHM1" */
#define SHM_CACHELINE 64
#define SHM_SEG_HDR_SIZE SHM_CACHELINE /* the body starts on the second cache line */
#define SHM_RING_MAGIC 0x52494e47u     /* "RING" */
#define SHM_RING_VERSION 1             /* shm_ring_t and shm_slot_t */
#define SHM_MSG_MAX 1472

typedef struct shm_seg_hdr {
	uint64_t magic;
	uint32_t version; /* the layout version of kind (shm_kind_version) */
	uint32_t kind;    /* enum shm_kind */
	uint64_t size;    /* whole segment, header included */
	uint64_t body;    /* offset of the body from the segment start: SHM_SEG_HDR_SIZE */
} shm_seg_hdr_t;

typedef struct shm_seg {
	char name[SHM_NAME_MAX];
	void *base;
	size_t size; /* whole mapping, header included */
} shm_seg_t;

/*
 * By name; the registry's shm_kind_create / shm_kind_attach build the
 * name from the kind. create makes (or replaces) a zeroed segment with
 * the kind's current version, -EINVAL for a kind the registry does not
 * know. attach gives -EPROTO for a segment that is not a vigil segment
 * or is of another kind or version.
 */
int shm_seg_create(const char *name, uint32_t kind, size_t body_size, shm_seg_t *seg);
int shm_seg_attach(const char *name, uint32_t kind, shm_seg_t *seg);
void shm_seg_detach(shm_seg_t *seg);
int shm_seg_unlink(const char *name);
static inline void *
shm_seg_body(const shm_seg_t *seg)
{
	return (uint8_t *)seg->base + ((const shm_seg_hdr_t *)seg->base)->body;
}
/* Bytes of the body: the segment less its header. */
static inline size_t
shm_seg_body_size(const shm_seg_t *seg)
{
	return seg->size - SHM_SEG_HDR_SIZE;
}

/* What travels with a datagram. */
typedef struct shm_msg_meta {
	uint64_t arrival_ns;
	uint8_t addr[16]; /* IPv6 or IPv4-mapped */
	uint16_t port;
	uint16_t flags;
	uint32_t session;
	uint32_t len;
	uint64_t seq; /* filled by the ring: the message's ring index */
} shm_msg_meta_t;

typedef struct shm_slot {
	shm_msg_meta_t meta;
	uint8_t data[SHM_MSG_MAX];
} shm_slot_t;

#define SHM_SLOT_SIZE ((sizeof(shm_slot_t) + SHM_CACHELINE - 1) / SHM_CACHELINE * SHM_CACHELINE)

typedef struct shm_ring {
	/* line 0: read-only after creation */
	uint32_t magic;
	uint32_t version;
	uint32_t nslots; /* power of two */
	uint32_t slot_size;
	uint64_t slots; /* offset of slot 0 from the ring start */
	uint8_t pad0[SHM_CACHELINE - 24];
	/* line 1: written by the consumer */
	uint64_t head;             /* messages released so far */
	uint32_t head_seq;         /* low bits of head: the producer's futex word */
	uint32_t consumer_waiting; /* 1 while the consumer sleeps */
	uint64_t tail_cache;       /* consumer's last view of tail */
	uint8_t pad1[SHM_CACHELINE - 24];
	/* line 2: written by the producer */
	uint64_t tail;             /* messages published so far */
	uint32_t tail_seq;         /* low bits of tail: the consumer's futex word */
	uint32_t producer_waiting; /* 1 while the producer waits for room */
	uint64_t head_cache;       /* producer's last view of head */
	uint64_t dropped;          /* enqueue found the ring full */
	uint8_t pad2[SHM_CACHELINE - 32];
} shm_ring_t;

/* Bytes a ring of nslots needs (header + slots). */
size_t shm_ring_size(uint32_t nslots);
/* Lay out a ring in zeroed memory of shm_ring_size(nslots) bytes. */
int shm_ring_init(shm_ring_t *r, uint32_t nslots);
/* Check a ring laid out by another process; -EPROTO when it does not fit. */
int shm_ring_check(const shm_ring_t *r, size_t avail);

/*
 * The segment of a ring kind (shm_kind.h: RING, NOTICE, SYNC_IN,
 * SYNC_OUT), by prefix and index. create (vigild) makes it with an empty
 * ring of nslots; attach (the stages) maps it and checks the ring with
 * shm_ring_check, leaving head and tail as they are: a restarted
 * consumer sees again what its predecessor had not released. -EINVAL
 * for a kind that is not a ring, -ENOENT, -EPROTO (another kind or
 * version, or a ring that does not fit its segment). *ring points into
 * seg, valid until shm_seg_detach.
 */
int shm_ring_create(const char *prefix, uint32_t kind, uint32_t index, uint32_t nslots,
		    shm_seg_t *seg, shm_ring_t **ring);
int shm_ring_attach(const char *prefix, uint32_t kind, uint32_t index, shm_seg_t *seg,
		    shm_ring_t **ring);

/*
 * Producer side (one process). enqueue copies len <= SHM_MSG_MAX bytes
 * and returns 0, -ENOSPC when the ring is full (counted in dropped: the
 * listener's policy) or -EMSGSIZE. enqueue_wait sleeps for room instead
 * (the policy of every other stage).
 */
int shm_ring_enqueue_spsc(shm_ring_t *r, const shm_msg_meta_t *meta, const void *data, size_t len);
/* Like enqueue, but sleeps until there is room (timeout_ms < 0: forever). */
int shm_ring_enqueue_wait_spsc(shm_ring_t *r, const shm_msg_meta_t *meta, const void *data,
			       size_t len, int timeout_ms);

/* Consumer side (one process). peek: the slot at head or NULL when empty. */
const shm_slot_t *shm_ring_peek_spsc(shm_ring_t *r);
/* Peek the n-th unreleased slot after head (batching); NULL past tail. */
const shm_slot_t *shm_ring_peek_at_spsc(shm_ring_t *r, uint64_t n);
/* Release the first n peeked slots (after handing them on durably). */
void shm_ring_release_spsc(shm_ring_t *r, uint64_t n);
/* Sleep until the ring is not empty or timeout_ms passes. 0, -ETIMEDOUT, -EINTR. */
int shm_ring_wait_spsc(shm_ring_t *r, int timeout_ms);
/* Messages published and not yet released. */
uint64_t shm_ring_depth(const shm_ring_t *r);

#endif
