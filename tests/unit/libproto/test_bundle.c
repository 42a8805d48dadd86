/*
 * NAME
 *	test_bundle.c - libproto/bundle.c: the evidence bundle's line
 *	parsers, signatures and key wrapping
 *
 * DESCRIPTION
 *	Manifest and secrets lines parse to their fields; an absolute path,
 *	a path with "..", bad hex or a malformed number is refused. A
 *	signature made with the server test key verifies with its public
 *	key and not after a changed byte; a secret wrapped for the public
 *	key unwraps with the private one only.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "proto_bundle.h"
#include "testutil.h"

static void
test_bundle_lines(void **state)
{
	uint8_t sha[32], w[16];
	uint32_t date, session;
	char rel[64], line[200];

	(void)state;
	memset(line, 'a', 64);
	strcpy(line + 64, "  dir/file.vgl\n");
	assert_int_equal(proto_manifest_parse(line, sha, rel, sizeof(rel)), 0);
	assert_string_equal(rel, "dir/file.vgl");
	assert_int_equal(sha[0], 0xaa);
	strcpy(line + 64, "  ../etc/passwd");
	assert_int_equal(proto_manifest_parse(line, sha, rel, sizeof(rel)), PROTO_E_FIELD);
	strcpy(line + 64, "  /etc/passwd");
	assert_int_equal(proto_manifest_parse(line, sha, rel, sizeof(rel)), PROTO_E_FIELD);
	strcpy(line + 64, " x");
	assert_int_equal(proto_manifest_parse(line, sha, rel, sizeof(rel)), PROTO_E_FIELD);
	line[3] = 'g';
	strcpy(line + 64, "  a");
	assert_int_equal(proto_manifest_parse(line, sha, rel, sizeof(rel)), PROTO_E_FIELD);

	assert_int_equal(
	    proto_secret_parse("session 20782 7 00ff10\n", &date, &session, w, sizeof(w)), 3);
	assert_int_equal(date, 20782);
	assert_int_equal(session, 7);
	assert_int_equal(w[1], 0xff);
	assert_int_equal(proto_secret_parse("recipient abc", &date, &session, w, sizeof(w)), 0);
	assert_int_equal(proto_secret_parse("session 1 2 0f0", &date, &session, w, sizeof(w)),
			 PROTO_E_FIELD);
	assert_int_equal(proto_secret_parse("session 1 x 00", &date, &session, w, sizeof(w)),
			 PROTO_E_FIELD);
	assert_int_equal(
	    proto_secret_parse("session 99999999999 1 00", &date, &session, w, sizeof(w)),
	    PROTO_E_FIELD);
}

static void
test_rsa(void **state)
{
	EVP_PKEY *priv = tu_key("server.pem", 1), *pub = tu_key("server.pub", 0);
	EVP_PKEY *other = tu_key("camera.pem", 1);
	uint8_t msg[40] = "manifest", sig[512], secret[32], w[512], out[512];
	size_t sl = sizeof(sig), wl = sizeof(w), ol = sizeof(out);

	(void)state;
	assert_int_equal(proto_pss_sign(priv, msg, sizeof(msg), sig, &sl), 0);
	assert_int_equal(sl, 256);
	assert_int_equal(proto_pss_verify(pub, msg, sizeof(msg), sig, sl), 0);
	msg[3] ^= 1;
	assert_int_equal(proto_pss_verify(pub, msg, sizeof(msg), sig, sl), PROTO_E_SIGNATURE);
	memset(secret, 7, sizeof(secret));
	assert_int_equal(proto_oaep_wrap(pub, secret, sizeof(secret), w, &wl), 0);
	assert_int_equal(proto_oaep_unwrap(priv, w, wl, out, &ol), 0);
	assert_int_equal(ol, sizeof(secret));
	assert_memory_equal(out, secret, sizeof(secret));
	ol = sizeof(out);
	assert_int_equal(proto_oaep_unwrap(other, w, wl, out, &ol), PROTO_E_UNWRAP);
	EVP_PKEY_free(priv);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(other);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bundle_lines),
	    cmocka_unit_test(test_rsa),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
