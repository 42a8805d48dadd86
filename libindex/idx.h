/*
 * NAME
 *	idx.h - the shared index of stored datagrams, per (camera, day)
 *
 * DESCRIPTION
 *	vigil-indexer derives the index from the day files and keeps it in
 *	one shared segment, <prefix>-index, that vigild creates. The
 *	streamer and syncd read it without locks; only the indexer writes.
 *
 *	Per partition (camera UUID, UTC date) the index holds:
 *	  - the counter ranges stored in the file (sorted, disjoint) with
 *	    the capture time of their ends; gaps are the complement below
 *	    the highest stored counter;
 *	  - keyframes: (counter, file offset, capture ms) of the first
 *	    fragment of every video keyframe;
 *	  - points: (counter, offset, capture ms) every IDX_POINT_EVERY
 *	    records, to map a counter or a time to a file offset, and at
 *	    every run start: a record whose counter does not follow the
 *	    counter of the record before it in the file (the first record,
 *	    the first after a backfilled stretch or a duplicate). So the
 *	    records between two points in file order hold consecutive
 *	    counters, and the point with the largest counter <= c starts
 *	    the stretch of the file that holds c (playback in counter
 *	    order);
 *	  - hellos: (session, offset) of every stored hello, for the keys;
 *	  - codecs seen, record and byte counts, the offset up to which the
 *	    file is indexed, the last arrival, and the last telemetry record
 *	    (decrypted by the indexer).
 *
 *	Concurrency (single writer, many readers, no lock):
 *	  - Day slots live in an open-addressed hash table. A slot's key
 *	    (uuid, date) is written first and published by a release store
 *	    of its state word; slots are never freed while the generation
 *	    lasts, so a reader's probe never sees a half-written key.
 *	  - The summary and the range list of a day are under a sequence
 *	    lock (the ck_sequence protocol on ck_pr loads and fences): the
 *	    indexer makes the counter odd, writes, makes it even; a reader
 *	    copies and retries when the counter was odd or changed. Unlike
 *	    ck_sequence_read_begin, readers give up after a bounded number
 *	    of tries, or a bounded time (idx_set_patience), then give -EAGAIN,
 *	    so a writer killed in mid-update never hangs them; the restarted
 *	    indexer resets the segment.
 *	  - Keyframes, points and hellos are append-only chunked arrays:
 *	    entries are written, then the array word (offset / 8 of its
 *	    chunk directory in the high 32 bits, count in the low 32) is
 *	    stored with release semantics. A moved block (the first chunk
 *	    while it grows, a grown directory) is copied first and its new
 *	    offset published before the count that needs it; the old block
 *	    is never reused during the generation, so a reader that loaded
 *	    an old offset still reads valid entries.
 *	  - The segment header has a generation counter, odd while the
 *	    indexer clears the segment at its start. Every read function
 *	    checks it before and after and returns -EAGAIN when it moved.
 *	    `ready` is 0 while the start-up scan runs: until then a day may
 *	    look incomplete (syncd waits for ready before asking cameras).
 *
 *	Read functions return a count or 0 on success, -ENOENT when the
 *	index has no such day, -EAGAIN when they raced with a reset or the
 *	day stayed in mid-update past the reader's patience (call again). They never print, never allocate, and copy into the
 *	caller's memory.
 */
#ifndef VIGIL_IDX_H
#define VIGIL_IDX_H

#include <stddef.h>
#include <stdint.h>

#include "shm.h"

#define IDX_MAGIC 0x5649474c49445831ull
/* the layout of <prefix>-index (idx_int.h): the registry's SHM_KIND_INDEX version */
#define IDX_VERSION SHM_VERSION_INDEX
#define IDX_POINT_EVERY 64 /* a point at least every 64 records of a file */

typedef struct idx idx_t;

/* A stored counter range [first, last] and the capture times of its ends (ms, Unix). */
typedef struct idx_range {
	uint32_t first, last;
	uint64_t start_ms, end_ms;
} idx_range_t;

/* A place in a day file. */
typedef struct idx_point {
	uint64_t offset; /* file offset of the record */
	uint32_t counter;
	int32_t t; /* capture ms since the partition's midnight (may be < 0) */
} idx_point_t;

/* Last telemetry record of a day (docs/PROTOCOL.md, telemetry payload). */
typedef struct idx_telemetry {
	uint64_t time_ms;
	int32_t lat_e7, lon_e7;
	uint16_t speed_cms, heading_cdeg;
	uint8_t battery, signal;
	uint8_t valid;
	uint8_t pad;
} idx_telemetry_t;

typedef struct idx_day_info {
	uint8_t uuid[16];
	uint32_t date;
	uint32_t high; /* highest stored counter + 1; 0: none stored */
	uint32_t nranges;
	uint32_t codecs;        /* bit c set: codec c seen (enum proto_codec) */
	uint32_t reported_next; /* camera's REPORT: counters 0..n-1 used; 0 unknown */
	uint64_t records, bytes;
	uint64_t indexed_to; /* file offset up to which the file is indexed */
	uint64_t last_arrival_ms;
	uint64_t last_capture_ms;
	uint32_t nkeyframes, npoints;
	idx_telemetry_t tele;
} idx_day_info_t;

/* --- opening --------------------------------------------------------- */

/*
 * vigild: create <prefix>-index with room for `days` partitions (rounded
 * up to a power of two) and arena_bytes of arrays. Reader and writer
 * processes attach with idx_attach. *out is the caller's to idx_close.
 */
int idx_create(const char *prefix, uint32_t days, uint64_t arena_bytes, idx_t **out);
int idx_attach(const char *prefix, idx_t **out);
void idx_close(idx_t *x);
/*
 * How long a read may wait for a day that the indexer is updating right
 * now (its sequence counter odd) before it gives -EAGAIN. 0, the
 * default, spins a few thousand times only: the listener's replay check
 * would rather let a datagram through to the writers than stall. A
 * process that answers people (streamer, syncd, vigilctl) sets a few
 * milliseconds: on a loaded machine the indexer can be preempted inside
 * an update for a whole time slice, and an API that gave up then would
 * say a streaming camera is offline. Still bounded, so a writer killed
 * in mid-update never hangs a reader.
 */
void idx_set_patience(idx_t *x, unsigned ms);
/* 1 once the indexer finished its start-up scan of this generation. */
int idx_ready(const idx_t *x);
uint64_t idx_generation(const idx_t *x);

/* --- reading (streamer, syncd, vigilctl) ----------------------------- */

/*
 * The stored counter ranges of (uuid, date), ascending: up to max into
 * out; returns the total number of ranges (which may exceed max).
 */
int idx_day_ranges(const idx_t *x, const uint8_t uuid[16], uint32_t date, idx_range_t *out,
		   size_t max);
int idx_day_info(const idx_t *x, const uint8_t uuid[16], uint32_t date, idx_day_info_t *out);
/* Is counter c of (uuid, date) stored? 1 yes, 0 no, or -errno. */
int idx_day_has(const idx_t *x, const uint8_t uuid[16], uint32_t date, uint32_t c);
/* Points in file order from the from-th on: up to max, returns the total. */
int idx_day_points(const idx_t *x, const uint8_t uuid[16], uint32_t date, uint32_t from,
		   idx_point_t *out, size_t max);
/* Keyframes in file order: up to max, returns the total. */
int idx_day_keyframes(const idx_t *x, const uint8_t uuid[16], uint32_t date, idx_point_t *out,
		      size_t max);
/*
 * The keyframe to start playing at time t (ms since the Unix epoch): the
 * latest keyframe captured at or before t, else the first one after t.
 * 0 and *out, -ENOENT (no such day or no keyframe).
 */
int idx_day_keyframe_at(const idx_t *x, const uint8_t uuid[16], uint32_t date, uint64_t t,
			idx_point_t *out);
/* The keyframe with the largest counter <= c (else the first). */
int idx_day_keyframe_counter(const idx_t *x, const uint8_t uuid[16], uint32_t date, uint32_t c,
			     idx_point_t *out);
/*
 * Where to start reading to find counter c: the sparse point (or
 * keyframe) with the largest counter <= c; offset 64 when none.
 */
int idx_day_seek_counter(const idx_t *x, const uint8_t uuid[16], uint32_t date, uint32_t c,
			 idx_point_t *out);
/* File offset of the stored hello of session s (its counter). */
int idx_day_hello(const idx_t *x, const uint8_t uuid[16], uint32_t date, uint32_t s,
		  uint64_t *offset);
/* Dates stored for a camera, ascending: the earliest max, returns the total. */
int idx_camera_days(const idx_t *x, const uint8_t uuid[16], uint32_t *dates, size_t max);
/* Cameras with at least one day: up to max UUIDs, returns the total. */
int idx_cameras(const idx_t *x, uint8_t (*uuids)[16], size_t max);

/* --- writing (vigil-indexer only) ----------------------------------- */

/* Clear the segment for a new generation (ready = 0). */
void idx_reset(idx_t *x);
void idx_set_ready(idx_t *x, int ready);

typedef struct idx_day idx_day_t;

/* The slot of (uuid, date), created when absent. NULL when the table is full. */
idx_day_t *idx_day_get(idx_t *x, const uint8_t uuid[16], uint32_t date);

/* What the indexer learnt from one record's clear header. */
typedef struct idx_rec {
	uint64_t offset; /* of the record in the file */
	uint64_t next;   /* offset just after it */
	uint64_t arrival_ms;
	uint64_t capture_ms; /* data: capture time; hello: camera time; else 0 */
	uint32_t counter;
	uint32_t session;
	uint16_t len; /* datagram bytes */
	uint8_t type; /* enum proto_type */
	uint8_t stream, codec, flags;
	uint16_t frag_index;
} idx_rec_t;

/*
 * Bracket a batch of idx_day_add calls on one day (one sequence-lock
 * write section; keep batches short, say up to 256 records).
 */
void idx_day_begin(idx_t *x, idx_day_t *d);
void idx_day_end(idx_t *x, idx_day_t *d);
/* Add one record. 0, or -ENOSPC when the arena is full (counted). */
int idx_day_add(idx_t *x, idx_day_t *d, const idx_rec_t *r);
void idx_day_set_telemetry(idx_day_t *d, const idx_telemetry_t *t);
void idx_day_set_reported(idx_day_t *d, uint32_t next);
uint64_t idx_day_indexed_to(const idx_day_t *d);
/* Arena bytes used and total (metrics). */
void idx_arena_usage(const idx_t *x, uint64_t *used, uint64_t *size);

/* --- idx_ckpt.c: checkpoints beside day files (indexer only) --------- */

/* A decoded checkpoint; body points into the caller's buffer. */
typedef struct idx_ckpt {
	uint8_t uuid[16];
	uint32_t date, hdr_crc, tail_crc;
	uint64_t indexed_to;
	uint32_t high, codecs, reported_next;
	uint64_t records, bytes, last_arrival_ms, last_capture_ms;
	uint32_t nranges, nkeyframes, npoints, nhellos;
	idx_telemetry_t tele;
	const uint8_t *body;
} idx_ckpt_t;

/*
 * The checkpoint of day d (bytes into *out, the caller's to free), for a
 * file whose 64-byte header has CRC-32C hdr_crc and whose 4 KiB before
 * d's indexed_to have CRC-32C tail_crc.
 */
int idx_ckpt_encode(const idx_t *x, const idx_day_t *d, uint32_t hdr_crc, uint32_t tail_crc,
		    uint8_t **out, size_t *len);
/* Parse and check a checkpoint: 0, or -EINVAL for anything malformed. */
int idx_ckpt_decode(const uint8_t *buf, size_t len, idx_ckpt_t *out);
/* Fill an empty day from a checkpoint the caller matched to its file. */
int idx_ckpt_restore(idx_t *x, idx_day_t *d, const idx_ckpt_t *c);
/* The file offset of the record of hello i < c->nhellos. */
uint64_t idx_ckpt_hello_offset(const idx_ckpt_t *c, uint32_t i);

/* --- idx_notice.c: writer -> indexer notices ------------------------- */

/*
 * "I appended to this file; it now ends at `end`." 36 bytes in a slot of
 * the notice ring <prefix>-notice-<writer>: magic "VNOT" (4), version
 * u16 = 1, reserved u16 = 0, uuid (16), date u32, end u64; big-endian.
 * A notice only says where to look: the indexer reads the file itself,
 * so a lost notice costs latency, never data (it rescans file tails).
 */
#define IDX_NOTICE_LEN 36
typedef struct idx_notice {
	uint8_t uuid[16];
	uint32_t date;
	uint64_t end; /* file size after the append */
} idx_notice_t;

void idx_notice_encode(const idx_notice_t *n, uint8_t out[IDX_NOTICE_LEN]);
/* 0, or -EINVAL for a short, foreign or inconsistent record. */
int idx_notice_decode(const uint8_t *buf, size_t len, idx_notice_t *out);

#endif
