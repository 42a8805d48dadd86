/*
 * NAME
 *	test_auth.c - users file, scrypt passwords, tokens
 *
 * DESCRIPTION
 *	A user formats to a line that parses back to the same user; the
 *	password checks with scrypt and a wrong one does not; a token
 *	checks until it expires, and a changed byte or another key fails.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "auth.h"
#include "proto.h"

static void
test_users(void **state)
{
	auth_user_t u = {0};
	auth_users_t us;
	char line[512];
	int n, bad = 0;

	(void)state;
	snprintf(u.name, sizeof(u.name), "alice");
	assert_int_equal(proto_uuid_parse("0f8fad5b-d9cb-469f-a165-70867728950e", u.cameras[0]), 0);
	u.ncameras = 1;
	assert_int_equal(auth_password_set(&u, "correct horse"), 0);
	assert_int_equal(auth_password_check(&u, "correct horse"), 1);
	assert_int_equal(auth_password_check(&u, "correct hors"), 0);
	assert_true((n = auth_user_format(&u, line, sizeof(line))) > 0);
	assert_int_equal(auth_users_parse(line, (size_t)n, &us, NULL), 0);
	assert_int_equal(us.n, 1);
	assert_memory_equal(&us.u[0], &u, sizeof(u));
	assert_true(auth_user_may(&us.u[0], u.cameras[0]));
	uint8_t other[16] = {1};
	assert_false(auth_user_may(&us.u[0], other));
	auth_users_free(&us);
	/* bad lines name themselves */
	static const char text[] = "# users\n\nbob scrypt 16384 8 1 00 11 all\n";
	assert_int_equal(auth_users_parse(text, sizeof(text) - 1, &us, &bad), -EINVAL);
	assert_int_equal(bad, 3);
	assert_false(auth_name_valid("a b"));
	assert_false(auth_name_valid("a.b"));
	assert_true(auth_name_valid("ops-1_x"));
}

static void
test_tokens(void **state)
{
	uint8_t key[AUTH_KEY_LEN] = {7}, key2[AUTH_KEY_LEN] = {8};
	char tok[AUTH_TOKEN_MAX], name[AUTH_NAME_MAX + 1];
	auth_user_t u = {0}, v;

	(void)state;
	snprintf(u.name, sizeof(u.name), "alice");
	u.salt[0] = 1;
	assert_int_equal(auth_token_make(key, &u, 2000, tok, sizeof(tok)), 0);
	assert_int_equal(auth_token_name(tok, name), 0);
	assert_string_equal(name, "alice");
	assert_int_equal(auth_token_check(key, tok, &u, 1999, 3600), 0);
	assert_int_equal(auth_token_check(key, tok, &u, 2001, 3600), -EACCES);
	assert_int_equal(auth_token_check(key2, tok, &u, 1999, 3600), -EACCES);
	/* issued for longer than the lifetime allows now */
	assert_int_equal(auth_token_check(key, tok, &u, 1000, 999), -EACCES);
	assert_int_equal(auth_token_check(key, tok, &u, 1000, 1000), 0);
	/* a new password (salt) or another user of the same name: refused */
	v = u;
	v.salt[0] = 2;
	assert_int_equal(auth_token_check(key, tok, &v, 1999, 3600), -EACCES);
	v = u;
	snprintf(v.name, sizeof(v.name), "alicf");
	assert_int_equal(auth_token_check(key, tok, &v, 1999, 3600), -EACCES);
	tok[2] = 'x';
	assert_int_equal(auth_token_check(key, tok, &u, 1999, 3600), -EACCES);
	assert_int_equal(auth_token_check(key, "", &u, 0, 3600), -EACCES);
	assert_int_equal(auth_token_name("", name), -EACCES);
	snprintf(v.name, sizeof(v.name), "no.dots");
	assert_int_equal(auth_token_make(key, &v, 2000, tok, sizeof(tok)), -EINVAL);
}

static void
test_dummy(void **state)
{
	auth_user_t d, u = {0};

	(void)state;
	assert_int_equal(auth_user_dummy(&d), 0);
	assert_int_equal(auth_password_set(&u, ""), 0);
	/* the parameters of a real record: the same work to refuse */
	assert_true(d.N == u.N && d.r == u.r && d.p == u.p);
	assert_int_equal(auth_password_check(&d, ""), 0);
	assert_int_equal(auth_password_check(&d, "x"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_users),
	    cmocka_unit_test(test_tokens),
	    cmocka_unit_test(test_dummy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
