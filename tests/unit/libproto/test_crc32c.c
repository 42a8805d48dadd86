/*
 * NAME
 *	test_crc32c.c - CRC-32C known answers, chaining, software against SSE4.2
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto.h"
#include "proto_record.h"

static void
test_known_answers(void **state)
{
	static const uint8_t zeros[32],
	    ones[32] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
			0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
			0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	uint8_t inc[32], dec[32];
	int i;

	(void)state;
	for (i = 0; i < 32; i++) {
		inc[i] = (uint8_t)i;
		dec[i] = (uint8_t)(31 - i);
	}
	/* The check value, and the RFC 3720 (iSCSI) B.4 examples. */
	assert_int_equal(proto_crc32c(0, "123456789", 9), 0xE3069283);
	assert_int_equal(proto_crc32c_sw(0, "123456789", 9), 0xE3069283);
	assert_int_equal(proto_crc32c_hw(0, "123456789", 9), 0xE3069283);
	assert_int_equal(proto_crc32c(0, zeros, 32), 0x8A9136AA);
	assert_int_equal(proto_crc32c(0, ones, 32), 0x62A8AB43);
	assert_int_equal(proto_crc32c(0, inc, 32), 0x46DD794E);
	assert_int_equal(proto_crc32c(0, dec, 32), 0x113FDB5C);
	assert_int_equal(proto_crc32c_sw(0, dec, 32), 0x113FDB5C);
	assert_int_equal(proto_crc32c(0, "", 0), 0);
	assert_int_equal(proto_crc32c(0, "a", 1), 0xC1D04330);
}

static void
test_chaining(void **state)
{
	const char *s = "The quick brown fox jumps over the lazy dog";
	size_t n = strlen(s), cut;
	uint32_t whole = proto_crc32c(0, s, n);

	(void)state;
	assert_int_equal(whole, 0x22620404);
	for (cut = 0; cut <= n; cut++) {
		assert_int_equal(proto_crc32c(proto_crc32c(0, s, cut), s + cut, n - cut), whole);
		assert_int_equal(proto_crc32c_sw(proto_crc32c_sw(0, s, cut), s + cut, n - cut),
				 whole);
	}
}

static void
test_sw_against_hw(void **state)
{
	uint8_t *buf;
	size_t len, off;
	int i;

	(void)state;
	if (!proto_crc32c_hw_available())
		print_message("no SSE4.2: both paths are the software one\n");
	buf = malloc(16384 + 16);
	assert_non_null(buf);
	srandom(7);
	for (i = 0; i < 16384 + 16; i++)
		buf[i] = (uint8_t)random();
	/* Every alignment and many lengths, so that head, body and tail loops all run. */
	for (off = 0; off < 16; off++)
		for (len = 0; len < 800; len++)
			assert_int_equal(proto_crc32c_sw(0, buf + off, len),
					 proto_crc32c_hw(0, buf + off, len));
	for (i = 0; i < 200; i++) {
		off = (size_t)random() % 16;
		len = (size_t)random() % (i < 100 ? 4097 : 16385); /* several full steps */
		assert_int_equal(proto_crc32c_sw(0x12345678, buf + off, len),
				 proto_crc32c_hw(0x12345678, buf + off, len));
		assert_int_equal(proto_crc32c(0, buf + off, len),
				 proto_crc32c_sw(0, buf + off, len));
	}
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_known_answers),
	    cmocka_unit_test(test_chaining),
	    cmocka_unit_test(test_sw_against_hw),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
