/*
 * NAME
 *	test_crypto.c - sealing and opening datagrams (libproto/crypto.c)
 *
 * DESCRIPTION
 *	Round trips of data, control and server messages; every byte of a
 *	sealed datagram flipped, one at a time, is rejected; wrong key, wrong
 *	camera, truncated, oversized, wrong version and unknown type are each
 *	rejected with their own code.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "proto_crypto.h"

static const uint8_t UUID[16] = {0x0f, 0x8f, 0xad, 0x5b, 0xd9, 0xcb, 0x46, 0x9f,
				 0xa1, 0x65, 0x70, 0x86, 0x77, 0x28, 0x95, 0x0e};
static uint8_t SECRET[32];
#define DATE 20782u
#define SESSION 7u

static proto_session_t *
session(const uint8_t *secret)
{
	proto_session_t *s = proto_session_new(UUID, DATE, SESSION, secret);
	assert_non_null(s);
	return s;
}

static proto_data_hdr_t
hdr(uint32_t counter, uint16_t len)
{
	proto_data_hdr_t h = {0};

	memcpy(h.uuid, UUID, 16);
	h.date = DATE;
	h.counter = counter;
	h.session = SESSION;
	h.stream = PROTO_S_VIDEO;
	h.codec = PROTO_C_H264;
	h.flags = PROTO_F_KEYFRAME;
	h.frame = 3;
	h.frag_index = 1;
	h.frag_count = 4;
	h.capture_ms = 1795608000123ull;
	h.payload_len = len;
	return h;
}

static int
seal(proto_session_t *s, uint32_t counter, uint16_t len, uint8_t *out)
{
	uint8_t payload[PROTO_DATA_MAX_PAYLOAD];
	proto_data_hdr_t h = hdr(counter, len);
	int i;

	for (i = 0; i < len; i++)
		payload[i] = (uint8_t)(i * 7 + counter);
	return proto_data_seal(s, &h, payload, out, PROTO_MAX_DGRAM);
}

static void
test_data_roundtrip(void **state)
{
	proto_session_t *tx = session(SECRET), *rx = session(SECRET);
	uint8_t dg[PROTO_MAX_DGRAM], plain[PROTO_MAX_DGRAM];
	proto_data_hdr_t h;
	uint16_t lens[] = {0, 1, 100, 1399, 1400};
	size_t i;
	int n, j;

	(void)state;
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		n = seal(tx, 100 + (uint32_t)i, lens[i], dg);
		assert_int_equal(n, PROTO_DATA_HDR_LEN + lens[i] + PROTO_TAG_LEN);
		assert_int_equal(proto_data_open(rx, dg, (size_t)n, &h, plain), lens[i]);
		assert_int_equal(h.counter, 100 + i);
		assert_int_equal(h.frame, 3);
		assert_int_equal(h.flags, PROTO_F_KEYFRAME);
		assert_int_equal(h.capture_ms, 1795608000123ull);
		for (j = 0; j < lens[i]; j++)
			assert_int_equal(plain[j], (uint8_t)(j * 7 + 100 + i));
		/* verify only */
		assert_int_equal(proto_data_open(rx, dg, (size_t)n, &h, NULL), lens[i]);
		/* the payload is not sent in the clear */
		if (lens[i] >= 16)
			assert_memory_not_equal(dg + PROTO_DATA_HDR_LEN, plain, 16);
	}
	/* oversize payload refused at seal */
	proto_data_hdr_t big = hdr(1, PROTO_DATA_MAX_PAYLOAD + 1);
	assert_int_equal(proto_data_seal(tx, &big, plain, dg, sizeof(dg)), PROTO_E_OVERSIZE);
	proto_session_free(tx);
	proto_session_free(rx);
}

static void
test_data_every_byte_flipped(void **state)
{
	proto_session_t *tx = session(SECRET), *rx = session(SECRET);
	uint8_t dg[PROTO_MAX_DGRAM], bad[PROTO_MAX_DGRAM];
	proto_data_hdr_t h;
	int n, i, bit, rc;

	(void)state;
	n = seal(tx, 42, 300, dg);
	assert_true(n > 0);
	for (i = 0; i < n; i++) {
		for (bit = 0; bit < 8; bit += 7) {
			memcpy(bad, dg, (size_t)n);
			bad[i] ^= (uint8_t)(1u << bit);
			rc = proto_data_open(rx, bad, (size_t)n, &h, NULL);
			assert_true(rc < 0);
		}
	}
	/* the untouched datagram still opens: no state was damaged */
	assert_int_equal(proto_data_open(rx, dg, (size_t)n, &h, NULL), 300);
	proto_session_free(tx);
	proto_session_free(rx);
}

static void
test_data_rejections(void **state)
{
	uint8_t other[32];
	proto_session_t *tx = session(SECRET), *rx = session(SECRET);
	proto_session_t *wrongkey, *wrongcam, *wrongsess;
	uint8_t dg[PROTO_MAX_DGRAM + 8], bad[PROTO_MAX_DGRAM + 8];
	uint8_t uuid2[16];
	proto_data_hdr_t h;
	int n;

	(void)state;
	memset(other, 0x55, sizeof(other));
	memcpy(uuid2, UUID, 16);
	uuid2[15] ^= 1;
	wrongkey = session(other);
	wrongcam = proto_session_new(uuid2, DATE, SESSION, SECRET);
	wrongsess = proto_session_new(UUID, DATE, SESSION + 1, SECRET);
	n = seal(tx, 9, 200, dg);

	assert_int_equal(proto_data_open(wrongkey, dg, (size_t)n, &h, NULL), PROTO_E_TAG);
	assert_int_equal(proto_data_open(wrongcam, dg, (size_t)n, &h, NULL), PROTO_E_CAMERA);
	assert_int_equal(proto_data_open(wrongsess, dg, (size_t)n, &h, NULL), PROTO_E_CAMERA);
	/* truncated: below the header, and inside the payload */
	assert_int_equal(proto_data_open(rx, dg, 10, &h, NULL), PROTO_E_SHORT);
	assert_int_equal(proto_data_open(rx, dg, 60, &h, NULL), PROTO_E_SHORT);
	assert_int_equal(proto_data_open(rx, dg, (size_t)n - 1, &h, NULL), PROTO_E_LENGTH);
	/* oversized datagram */
	memset(dg + n, 0, sizeof(dg) - (size_t)n);
	assert_int_equal(proto_data_open(rx, dg, PROTO_MAX_DGRAM + 1, &h, NULL), PROTO_E_OVERSIZE);
	/* wrong version, bad magic, unknown type, reserved byte */
	memcpy(bad, dg, (size_t)n);
	bad[2] = 2;
	assert_int_equal(proto_data_open(rx, bad, (size_t)n, &h, NULL), PROTO_E_VERSION);
	memcpy(bad, dg, (size_t)n);
	bad[0] = 'X';
	assert_int_equal(proto_data_open(rx, bad, (size_t)n, &h, NULL), PROTO_E_MAGIC);
	memcpy(bad, dg, (size_t)n);
	bad[3] = 99;
	assert_int_equal(proto_data_open(rx, bad, (size_t)n, &h, NULL), PROTO_E_TYPE);
	memcpy(bad, dg, (size_t)n);
	bad[3] = PROTO_T_REPORT;
	assert_int_equal(proto_data_open(rx, bad, (size_t)n, &h, NULL), PROTO_E_TYPE);
	memcpy(bad, dg, (size_t)n);
	bad[35] = 1;
	assert_int_equal(proto_data_open(rx, bad, (size_t)n, &h, NULL), PROTO_E_FIELD);
	memcpy(bad, dg, (size_t)n);
	bad[41] = 4; /* fragment index 4 of 4 */
	assert_int_equal(proto_data_open(rx, bad, (size_t)n, &h, NULL), PROTO_E_FIELD);
	memcpy(bad, dg, (size_t)n);
	bad[33] = PROTO_C_TELEMETRY; /* telemetry codec on the video stream */
	assert_int_equal(proto_data_open(rx, bad, (size_t)n, &h, NULL), PROTO_E_FIELD);
	/* still fine */
	assert_int_equal(proto_data_open(rx, dg, (size_t)n, &h, NULL), 200);
	proto_session_free(tx);
	proto_session_free(rx);
	proto_session_free(wrongkey);
	proto_session_free(wrongcam);
	proto_session_free(wrongsess);
}

static void
test_frame_keys_differ(void **state)
{
	proto_session_t *s = session(SECRET), *s2;
	uint8_t k1[32], k2[32], k3[32], k4[32];

	(void)state;
	assert_int_equal(proto_session_frame_key(s, PROTO_S_VIDEO, 1, k1), 0);
	assert_int_equal(proto_session_frame_key(s, PROTO_S_VIDEO, 2, k2), 0);
	assert_int_equal(proto_session_frame_key(s, PROTO_S_TELEMETRY, 1, k3), 0);
	assert_memory_not_equal(k1, k2, 32);
	assert_memory_not_equal(k1, k3, 32);
	/* same frame identity in another session (e.g. after a reboot): other key */
	s2 = proto_session_new(UUID, DATE, SESSION + 100, SECRET);
	assert_int_equal(proto_session_frame_key(s2, PROTO_S_VIDEO, 1, k4), 0);
	assert_memory_not_equal(k1, k4, 32);
	proto_session_free(s);
	proto_session_free(s2);
}

static void
test_control_roundtrip(void **state)
{
	proto_session_t *tx = session(SECRET), *rx = session(SECRET);
	uint8_t body[1024], dg[PROTO_MAX_DGRAM], out[1024];
	proto_report_t r = {0}, r2;
	proto_bye_t b = {3}, b2;
	proto_c2s_hdr_t h;
	int blen, n;

	(void)state;
	r.n = 2;
	r.day[0] = (proto_report_day_t){DATE - 1, 5000, 10};
	r.day[1] = (proto_report_day_t){DATE, 77, 0};
	blen = proto_report_encode(&r, body, sizeof(body));
	assert_int_equal(blen, 4 + 24);
	n = proto_c2s_seal(tx, PROTO_T_REPORT, 500, body, (size_t)blen, dg, sizeof(dg));
	assert_int_equal(n, PROTO_C2S_HDR_LEN + blen + PROTO_TAG_LEN);
	assert_int_equal(proto_c2s_open(rx, dg, (size_t)n, &h, out, sizeof(out)), blen);
	assert_int_equal(h.type, PROTO_T_REPORT);
	assert_int_equal(h.counter, 500);
	assert_int_equal(proto_report_decode(out, (size_t)blen, &r2), 0);
	assert_int_equal(r2.n, 2);
	assert_int_equal(r2.day[0].next_counter, 5000);
	assert_int_equal(r2.day[1].date, DATE);
	dg[30] ^= 1; /* the session field is authenticated */
	assert_true(proto_c2s_open(rx, dg, (size_t)n, &h, out, sizeof(out)) < 0);

	blen = proto_bye_encode(&b, body, sizeof(body));
	n = proto_c2s_seal(tx, PROTO_T_BYE, 501, body, (size_t)blen, dg, sizeof(dg));
	assert_int_equal(proto_c2s_open(rx, dg, (size_t)n, &h, out, sizeof(out)), 4);
	assert_int_equal(proto_bye_decode(out, 4, &b2), 0);
	assert_int_equal(b2.reason, 3);
	/* a data datagram is not a control message */
	assert_int_equal(proto_c2s_seal(tx, PROTO_T_DATA, 1, body, 4, dg, sizeof(dg)),
			 PROTO_E_TYPE);
	proto_session_free(tx);
	proto_session_free(rx);
}

static void
test_s2c_roundtrip(void **state)
{
	proto_session_t *srv = session(SECRET), *cam = session(SECRET);
	uint8_t body[1400], dg[PROTO_MAX_DGRAM], out[1400], dg2[PROTO_MAX_DGRAM];
	proto_missing_t m = {0}, m2;
	proto_rr_t rr = {1000, 180, 170, 240000, 9999}, rr2;
	proto_hello_ack_t a = {0, 1795608000000ull, 12}, a2;
	proto_s2c_hdr_t h;
	int blen, n, n2, i;

	(void)state;
	m.n = PROTO_MISSING_MAX_RANGES;
	for (i = 0; i < m.n; i++)
		m.range[i] = (proto_range_t){DATE, (uint32_t)i * 10, 3};
	blen = proto_missing_encode(&m, body, sizeof(body));
	n = proto_s2c_seal(srv, PROTO_T_MISSING, NULL, body, (size_t)blen, dg, sizeof(dg));
	assert_true(n > 0 && n <= PROTO_MAX_DGRAM);
	assert_int_equal(proto_s2c_open(cam, dg, (size_t)n, &h, out, sizeof(out)), blen);
	assert_int_equal(proto_missing_decode(out, (size_t)blen, &m2), 0);
	assert_int_equal(m2.n, m.n);
	assert_int_equal(m2.range[99].first, 990);
	/* random nonces: the same message sealed twice differs */
	n2 = proto_s2c_seal(srv, PROTO_T_MISSING, NULL, body, (size_t)blen, dg2, sizeof(dg2));
	assert_int_equal(n, n2);
	assert_memory_not_equal(dg + 28, dg2 + 28, PROTO_NONCE_LEN);

	blen = proto_rr_encode(&rr, body, sizeof(body));
	n = proto_s2c_seal(srv, PROTO_T_RR, NULL, body, (size_t)blen, dg, sizeof(dg));
	assert_int_equal(proto_s2c_open(cam, dg, (size_t)n, &h, out, sizeof(out)), 20);
	assert_int_equal(proto_rr_decode(out, 20, &rr2), 0);
	assert_int_equal(rr2.received, 170);

	blen = proto_hello_ack_encode(&a, body, sizeof(body));
	n = proto_s2c_seal(srv, PROTO_T_HELLO_ACK, NULL, body, (size_t)blen, dg, sizeof(dg));
	assert_int_equal(proto_s2c_open(cam, dg, (size_t)n, &h, out, sizeof(out)), 16);
	assert_int_equal(proto_hello_ack_decode(out, 16, &a2), 0);
	assert_int_equal(a2.server_ms, a.server_ms);
	for (i = 0; i < n; i++) {
		memcpy(dg2, dg, (size_t)n);
		dg2[i] ^= 0x80;
		assert_true(proto_s2c_open(cam, dg2, (size_t)n, &h, out, sizeof(out)) < 0);
	}
	proto_session_free(srv);
	proto_session_free(cam);
}

static void
test_body_rejections(void **state)
{
	uint8_t b[2048];
	proto_missing_t m = {0};
	proto_report_t r;
	proto_rr_t rr;

	(void)state;
	assert_int_equal(proto_missing_encode(&m, b, sizeof(b)), PROTO_E_FIELD); /* n = 0 */
	m.n = 1;
	m.range[0] = (proto_range_t){DATE, 5, 0};
	assert_int_equal(proto_missing_encode(&m, b, sizeof(b)), PROTO_E_FIELD); /* empty */
	memset(b, 0, sizeof(b));
	b[1] = 65; /* 65 days > 64 */
	assert_int_equal(proto_report_decode(b, 4 + 65 * 12, &r), PROTO_E_OVERSIZE);
	b[1] = 1;
	assert_int_equal(proto_report_decode(b, 4 + 11, &r), PROTO_E_LENGTH);
	assert_int_equal(proto_report_decode(b, 3, &r), PROTO_E_SHORT);
	b[3] = 1;
	assert_int_equal(proto_report_decode(b, 16, &r), PROTO_E_FIELD); /* reserved */
	memset(b, 0, 20);
	b[11] = 1; /* received 1 > expected 0 */
	assert_int_equal(proto_rr_decode(b, 20, &rr), PROTO_E_FIELD);
	assert_int_equal(proto_rr_decode(b, 21, &rr), PROTO_E_LENGTH);
}

/* A session kept by its s2c key alone opens and seals server messages, nothing else. */
static void
test_s2c_only_session(void **state)
{
	proto_session_t *srv = session(SECRET), *cam;
	uint8_t key[PROTO_KEY_LEN], body[64], dg[PROTO_MAX_DGRAM], out[64], fk[PROTO_KEY_LEN];
	proto_confirm_t m = {1, {{DATE, 0, 40}}}, m2;
	proto_s2c_hdr_t h;
	int blen, n;

	(void)state;
	proto_session_s2c_key(srv, key);
	cam = proto_session_s2c_new(UUID, DATE, SESSION, key);
	assert_non_null(cam);
	assert_int_equal(proto_session_id(cam), SESSION);
	assert_int_equal(proto_session_date(cam), DATE);
	blen = proto_confirm_encode(&m, body, sizeof(body));
	n = proto_s2c_seal(srv, PROTO_T_CONFIRM, NULL, body, (size_t)blen, dg, sizeof(dg));
	assert_int_equal(proto_s2c_open(cam, dg, (size_t)n, &h, out, sizeof(out)), blen);
	assert_int_equal(proto_confirm_decode(out, (size_t)blen, &m2), 0);
	assert_int_equal(m2.range[0].count, 40);
	/* and the other way: what it seals, the full session opens */
	n = proto_s2c_seal(cam, PROTO_T_CONFIRM, NULL, body, (size_t)blen, dg, sizeof(dg));
	assert_int_equal(proto_s2c_open(srv, dg, (size_t)n, &h, out, sizeof(out)), blen);
	/* no PRK: no frame keys, no data */
	assert_int_equal(proto_session_frame_key(cam, PROTO_S_VIDEO, 0, fk), PROTO_E_CRYPTO);
	assert_true(seal(cam, 0, 10, dg) < 0);
	proto_session_free(srv);
	proto_session_free(cam);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_data_roundtrip),
	    cmocka_unit_test(test_data_every_byte_flipped),
	    cmocka_unit_test(test_data_rejections),
	    cmocka_unit_test(test_frame_keys_differ),
	    cmocka_unit_test(test_control_roundtrip),
	    cmocka_unit_test(test_s2c_roundtrip),
	    cmocka_unit_test(test_body_rejections),
	    cmocka_unit_test(test_s2c_only_session),
	};
	memset(SECRET, 0xa5, sizeof(SECRET));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
