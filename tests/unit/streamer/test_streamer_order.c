/*
 * NAME
 *	test_streamer_order.c - recorded playback in counter order
 *	(streamer/streamer_order.c)
 *
 * DESCRIPTION
 *	A day file is built in memory the way the writer lays one out after
 *	an outage (the stretch the camera resent sits after what it
 *	captured later), and indexed in an index segment of this process
 *	the way the indexer does (idx_day_add: a point at every run start
 *	and every IDX_POINT_EVERY records). Checks: playback from the first
 *	counter returns every stored counter once, ascending, across the
 *	backfilled stretch, and ends (0) with the reader just after the
 *	last record returned; it starts in the middle of the backfilled
 *	stretch too; a gap that was never filled is passed over to the
 *	next stored counter; two viewers of the day share one table, freed
 *	with the last one (the gauges say so); a table that does not fit
 *	under the cap is -ENOMEM where the first run ends, and so is an
 *	index whose point holds another counter in the file (-EPROTO).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "streamer/streamer.h"

#define DATE 20782u
#define DGRAM_LEN 72 /* a data header and a tag: what the reader and the order need */
#define REC_LEN (PROTO_REC_HDR_LEN + DGRAM_LEN)

static const uint8_t U[16] = {0x0f, 0x8f, 0xad, 0x5b, 0xd9, 0xcb, 0x46, 0x9f,
			      0xa1, 0x65, 0x70, 0x86, 0x77, 0x28, 0x95, 0x0e};

typedef struct day {
	uint8_t *buf;
	size_t len;
	uint32_t *counters; /* of each record, in file order */
	uint32_t n;
} day_t;

/* Append one record of counter c (the datagram says file_c: another when they differ). */
static void
day_add(day_t *d, uint32_t c, uint32_t file_c)
{
	proto_data_hdr_t h = {0};
	proto_rec_meta_t m = {0};
	uint8_t *dg;

	d->buf = realloc(d->buf, d->len + REC_LEN);
	d->counters = realloc(d->counters, (d->n + 1) * sizeof(*d->counters));
	assert_non_null(d->buf);
	assert_non_null(d->counters);
	dg = d->buf + d->len + PROTO_REC_HDR_LEN;
	memset(dg, 0, DGRAM_LEN);
	h.type = PROTO_T_DATA;
	memcpy(h.uuid, U, 16);
	h.date = DATE;
	h.counter = file_c;
	h.session = 1;
	h.stream = PROTO_S_VIDEO;
	h.codec = PROTO_C_H264;
	h.frame = c;
	h.frag_count = 1;
	h.capture_ms = (uint64_t)DATE * 86400000 + c;
	assert_int_equal(proto_data_hdr_encode(&h, dg), PROTO_DATA_HDR_LEN);
	m.addr[10] = m.addr[11] = 0xff; /* ::ffff:0.0.0.0, an IPv4 record */
	m.arrival_ns = ((uint64_t)DATE * 86400000 + c) * 1000000;
	assert_int_equal(proto_rec_encode(&m, dg, DGRAM_LEN, d->buf + d->len), 0);
	d->len += REC_LEN;
	d->counters[d->n++] = c;
}

static void
day_range(day_t *d, uint32_t lo, uint32_t hi)
{
	for (uint32_t c = lo; c < hi; c++)
		day_add(d, c, c);
}

static void
day_start(day_t *d)
{
	proto_file_hdr_t h = {0};

	memset(d, 0, sizeof(*d));
	d->buf = malloc(PROTO_FILE_HDR_LEN);
	assert_non_null(d->buf);
	memcpy(h.uuid, U, 16);
	h.date = DATE;
	proto_file_hdr_encode(&h, d->buf);
	d->len = PROTO_FILE_HDR_LEN;
}

/* Index the day as the indexer would: each record's counter and offset, in file order. */
static void
day_index(const day_t *d)
{
	idx_day_t *x = idx_day_get(streamer.idx, U, DATE);
	uint32_t i;

	assert_non_null(x);
	for (i = 0; i < d->n; i++) {
		idx_rec_t r = {0};
		r.offset = PROTO_FILE_HDR_LEN + (uint64_t)i * REC_LEN;
		r.next = r.offset + REC_LEN;
		r.counter = d->counters[i];
		r.session = 1;
		r.type = PROTO_T_DATA;
		r.len = DGRAM_LEN;
		r.capture_ms = (uint64_t)DATE * 86400000 + d->counters[i];
		r.arrival_ms = r.capture_ms;
		idx_day_begin(streamer.idx, x);
		assert_int_equal(idx_day_add(streamer.idx, x, &r), 0);
		idx_day_end(streamer.idx, x);
	}
}

static void
day_free(day_t *d)
{
	free(d->buf);
	free(d->counters);
}

/* The file offset of the record of counter c. */
static uint64_t
offset_of(const day_t *d, uint32_t c)
{
	for (uint32_t i = 0; i < d->n; i++)
		if (d->counters[i] == c)
			return PROTO_FILE_HDR_LEN + (uint64_t)i * REC_LEN;
	fail_msg("counter %u is not in the file", c);
	return 0;
}

static void
viewer_open(viewer_t *v, const day_t *d, uint32_t from)
{
	memset(v, 0, sizeof(*v));
	memcpy(v->uuid, U, 16);
	v->date = DATE;
	assert_int_equal(proto_reader_mem(d->buf, d->len, &v->rd), 0);
	assert_int_equal(proto_reader_seek(v->rd, offset_of(d, from)), 0);
	streamer_order_start(v, from);
}

static void
viewer_close(viewer_t *v)
{
	streamer_order_free(v);
	proto_reader_free(v->rd);
}

/*
 * Play v to its end: the counters returned into out (at most max);
 * returns how many, and the last return code in *rc.
 */
static uint32_t
play(viewer_t *v, uint32_t *out, uint32_t max, int *rc)
{
	proto_rec_t rec;
	uint32_t n = 0;

	while ((*rc = streamer_order_next(v, &rec)) > 0) {
		assert_true(n < max);
		out[n++] = proto_dgram_counter(rec.dgram);
	}
	return n;
}

static char pfx[64];
static uint64_t g_bytes, g_tables, g_viewers;

static int
setup(void **state)
{
	(void)state;
	snprintf(pfx, sizeof(pfx), "vigil-test-order-%d", (int)getpid());
	if (idx_create(pfx, 16, 4 << 20, &streamer.idx) < 0)
		return -1;
	idx_set_ready(streamer.idx, 1);
	streamer.table_bytes = STREAMER_TABLE_BYTES;
	streamer.m_table_bytes = &g_bytes;
	streamer.m_tables = &g_tables;
	streamer.m_table_viewers = &g_viewers;
	return 0;
}

static int
teardown(void **state)
{
	char name[96];

	(void)state;
	idx_close(streamer.idx);
	snprintf(name, sizeof(name), "%s-index", pfx);
	shm_seg_unlink(name);
	return 0;
}

/* A new index generation for each test: no day of the one before. */
static void
fresh_index(void)
{
	idx_reset(streamer.idx);
	idx_set_ready(streamer.idx, 1);
}

/*
 * 0..99 live, an outage (100..149 held by the camera), 150..299 live,
 * 100..149 backfilled, 300..349 live.
 */
static void
outage_day(day_t *d)
{
	day_start(d);
	day_range(d, 0, 100);
	day_range(d, 150, 300);
	day_range(d, 100, 150);
	day_range(d, 300, 350);
}

static void
test_backfilled_stretch(void **state)
{
	uint32_t got[512], n, i;
	proto_rec_t rec;
	viewer_t v;
	day_t d;
	int rc;

	(void)state;
	fresh_index();
	outage_day(&d);
	day_index(&d);
	viewer_open(&v, &d, 0);
	n = play(&v, got, 512, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(n, 350);
	for (i = 0; i < n; i++)
		assert_int_equal(got[i], i); /* every counter once, ascending */
	/* the reader is just after the last record returned (349, the file's last) */
	assert_int_equal(proto_reader_offset(v.rd), offset_of(&d, 349) + REC_LEN);
	assert_int_equal(proto_reader_next(v.rd, &rec), 0);
	viewer_close(&v);
	day_free(&d);
}

static void
test_start_in_backfill(void **state)
{
	uint32_t got[512], n, i;
	viewer_t v;
	day_t d;
	int rc;

	(void)state;
	fresh_index();
	outage_day(&d);
	day_index(&d);
	viewer_open(&v, &d, 120);
	n = play(&v, got, 512, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(n, 350 - 120);
	for (i = 0; i < n; i++)
		assert_int_equal(got[i], 120 + i);
	viewer_close(&v);
	day_free(&d);
}

static void
test_gap_passed_over(void **state)
{
	uint32_t got[512], n, i, want = 0;
	viewer_t v;
	day_t d;
	int rc;

	(void)state;
	fresh_index();
	/* 200..209 never arrived; 150..199 came back late */
	day_start(&d);
	day_range(&d, 0, 150);
	day_range(&d, 210, 300);
	day_range(&d, 150, 200);
	day_index(&d);
	viewer_open(&v, &d, 0);
	n = play(&v, got, 512, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(n, 290);
	for (i = 0; i < n; i++, want++) {
		if (want == 200)
			want = 210;
		assert_int_equal(got[i], want);
	}
	viewer_close(&v);
	day_free(&d);
}

static void
test_table_shared(void **state)
{
	uint32_t got[512];
	viewer_t a, b;
	day_t d;
	int rc;

	(void)state;
	fresh_index();
	outage_day(&d);
	day_index(&d);
	viewer_open(&a, &d, 0);
	viewer_open(&b, &d, 0);
	assert_int_equal(play(&a, got, 512, &rc), 350);
	assert_int_equal(play(&b, got, 512, &rc), 350);
	assert_int_equal(g_tables, 1);
	assert_int_equal(g_viewers, 2);
	assert_true(g_bytes > 0);
	viewer_close(&a);
	assert_int_equal(g_tables, 1);
	assert_int_equal(g_viewers, 1);
	viewer_close(&b);
	assert_int_equal(g_tables, 0);
	assert_int_equal(g_viewers, 0);
	assert_int_equal(g_bytes, 0);
	day_free(&d);
}

static void
test_no_room(void **state)
{
	uint32_t got[512], n, i;
	viewer_t v;
	day_t d;
	int rc;

	(void)state;
	fresh_index();
	outage_day(&d);
	day_index(&d);
	streamer.table_bytes = 0;
	viewer_open(&v, &d, 0);
	n = play(&v, got, 512, &rc);
	streamer.table_bytes = STREAMER_TABLE_BYTES;
	assert_int_equal(rc, -ENOMEM);
	assert_int_equal(n, 100); /* the first run, read straight on */
	for (i = 0; i < n; i++)
		assert_int_equal(got[i], i);
	viewer_close(&v);
	assert_int_equal(g_tables, 0);
	day_free(&d);
}

static void
test_index_disagrees(void **state)
{
	uint32_t got[512], n;
	viewer_t v;
	day_t indexed, file;
	int rc;

	(void)state;
	fresh_index();
	outage_day(&indexed);
	day_index(&indexed);
	/* the file holds other counters where the index has the backfilled stretch */
	day_start(&file);
	day_range(&file, 0, 100);
	day_range(&file, 150, 300);
	for (uint32_t c = 100; c < 150; c++)
		day_add(&file, c, c + 1000);
	day_range(&file, 300, 350);
	viewer_open(&v, &file, 0);
	n = play(&v, got, 512, &rc);
	assert_int_equal(rc, -EPROTO);
	assert_int_equal(n, 100);
	viewer_close(&v);
	day_free(&indexed);
	day_free(&file);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_backfilled_stretch),
	    cmocka_unit_test(test_start_in_backfill),
	    cmocka_unit_test(test_gap_passed_over),
	    cmocka_unit_test(test_table_shared),
	    cmocka_unit_test(test_no_room),
	    cmocka_unit_test(test_index_disagrees),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
