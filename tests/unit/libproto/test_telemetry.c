/*
 * NAME
 *	test_telemetry.c - the telemetry record (libproto/telemetry.c)
 *
 * DESCRIPTION
 *	The record of docs/PROTOCOL.md's telemetry vector encodes to the
 *	documented bytes and decodes back field for field; the older
 *	24-byte record still decodes (no accelerometer); every field out of
 *	range, a reserved byte set and every other length are refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto.h"
#include "testutil.h"

static const proto_telemetry_t REC = {
    .time_ms = 1795608000000ull,
    .lat_e7 = 488576000,
    .lon_e7 = 23470000,
    .speed_cms = 140,
    .heading_cdeg = 9000,
    .battery = 87,
    .signal = 64,
    .flags = PROTO_TM_F_GNSS,
    .accel_mg = {-40, 25, 1012},
};

static void
test_vector(void **state)
{
	uint8_t b[PROTO_TELEMETRY_LEN], want[64];
	proto_telemetry_t t;
	char *doc = tu_doc_vector("docs/PROTOCOL.md", "telemetry"), *got;

	(void)state;
	assert_int_equal(proto_telemetry_encode(&REC, b, sizeof(b)), PROTO_TELEMETRY_LEN);
	got = tu_hex(b, sizeof(b));
	if (getenv("VIGIL_PRINT_VECTORS"))
		printf("<!-- vector: telemetry -->\n```\n%s\n```\n", got);
	assert_non_null(doc);
	assert_string_equal(doc, got);
	assert_int_equal(tu_unhex(doc, want, sizeof(want)), PROTO_TELEMETRY_LEN);
	assert_int_equal(proto_telemetry_decode(want, PROTO_TELEMETRY_LEN, &t), 0);
	assert_memory_equal(&t, &REC, sizeof(t));
	free(doc);
	free(got);
}

static void
test_short_record(void **state)
{
	uint8_t b[PROTO_TELEMETRY_LEN];
	proto_telemetry_t t;

	(void)state;
	proto_telemetry_encode(&REC, b, sizeof(b));
	assert_int_equal(proto_telemetry_decode(b, PROTO_TELEMETRY_LEN_V0, &t), 0);
	assert_int_equal(t.lat_e7, REC.lat_e7);
	assert_int_equal(t.signal, REC.signal);
	assert_int_equal(t.accel_mg[2], 0);
}

static void
test_refused(void **state)
{
	uint8_t b[PROTO_TELEMETRY_LEN + 1], c[PROTO_TELEMETRY_LEN + 1];
	proto_telemetry_t t, bad;
	size_t len;
	int i;

	(void)state;
	proto_telemetry_encode(&REC, b, sizeof(b));
	for (len = 0; len <= sizeof(b); len++)
		if (len != PROTO_TELEMETRY_LEN && len != PROTO_TELEMETRY_LEN_V0)
			assert_true(proto_telemetry_decode(b, len, &t) < 0);
	const int offs[] = {8, 12, 18, 20, 21, 22, 23, 30, 31};
	for (i = 0; i < (int)(sizeof(offs) / sizeof(offs[0])); i++) {
		memcpy(c, b, sizeof(b));
		c[offs[i]] = 0xff;
		if (offs[i] == 8 || offs[i] == 12)
			c[offs[i]] = 0x7f; /* latitude or longitude far beyond range */
		assert_int_equal(proto_telemetry_decode(c, PROTO_TELEMETRY_LEN, &t), PROTO_E_FIELD);
	}
	bad = REC;
	bad.heading_cdeg = 36000;
	assert_int_equal(proto_telemetry_encode(&bad, b, sizeof(b)), PROTO_E_FIELD);
	bad = REC;
	bad.battery = 101;
	assert_int_equal(proto_telemetry_encode(&bad, b, sizeof(b)), PROTO_E_FIELD);
	assert_int_equal(proto_telemetry_encode(&REC, b, PROTO_TELEMETRY_LEN - 1), PROTO_E_SHORT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vector),
	    cmocka_unit_test(test_short_record),
	    cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
