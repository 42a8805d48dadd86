/*
 * NAME
 *	idx_ckpt.c - checkpoints of a day's index, kept beside the day file
 *
 * DESCRIPTION
 *	So that a restarted indexer need not read every file whole, it may
 *	save a day's index in DATA/<uuid>/<date>.vgl.idx once the file has
 *	been idle a while (never on the write path), and load it at start.
 *	A checkpoint is only a shortcut: it names the file it describes (the
 *	CRC-32C of the file header) and the bytes it covers (the offset up
 *	to which the file was indexed and the CRC-32C of the 4 KiB before
 *	it), and is ignored unless all of that still matches the file; the
 *	indexer then scans. The layout (big-endian, docs/STORAGE.md):
 *
 *	  0  magic "VIGLIDX1"     8   version u16 = 3, reserved u16
 *	  12 uuid (16)            28  date u32
 *	  32 file header CRC u32  36  tail CRC u32   40 indexed_to u64
 *	  48 high, codecs, reported_next, reserved (u32 each)
 *	  64 records, bytes, last_arrival_ms, last_capture_ms (u64 each)
 *	  96 nranges, nkeyframes, npoints, nhellos (u32 each)
 *	  112 telemetry (24): time u64, lat i32, lon i32, speed u16,
 *	      heading u16, battery u8, signal u8, valid u8, reserved u8
 *	  136 ranges, 24 bytes each: first u32, last u32, start u64, end u64
 *	  then keyframes, points, hellos, 16 bytes each: offset u64,
 *	      counter u32, t i32
 *	  last 4 bytes: CRC-32C of everything before them.
 *
 *	idx_ckpt_decode parses untrusted bytes (fuzz/fuzz_ckpt.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "idx_int.h"
#include "proto.h"
#include "proto_record.h"

#define CKPT_FIXED 136
#define CKPT_VERSION                                                                               \
	3 /* 2: points at every run start; 3: also after a duplicate (older: scanned again) */
#define CKPT_MAX_ENTRIES (1u << 26)

static void
put_point(uint8_t *p, const idx_point_t *e)
{
	proto_put64(p, e->offset);
	proto_put32(p + 8, e->counter);
	proto_put32(p + 12, (uint32_t)e->t);
}

static void
get_point(const uint8_t *p, idx_point_t *e)
{
	e->offset = proto_get64(p);
	e->counter = proto_get32(p + 8);
	e->t = (int32_t)proto_get32(p + 12);
}

/* Copy an array of the indexer's own segment (no concurrent writer). */
static uint32_t
copy_array(const idx_t *x, const uint64_t *word, idx_point_t *out)
{
	uint64_t w = *word;
	uint32_t n = IDX_ARR_N(w), i;
	const uint64_t *dir = (const uint64_t *)(x->body + x->hdr->arena_off + IDX_ARR_REF(w));

	for (i = 0; i < n; i++)
		out[i] = ((const idx_point_t *)(x->body + x->hdr->arena_off +
						dir[i / IDX_CHUNK]))[i % IDX_CHUNK];
	return n;
}

int
idx_ckpt_encode(const idx_t *x, const idx_day_t *d, uint32_t hdr_crc, uint32_t tail_crc,
		uint8_t **out, size_t *len)
{
	uint32_t nk = IDX_ARR_N(d->kf), np = IDX_ARR_N(d->pts), nh = IDX_ARR_N(d->hellos), i;
	size_t n = CKPT_FIXED + (size_t)d->nranges * 24 + ((size_t)nk + np + nh) * 16 + 4;
	idx_point_t *tmp;
	uint8_t *b, *p;

	if ((b = calloc(1, n)) == NULL ||
	    (tmp = malloc(((size_t)nk + np + nh + 1) * sizeof(*tmp))) == NULL) {
		free(b);
		return -ENOMEM;
	}
	memcpy(b, "VIGLIDX1", 8);
	proto_put16(b + 8, CKPT_VERSION);
	memcpy(b + 12, d->uuid, 16);
	proto_put32(b + 28, d->date);
	proto_put32(b + 32, hdr_crc);
	proto_put32(b + 36, tail_crc);
	proto_put64(b + 40, d->indexed_to);
	proto_put32(b + 48, d->high);
	proto_put32(b + 52, d->codecs);
	proto_put32(b + 56, d->reported_next);
	proto_put64(b + 64, d->records);
	proto_put64(b + 72, d->bytes);
	proto_put64(b + 80, d->last_arrival_ms);
	proto_put64(b + 88, d->last_capture_ms);
	proto_put32(b + 96, d->nranges);
	proto_put32(b + 100, nk);
	proto_put32(b + 104, np);
	proto_put32(b + 108, nh);
	p = b + 112;
	proto_put64(p, d->tele.time_ms);
	proto_put32(p + 8, (uint32_t)d->tele.lat_e7);
	proto_put32(p + 12, (uint32_t)d->tele.lon_e7);
	proto_put16(p + 16, d->tele.speed_cms);
	proto_put16(p + 18, d->tele.heading_cdeg);
	p[20] = d->tele.battery;
	p[21] = d->tele.signal;
	p[22] = d->tele.valid;
	p = b + CKPT_FIXED;
	const idx_range_t *r = (const idx_range_t *)(x->body + x->hdr->arena_off + d->ranges);
	for (i = 0; i < d->nranges; i++, p += 24) {
		proto_put32(p, r[i].first);
		proto_put32(p + 4, r[i].last);
		proto_put64(p + 8, r[i].start_ms);
		proto_put64(p + 16, r[i].end_ms);
	}
	uint32_t m = copy_array(x, &d->kf, tmp);
	m += copy_array(x, &d->pts, tmp + m);
	m += copy_array(x, &d->hellos, tmp + m);
	for (i = 0; i < m; i++, p += 16)
		put_point(p, &tmp[i]);
	free(tmp);
	proto_put32(p, proto_crc32c(0, b, (size_t)(p - b)));
	*out = b;
	*len = n;
	return 0;
}

int
idx_ckpt_decode(const uint8_t *b, size_t len, idx_ckpt_t *c)
{
	uint64_t need;

	memset(c, 0, sizeof(*c));
	if (len < CKPT_FIXED + 4 || memcmp(b, "VIGLIDX1", 8) ||
	    proto_get16(b + 8) != CKPT_VERSION || proto_get16(b + 10) != 0 ||
	    proto_get32(b + 60) != 0 || b[135] != 0)
		return -EINVAL;
	c->nranges = proto_get32(b + 96);
	c->nkeyframes = proto_get32(b + 100);
	c->npoints = proto_get32(b + 104);
	c->nhellos = proto_get32(b + 108);
	if (c->nranges > CKPT_MAX_ENTRIES || c->nkeyframes > CKPT_MAX_ENTRIES ||
	    c->npoints > CKPT_MAX_ENTRIES || c->nhellos > CKPT_MAX_ENTRIES)
		return -EINVAL;
	need = CKPT_FIXED + (uint64_t)c->nranges * 24 +
	       ((uint64_t)c->nkeyframes + c->npoints + c->nhellos) * 16 + 4;
	if (need != len || proto_crc32c(0, b, len - 4) != proto_get32(b + len - 4))
		return -EINVAL;
	memcpy(c->uuid, b + 12, 16);
	c->date = proto_get32(b + 28);
	c->hdr_crc = proto_get32(b + 32);
	c->tail_crc = proto_get32(b + 36);
	c->indexed_to = proto_get64(b + 40);
	c->high = proto_get32(b + 48);
	c->codecs = proto_get32(b + 52);
	c->reported_next = proto_get32(b + 56);
	c->records = proto_get64(b + 64);
	c->bytes = proto_get64(b + 72);
	c->last_arrival_ms = proto_get64(b + 80);
	c->last_capture_ms = proto_get64(b + 88);
	const uint8_t *p = b + 112;
	c->tele.time_ms = proto_get64(p);
	c->tele.lat_e7 = (int32_t)proto_get32(p + 8);
	c->tele.lon_e7 = (int32_t)proto_get32(p + 12);
	c->tele.speed_cms = proto_get16(p + 16);
	c->tele.heading_cdeg = proto_get16(p + 18);
	c->tele.battery = p[20];
	c->tele.signal = p[21];
	c->tele.valid = p[22];
	c->body = b + CKPT_FIXED;
	/* ranges must be sorted, disjoint and below high: what a scan would build */
	uint32_t i, prev_end = 0;
	for (i = 0; i < c->nranges; i++) {
		const uint8_t *q = c->body + (size_t)i * 24;
		uint32_t first = proto_get32(q), last = proto_get32(q + 4);
		if (last < first || (i && first <= prev_end) || last >= c->high)
			return -EINVAL;
		prev_end = last;
	}
	if (c->indexed_to < PROTO_FILE_HDR_LEN)
		return -EINVAL;
	return 0;
}

int
idx_ckpt_restore(idx_t *x, idx_day_t *d, const idx_ckpt_t *c)
{
	const uint8_t *p = c->body;
	uint32_t i;
	int rc = 0;

	if (d->nranges || d->records)
		return -EEXIST; /* only into a day nothing was indexed for */
	idx_day_begin(x, d);
	uint64_t ref =
	    idx_arena_alloc(x, (uint64_t)(c->nranges ? c->nranges : 1) * sizeof(idx_range_t));
	if (ref == 0) {
		rc = -ENOSPC;
		goto out;
	}
	idx_range_t *r = idx_arena_ptr(x, ref);
	for (i = 0; i < c->nranges; i++, p += 24)
		r[i] = (idx_range_t){proto_get32(p), proto_get32(p + 4), proto_get64(p + 8),
				     proto_get64(p + 16)};
	d->ranges = ref;
	d->rcap = c->nranges ? c->nranges : 1;
	d->nranges = c->nranges;
	d->high = c->high;
	d->codecs = c->codecs;
	d->reported_next = c->reported_next;
	d->records = c->records;
	d->bytes = c->bytes;
	d->indexed_to = c->indexed_to;
	d->last_arrival_ms = c->last_arrival_ms;
	d->last_capture_ms = c->last_capture_ms;
	d->tele = c->tele;
	for (i = 0; rc == 0 && i < c->nkeyframes + c->npoints + c->nhellos; i++, p += 16) {
		idx_point_t e;
		get_point(p, &e);
		if (i < c->nkeyframes)
			rc = idx_arr_push(x, &d->kf, &d->kf_own, &e);
		else if (i < c->nkeyframes + c->npoints)
			rc = idx_arr_push(x, &d->pts, &d->pts_own, &e);
		else
			rc = idx_arr_push(x, &d->hellos, &d->hellos_own, &e);
	}
out:
	idx_day_end(x, d);
	return rc;
}

uint64_t
idx_ckpt_hello_offset(const idx_ckpt_t *c, uint32_t i)
{
	const uint8_t *h =
	    c->body + (size_t)c->nranges * 24 + ((size_t)c->nkeyframes + c->npoints + i) * 16;

	return proto_get64(h);
}
