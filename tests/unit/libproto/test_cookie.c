/*
 * NAME
 *	test_cookie.c - the hello cookie (libproto/cookie.c)
 *
 * DESCRIPTION
 *	A COOKIE encodes to 60 bytes and decodes back; every other length,
 *	magic, version and type is refused with its own code, and no other
 *	decoder takes type 9. The MAC changes with the key, issued time,
 *	address, port and camera, and an IPv4 source gives the same MAC as
 *	its ::ffff: form; a trailer is fresh for 120 s back and 5 s ahead.
 *	The key is the same from the same server key and differs for
 *	another. A hello's trailer parses for exactly 64+W+S+20 bytes;
 *	64+W+S is a hello without one, every other length an error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "proto_crypto.h"
#include "testutil.h"

static const uint8_t KEY[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
				17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

static proto_cookie_t
sample(void)
{
	proto_cookie_t c;
	int i;

	for (i = 0; i < 16; i++) {
		c.uuid[i] = (uint8_t)(0x10 + i);
		c.hello_id[i] = (uint8_t)(0x80 + i);
		c.mac[i] = (uint8_t)(0xc0 + i);
	}
	c.date = 20782;
	c.issued = 1795608000u;
	return c;
}

static struct sockaddr_storage
v4(const char *a, uint16_t port)
{
	struct sockaddr_storage ss = {0};
	struct sockaddr_in *s = (struct sockaddr_in *)&ss;

	s->sin_family = AF_INET;
	s->sin_port = htons(port);
	assert_int_equal(inet_pton(AF_INET, a, &s->sin_addr), 1);
	return ss;
}

static struct sockaddr_storage
v6(const char *a, uint16_t port)
{
	struct sockaddr_storage ss = {0};
	struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;

	s->sin6_family = AF_INET6;
	s->sin6_port = htons(port);
	assert_int_equal(inet_pton(AF_INET6, a, &s->sin6_addr), 1);
	return ss;
}

static void
test_encode_decode(void **state)
{
	proto_cookie_t c = sample(), back;
	uint8_t dg[PROTO_COOKIE_LEN + 8];

	(void)state;
	assert_int_equal(proto_cookie_encode(&c, dg, PROTO_COOKIE_LEN - 1), PROTO_E_SHORT);
	assert_int_equal(proto_cookie_encode(&c, dg, sizeof(dg)), PROTO_COOKIE_LEN);
	assert_int_equal(dg[0], 'V');
	assert_int_equal(dg[1], 'G');
	assert_int_equal(dg[2], 1);
	assert_int_equal(dg[3], PROTO_T_COOKIE);
	assert_memory_equal(dg + 4, c.uuid, 16);
	assert_int_equal(proto_get32(dg + 20), 20782);
	assert_memory_equal(dg + 24, c.hello_id, 16);
	assert_int_equal(proto_get32(dg + 40), 1795608000u);
	assert_memory_equal(dg + 44, c.mac, 16);
	memset(&back, 0, sizeof(back));
	assert_int_equal(proto_cookie_decode(dg, PROTO_COOKIE_LEN, &back), 0);
	assert_memory_equal(&back, &c, sizeof(c));
}

static void
test_decode_refuses(void **state)
{
	proto_cookie_t c = sample(), back;
	uint8_t dg[PROTO_COOKIE_LEN + 8], bad[PROTO_COOKIE_LEN + 8];
	size_t len;
	int t;

	(void)state;
	memset(dg, 0, sizeof(dg));
	proto_cookie_encode(&c, dg, sizeof(dg));
	for (len = 0; len < sizeof(dg); len++) {
		if (len == PROTO_COOKIE_LEN)
			continue;
		assert_int_equal(proto_cookie_decode(dg, len, &back),
				 len < PROTO_COOKIE_LEN ? PROTO_E_SHORT : PROTO_E_LENGTH);
	}
	memcpy(bad, dg, sizeof(dg));
	bad[0] ^= 1;
	assert_int_equal(proto_cookie_decode(bad, PROTO_COOKIE_LEN, &back), PROTO_E_MAGIC);
	memcpy(bad, dg, sizeof(dg));
	bad[1] ^= 1;
	assert_int_equal(proto_cookie_decode(bad, PROTO_COOKIE_LEN, &back), PROTO_E_MAGIC);
	memcpy(bad, dg, sizeof(dg));
	bad[2] = 2;
	assert_int_equal(proto_cookie_decode(bad, PROTO_COOKIE_LEN, &back), PROTO_E_VERSION);
	for (t = 0; t < 256; t++) {
		if (t == PROTO_T_COOKIE)
			continue;
		memcpy(bad, dg, sizeof(dg));
		bad[3] = (uint8_t)t;
		assert_int_equal(proto_cookie_decode(bad, PROTO_COOKIE_LEN, &back), PROTO_E_TYPE);
	}
	assert_int_equal(proto_cookie_decode(dg, PROTO_MAX_DGRAM + 1, &back), PROTO_E_OVERSIZE);
}

/* Type 9 is a valid prefix; every decoder of another message refuses it. */
static void
test_type_nine_elsewhere(void **state)
{
	proto_cookie_t c = sample();
	uint8_t dg[PROTO_MAX_DGRAM], body[PROTO_MAX_DGRAM];
	uint8_t secret[32] = {0};
	proto_prefix_t p;
	proto_data_hdr_t dh;
	proto_hello_t h;
	proto_c2s_hdr_t ch;
	proto_s2c_hdr_t sh;
	proto_session_t *s = proto_session_new(c.uuid, c.date, 0, secret);

	(void)state;
	assert_non_null(s);
	memset(dg, 0, sizeof(dg));
	proto_cookie_encode(&c, dg, sizeof(dg));
	assert_int_equal(proto_prefix_decode(dg, PROTO_COOKIE_LEN, &p), PROTO_T_COOKIE);
	assert_int_equal(proto_type_is_s2c(PROTO_T_COOKIE), 0);
	assert_int_equal(proto_s2c_hdr_decode(dg, PROTO_COOKIE_LEN, &sh), PROTO_E_TYPE);
	assert_int_equal(proto_s2c_open(s, dg, PROTO_COOKIE_LEN, &sh, body, sizeof(body)),
			 PROTO_E_TYPE);
	assert_int_equal(proto_c2s_hdr_decode(dg, PROTO_COOKIE_LEN, &ch), PROTO_E_TYPE);
	assert_int_equal(proto_data_hdr_decode(dg, PROTO_COOKIE_LEN, &dh), PROTO_E_TYPE);
	assert_int_equal(proto_hello_decode(dg, PROTO_COOKIE_LEN, &h), PROTO_E_TYPE);
	dg[3] = PROTO_T_COOKIE + 1;
	assert_int_equal(proto_prefix_decode(dg, PROTO_COOKIE_LEN, &p), PROTO_E_TYPE);
	proto_session_free(s);
}

static void
test_mac_inputs(void **state)
{
	static const uint8_t uuid[16] = {0x0f, 0x8f, 0xad, 0x5b, 0xd9, 0xcb, 0x46, 0x9f,
					 0xa1, 0x65, 0x70, 0x86, 0x77, 0x28, 0x95, 0x0e};
	struct sockaddr_storage a = v4("192.0.2.1", 40000);
	struct sockaddr_storage mapped = v6("::ffff:192.0.2.1", 40000);
	struct sockaddr_storage other_addr = v4("192.0.2.2", 40000);
	struct sockaddr_storage other_port = v4("192.0.2.1", 40001);
	struct sockaddr_storage six = v6("2001:db8::1", 40000);
	uint8_t base[16], m[16], key2[32], uuid2[16];
	int i;

	(void)state;
	proto_cookie_mac(KEY, 1000, &a, uuid, base);
	proto_cookie_mac(KEY, 1000, &a, uuid, m);
	assert_memory_equal(base, m, 16); /* deterministic */
	proto_cookie_mac(KEY, 1000, &mapped, uuid, m);
	assert_memory_equal(base, m, 16); /* IPv4 is its ::ffff: form */
	proto_cookie_mac(KEY, 1001, &a, uuid, m);
	assert_memory_not_equal(base, m, 16);
	proto_cookie_mac(KEY, 1000, &other_addr, uuid, m);
	assert_memory_not_equal(base, m, 16);
	proto_cookie_mac(KEY, 1000, &other_port, uuid, m);
	assert_memory_not_equal(base, m, 16);
	proto_cookie_mac(KEY, 1000, &six, uuid, m);
	assert_memory_not_equal(base, m, 16);
	for (i = 0; i < 16; i++) {
		memcpy(uuid2, uuid, 16);
		uuid2[i] ^= 0x01;
		proto_cookie_mac(KEY, 1000, &a, uuid2, m);
		assert_memory_not_equal(base, m, 16);
	}
	for (i = 0; i < 32; i++) {
		memcpy(key2, KEY, 32);
		key2[i] ^= 0x80;
		proto_cookie_mac(key2, 1000, &a, uuid, m);
		assert_memory_not_equal(base, m, 16);
	}
}

static void
test_check_window(void **state)
{
	static const uint8_t uuid[16] = {7};
	struct sockaddr_storage a = v6("2001:db8::7", 5000), b = v6("2001:db8::8", 5000);
	uint32_t issued = 1795608000u;
	uint8_t mac[16];

	(void)state;
	proto_cookie_mac(KEY, issued, &a, uuid, mac);
	assert_int_equal(proto_cookie_check(KEY, issued, mac, &a, uuid, issued), 1);
	assert_int_equal(proto_cookie_check(KEY, issued, mac, &a, uuid, issued + 120), 1);
	assert_int_equal(proto_cookie_check(KEY, issued, mac, &a, uuid, issued + 121), 0);
	assert_int_equal(proto_cookie_check(KEY, issued, mac, &a, uuid, issued - 5), 1);
	assert_int_equal(proto_cookie_check(KEY, issued, mac, &a, uuid, issued - 6), 0);
	assert_int_equal(proto_cookie_check(KEY, issued + 1, mac, &a, uuid, issued), 0);
	assert_int_equal(proto_cookie_check(KEY, issued, mac, &b, uuid, issued), 0);
	mac[15] ^= 1;
	assert_int_equal(proto_cookie_check(KEY, issued, mac, &a, uuid, issued), 0);
}

static void
test_key(void **state)
{
	EVP_PKEY *k1 = tu_key("server.pem", 1), *k2 = tu_key("server.pem", 1);
	EVP_PKEY *cam = tu_key("camera.pem", 1);
	uint8_t a[32], b[32], c[32];

	(void)state;
	assert_non_null(k1);
	assert_non_null(k2);
	assert_non_null(cam);
	assert_int_equal(proto_cookie_key(k1, a), 0);
	assert_int_equal(proto_cookie_key(k2, b), 0); /* another load: the same key */
	assert_memory_equal(a, b, 32);
	assert_int_equal(proto_cookie_key(cam, c), 0);
	assert_memory_not_equal(a, c, 32);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
	EVP_PKEY_free(cam);
}

/* A hello's fixed fields with W = w and S = s, the rest zero. */
static void
hello_bytes(uint8_t *dg, uint16_t w, uint16_t s)
{
	proto_hello_t h = {0};

	memset(dg, 0, PROTO_MAX_DGRAM);
	h.uuid[0] = 1;
	h.date = 20782;
	h.wrapped_len = w;
	h.sig_len = s;
	assert_int_equal(proto_hello_hdr_encode(&h, dg), 64);
}

static void
test_trailer(void **state)
{
	static const uint16_t sizes[3] = {256, 384, 512};
	uint8_t dg[PROTO_MAX_DGRAM + 32], mac[16];
	size_t signed_len, base, len;
	uint32_t issued;
	int i, j, rc;

	(void)state;
	for (i = 0; i < 3; i++)
		for (j = 0; j < 3; j++) {
			hello_bytes(dg, sizes[i], sizes[j]);
			base = 64 + (size_t)sizes[i] + sizes[j];
			proto_put32(dg + base, 0x6a000001);
			memset(dg + base + 4, 0xab, 16);
			signed_len = 0;
			assert_int_equal(proto_hello_trailer(dg, base, &signed_len, &issued, mac),
					 0);
			assert_int_equal(signed_len, base);
			issued = 0;
			memset(mac, 0, 16);
			assert_int_equal(
			    proto_hello_trailer(dg, base + 20, &signed_len, &issued, mac), 1);
			assert_int_equal(signed_len, base);
			assert_int_equal(issued, 0x6a000001);
			for (rc = 0; rc < 16; rc++)
				assert_int_equal(mac[rc], 0xab);
			for (len = 0; len <= PROTO_MAX_DGRAM + 1; len++) {
				if (len == base || len == base + 20)
					continue;
				rc = proto_hello_trailer(dg, len, &signed_len, &issued, mac);
				if (len > PROTO_MAX_DGRAM)
					assert_int_equal(rc, PROTO_E_OVERSIZE);
				else if (len < base)
					assert_int_equal(rc, PROTO_E_SHORT);
				else
					assert_int_equal(rc, PROTO_E_LENGTH);
			}
		}
	hello_bytes(dg, 256, 256);
	proto_put16(dg + 60, 255);
	assert_int_equal(proto_hello_trailer(dg, 64 + 255 + 256, &signed_len, &issued, mac),
			 PROTO_E_FIELD);
	hello_bytes(dg, 256, 256);
	proto_put16(dg + 62, 1024);
	assert_int_equal(proto_hello_trailer(dg, 64 + 256 + 1024, &signed_len, &issued, mac),
			 PROTO_E_FIELD);
	hello_bytes(dg, 256, 256);
	dg[3] = PROTO_T_DATA;
	assert_int_equal(proto_hello_trailer(dg, 576, &signed_len, &issued, mac), PROTO_E_TYPE);
	dg[3] = PROTO_T_COOKIE;
	assert_int_equal(proto_hello_trailer(dg, 576, &signed_len, &issued, mac), PROTO_E_TYPE);
}

/* A real hello with a trailer: the trailer is outside the signature. */
static void
test_trailer_signed_hello(void **state)
{
	EVP_PKEY *cam_priv = tu_key("camera.pem", 1), *cam_pub = tu_key("camera.pub", 0);
	EVP_PKEY *srv_pub = tu_key("server.pub", 0);
	uint8_t dg[PROTO_MAX_DGRAM], secret[32] = {9}, mac[16];
	proto_hello_t h = {0}, back;
	size_t signed_len;
	uint32_t issued;
	int n;

	(void)state;
	assert_non_null(cam_priv);
	assert_non_null(cam_pub);
	assert_non_null(srv_pub);
	h.uuid[0] = 3;
	h.date = 20782;
	h.camera_ms = 1795608000000ull;
	n = proto_hello_seal(cam_priv, srv_pub, &h, secret, dg, sizeof(dg));
	assert_int_equal(n, 576);
	proto_put32(dg + n, 1795608000u);
	memset(dg + n + 4, 0x77, 16);
	assert_int_equal(proto_hello_verify(dg, (size_t)n + 20, cam_pub, &back), PROTO_E_LENGTH);
	assert_int_equal(proto_hello_trailer(dg, (size_t)n + 20, &signed_len, &issued, mac), 1);
	assert_int_equal(signed_len, (size_t)n);
	assert_int_equal(proto_hello_verify(dg, signed_len, cam_pub, &back), 0);
	EVP_PKEY_free(cam_priv);
	EVP_PKEY_free(cam_pub);
	EVP_PKEY_free(srv_pub);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_encode_decode),
	    cmocka_unit_test(test_decode_refuses),
	    cmocka_unit_test(test_type_nine_elsewhere),
	    cmocka_unit_test(test_mac_inputs),
	    cmocka_unit_test(test_check_window),
	    cmocka_unit_test(test_key),
	    cmocka_unit_test(test_trailer),
	    cmocka_unit_test(test_trailer_signed_hello),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
