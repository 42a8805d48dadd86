/*
 * NAME
 *	test_vectors.c - docs/PROTOCOL.md test vectors are what the code makes
 *
 * DESCRIPTION
 *	Regenerates every deterministic vector of docs/PROTOCOL.md from its
 *	fixed inputs and compares it with the block in the document, so the
 *	specification and the code cannot drift apart. The hello vector is
 *	randomised by RSA-OAEP and RSA-PSS: the document's hello must verify
 *	with the test camera key and unwrap, with the test server key, to the
 *	documented secret. VIGIL_PRINT_VECTORS=1 prints every block.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "proto_crypto.h"
#include "testutil.h"

#define DOC "docs/PROTOCOL.md"

/* Fixed inputs, as listed in docs/PROTOCOL.md "Test vectors". */
static const uint8_t UUID[16] = {0x0f, 0x8f, 0xad, 0x5b, 0xd9, 0xcb, 0x46, 0x9f,
				 0xa1, 0x65, 0x70, 0x86, 0x77, 0x28, 0x95, 0x0e};
#define DATE 20782u /* 2026-11-25 */
#define SESSION 0u
#define CAPTURE_MS 1795608000000ull /* 2026-11-25T12:00:00Z */
static uint8_t SECRET[32];          /* 00 01 02 ... 1f */
#define COOKIE_ISSUED 1795608000u   /* 2026-11-25T12:00:00Z, in seconds */
#define COOKIE_ADDR "192.0.2.1"     /* as ::ffff:192.0.2.1 in the MAC */
#define COOKIE_PORT 40000
static const char PAYLOAD[] = "vigil test payload";

static void
check(const char *name, const uint8_t *buf, size_t len)
{
	char *got = tu_hex(buf, len), *doc = tu_doc_vector(DOC, name);

	if (getenv("VIGIL_PRINT_VECTORS")) {
		printf("<!-- vector: %s -->\n```\n%s\n```\n\n", name, got);
		free(got);
		free(doc);
		return;
	}
	int same = doc != NULL && strcmp(doc, got) == 0;
	if (!same)
		fprintf(stderr, "%s: vector \"%s\" differs; the code makes:\n%s\n", DOC, name, got);
	free(got);
	free(doc);
	assert_true(same);
}

static proto_session_t *
session(void)
{
	proto_session_t *s = proto_session_new(UUID, DATE, SESSION, SECRET);
	assert_non_null(s);
	return s;
}

static void
test_keys(void **state)
{
	uint8_t prk[32], k[32], nonce[12];

	(void)state;
	assert_int_equal(proto_kdf_prk(SECRET, UUID, prk), 0);
	check("prk", prk, 32);
	assert_int_equal(proto_kdf_frame(prk, DATE, SESSION, PROTO_S_VIDEO, 0, k), 0);
	check("frame-key", k, 32);
	assert_int_equal(proto_kdf_s2c(prk, DATE, SESSION, k), 0);
	check("s2c-key", k, 32);
	proto_c2s_nonce(DATE, 1, nonce);
	check("data-nonce", nonce, 12);
}

static void
test_data(void **state)
{
	proto_session_t *s = session();
	proto_data_hdr_t h = {0};
	uint8_t dg[PROTO_MAX_DGRAM];
	int n;

	(void)state;
	memcpy(h.uuid, UUID, 16);
	h.date = DATE;
	h.counter = 1;
	h.session = SESSION;
	h.stream = PROTO_S_VIDEO;
	h.codec = PROTO_C_H264;
	h.flags = PROTO_F_KEYFRAME;
	h.frame = 0;
	h.frag_index = 0;
	h.frag_count = 1;
	h.capture_ms = CAPTURE_MS;
	h.payload_len = sizeof(PAYLOAD) - 1;
	n = proto_data_seal(s, &h, (const uint8_t *)PAYLOAD, dg, sizeof(dg));
	assert_int_equal(n, 56 + 18 + 16);
	check("data-sealed", dg, (size_t)n);

	/* the vector's clear header read back: peek, the accessors, a short datagram */
	proto_data_hdr_t p;
	assert_int_equal(proto_dgram_peek(dg, (size_t)n, &p), PROTO_T_DATA);
	assert_int_equal(p.type, PROTO_T_DATA);
	assert_memory_equal(p.uuid, UUID, 16);
	assert_int_equal(p.date, DATE);
	assert_int_equal(p.counter, 1);
	assert_int_equal(p.session, SESSION);
	assert_int_equal(p.stream, PROTO_S_VIDEO);
	assert_int_equal(p.codec, PROTO_C_H264);
	assert_int_equal(p.flags, PROTO_F_KEYFRAME);
	assert_int_equal(p.frame, 0);
	assert_int_equal(p.frag_index, 0);
	assert_int_equal(p.frag_count, 1);
	assert_int_equal(p.capture_ms, CAPTURE_MS);
	assert_int_equal(p.payload_len, sizeof(PAYLOAD) - 1);
	assert_int_equal(proto_dgram_type(dg), PROTO_T_DATA);
	assert_memory_equal(proto_dgram_uuid(dg), UUID, 16);
	assert_int_equal(proto_dgram_date(dg), DATE);
	assert_int_equal(proto_dgram_counter(dg), 1);
	assert_int_equal(proto_dgram_session(dg), SESSION);
	assert_int_equal(proto_dgram_capture_ms(dg), CAPTURE_MS);
	assert_int_equal(proto_dgram_peek(dg, PROTO_DATA_HDR_LEN - 1, &p), PROTO_T_DATA);
	assert_int_equal(p.counter, 1);
	assert_int_equal(p.session, SESSION);
	assert_int_equal(p.capture_ms, 0);
	assert_int_equal(proto_dgram_peek(dg, 27, &p), PROTO_T_DATA);
	assert_int_equal(p.date, DATE);
	assert_int_equal(p.counter, 0);
	assert_int_equal(proto_dgram_peek(dg, 3, &p), 0);
	proto_session_free(s);
}

static void
test_report(void **state)
{
	proto_session_t *s = session();
	proto_report_t r = {0};
	uint8_t body[64], dg[PROTO_MAX_DGRAM];
	int blen, n;

	(void)state;
	r.n = 1;
	r.day[0] = (proto_report_day_t){DATE, 2, 0};
	blen = proto_report_encode(&r, body, sizeof(body));
	check("report-body", body, (size_t)blen);
	n = proto_c2s_seal(s, PROTO_T_REPORT, 2, body, (size_t)blen, dg, sizeof(dg));
	check("report-sealed", dg, (size_t)n);

	proto_data_hdr_t p;
	assert_int_equal(proto_dgram_peek(dg, (size_t)n, &p), PROTO_T_REPORT);
	assert_int_equal(p.date, DATE);
	assert_int_equal(p.counter, 2);
	assert_int_equal(p.session, SESSION);
	assert_int_equal(p.stream, 0); /* data fields stay 0 for other types */
	assert_int_equal(p.capture_ms, 0);
	proto_session_free(s);
}

/* MISSING and CONFIRM share a body: one range, sealed with a fixed nonce. */
static void
ranges_vector(uint8_t type, proto_range_t r, uint8_t nonce0, const char *body_name,
	      const char *sealed_name)
{
	proto_session_t *s = session();
	proto_missing_t m = {0};
	uint8_t body[64], dg[PROTO_MAX_DGRAM], nonce[12];
	int blen, n, i;

	for (i = 0; i < 12; i++)
		nonce[i] = (uint8_t)(nonce0 + i);
	m.n = 1;
	m.range[0] = r;
	blen = type == PROTO_T_CONFIRM ? proto_confirm_encode(&m, body, sizeof(body))
				       : proto_missing_encode(&m, body, sizeof(body));
	check(body_name, body, (size_t)blen);
	n = proto_s2c_seal(s, type, nonce, body, (size_t)blen, dg, sizeof(dg));
	check(sealed_name, dg, (size_t)n);
	proto_session_free(s);
}

static void
test_missing(void **state)
{
	(void)state;
	ranges_vector(PROTO_T_MISSING, (proto_range_t){DATE, 5, 3}, 0xa0, "missing-body",
		      "missing-sealed");
}

static void
test_confirm(void **state)
{
	(void)state;
	ranges_vector(PROTO_T_CONFIRM, (proto_range_t){DATE, 0, 1000}, 0xb0, "confirm-body",
		      "confirm-sealed");
}

/* A HELLO_ACK telling a camera that its hello's counter was held: resume at 1000. */
static void
test_hello_ack(void **state)
{
	proto_session_t *s = session();
	proto_hello_ack_t a = {PROTO_ACK_REUSED, CAPTURE_MS, 1000}, got;
	proto_s2c_hdr_t h;
	uint8_t body[16], dg[PROTO_MAX_DGRAM], nonce[12], out[16];
	int n, i;

	(void)state;
	for (i = 0; i < 12; i++)
		nonce[i] = (uint8_t)(0xc0 + i);
	assert_int_equal(proto_hello_ack_encode(&a, body, sizeof(body)), 16);
	check("hello-ack-body", body, sizeof(body));
	n = proto_s2c_seal(s, PROTO_T_HELLO_ACK, nonce, body, sizeof(body), dg, sizeof(dg));
	check("hello-ack-sealed", dg, (size_t)n);
	/* and back: the fields out of the sealed bytes */
	assert_int_equal(proto_s2c_open(s, dg, (size_t)n, &h, out, sizeof(out)), 16);
	assert_int_equal(h.type, PROTO_T_HELLO_ACK);
	assert_int_equal(proto_hello_ack_decode(out, 16, &got), 0);
	assert_int_equal(got.status, PROTO_ACK_REUSED);
	assert_true(got.server_ms == CAPTURE_MS);
	assert_int_equal(got.next_counter, 1000);
	out[0] = 2; /* no such status */
	assert_int_equal(proto_hello_ack_decode(out, 16, &got), PROTO_E_FIELD);
	proto_session_free(s);
}

static void
test_hello(void **state)
{
	EVP_PKEY *cam_pub = tu_key("camera.pub", 0), *srv_priv = tu_key("server.pem", 1);
	EVP_PKEY *cam_priv = tu_key("camera.pem", 1), *srv_pub = tu_key("server.pub", 0);
	uint8_t dg[PROTO_MAX_DGRAM], secret[32];
	char *doc = tu_doc_vector(DOC, "hello");
	proto_hello_t h = {0};
	int n;

	(void)state;
	assert_non_null(cam_pub);
	assert_non_null(srv_priv);
	if (getenv("VIGIL_PRINT_VECTORS")) {
		memcpy(h.uuid, UUID, 16);
		h.date = DATE;
		h.counter = SESSION;
		h.boot_id = 0x01020304;
		h.camera_ms = CAPTURE_MS;
		memset(h.hello_id, 0x42, 16);
		n = proto_hello_seal(cam_priv, srv_pub, &h, SECRET, dg, sizeof(dg));
		char *hex = tu_hex(dg, (size_t)n);
		printf("<!-- vector: hello -->\n```\n%s\n```\n\n", hex);
		free(hex);
	}
	assert_non_null(doc);
	n = tu_unhex(doc, dg, sizeof(dg));
	assert_int_equal(n, 64 + 256 + 256);
	assert_int_equal(proto_hello_verify(dg, (size_t)n, cam_pub, &h), 0);
	assert_memory_equal(h.uuid, UUID, 16);
	assert_int_equal(h.date, DATE);
	assert_int_equal(h.counter, SESSION);
	assert_int_equal(h.camera_ms, CAPTURE_MS);
	assert_int_equal(proto_hello_unwrap(&h, srv_priv, secret), 0);
	assert_memory_equal(secret, SECRET, 32);
	free(doc);
	EVP_PKEY_free(cam_pub);
	EVP_PKEY_free(srv_priv);
	EVP_PKEY_free(cam_priv);
	EVP_PKEY_free(srv_pub);
}

/*
 * The hello's time checks on the hello vector (its date, 20782, is the day
 * of its camera time), and on the hello-date vector: the same fields
 * signed with the date 30 days earlier. Both verify; the server refuses
 * the second whatever its clock says, and the first once it is ahead of
 * the server's clock or older than the window.
 */
static void
test_hello_time(void **state)
{
	EVP_PKEY *cam_pub = tu_key("camera.pub", 0);
	EVP_PKEY *cam_priv = tu_key("camera.pem", 1), *srv_pub = tu_key("server.pub", 0);
	proto_replay_t *r = proto_replay_new(16, 120000);
	uint8_t dg[PROTO_MAX_DGRAM];
	char *doc = tu_doc_vector(DOC, "hello"), *late = tu_doc_vector(DOC, "hello-date");
	proto_hello_t h = {0};
	int n;

	(void)state;
	assert_non_null(r);
	if (getenv("VIGIL_PRINT_VECTORS")) {
		memcpy(h.uuid, UUID, 16);
		h.date = DATE - 30;
		h.counter = SESSION;
		h.boot_id = 0x01020304;
		h.camera_ms = CAPTURE_MS;
		memset(h.hello_id, 0x42, 16);
		n = proto_hello_seal(cam_priv, srv_pub, &h, SECRET, dg, sizeof(dg));
		char *hex = tu_hex(dg, (size_t)n);
		printf("<!-- vector: hello-date -->\n```\n%s\n```\n\n", hex);
		free(hex);
	}
	assert_non_null(doc);
	assert_non_null(late);
	n = tu_unhex(doc, dg, sizeof(dg));
	assert_int_equal(proto_hello_verify(dg, (size_t)n, cam_pub, &h), 0);
	assert_int_equal(h.date, (uint32_t)(CAPTURE_MS / 86400000));
	assert_int_equal(proto_replay_check(r, &h, CAPTURE_MS), 0);
	assert_int_equal(proto_replay_check(r, &h, CAPTURE_MS - 120000), 0);
	assert_int_equal(proto_replay_check(r, &h, CAPTURE_MS - 120001), PROTO_E_FUTURE);
	assert_int_equal(proto_replay_check(r, &h, CAPTURE_MS + 120000), 0);
	assert_int_equal(proto_replay_check(r, &h, CAPTURE_MS + 120001), PROTO_E_STALE);
	n = tu_unhex(late, dg, sizeof(dg));
	assert_int_equal(n, 64 + 256 + 256);
	assert_int_equal(proto_hello_verify(dg, (size_t)n, cam_pub, &h), 0);
	assert_int_equal(h.date, DATE - 30);
	assert_int_equal(h.camera_ms, CAPTURE_MS);
	assert_int_equal(proto_replay_check(r, &h, CAPTURE_MS), PROTO_E_DATE);
	assert_int_equal(proto_replay_check(r, &h, CAPTURE_MS - 30ull * 86400000), PROTO_E_DATE);
	proto_replay_free(r);
	free(doc);
	free(late);
	EVP_PKEY_free(cam_pub);
	EVP_PKEY_free(cam_priv);
	EVP_PKEY_free(srv_pub);
}

/*
 * The cookie key of the test server key, the MAC of a cookie for a
 * fixed source, the COOKIE answering the hello vector, and that hello
 * resent with the cookie's trailer.
 */
static void
test_cookie(void **state)
{
	EVP_PKEY *srv_priv = tu_key("server.pem", 1), *cam_pub = tu_key("camera.pub", 0);
	struct sockaddr_storage peer = {0};
	struct sockaddr_in *sin = (struct sockaddr_in *)&peer;
	uint8_t key[32], mac[16], input[52], dg[PROTO_MAX_DGRAM], hello[PROTO_MAX_DGRAM];
	char *doc = tu_doc_vector(DOC, "hello");
	proto_cookie_t c = {0}, back;
	proto_hello_t h;
	size_t signed_len;
	uint32_t issued;
	int n, hn;

	(void)state;
	assert_non_null(srv_priv);
	assert_non_null(doc);
	sin->sin_family = AF_INET;
	sin->sin_port = htons(COOKIE_PORT);
	assert_int_equal(inet_pton(AF_INET, COOKIE_ADDR, &sin->sin_addr), 1);
	assert_int_equal(proto_cookie_key(srv_priv, key), 0);
	check("cookie-key", key, 32);
	/* the MAC's input, spelled out as in the document */
	memcpy(input, "vigil/1 cookie", 14);
	proto_put32(input + 14, COOKIE_ISSUED);
	memset(input + 18, 0, 10);
	input[28] = input[29] = 0xff;
	memcpy(input + 30, &sin->sin_addr, 4);
	proto_put16(input + 34, COOKIE_PORT);
	memcpy(input + 36, UUID, 16);
	check("cookie-mac-input", input, sizeof(input));
	proto_cookie_mac(key, COOKIE_ISSUED, &peer, UUID, mac);
	check("cookie-mac", mac, 16);

	memcpy(c.uuid, UUID, 16);
	c.date = DATE;
	memset(c.hello_id, 0x42, 16); /* the hello vector's id */
	c.issued = COOKIE_ISSUED;
	memcpy(c.mac, mac, 16);
	n = proto_cookie_encode(&c, dg, sizeof(dg));
	assert_int_equal(n, PROTO_COOKIE_LEN);
	check("cookie", dg, (size_t)n);
	assert_int_equal(proto_cookie_decode(dg, (size_t)n, &back), 0);
	assert_memory_equal(&back, &c, sizeof(c));

	hn = tu_unhex(doc, hello, sizeof(hello));
	assert_int_equal(hn, 576);
	proto_put32(hello + hn, COOKIE_ISSUED);
	memcpy(hello + hn + 4, mac, 16);
	check("hello-cookie", hello, (size_t)hn + 20);
	assert_int_equal(proto_hello_trailer(hello, (size_t)hn + 20, &signed_len, &issued, mac), 1);
	assert_int_equal(signed_len, 576);
	assert_int_equal(issued, COOKIE_ISSUED);
	assert_memory_equal(mac, c.mac, 16);
	assert_int_equal(proto_cookie_check(key, issued, mac, &peer, UUID, COOKIE_ISSUED), 1);
	assert_int_equal(proto_hello_verify(hello, signed_len, cam_pub, &h), 0);
	free(doc);
	EVP_PKEY_free(srv_priv);
	EVP_PKEY_free(cam_pub);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_keys),    cmocka_unit_test(test_data),
	    cmocka_unit_test(test_report),  cmocka_unit_test(test_missing),
	    cmocka_unit_test(test_confirm), cmocka_unit_test(test_hello_ack),
	    cmocka_unit_test(test_hello),   cmocka_unit_test(test_hello_time),
	    cmocka_unit_test(test_cookie),
	};
	int i;

	for (i = 0; i < 32; i++)
		SECRET[i] = (uint8_t)i;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
