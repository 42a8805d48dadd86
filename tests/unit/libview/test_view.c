/*
 * NAME
 *	test_view.c - the streamer's binary messages against docs/PROTOCOL.md
 *
 * DESCRIPTION
 *	The FRAME_KEY vector of the Streamer API section: built from the
 *	test session's frame key (derived with libproto), encoded, compared
 *	byte for byte, and decoded back.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto_crypto.h"
#include "testutil.h"
#include "view.h"

static void
test_frame_key_vector(void **state)
{
	static const uint8_t secret[32] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10,
					   11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
					   22, 23, 24, 25, 26, 27, 28, 29, 30, 31};
	uint8_t prk[32], want[VIEW_FRAME_KEY_LEN], got[VIEW_FRAME_KEY_LEN], hdr[4];
	view_frame_key_t k = {0}, back;
	char *v = tu_doc_vector("docs/PROTOCOL.md", "frame-key-message");

	(void)state;
	assert_non_null(v);
	assert_int_equal(tu_unhex(v, want, sizeof(want)), VIEW_FRAME_KEY_LEN);
	free(v);
	assert_int_equal(proto_uuid_parse("0f8fad5b-d9cb-469f-a165-70867728950e", k.uuid), 0);
	k.date = 20782;
	assert_int_equal(proto_kdf_prk(secret, k.uuid, prk), 0);
	assert_int_equal(proto_kdf_frame(prk, k.date, 0, 0, 0, k.key), 0);
	view_frame_key_encode(&k, got);
	assert_memory_equal(got, want, VIEW_FRAME_KEY_LEN);
	assert_int_equal(view_frame_key_decode(got, sizeof(got), &back), 0);
	assert_memory_equal(&back.key, k.key, 32);
	assert_int_equal(back.date, 20782);
	got[30] = 1;
	assert_int_equal(view_frame_key_decode(got, sizeof(got), &back), -EINVAL);
	assert_int_equal(view_frame_key_decode(got, 67, &back), -EINVAL);
	view_datagram_hdr(VIEW_F_LIVE, hdr);
	assert_true(hdr[0] == 1 && hdr[1] == 1 && hdr[2] == 0 && hdr[3] == 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_frame_key_vector)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
