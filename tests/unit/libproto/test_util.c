/*
 * NAME
 *	test_util.c - libproto dates, UUIDs, hex, option numbers and the descriptor limit
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>

#include <cmocka.h>

#include "proto.h"

static void
test_date_known(void **state)
{
	char buf[11];
	uint32_t d;

	(void)state;
	proto_date_fmt(0, buf);
	assert_string_equal(buf, "1970-01-01");
	/* 2026-11-25T12:00:00Z = 1795608000 s */
	assert_int_equal(proto_date_from_ms(1795608000000ull), 20782);
	proto_date_fmt(20782, buf);
	assert_string_equal(buf, "2026-11-25");
	assert_int_equal(proto_date_parse("2026-11-25", &d), 0);
	assert_int_equal(d, 20782);
	/* leap day and the day after the end of a leap February */
	assert_int_equal(proto_date_parse("2024-02-29", &d), 0);
	proto_date_fmt(d + 1, buf);
	assert_string_equal(buf, "2024-03-01");
	/* midnight boundary: last ms of a day and first ms of the next */
	assert_int_equal(proto_date_from_ms(86400000ull * 20782 - 1), 20781);
	assert_int_equal(proto_date_from_ms(86400000ull * 20782), 20782);
}

static void
test_date_roundtrip(void **state)
{
	char buf[11];
	uint32_t d, back;

	(void)state;
	for (d = 0; d < 80000; d += 7) {
		proto_date_fmt(d, buf);
		assert_int_equal(proto_date_parse(buf, &back), 0);
		assert_int_equal(back, d);
	}
}

static void
test_date_reject(void **state)
{
	static const char *bad[] = {"2026-02-30", "2025-02-29", "2026-13-01", "2026-00-10",
				    "1969-12-31", "2026-1-01", "2026-01-01x", "", "abcd-ef-gh",
				    /* sscanf would take these */
				    "2026-11-+5", "2026-11- 5", "+026-11-25", "2026-+1-25"};
	uint32_t d;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(proto_date_parse(bad[i], &d), PROTO_E_FIELD);
}

static void
test_uuid(void **state)
{
	uint8_t u[PROTO_UUID_LEN], v[PROTO_UUID_LEN];
	char s[37];
	int i;

	(void)state;
	for (i = 0; i < 100; i++) {
		proto_uuid_v4(u);
		assert_int_equal(u[6] >> 4, 4);
		assert_int_equal(u[8] >> 6, 2);
		proto_uuid_fmt(u, s);
		assert_int_equal(strlen(s), 36);
		assert_int_equal(s[14], '4');
		assert_int_equal(proto_uuid_parse(s, v), 0);
		assert_memory_equal(u, v, PROTO_UUID_LEN);
	}
	assert_int_equal(proto_uuid_parse("0f8fad5b-d9cb-469f-a165-70867728950e", v), 0);
	assert_int_equal(v[0], 0x0f);
	assert_int_equal(v[15], 0x0e);
	assert_int_equal(proto_uuid_parse("0f8fad5b-d9cb-469f-a165-70867728950", v), PROTO_E_FIELD);
	assert_int_equal(proto_uuid_parse("0f8fad5b-d9cb-469f-a165-70867728950ee", v),
			 PROTO_E_FIELD);
	assert_int_equal(proto_uuid_parse("0f8fad5bxd9cb-469f-a165-70867728950e", v),
			 PROTO_E_FIELD);
	assert_int_equal(proto_uuid_parse("0g8fad5b-d9cb-469f-a165-70867728950e", v),
			 PROTO_E_FIELD);
}

/* A typo in an option is refused, never read as 0 or as the digits before it. */
static void
test_parse_numbers(void **state)
{
	static const char *notnum[] = {"",    " ",   "abc", "1x",  "12 ", "0x10",
				       "1e3", "--1", "+",   "1.5", "one"};
	int i = 7;
	long l = 7;
	uint32_t u32 = 7;
	uint64_t u64 = 7;
	double d = 7;
	size_t k;

	(void)state;
	assert_int_equal(proto_parse_int("--fps", "25", 1, 1000, &i), 0);
	assert_int_equal(i, 25);
	assert_int_equal(proto_parse_int("--fps", " +30", 1, 1000, &i), 0);
	assert_int_equal(i, 30);
	assert_int_equal(proto_parse_int("--signal", "-1", -1, 100, &i), 0);
	assert_int_equal(i, -1);
	assert_int_equal(proto_parse_int("--fps", "1000", 1, 1000, &i), 0);
	assert_int_equal(proto_parse_int("--fps", "1001", 1, 1000, &i), -ERANGE);
	assert_string_equal(proto_errmsg(), "--fps: 1001 is outside 1..1000");
	assert_int_equal(proto_parse_int("--fps", "0", 1, 1000, &i), -ERANGE);
	assert_int_equal(proto_parse_int("--fps", "99999999999999999999", 1, 1000, &i), -ERANGE);
	assert_int_equal(i, 1000);
	for (k = 0; k < sizeof(notnum) / sizeof(notnum[0]); k++) {
		assert_int_equal(proto_parse_int("-n", notnum[k], INT_MIN, INT_MAX, &i), -EINVAL);
		assert_int_equal(proto_parse_long("-n", notnum[k], LONG_MIN, LONG_MAX, &l),
				 -EINVAL);
		assert_int_equal(proto_parse_u64("-n", notnum[k], UINT64_MAX, &u64), -EINVAL);
	}
	assert_int_equal(i, 1000); /* untouched by a refusal */
	assert_int_equal(proto_parse_int("--fps", "abc", 1, 1000, &i), -EINVAL);
	assert_string_equal(proto_errmsg(), "--fps: \"abc\" is not a number");
	assert_int_equal(proto_parse_int("VIGIL_X", NULL, 0, 1, &i), -EINVAL);

	assert_int_equal(proto_parse_long("-O", "-86400000", LONG_MIN, LONG_MAX, &l), 0);
	assert_int_equal(l, -86400000L);
	assert_int_equal(proto_parse_long("-O", "9223372036854775808", LONG_MIN, LONG_MAX, &l),
			 -ERANGE);

	assert_int_equal(proto_parse_u64("--store-max", "18446744073709551615", UINT64_MAX, &u64),
			 0);
	assert_true(u64 == UINT64_MAX);
	assert_int_equal(proto_parse_u64("--store-max", "18446744073709551616", UINT64_MAX, &u64),
			 -ERANGE);
	/* strtoull() would take "-1" as 2^64 - 1 */
	assert_int_equal(proto_parse_u64("--store-max", "-1", UINT64_MAX, &u64), -EINVAL);
	assert_int_equal(proto_parse_u32("-r", "4294967295", UINT32_MAX, &u32), 0);
	assert_true(u32 == UINT32_MAX);
	assert_int_equal(proto_parse_u32("-r", "4294967296", UINT32_MAX, &u32), -ERANGE);
	assert_int_equal(proto_parse_u32("-r", "-5", UINT32_MAX, &u32), -EINVAL);

	assert_int_equal(proto_parse_double("--telemetry-hz", "0.5", 0.01, 1000, &d), 0);
	assert_true(d == 0.5);
	assert_int_equal(proto_parse_double("--telemetry-hz", ".25", 0.01, 1000, &d), 0);
	assert_true(d == 0.25);
	assert_int_equal(proto_parse_double("--telemetry-hz", "2e1", 0.01, 1000, &d), 0);
	assert_true(d == 20);
	assert_int_equal(proto_parse_double("--telemetry-hz", "0.001", 0.01, 1000, &d), -ERANGE);
	assert_int_equal(proto_parse_double("--telemetry-hz", "1e999", 0.01, 1e300, &d), -ERANGE);
	assert_int_equal(proto_parse_double("--telemetry-hz", "nan", 0, 1000, &d), -EINVAL);
	assert_int_equal(proto_parse_double("--telemetry-hz", "inf", 0, 1000, &d), -EINVAL);
	assert_int_equal(proto_parse_double("--telemetry-hz", "1,5", 0, 1000, &d), -EINVAL);
	assert_int_equal(proto_parse_double("--telemetry-hz", "0x1p3", 0, 1000, &d), -EINVAL);
	assert_int_equal(proto_parse_double("--telemetry-hz", "-", 0, 1000, &d), -EINVAL);
	assert_true(d == 20);
}

/* The descriptor limit is raised to what is asked, at most the hard limit, never lowered. */
static void
test_nofile_raise(void **state)
{
	struct rlimit before, after;

	(void)state;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &before), 0);
	assert_true(proto_nofile_raise(1) == before.rlim_cur); /* never lower */
	uint64_t got = proto_nofile_raise(UINT64_MAX);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &after), 0);
	assert_true(got == after.rlim_cur);
	assert_true(after.rlim_cur ==
		    after.rlim_max); /* any process may raise its soft limit to the hard one */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_date_known),    cmocka_unit_test(test_date_roundtrip),
	    cmocka_unit_test(test_date_reject),   cmocka_unit_test(test_uuid),
	    cmocka_unit_test(test_parse_numbers), cmocka_unit_test(test_nofile_raise),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
