/*
 * NAME
 *	test_hello.c - hellos and the replay cache (libproto/hello.c, replay.c)
 *
 * DESCRIPTION
 *	A hello sealed with the test keys verifies and unwraps to its secret;
 *	a forged, tampered, truncated or replayed hello is refused with its
 *	own code; the replay cache refuses stale and repeated ids and never
 *	lets a replay through when full.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "proto_crypto.h"
#include "testutil.h"

static EVP_PKEY *cam_priv, *cam_pub, *srv_priv, *srv_pub, *other_priv;

static int
setup(void **state)
{
	(void)state;
	cam_priv = tu_key("camera.pem", 1);
	cam_pub = tu_key("camera.pub", 0);
	srv_priv = tu_key("server.pem", 1);
	srv_pub = tu_key("server.pub", 0);
	other_priv = tu_key("server.pem", 1); /* a key that is not the camera's */
	return cam_priv && cam_pub && srv_priv && srv_pub && other_priv ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	EVP_PKEY_free(cam_priv);
	EVP_PKEY_free(cam_pub);
	EVP_PKEY_free(srv_priv);
	EVP_PKEY_free(srv_pub);
	EVP_PKEY_free(other_priv);
	return 0;
}

static proto_hello_t
fields(uint64_t now)
{
	proto_hello_t h = {0};

	proto_uuid_v4(h.uuid);
	h.date = proto_date_from_ms(now);
	h.counter = 41;
	h.boot_id = 0xdeadbeef;
	h.camera_ms = now;
	memset(h.hello_id, 0x11, sizeof(h.hello_id));
	return h;
}

static void
test_hello_roundtrip(void **state)
{
	uint8_t dg[PROTO_MAX_DGRAM], secret[32], got[32];
	proto_hello_t in = fields(1795608000000ull), out;
	int n;

	(void)state;
	memset(secret, 0x5a, sizeof(secret));
	n = proto_hello_seal(cam_priv, srv_pub, &in, secret, dg, sizeof(dg));
	assert_int_equal(n, PROTO_HELLO_FIXED_LEN + 256 + 256);
	assert_int_equal(proto_hello_verify(dg, (size_t)n, cam_pub, &out), 0);
	assert_memory_equal(out.uuid, in.uuid, 16);
	assert_int_equal(out.counter, 41);
	assert_int_equal(out.boot_id, 0xdeadbeef);
	assert_int_equal(out.camera_ms, in.camera_ms);
	assert_int_equal(proto_hello_unwrap(&out, srv_priv, got), 0);
	assert_memory_equal(got, secret, 32);
	/* the secret is not in the clear */
	assert_null(memmem(dg, (size_t)n, secret, 32));
}

static void
test_hello_rejections(void **state)
{
	uint8_t dg[PROTO_MAX_DGRAM], bad[PROTO_MAX_DGRAM], secret[32], got[32];
	proto_hello_t in = fields(1795608000000ull), out;
	int n, i;

	(void)state;
	memset(secret, 1, sizeof(secret));
	n = proto_hello_seal(cam_priv, srv_pub, &in, secret, dg, sizeof(dg));
	assert_true(n > 0);
	/* every byte flipped: rejected before any unwrap */
	for (i = 0; i < n; i++) {
		memcpy(bad, dg, (size_t)n);
		bad[i] ^= 0x01;
		assert_true(proto_hello_verify(bad, (size_t)n, cam_pub, &out) < 0);
	}
	/* signed by another key */
	n = proto_hello_seal(other_priv, srv_pub, &in, secret, bad, sizeof(bad));
	assert_int_equal(proto_hello_verify(bad, (size_t)n, cam_pub, &out), PROTO_E_SIGNATURE);
	/* signed by the camera but wrapped for another server: unwrap fails */
	n = proto_hello_seal(cam_priv, cam_pub, &in, secret, bad, sizeof(bad));
	assert_int_equal(proto_hello_verify(bad, (size_t)n, cam_pub, &out), 0);
	assert_int_equal(proto_hello_unwrap(&out, srv_priv, got), PROTO_E_UNWRAP);
	/* truncated and padded */
	n = proto_hello_seal(cam_priv, srv_pub, &in, secret, dg, sizeof(dg));
	assert_int_equal(proto_hello_verify(dg, 40, cam_pub, &out), PROTO_E_SHORT);
	assert_int_equal(proto_hello_verify(dg, (size_t)n - 1, cam_pub, &out), PROTO_E_SHORT);
	memset(dg + n, 0, 4);
	assert_int_equal(proto_hello_verify(dg, (size_t)n + 4, cam_pub, &out), PROTO_E_LENGTH);
	/* session must equal counter */
	memcpy(bad, dg, (size_t)n);
	bad[31] ^= 1;
	assert_int_equal(proto_hello_verify(bad, (size_t)n, cam_pub, &out), PROTO_E_FIELD);
}

static void
test_replay(void **state)
{
	proto_replay_t *r = proto_replay_new(4, 60000);
	uint64_t now = 1795608000000ull;
	proto_hello_t h = fields(now), h2;
	int i, full = 0;

	(void)state;
	assert_non_null(r);
	assert_int_equal(proto_replay_check(r, &h, now), 0);
	assert_int_equal(proto_replay_commit(r, &h, now), 0);
	assert_int_equal(proto_replay_check(r, &h, now + 1000), PROTO_E_REPLAY);
	assert_int_equal(proto_replay_commit(r, &h, now + 1000), PROTO_E_REPLAY);
	/* same id from another camera is not a replay */
	h2 = h;
	h2.uuid[0] ^= 1;
	assert_int_equal(proto_replay_check(r, &h2, now), 0);
	/* outside the window: older is stale, ahead of the server is refused as such */
	h2 = h;
	h2.hello_id[15] ^= 1;
	h2.camera_ms = now - 60001;
	assert_int_equal(proto_replay_check(r, &h2, now), PROTO_E_STALE);
	h2.camera_ms = now + 60001;
	assert_int_equal(proto_replay_check(r, &h2, now), PROTO_E_FUTURE);
	h2.camera_ms = now + 60000;
	assert_int_equal(proto_replay_check(r, &h2, now), 0);
	h2.camera_ms = now + 400ull * 86400000;
	h2.date = proto_date_from_ms(h2.camera_ms);
	assert_int_equal(proto_replay_check(r, &h2, now), PROTO_E_FUTURE);
	/* a date other than the day of the signed time, even one inside the window */
	h2 = h;
	h2.uuid[0] ^= 2;
	h2.date = proto_date_from_ms(now - 30ull * 86400000);
	assert_int_equal(proto_replay_check(r, &h2, now), PROTO_E_DATE);
	h2.date = proto_date_from_ms(now + 86400000);
	assert_int_equal(proto_replay_check(r, &h2, now), PROTO_E_DATE);
	assert_int_equal(proto_replay_commit(r, &h2, now), PROTO_E_DATE);
	/* the last millisecond of a day is that day; the next is the next day's */
	h2 = h;
	h2.camera_ms = now - now % 86400000 + 86400000 - 1;
	h2.date = proto_date_from_ms(now);
	assert_int_equal(proto_replay_check(r, &h2, h2.camera_ms), 0);
	h2.camera_ms++;
	assert_int_equal(proto_replay_check(r, &h2, h2.camera_ms), PROTO_E_DATE);
	/* after the window has passed the id may be forgotten: the hello is stale anyway */
	assert_int_equal(proto_replay_check(r, &h, now + 60001), PROTO_E_STALE);
	/* fill the table: it refuses rather than evicting a live id */
	for (i = 0; i < 200; i++) {
		h2 = h;
		memcpy(h2.hello_id, &i, sizeof(i));
		h2.hello_id[8] = 0x77;
		int rc = proto_replay_commit(r, &h2, now);
		if (rc == PROTO_E_FULL)
			full++;
		else
			assert_int_equal(rc, 0);
	}
	assert_true(full > 0);
	assert_int_equal(proto_replay_check(r, &h, now + 2000), PROTO_E_REPLAY);
	/* once the window passed, slots are reused */
	h2.camera_ms = now + 120000;
	h2.hello_id[9] = 0x99;
	assert_int_equal(proto_replay_commit(r, &h2, now + 120000), 0);
	proto_replay_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hello_roundtrip),
	    cmocka_unit_test(test_hello_rejections),
	    cmocka_unit_test(test_replay),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
