/*
 * NAME
 *	test_err.c - every error libproto returns has a name of its own
 *
 * DESCRIPTION
 *	proto_strerror() names every PROTO_E_* code, each differently, and
 *	the -errno values libproto passes on from the system with
 *	strerror()'s text; a code neither list knows is named by number.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "proto.h"

static void
test_proto_codes(void **state)
{
	int a, b;

	(void)state;
	assert_string_equal(proto_strerror(PROTO_OK), "ok");
	for (a = PROTO_E_LOWEST; a <= PROTO_E_SHORT; a++) {
		const char *s = proto_strerror(a);
		assert_non_null(s);
		assert_true(strlen(s) > 0);
		assert_null(strstr(s, "nknown error"));
		for (b = a + 1; b <= PROTO_E_SHORT; b++)
			assert_string_not_equal(s, proto_strerror(b));
	}
}

static void
test_errno_codes(void **state)
{
	static const int codes[] = {ENOENT, ENOMEM, EINVAL, ERANGE, EIO, EACCES, ENOSPC};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		const char *s = proto_strerror(-codes[i]);
		assert_string_equal(s, strerror(codes[i]));
		assert_null(strstr(s, "nknown error"));
	}
	/* -ENOMEM and PROTO_E_NOMEM are two codes, both named */
	assert_string_not_equal(proto_strerror(-ENOMEM), proto_strerror(-EIO));
}

static void
test_unlisted_code(void **state)
{
	(void)state;
	assert_string_equal(proto_strerror(PROTO_E_LOWEST - 1), "error -1023");
	assert_string_equal(proto_strerror(7), "error 7");
}

static void
test_errmsg(void **state)
{
	(void)state;
	proto_set_errmsg("x=%d", 42);
	assert_string_equal(proto_errmsg(), "x=42");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_proto_codes),
	    cmocka_unit_test(test_errno_codes),
	    cmocka_unit_test(test_unlisted_code),
	    cmocka_unit_test(test_errmsg),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
