/*
 * NAME
 *	test_record.c - storage file header and record header codecs
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "proto.h"
#include "proto_record.h"

static const uint8_t uuid[16] = {0x0f, 0x8f, 0xad, 0x5b, 0xd9, 0xcb, 0x46, 0x9f,
				 0xa1, 0x65, 0x70, 0x86, 0x77, 0x28, 0x95, 0x0e};

static void
fill_meta(proto_rec_meta_t *m)
{
	static const uint8_t a[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 7};

	memset(m, 0, sizeof(*m));
	m->arrival_ns = 1795608000123456789ull;
	memcpy(m->addr, a, 16);
	m->port = 40000;
}

static void
test_file_hdr_roundtrip(void **state)
{
	proto_file_hdr_t h = {.date = 20782, .created_ms = 1795608000000ull}, back;
	uint8_t b[PROTO_FILE_HDR_LEN];

	(void)state;
	memcpy(h.uuid, uuid, 16);
	proto_file_hdr_encode(&h, b);
	assert_memory_equal(b, "VIGILDAY", 8);
	assert_int_equal(proto_get16(b + 8), 1);
	assert_int_equal(proto_get16(b + 10), 64);
	assert_memory_equal(b + 16, uuid, 16);
	assert_int_equal(proto_get32(b + 32), 20782);
	assert_int_equal(proto_get64(b + 40), 1795608000000ull);
	assert_int_equal(proto_get32(b + 60), proto_crc32c(0, b, 60));
	assert_int_equal(proto_file_hdr_decode(b, sizeof(b), &back), 0);
	assert_memory_equal(back.uuid, uuid, 16);
	assert_int_equal(back.date, 20782);
	assert_int_equal(back.created_ms, 1795608000000ull);
}

static void
test_file_hdr_reject(void **state)
{
	proto_file_hdr_t h = {.date = 20782, .created_ms = 1}, back;
	uint8_t b[PROTO_FILE_HDR_LEN], c[PROTO_FILE_HDR_LEN];
	size_t i;

	(void)state;
	memcpy(h.uuid, uuid, 16);
	proto_file_hdr_encode(&h, b);
	assert_int_equal(proto_file_hdr_decode(b, 63, &back), PROTO_E_SHORT);
	memcpy(c, b, sizeof(c));
	c[3] ^= 0x20;
	assert_int_equal(proto_file_hdr_decode(c, sizeof(c), &back), PROTO_E_MAGIC);
	memcpy(c, b, sizeof(c));
	proto_put16(c + 8, 2);
	assert_int_equal(proto_file_hdr_decode(c, sizeof(c), &back), PROTO_E_VERSION);
	/* Every single bit flip after the version is caught. */
	for (i = 10 * 8; i < PROTO_FILE_HDR_LEN * 8; i++) {
		memcpy(c, b, sizeof(c));
		c[i / 8] ^= (uint8_t)(1u << (i % 8));
		assert_int_equal(proto_file_hdr_decode(c, sizeof(c), &back), PROTO_E_CRC);
	}
	/* Reserved bytes and header length with a correct CRC. */
	memcpy(c, b, sizeof(c));
	c[50] = 1;
	proto_put32(c + 60, proto_crc32c(0, c, 60));
	assert_int_equal(proto_file_hdr_decode(c, sizeof(c), &back), PROTO_E_FIELD);
	memcpy(c, b, sizeof(c));
	proto_put16(c + 10, 80);
	proto_put32(c + 60, proto_crc32c(0, c, 60));
	assert_int_equal(proto_file_hdr_decode(c, sizeof(c), &back), PROTO_E_FIELD);
}

static void
test_file_path(void **state)
{
	char p[128];

	(void)state;
	assert_int_equal(proto_file_path("DATA", uuid, 20782, p, sizeof(p)), 0);
	assert_string_equal(p, "DATA/0f8fad5b-d9cb-469f-a165-70867728950e/2026-11-25.vgl");
	assert_int_equal(proto_file_path("DATA", uuid, 20782, p, 20), PROTO_E_OVERSIZE);
}

static void
test_rec_roundtrip(void **state)
{
	uint8_t rec[PROTO_REC_MAX_LEN], dg[PROTO_MAX_DGRAM];
	proto_rec_meta_t m;
	proto_rec_t r;
	size_t len, i;

	(void)state;
	fill_meta(&m);
	for (i = 0; i < sizeof(dg); i++)
		dg[i] = (uint8_t)(i * 31 + 7);
	for (len = 1; len <= PROTO_MAX_DGRAM; len += 97) {
		assert_int_equal(proto_rec_encode(&m, dg, len, rec), 0);
		memcpy(rec + PROTO_REC_HDR_LEN, dg, len);
		assert_memory_equal(rec, "VREC", 4);
		assert_int_equal(proto_get16(rec + 4), len);
		assert_int_equal(proto_get16(rec + 6), 0);
		assert_int_equal(proto_get64(rec + 8), m.arrival_ns);
		assert_memory_equal(rec + 16, m.addr, 16);
		assert_int_equal(proto_get16(rec + 32), 40000);
		assert_int_equal(proto_get16(rec + 34), 0);
		assert_int_equal(proto_rec_decode(rec, PROTO_REC_HDR_LEN + len, &r),
				 PROTO_REC_HDR_LEN + (int)len);
		assert_int_equal(r.len, len);
		assert_ptr_equal(r.dgram, rec + PROTO_REC_HDR_LEN);
		assert_int_equal(r.meta.arrival_ns, m.arrival_ns);
		assert_int_equal(r.meta.port, 40000);
		assert_int_equal(r.meta.flags, 0);
		assert_memory_equal(r.meta.addr, m.addr, 16);
		/* Extra bytes after the record are not its business. */
		assert_int_equal(proto_rec_decode(rec, sizeof(rec), &r),
				 PROTO_REC_HDR_LEN + (int)len);
	}
}

static void
test_rec_reject(void **state)
{
	uint8_t rec[PROTO_REC_HDR_LEN + 100], dg[PROTO_MAX_DGRAM + 1] = {1}, c[sizeof(rec)];
	proto_rec_meta_t m;
	proto_rec_t r;
	size_t i;

	(void)state;
	fill_meta(&m);
	assert_int_equal(proto_rec_encode(&m, dg, 0, rec), PROTO_E_SHORT);
	assert_int_equal(proto_rec_encode(&m, dg, PROTO_MAX_DGRAM + 1, rec), PROTO_E_OVERSIZE);
	m.flags = 0x8000;
	assert_int_equal(proto_rec_encode(&m, dg, 10, rec), PROTO_E_FIELD);
	m.flags = 0;
	m.addr[10] = 0;
	assert_int_equal(proto_rec_encode(&m, dg, 10, rec), PROTO_E_FIELD);
	m.flags = PROTO_REC_F_IPV6; /* any address is an IPv6 address */
	assert_int_equal(proto_rec_encode(&m, dg, 10, rec), 0);
	fill_meta(&m);

	assert_int_equal(proto_rec_encode(&m, dg, 100, rec), 0);
	memcpy(rec + PROTO_REC_HDR_LEN, dg, 100);
	assert_int_equal(proto_rec_decode(rec, 39, &r), PROTO_E_SHORT);
	for (i = PROTO_REC_HDR_LEN; i < sizeof(rec); i++)
		assert_int_equal(proto_rec_decode(rec, i, &r), PROTO_E_TORN);
	memcpy(c, rec, sizeof(c));
	c[0] = 'v';
	assert_int_equal(proto_rec_decode(c, sizeof(c), &r), PROTO_E_MAGIC);
	memcpy(c, rec, sizeof(c));
	proto_put16(c + 4, 0);
	assert_int_equal(proto_rec_decode(c, sizeof(c), &r), PROTO_E_OVERSIZE);
	proto_put16(c + 4, PROTO_MAX_DGRAM + 1);
	assert_int_equal(proto_rec_decode(c, sizeof(c), &r), PROTO_E_OVERSIZE);
	memcpy(c, rec, sizeof(c));
	c[6] = 0x80;
	assert_int_equal(proto_rec_decode(c, sizeof(c), &r), PROTO_E_FIELD);
	memcpy(c, rec, sizeof(c));
	c[35] = 1;
	assert_int_equal(proto_rec_decode(c, sizeof(c), &r), PROTO_E_FIELD);
	/* Any bit flip in the CRC-covered fields or the datagram: CRC. */
	for (i = 8 * 8; i < sizeof(rec) * 8; i++) {
		if (i / 8 >= 34 && i / 8 < 36)
			continue;
		memcpy(c, rec, sizeof(c));
		c[i / 8] ^= (uint8_t)(1u << (i % 8));
		assert_int_equal(proto_rec_decode(c, sizeof(c), &r), PROTO_E_CRC);
	}
}

static void
test_rec_addr(void **state)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(5004)};
	struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6, .sin6_port = htons(6000)};
	struct sockaddr_storage ss;
	proto_rec_meta_t m = {0};
	socklen_t sl;
	uint8_t hdr[PROTO_REC_HDR_LEN];

	(void)state;
	inet_pton(AF_INET, "198.51.100.9", &sin.sin_addr);
	assert_int_equal(proto_rec_meta_set_addr(&m, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(m.flags, 0);
	assert_int_equal(m.port, 5004);
	assert_int_equal(m.addr[10], 0xff);
	assert_int_equal(m.addr[12], 198);
	assert_int_equal(proto_rec_encode(&m, hdr, 1, hdr), 0);
	assert_int_equal(proto_rec_meta_get_addr(&m, &ss, &sl), 0);
	assert_int_equal(sl, sizeof(sin));
	assert_memory_equal(&ss, &sin, sizeof(sin));

	inet_pton(AF_INET6, "2001:db8::17", &sin6.sin6_addr);
	assert_int_equal(proto_rec_meta_set_addr(&m, (struct sockaddr *)&sin6, sizeof(sin6)), 0);
	assert_int_equal(m.flags, PROTO_REC_F_IPV6);
	assert_int_equal(m.port, 6000);
	assert_int_equal(proto_rec_meta_get_addr(&m, &ss, &sl), 0);
	assert_int_equal(sl, sizeof(sin6));
	assert_memory_equal(&ss, &sin6, sizeof(sin6));

	sin.sin_family = AF_UNIX;
	assert_int_equal(proto_rec_meta_set_addr(&m, (struct sockaddr *)&sin, sizeof(sin)),
			 PROTO_E_FIELD);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_file_hdr_roundtrip), cmocka_unit_test(test_file_hdr_reject),
	    cmocka_unit_test(test_file_path),          cmocka_unit_test(test_rec_roundtrip),
	    cmocka_unit_test(test_rec_reject),         cmocka_unit_test(test_rec_addr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
