/*
 * NAME
 *	test_frag.c - splitting frames and reassembling them: order,
 *	duplicates, expiry, bounds, inconsistent fragments
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto.h"
#include "proto_frag.h"

static uint8_t frame_buf[PROTO_MAX_FRAME + 4096];

static void
fill_frame(size_t len, unsigned seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		frame_buf[i] = (uint8_t)((i * 131 + seed * 7) >> 3);
}

/* Header of fragment index of a frame of len bytes cut into max-byte pieces. */
static void
frag_hdr(proto_data_hdr_t *h, uint32_t frame, uint32_t first, size_t len, size_t max,
	 unsigned index)
{
	size_t off, flen;

	memset(h, 0, sizeof(*h));
	memset(h->uuid, 0xab, PROTO_UUID_LEN);
	h->date = 20782;
	h->session = 3;
	h->stream = PROTO_S_VIDEO;
	h->codec = PROTO_C_H264;
	h->flags = PROTO_F_KEYFRAME;
	h->frame = frame;
	h->frag_count = (uint16_t)proto_frag_count(len, max);
	h->frag_index = (uint16_t)index;
	h->counter = first + index;
	h->capture_ms = 1795608000000ull + frame;
	assert_int_equal(proto_frag_slice(len, max, index, &off, &flen), 0);
	h->payload_len = (uint16_t)flen;
}

static const uint8_t *
frag_data(size_t len, size_t max, unsigned index)
{
	size_t off, flen;

	assert_int_equal(proto_frag_slice(len, max, index, &off, &flen), 0);
	return frame_buf + off;
}

static int
add(proto_reasm_t *r, uint32_t frame, uint32_t first, size_t len, size_t max, unsigned index,
    uint64_t now, proto_frame_t *out)
{
	proto_data_hdr_t h;

	frag_hdr(&h, frame, first, len, max, index);
	return proto_reasm_add(r, &h, frag_data(len, max, index), now, out);
}

static void
test_split(void **state)
{
	size_t off, len, total;
	int n, i;

	(void)state;
	assert_int_equal(proto_frag_count(0, 1400), 1);
	assert_int_equal(proto_frag_count(1, 1400), 1);
	assert_int_equal(proto_frag_count(1400, 1400), 1);
	assert_int_equal(proto_frag_count(1401, 1400), 2);
	assert_int_equal(proto_frag_count(PROTO_MAX_FRAME, PROTO_DATA_MAX_PAYLOAD), 2996);
	assert_int_equal(proto_frag_count(PROTO_MAX_FRAME, PROTO_DATA_MAX_PAYLOAD_V6), 3040);
	assert_int_equal(proto_frag_count(PROTO_MAX_FRAME + 1, 1400), PROTO_E_OVERSIZE);
	assert_int_equal(proto_frag_count(100, 0), PROTO_E_FIELD);
	assert_int_equal(proto_frag_count(100, 1401), PROTO_E_FIELD);
	assert_int_equal(proto_frag_count(PROTO_MAX_FRAME, 32), PROTO_E_OVERSIZE);
	assert_int_equal(proto_frag_slice(1401, 1400, 2, &off, &len), PROTO_E_FIELD);
	assert_int_equal(proto_frag_slice(0, 1400, 0, &off, &len), 0);
	assert_int_equal(len, 0);

	n = proto_frag_count(5000, 1380);
	assert_int_equal(n, 4);
	for (i = 0, total = 0; i < n; i++) {
		assert_int_equal(proto_frag_slice(5000, 1380, (unsigned)i, &off, &len), 0);
		assert_int_equal(off, total);
		assert_int_equal(len, i < 3 ? 1380 : 5000 - 3 * 1380);
		total += len;
	}
	assert_int_equal(total, 5000);
}

static void
test_in_order_and_single(void **state)
{
	proto_reasm_t *r = proto_reasm_new(16, 8 << 20, 1000);
	proto_frame_t f;
	unsigned i;

	(void)state;
	assert_non_null(r);
	fill_frame(5000, 1);
	for (i = 0; i < 3; i++)
		assert_int_equal(add(r, 7, 100, 5000, 1400, i, 0, &f), 0);
	assert_int_equal(proto_reasm_stats(r)->frames, 1);
	assert_int_equal(add(r, 7, 100, 5000, 1400, 3, 0, &f), 1);
	assert_int_equal(f.len, 5000);
	assert_memory_equal(f.data, frame_buf, 5000);
	assert_int_equal(f.frame, 7);
	assert_int_equal(f.first_counter, 100);
	assert_int_equal(f.frag_count, 4);
	assert_int_equal(f.codec, PROTO_C_H264);
	assert_int_equal(f.flags, PROTO_F_KEYFRAME);
	assert_int_equal(f.session, 3);
	assert_int_equal(f.date, 20782);
	assert_int_equal(f.capture_ms, 1795608000007ull);
	assert_int_equal(proto_reasm_stats(r)->completed, 1);
	assert_int_equal(proto_reasm_stats(r)->frames, 0);
	assert_int_equal(proto_reasm_stats(r)->bytes, 0);

	/* One fragment: completes at once. */
	fill_frame(300, 2);
	assert_int_equal(add(r, 8, 104, 300, 1400, 0, 0, &f), 1);
	assert_int_equal(f.len, 300);
	assert_memory_equal(f.data, frame_buf, 300);
	assert_int_equal(f.first_counter, 104);
	/* An empty frame. */
	assert_int_equal(add(r, 9, 105, 0, 1400, 0, 0, &f), 1);
	assert_int_equal(f.len, 0);
	proto_reasm_free(r);
}

static void
test_out_of_order(void **state)
{
	proto_reasm_t *r = proto_reasm_new(16, 8 << 20, 1000);
	proto_frame_t f;
	unsigned order[64], i, j, t, n;
	size_t len, max;

	(void)state;
	assert_non_null(r);
	srandom(11);
	for (t = 0; t < 200; t++) {
		max = t % 2 ? PROTO_DATA_MAX_PAYLOAD : PROTO_DATA_MAX_PAYLOAD_V6;
		len = 1 + (size_t)random() % (40 * 1400);
		fill_frame(len, t);
		n = (unsigned)proto_frag_count(len, max);
		for (i = 0; i < n; i++)
			order[i] = i;
		for (i = n; i > 1; i--) {
			j = (unsigned)random() % i;
			unsigned x = order[i - 1];
			order[i - 1] = order[j];
			order[j] = x;
		}
		memset(&f, 0, sizeof(f));
		/* every fragment but the last leaves the frame incomplete */
		for (i = 0; i < n; i++)
			assert_int_equal(add(r, t, t * 100, len, max, order[i], t, &f), i + 1 == n);
		assert_int_equal(f.len, len);
		assert_memory_equal(f.data, frame_buf, len);
		assert_int_equal(f.frag_count, n);
	}
	/* Two frames interleaved, reverse order. */
	fill_frame(3000, 5);
	assert_int_equal(add(r, 1000, 5000, 3000, 1400, 2, 0, &f), 0);
	assert_int_equal(add(r, 1001, 5003, 3000, 1400, 2, 0, &f), 0);
	assert_int_equal(add(r, 1000, 5000, 3000, 1400, 1, 0, &f), 0);
	assert_int_equal(add(r, 1001, 5003, 3000, 1400, 1, 0, &f), 0);
	assert_int_equal(add(r, 1000, 5000, 3000, 1400, 0, 0, &f), 1);
	assert_int_equal(f.frame, 1000);
	assert_memory_equal(f.data, frame_buf, 3000);
	assert_int_equal(add(r, 1001, 5003, 3000, 1400, 0, 0, &f), 1);
	assert_int_equal(f.frame, 1001);
	assert_int_equal(f.first_counter, 5003);
	assert_int_equal(proto_reasm_stats(r)->completed, 202);
	proto_reasm_free(r);
}

static void
test_duplicates(void **state)
{
	proto_reasm_t *r = proto_reasm_new(16, 8 << 20, 1000);
	proto_frame_t f;

	(void)state;
	assert_non_null(r);
	fill_frame(3000, 3);
	assert_int_equal(add(r, 1, 10, 3000, 1400, 1, 0, &f), 0);
	assert_int_equal(add(r, 1, 10, 3000, 1400, 1, 0, &f), 0);
	assert_int_equal(add(r, 1, 10, 3000, 1400, 0, 0, &f), 0);
	assert_int_equal(add(r, 1, 10, 3000, 1400, 0, 0, &f), 0);
	assert_int_equal(proto_reasm_stats(r)->duplicates, 2);
	assert_int_equal(add(r, 1, 10, 3000, 1400, 2, 0, &f), 1);
	assert_memory_equal(f.data, frame_buf, 3000);
	/* Late duplicates of a completed frame, several or one fragment. */
	assert_int_equal(add(r, 1, 10, 3000, 1400, 2, 0, &f), 0);
	assert_int_equal(add(r, 1, 10, 3000, 1400, 0, 0, &f), 0);
	assert_int_equal(add(r, 2, 13, 100, 1400, 0, 0, &f), 1);
	assert_int_equal(add(r, 2, 13, 100, 1400, 0, 0, &f), 0);
	assert_int_equal(proto_reasm_stats(r)->duplicates, 5);
	assert_int_equal(proto_reasm_stats(r)->completed, 2);
	assert_int_equal(proto_reasm_stats(r)->frames, 0);
	/* Once the tombstone times out, the same key is a new frame. */
	assert_int_equal(proto_reasm_expire(r, 1000), 0);
	assert_int_equal(add(r, 2, 13, 100, 1400, 0, 1000, &f), 1);
	/* A tombstone lasts timeout_ms from completion, not from the first fragment. */
	assert_int_equal(add(r, 3, 20, 2000, 1400, 0, 1000, &f), 0);
	assert_int_equal(add(r, 3, 20, 2000, 1400, 1, 1900, &f), 1);
	assert_int_equal(proto_reasm_expire(r, 2100), 0);
	assert_int_equal(add(r, 3, 20, 2000, 1400, 0, 2100, &f), 0);
	assert_int_equal(proto_reasm_stats(r)->duplicates, 6);
	assert_int_equal(proto_reasm_stats(r)->frames, 0);
	proto_reasm_free(r);
}

static void
test_expiry(void **state)
{
	proto_reasm_t *r = proto_reasm_new(16, 8 << 20, 1000);
	proto_frame_t f;

	(void)state;
	assert_non_null(r);
	fill_frame(5000, 4);
	assert_int_equal(add(r, 1, 10, 5000, 1400, 0, 100, &f), 0);
	assert_int_equal(add(r, 1, 10, 5000, 1400, 1, 500, &f), 0);
	assert_int_equal(add(r, 1, 10, 5000, 1400, 3, 900, &f), 0);
	assert_int_equal(add(r, 2, 14, 5000, 1400, 0, 600, &f), 0);
	assert_int_equal(proto_reasm_expire(r, 1099), 0);
	assert_int_equal(proto_reasm_expire(r, 1100), 1); /* timeout from the first fragment */
	assert_int_equal(proto_reasm_stats(r)->expired, 1);
	assert_int_equal(proto_reasm_stats(r)->frames, 1);
	/* The missing fragment after expiry starts over and cannot complete. */
	assert_int_equal(add(r, 1, 10, 5000, 1400, 2, 1200, &f), 0);
	assert_int_equal(proto_reasm_expire(r, 5000), 2);
	assert_int_equal(proto_reasm_stats(r)->expired, 3);
	assert_int_equal(proto_reasm_stats(r)->frames, 0);
	assert_int_equal(proto_reasm_stats(r)->bytes, 0);
	assert_int_equal(proto_reasm_stats(r)->completed, 0);
	proto_reasm_free(r);
}

static void
test_eviction_bounds(void **state)
{
	proto_reasm_t *r = proto_reasm_new(2, 8 << 20, 1000);
	proto_frame_t f;
	unsigned i;

	(void)state;
	assert_non_null(r);
	fill_frame(3000, 6);
	assert_int_equal(add(r, 1, 10, 3000, 1400, 0, 0, &f), 0);
	assert_int_equal(add(r, 2, 20, 3000, 1400, 0, 1, &f), 0);
	assert_int_equal(add(r, 3, 30, 3000, 1400, 0, 2, &f), 0); /* evicts frame 1 */
	assert_int_equal(proto_reasm_stats(r)->evicted, 1);
	assert_int_equal(proto_reasm_stats(r)->frames, 2);
	assert_int_equal(add(r, 2, 20, 3000, 1400, 1, 3, &f), 0);
	assert_int_equal(add(r, 2, 20, 3000, 1400, 2, 3, &f), 1);
	assert_memory_equal(f.data, frame_buf, 3000);
	/* Frame 1 lost its first fragment: the rest does not complete it. */
	assert_int_equal(add(r, 1, 10, 3000, 1400, 1, 4, &f), 0);
	assert_int_equal(add(r, 1, 10, 3000, 1400, 2, 4, &f), 0);
	proto_reasm_free(r);

	/* Bytes: room for about one large frame; the second evicts the first. */
	r = proto_reasm_new(100, PROTO_MAX_FRAME + 65536, 1000);
	assert_non_null(r);
	fill_frame(3u << 20, 7);
	for (i = 0; i < 10; i++)
		assert_int_equal(add(r, 1, 0, 3u << 20, 1400, i, 0, &f), 0);
	assert_true(proto_reasm_stats(r)->bytes <= PROTO_MAX_FRAME + 65536);
	for (i = 0; i < 10; i++)
		assert_int_equal(add(r, 2, 10000, 3u << 20, 1400, i, 0, &f), 0);
	assert_int_equal(proto_reasm_stats(r)->evicted, 1);
	assert_int_equal(proto_reasm_stats(r)->frames, 1);
	assert_true(proto_reasm_stats(r)->bytes <= PROTO_MAX_FRAME + 65536);
	for (i = 10; i + 1 < (unsigned)proto_frag_count(3u << 20, 1400); i++)
		assert_int_equal(add(r, 2, 10000, 3u << 20, 1400, i, 0, &f), 0);
	assert_int_equal(add(r, 2, 10000, 3u << 20, 1400, i, 0, &f), 1);
	assert_int_equal(f.len, 3u << 20);
	assert_memory_equal(f.data, frame_buf, 3u << 20);
	proto_reasm_free(r);

	/* A bound smaller than one frame refuses it. */
	r = proto_reasm_new(4, 64 * 1024, 1000);
	assert_non_null(r);
	fill_frame(200000, 8);
	assert_int_equal(add(r, 1, 0, 200000, 1400, 0, 0, &f), PROTO_E_FULL);
	assert_int_equal(proto_reasm_stats(r)->frames, 0);
	assert_int_equal(proto_reasm_stats(r)->bytes, 0);
	assert_int_equal(proto_reasm_stats(r)->rejected, 1);
	proto_reasm_free(r);
	assert_null(proto_reasm_new(0, 1, 1));
}

static void
test_inconsistent(void **state)
{
	proto_reasm_t *r = proto_reasm_new(16, 8 << 20, 1000);
	proto_data_hdr_t h;
	proto_frame_t f;
	uint32_t n;

	(void)state;
	assert_non_null(r);
	fill_frame(5000, 9);
	assert_int_equal(add(r, 1, 10, 5000, 1400, 0, 0, &f), 0);
#define TRY(field, value, err)                                                                     \
	do {                                                                                       \
		frag_hdr(&h, 1, 10, 5000, 1400, 1);                                                \
		h.field = value;                                                                   \
		assert_int_equal(proto_reasm_add(r, &h, frame_buf, 0, &f), err);                   \
	} while (0)
	TRY(frag_count, 5, PROTO_E_FIELD);
	TRY(codec, PROTO_C_H265, PROTO_E_FIELD);
	TRY(flags, 0, PROTO_E_FIELD);
	TRY(capture_ms, 1, PROTO_E_FIELD);
	TRY(counter, 12, PROTO_E_FIELD);
	TRY(frag_index, 4, PROTO_E_FIELD);
	TRY(frag_count, 0, PROTO_E_FIELD);
	TRY(payload_len, PROTO_DATA_MAX_PAYLOAD + 1, PROTO_E_OVERSIZE);
	TRY(counter, 0, PROTO_E_FIELD); /* first counter would be negative */
#undef TRY
	assert_int_equal(proto_reasm_stats(r)->rejected, 9);
	/* The frame's own fragments still complete it. */
	assert_int_equal(add(r, 1, 10, 5000, 1400, 1, 0, &f), 0);
	assert_int_equal(add(r, 1, 10, 5000, 1400, 2, 0, &f), 0);
	assert_int_equal(add(r, 1, 10, 5000, 1400, 3, 0, &f), 1);
	assert_memory_equal(f.data, frame_buf, 5000);
	/* Other stream, session or camera with the same frame number: other frames. */
	frag_hdr(&h, 1, 10, 5000, 1400, 0);
	h.stream = PROTO_S_TELEMETRY;
	assert_int_equal(proto_reasm_add(r, &h, frame_buf, 0, &f), 0);
	h.stream = PROTO_S_VIDEO;
	h.session = 4;
	assert_int_equal(proto_reasm_add(r, &h, frame_buf, 0, &f), 0);
	h.uuid[0] = 1;
	assert_int_equal(proto_reasm_add(r, &h, frame_buf, 0, &f), 0);
	assert_int_equal(proto_reasm_stats(r)->frames, 3);

	/* A frame that claims to be larger than 4 MiB is refused at the limit. */
	frag_hdr(&h, 50, 0, 1400, 1400, 0);
	h.frag_count = 4000;
	h.payload_len = 1400;
	for (n = 0; n < 4000; n++) {
		int rc;

		h.frag_index = (uint16_t)n;
		h.counter = n;
		rc = proto_reasm_add(r, &h, frame_buf, 0, &f);
		if ((size_t)(n + 1) * 1400 > PROTO_MAX_FRAME) {
			assert_int_equal(rc, PROTO_E_OVERSIZE);
			break;
		}
		assert_int_equal(rc, 0);
	}
	assert_int_equal(n, PROTO_MAX_FRAME / 1400);
	proto_reasm_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_split),        cmocka_unit_test(test_in_order_and_single),
	    cmocka_unit_test(test_out_of_order), cmocka_unit_test(test_duplicates),
	    cmocka_unit_test(test_expiry),       cmocka_unit_test(test_eviction_bounds),
	    cmocka_unit_test(test_inconsistent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
