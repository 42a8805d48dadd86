/*
 * NAME
 *	test_registry.c - key files and the camera registry (keys.c, registry.c)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "proto_crypto.h"
#include "testutil.h"

static void
test_keys_roundtrip(void **state)
{
	char *dir = tu_tmpdir(), priv[512], pub[512];
	EVP_PKEY *k, *kp, *kq;
	struct stat st;

	(void)state;
	assert_non_null(dir);
	assert_null(proto_key_generate(1024)); /* too weak: refused */
	k = proto_key_generate(2048);
	assert_non_null(k);
	snprintf(priv, sizeof(priv), "%s/k.key", dir);
	snprintf(pub, sizeof(pub), "%s/k.pub", dir);
	assert_int_equal(proto_key_save_private(k, priv), 0);
	assert_int_equal(proto_key_save_public(k, pub), 0);
	assert_int_equal(stat(priv, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	kp = proto_key_load_private(priv);
	kq = proto_key_load_public(pub);
	assert_non_null(kp);
	assert_non_null(kq);
	assert_int_equal(EVP_PKEY_eq(k, kq), 1);
	assert_int_equal(EVP_PKEY_eq(kp, kq), 1);
	/* a public key is not a private key; a missing file is an error */
	assert_null(proto_key_load_private(pub));
	assert_null(proto_key_load_public("/nonexistent/k.pub"));
	EVP_PKEY_free(k);
	EVP_PKEY_free(kp);
	EVP_PKEY_free(kq);
	tu_rmtree(dir);
	free(dir);
}

static void
test_registry(void **state)
{
	char *dir = tu_tmpdir();
	uint8_t u1[16], u2[16];
	EVP_PKEY *k = tu_key("camera.pub", 0), *got = NULL;

	(void)state;
	assert_non_null(k);
	proto_uuid_v4(u1);
	proto_uuid_v4(u2);
	assert_int_equal(proto_registry_lookup(dir, u1, &got), PROTO_E_CAMERA);
	assert_int_equal(proto_registry_add(dir, u1, k), 0);
	assert_int_equal(proto_registry_add(dir, u1, k), PROTO_E_CAMERA); /* no overwrite */
	assert_int_equal(proto_registry_lookup(dir, u1, &got), 0);
	assert_int_equal(EVP_PKEY_eq(got, k), 1);
	EVP_PKEY_free(got);
	assert_int_equal(proto_registry_lookup(dir, u2, &got), PROTO_E_CAMERA);
	assert_int_equal(proto_registry_revoke(dir, u2, "x"), PROTO_E_CAMERA);
	assert_int_equal(proto_registry_revoke(dir, u1, "stolen"), 0);
	assert_int_equal(proto_registry_lookup(dir, u1, &got), PROTO_E_REVOKED);
	EVP_PKEY_free(k);
	tu_rmtree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_keys_roundtrip),
	    cmocka_unit_test(test_registry),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
