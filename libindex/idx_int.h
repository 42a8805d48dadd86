/*
 * NAME
 *	idx_int.h - layout of the index segment (libindex internal)
 *
 * DESCRIPTION
 *	Body of <prefix>-index: idx_hdr_t, then the day table (ndays slots
 *	of idx_day), then the arena of arrays. Every reference inside the
 *	segment is a byte offset from the body start. See idx.h for the
 *	concurrency scheme.
 */
#ifndef VIGIL_IDX_INT_H
#define VIGIL_IDX_INT_H

#include <ck_pr.h>

#include "idx.h"

typedef struct idx_hdr {
	uint64_t magic;
	uint32_t version;
	uint32_t ndays;     /* power of two */
	uint64_t days_off;  /* body offset of the day table */
	uint64_t arena_off; /* body offset of the arena */
	uint64_t arena_size;
	uint8_t pad0[SHM_CACHELINE - 40];
	/* written by the indexer */
	uint64_t generation; /* odd while the indexer clears the segment */
	uint32_t ready;
	uint32_t pad1;
	uint64_t arena_used;
	uint64_t arena_full; /* allocations refused */
	uint8_t pad2[SHM_CACHELINE - 32];
} idx_hdr_t;

struct idx_day {
	uint32_t state; /* 0 free, 1 used: release-stored after the key */
	uint32_t date;
	uint8_t uuid[16];
	uint32_t seq; /* sequence lock over the fields up to tele */
	uint32_t high, nranges, rcap, codecs, reported_next;
	uint64_t ranges; /* body offset of idx_range_t[rcap] */
	uint64_t records, bytes, indexed_to, last_arrival_ms, last_capture_ms;
	idx_telemetry_t tele;
	/*
	 * Append-only arrays: (directory offset / 8) << 32 | count,
	 * release-stored. The directory holds the offsets of the chunks:
	 * entry i is entry i % IDX_CHUNK of chunk i / IDX_CHUNK. Chunk 0
	 * grows by doubling up to IDX_CHUNK entries (small days stay small);
	 * every later chunk is allocated whole and never moves, so a long
	 * day costs its entries plus at most two chunks, not the copies a
	 * doubling array would leave behind.
	 */
	uint64_t kf, pts, hellos;
	/* the indexer's own bookkeeping, never read by readers */
	struct idx_arr_own {
		uint32_t dcap;  /* directory slots */
		uint32_t c0cap; /* entries chunk 0 has room for */
	} kf_own, pts_own, hellos_own;
	uint32_t since_point;
	uint32_t follow; /* counter of the file's previous record + 1; 0 before the first */
};

struct idx {
	shm_seg_t seg;
	uint8_t *body;
	idx_hdr_t *hdr;
	struct idx_day *days;
	uint32_t mask;
	unsigned patience_ms; /* idx_set_patience */
};

static inline uint32_t
idx_hash(const uint8_t uuid[16], uint32_t date)
{
	uint32_t h = 2166136261u;
	int i;

	for (i = 0; i < 16; i++)
		h = (h ^ uuid[i]) * 16777619u;
	for (i = 0; i < 4; i++)
		h = (h ^ ((date >> (8 * i)) & 0xff)) * 16777619u;
	return h;
}

#define IDX_CHUNK 512 /* entries per chunk of an append-only array */
#define IDX_ARR_REF(w) (((w) >> 32) << 3)
#define IDX_ARR_N(w) ((uint32_t)(w))
#define IDX_ARR_WORD(ref, n) ((((uint64_t)(ref) >> 3) << 32) | (uint32_t)(n))

/* idx_write.c, for idx_ckpt.c: arena blocks and array appends (indexer only) */
uint64_t idx_arena_alloc(idx_t *x, uint64_t bytes);
void *idx_arena_ptr(idx_t *x, uint64_t ref);
int idx_arr_push(idx_t *x, uint64_t *word, struct idx_arr_own *a, const idx_point_t *p);

#endif
