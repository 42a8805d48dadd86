/*
 * NAME
 *	test_idx.c - the shared index: ranges and gaps, keyframes, points,
 *	hellos, resets, notices, readers meeting a day in mid-update
 *
 * DESCRIPTION
 *	Builds a day through the indexer's API in a real shared segment and
 *	reads it back through a second attachment, as the streamer and
 *	syncd do.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "idx.h"
#include "idx_int.h"
#define IDX_CHUNK_BYTES (IDX_CHUNK * 16 + 4096)
#include "proto.h"

static const uint8_t U[16] = {0x0f, 0x8f, 0xad, 0x5b, 0xd9, 0xcb, 0x46, 0x9f,
			      0xa1, 0x65, 0x70, 0x86, 0x77, 0x28, 0x95, 0x0e};
#define DATE 20782u
#define T0 (20782ull * 86400000)

static char pfx[64];

static void
add(idx_t *w, idx_day_t *d, uint32_t c, int key)
{
	idx_rec_t r = {0};

	r.offset = 64 + (uint64_t)c * 100;
	r.next = r.offset + 100;
	r.counter = c;
	r.type = c == 0 ? PROTO_T_HELLO : PROTO_T_DATA;
	r.codec = PROTO_C_H264;
	r.flags = key ? PROTO_F_KEYFRAME : 0;
	r.capture_ms = T0 + 1000 + c * 10;
	r.len = 60;
	idx_day_begin(w, d);
	assert_int_equal(idx_day_add(w, d, &r), 0);
	idx_day_end(w, d);
}

static void
test_ranges(void **state)
{
	idx_t *w, *r;
	idx_range_t rg[8];
	idx_point_t p;
	idx_day_info_t info;
	uint64_t off;
	uint32_t c;

	(void)state;
	snprintf(pfx, sizeof(pfx), "vigiltestidx%d", (int)getpid());
	assert_int_equal(idx_create(pfx, 10, 1 << 20, &w), 0);
	assert_int_equal(idx_attach(pfx, &r), 0);
	idx_reset(w);
	assert_int_equal(idx_day_ranges(r, U, DATE, rg, 8), -ENOENT);
	idx_day_t *d = idx_day_get(w, U, DATE);
	assert_non_null(d);
	/* 0..99 without 10..19 and 50, then 50 late (backfill), 200 alone */
	for (c = 0; c < 100; c++)
		if ((c < 10 || c > 19) && c != 50)
			add(w, d, c, c % 30 == 1);
	add(w, d, 200, 0);
	assert_int_equal(idx_day_ranges(r, U, DATE, rg, 8), 4);
	assert_int_equal(rg[0].first, 0);
	assert_int_equal(rg[0].last, 9);
	assert_int_equal(rg[1].first, 20);
	assert_int_equal(rg[1].last, 49);
	assert_int_equal(rg[2].first, 51);
	assert_int_equal(rg[3].first, 200);
	add(w, d, 50, 0);
	add(w, d, 50, 0); /* a duplicate changes nothing */
	assert_int_equal(idx_day_ranges(r, U, DATE, rg, 8), 3);
	assert_int_equal(rg[1].first, 20);
	assert_int_equal(rg[1].last, 99);
	assert_true(rg[1].start_ms == T0 + 1000 + 200 && rg[1].end_ms == T0 + 1000 + 990);
	assert_int_equal(idx_day_has(r, U, DATE, 15), 0);
	assert_int_equal(idx_day_has(r, U, DATE, 50), 1);
	assert_int_equal(idx_day_has(r, U, DATE, 200), 1);
	assert_int_equal(idx_day_has(r, U, DATE, 201), 0);
	assert_int_equal(idx_day_info(r, U, DATE, &info), 0);
	assert_int_equal(info.high, 201);
	assert_int_equal(info.records, 91);
	assert_true(info.codecs & (1u << PROTO_C_H264));
	/* keyframes at 1, 31, 61, 91; time of counter c is T0 + 1000 + 10c */
	assert_int_equal(idx_day_keyframe_at(r, U, DATE, T0 + 1000 + 10 * 70, &p), 0);
	assert_int_equal(p.counter, 61);
	assert_int_equal(idx_day_keyframe_at(r, U, DATE, T0, &p), 0);
	assert_int_equal(p.counter, 1); /* before the first: the first */
	assert_int_equal(idx_day_keyframe_counter(r, U, DATE, 90, &p), 0);
	assert_int_equal(p.counter, 61);
	assert_int_equal(idx_day_seek_counter(r, U, DATE, 95, &p), 0);
	assert_true(p.counter <= 95 && p.counter >= 61);
	assert_int_equal(idx_day_hello(r, U, DATE, 0, &off), 0);
	assert_int_equal(off, 64);
	assert_int_equal(idx_day_hello(r, U, DATE, 7, &off), -ENOENT);
	uint32_t dates[4];
	assert_int_equal(idx_camera_days(r, U, dates, 4), 1);
	assert_int_equal(dates[0], DATE);
	uint8_t cams[4][16];
	assert_int_equal(idx_cameras(r, cams, 4), 1);
	/* a reset is a new generation: the day is gone until rescanned */
	uint64_t g = idx_generation(r);
	idx_reset(w);
	assert_true(idx_generation(r) == g + 2);
	assert_int_equal(idx_day_ranges(r, U, DATE, rg, 8), -ENOENT);
	assert_int_equal(idx_ready(r), 0);
	idx_set_ready(w, 1);
	assert_int_equal(idx_ready(r), 1);
	idx_close(r);
	idx_close(w);
	shm_kind_unlink(pfx, SHM_KIND_INDEX, NULL, 0);
}

/* The indexer preempted inside an update: it finishes 30 ms later. */
struct held {
	idx_t *w;
	idx_day_t *d;
};

static void *
finish_later(void *arg)
{
	struct held *h = arg;
	idx_rec_t r = {0};

	usleep(30000);
	r.offset = 64 + 5 * 100;
	r.next = r.offset + 100;
	r.counter = 5;
	r.type = PROTO_T_DATA;
	r.codec = PROTO_C_H264;
	r.capture_ms = T0 + 1050;
	r.len = 60;
	idx_day_add(h->w, h->d, &r);
	idx_day_end(h->w, h->d);
	return NULL;
}

static void
test_patience(void **state)
{
	idx_t *w, *r;
	idx_day_info_t info;
	pthread_t t;

	(void)state;
	snprintf(pfx, sizeof(pfx), "vigiltestidxp%d", (int)getpid());
	assert_int_equal(idx_create(pfx, 10, 1 << 20, &w), 0);
	assert_int_equal(idx_attach(pfx, &r), 0);
	idx_reset(w);
	idx_day_t *d = idx_day_get(w, U, DATE);
	assert_non_null(d);
	add(w, d, 0, 1);
	idx_day_begin(w, d); /* held odd */
	/* without patience (the listener): give up at once */
	assert_int_equal(idx_day_info(r, U, DATE, &info), -EAGAIN);
	assert_int_equal(idx_day_has(r, U, DATE, 0), -EAGAIN);
	/* with patience, a writer that never finishes (killed) still ends the wait */
	idx_set_patience(r, 20);
	assert_int_equal(idx_day_info(r, U, DATE, &info), -EAGAIN);
	assert_int_equal(idx_day_ranges(r, U, DATE, NULL, 0), -EAGAIN);
	/* one that finishes within the patience: the read waits and sees its update */
	struct held h = {w, d};
	assert_int_equal(pthread_create(&t, NULL, finish_later, &h), 0);
	idx_set_patience(r, 10000);
	assert_int_equal(idx_day_info(r, U, DATE, &info), 0);
	assert_int_equal(info.records, 2);
	assert_int_equal(info.high, 6);
	assert_int_equal(idx_day_has(r, U, DATE, 5), 1);
	pthread_join(t, NULL);
	idx_close(r);
	idx_close(w);
	shm_kind_unlink(pfx, SHM_KIND_INDEX, NULL, 0);
}

static void
test_many_ranges(void **state)
{
	idx_range_t rg[1];
	idx_t *w;
	uint32_t c;

	(void)state;
	snprintf(pfx, sizeof(pfx), "vigiltestidxm%d", (int)getpid());
	assert_int_equal(idx_create(pfx, 64, 4 << 20, &w), 0);
	idx_reset(w);
	idx_day_t *d = idx_day_get(w, U, DATE);
	for (c = 0; c < 20000; c += 2) /* every other counter: 10,000 ranges */
		add(w, d, 19998 - c, 0);
	assert_int_equal(idx_day_ranges(w, U, DATE, rg, 1), 10000);
	assert_int_equal(rg[0].first, 0);
	for (c = 1; c < 20000; c += 2)
		add(w, d, c, 1); /* 10,000 keyframes: many chunks */
	assert_int_equal(idx_day_ranges(w, U, DATE, rg, 1), 1);
	assert_int_equal(rg[0].last, 19999);
	static idx_point_t kf[10001];
	idx_point_t p;
	assert_int_equal(idx_day_keyframes(w, U, DATE, kf, 10001), 10000);
	for (c = 0; c < 10000; c++)
		assert_int_equal(kf[c].counter, 2 * c + 1);
	assert_int_equal(idx_day_keyframe_counter(w, U, DATE, 12346, &p), 0);
	assert_int_equal(p.counter, 12345);
	assert_int_equal(idx_day_keyframe_at(w, U, DATE, T0 + 1000 + 10 * 19000, &p), 0);
	assert_int_equal(p.counter, 18999);
	assert_int_equal(idx_day_keyframes(w, U, DATE, kf, 3), 10000); /* total, 3 copied */
	assert_int_equal(kf[2].counter, 5);
	/* a day of 10,000 keyframes in order: entries, no copies left behind */
	uint64_t before, after, size;
	idx_arena_usage(w, &before, &size);
	idx_day_t *d2 = idx_day_get(w, U, DATE + 1);
	for (c = 0; c < 10000; c++)
		add(w, d2, c, 1);
	idx_arena_usage(w, &after, &size);
	assert_true(after - before < 10000 * 16 + 2 * IDX_CHUNK_BYTES);
	idx_close(w);
	shm_kind_unlink(pfx, SHM_KIND_INDEX, NULL, 0);
}

static void
test_checkpoint(void **state)
{
	idx_range_t a[8], b[8];
	idx_ckpt_t c;
	idx_point_t p;
	uint8_t *buf;
	size_t len;
	idx_t *w;
	uint32_t k;

	(void)state;
	snprintf(pfx, sizeof(pfx), "vigiltestidxc%d", (int)getpid());
	assert_int_equal(idx_create(pfx, 64, 4 << 20, &w), 0);
	idx_reset(w);
	idx_day_t *d = idx_day_get(w, U, DATE);
	for (k = 0; k < 2000; k++)
		if (k % 100 != 7)
			add(w, d, k, k % 30 == 1);
	assert_int_equal(idx_ckpt_encode(w, d, 0x11111111, 0x22222222, &buf, &len), 0);
	if (getenv("VIGIL_CKPT_SEED")) { /* the seed of fuzz/corpus/fuzz_ckpt */
		FILE *f = fopen(getenv("VIGIL_CKPT_SEED"), "w");
		fwrite(buf, 1, len, f);
		fclose(f);
	}
	assert_int_equal(idx_ckpt_decode(buf, len, &c), 0);
	assert_true(c.hdr_crc == 0x11111111 && c.tail_crc == 0x22222222 && c.nranges == 21);
	assert_int_equal(c.indexed_to, 64 + 1999 * 100 + 100);
	/* into another day slot: the same answers */
	uint8_t u2[16];
	memcpy(u2, U, 16);
	u2[0] ^= 1;
	idx_day_t *e = idx_day_get(w, u2, DATE);
	assert_int_equal(idx_ckpt_restore(w, e, &c), 0);
	assert_int_equal(idx_ckpt_restore(w, e, &c), -EEXIST);
	assert_int_equal(idx_day_ranges(w, U, DATE, a, 8), 21);
	assert_int_equal(idx_day_ranges(w, u2, DATE, b, 8), 21);
	assert_memory_equal(a, b, sizeof(a));
	assert_int_equal(idx_day_keyframe_counter(w, u2, DATE, 1000, &p), 0);
	assert_int_equal(p.counter, 991);
	uint64_t off;
	assert_int_equal(idx_day_hello(w, u2, DATE, 0, &off), 0);
	/* one flipped byte anywhere: refused */
	for (k = 0; k < len; k += 97) {
		buf[k] ^= 0x20;
		assert_int_equal(idx_ckpt_decode(buf, len, &c), -EINVAL);
		buf[k] ^= 0x20;
	}
	assert_int_equal(idx_ckpt_decode(buf, len - 1, &c), -EINVAL);
	free(buf);
	idx_close(w);
	shm_kind_unlink(pfx, SHM_KIND_INDEX, NULL, 0);
}

/*
 * Points at run starts: a day appended as 0..99, 230..299 (live after an
 * outage), 99 again (a duplicate) just before 100..229 interleaved with
 * 300..339 in stretches of 10 (the backfill beside live), then 50..59
 * again (duplicates). 100 follows the duplicate 99, not the record 99
 * that was indexed: it starts a run all the same. For every
 * counter, the point with the largest counter <= it and the records
 * between (all 100 bytes here) give its offset exactly.
 */
static void
test_runs(void **state)
{
	static uint32_t order[512];
	static uint64_t at[512];
	idx_point_t pts[256], best;
	uint32_t n = 0, c, i, k;
	int np;
	idx_t *w;

	(void)state;
	for (c = 0; c < 100; c++)
		order[n++] = c;
	for (c = 230; c < 300; c++)
		order[n++] = c;
	order[n++] = 99;
	for (k = 0; k < 13; k++) {
		for (c = 100 + 10 * k; c < 110 + 10 * k; c++)
			order[n++] = c;
		for (c = 300 + 10 * k; k < 4 && c < 310 + 10 * k; c++)
			order[n++] = c;
	}
	for (c = 50; c < 60; c++)
		order[n++] = c;
	snprintf(pfx, sizeof(pfx), "vigiltestidxr%d", (int)getpid());
	assert_int_equal(idx_create(pfx, 64, 4 << 20, &w), 0);
	idx_reset(w);
	idx_day_t *d = idx_day_get(w, U, DATE);
	for (i = 0; i < n; i++) {
		idx_rec_t r = {0};
		r.offset = 64 + (uint64_t)i * 100;
		r.next = r.offset + 100;
		r.counter = order[i];
		r.type = PROTO_T_DATA;
		r.capture_ms = T0 + order[i];
		r.len = 60;
		if (at[order[i]] == 0)
			at[order[i]] = r.offset;
		idx_day_begin(w, d);
		assert_int_equal(idx_day_add(w, d, &r), 0);
		idx_day_end(w, d);
	}
	np = idx_day_points(w, U, DATE, 0, pts, 256);
	assert_true(np > 0 && np < 256);
	assert_int_equal(pts[0].counter, 0);
	for (c = 0; c < 340; c++) {
		best.counter = UINT32_MAX;
		for (i = 0; i < (uint32_t)np; i++)
			if (pts[i].counter <= c &&
			    (best.counter == UINT32_MAX || pts[i].counter > best.counter))
				best = pts[i];
		assert_int_not_equal(best.counter, UINT32_MAX);
		assert_true(c - best.counter < IDX_POINT_EVERY);
		assert_int_equal(best.offset + (uint64_t)(c - best.counter) * 100, at[c]);
	}
	/* from the third on */
	assert_int_equal(idx_day_points(w, U, DATE, 2, pts + 128, 4), np);
	assert_memory_equal(pts + 128, pts + 2, 4 * sizeof(idx_point_t));
	assert_int_equal(idx_day_points(w, U, DATE, (uint32_t)np, pts, 4), np);
	idx_close(w);
	shm_kind_unlink(pfx, SHM_KIND_INDEX, NULL, 0);
}

/*
 * A camera with more days than the caller has room for: the earliest
 * ones, ascending, whatever the order of the hash table's slots.
 */
static void
test_many_days(void **state)
{
	uint32_t dates[8], i;
	idx_t *w;

	(void)state;
	snprintf(pfx, sizeof(pfx), "vigiltestidxd%d", (int)getpid());
	assert_int_equal(idx_create(pfx, 256, 1 << 20, &w), 0);
	idx_reset(w);
	for (i = 0; i < 100; i++)
		assert_non_null(idx_day_get(w, U, DATE - (i * 37) % 100)); /* not in date order */
	assert_int_equal(idx_camera_days(w, U, dates, 8), 100);
	for (i = 0; i < 8; i++)
		assert_int_equal(dates[i], DATE - 99 + i);
	assert_int_equal(idx_camera_days(w, U, dates, 0), 100);
	idx_close(w);
	shm_kind_unlink(pfx, SHM_KIND_INDEX, NULL, 0);
}

/* The index segment is its own kind with its own version: another is refused. */
static void
test_version(void **state)
{
	shm_seg_t a;
	idx_t *w, *r;

	(void)state;
	snprintf(pfx, sizeof(pfx), "vigiltestidxv%d", (int)getpid());
	assert_int_equal(idx_create(pfx, 10, 1 << 20, &w), 0);
	assert_int_equal(shm_kind_attach(pfx, SHM_KIND_INDEX, NULL, 0, sizeof(idx_hdr_t), &a), 0);
	shm_seg_hdr_t *h = a.base;
	assert_int_equal(h->kind, SHM_KIND_INDEX);
	assert_int_equal(h->version, IDX_VERSION);
	h->version = IDX_VERSION - 1; /* an older indexer's layout */
	assert_int_equal(idx_attach(pfx, &r), -EPROTO);
	h->version = IDX_VERSION;
	idx_hdr_t *ih = shm_seg_body(&a);
	ih->version = IDX_VERSION + 1;
	assert_int_equal(idx_attach(pfx, &r), -EPROTO);
	ih->version = IDX_VERSION;
	assert_int_equal(idx_attach(pfx, &r), 0);
	idx_close(r);
	shm_seg_detach(&a);
	idx_close(w);
	shm_kind_unlink(pfx, SHM_KIND_INDEX, NULL, 0);
}

static void
test_notice(void **state)
{
	idx_notice_t n = {{0}, DATE, 123456789012ull}, m;
	uint8_t b[IDX_NOTICE_LEN];
	static const char vec[] = "564e4f5400010000"
				  "0f8fad5bd9cb469fa16570867728950e"
				  "0000512e"
				  "0000001cbe991a14";
	char hex[2 * IDX_NOTICE_LEN + 1];
	int i;

	(void)state;
	memcpy(n.uuid, U, 16);
	idx_notice_encode(&n, b);
	for (i = 0; i < IDX_NOTICE_LEN; i++)
		sprintf(hex + 2 * i, "%02x", b[i]);
	assert_string_equal(hex, vec);
	assert_int_equal(idx_notice_decode(b, sizeof(b), &m), 0);
	assert_memory_equal(m.uuid, U, 16);
	assert_true(m.date == DATE && m.end == n.end);
	assert_int_equal(idx_notice_decode(b, sizeof(b) - 1, &m), -EINVAL);
	b[6] = 1;
	assert_int_equal(idx_notice_decode(b, sizeof(b), &m), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ranges),   cmocka_unit_test(test_many_ranges),
	    cmocka_unit_test(test_patience), cmocka_unit_test(test_checkpoint),
	    cmocka_unit_test(test_runs),     cmocka_unit_test(test_many_days),
	    cmocka_unit_test(test_version),  cmocka_unit_test(test_notice),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
