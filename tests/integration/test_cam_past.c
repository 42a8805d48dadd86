/*
 * NAME
 *	test_cam_past.c - the s2c keys of the camera's last sessions, on disk
 *
 * DESCRIPTION
 *	Links firmware/cam_past.c (the firmware's objects, bar its main
 *	file) and checks, with a real "<state>.s2c" file in a temporary
 *	folder: the slot vector of docs/STORAGE.md ("Camera session keys");
 *	after ten sessions and a reopen (a restarted camera) the last
 *	CAM_PAST_MAX are known and open a CONFIRM the server sealed with
 *	each, the two oldest are gone; the current session is found first;
 *	a torn slot is an empty slot and the others still open; the file
 *	holds no session secret.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "firmware/cam.h"
#include "testutil.h"

#define NSESS 10
#define DATE0 20782u
#define SLOT_LEN 44 /* docs/STORAGE.md, "Camera session keys": one slot of <state>.s2c */

static const uint8_t UUID[16] = {0x0f, 0x8f, 0xad, 0x5b, 0xd9, 0xcb, 0x46, 0x9f,
				 0xa1, 0x65, 0x70, 0x86, 0x77, 0x28, 0x95, 0x0e};

/* Session k: three a day, counters 0, 4096, 8192 (a restart skips a block). */
static uint32_t
date_of(int k)
{
	return DATE0 + (uint32_t)k / 3;
}

static uint32_t
id_of(int k)
{
	return (uint32_t)(k % 3) * 4096;
}

static void
cam_init(cam_t *c, const char *dir)
{
	memset(c, 0, sizeof(*c));
	c->past_fd = -1;
	memcpy(c->conf.uuid, UUID, sizeof(UUID));
	snprintf(c->conf.state, sizeof(c->conf.state), "%s/state", dir);
}

/* Does the camera's session for (date, id) open a CONFIRM sealed by srv? */
static int
opens(cam_t *c, proto_session_t *srv, uint32_t date, uint32_t id)
{
	proto_confirm_t m = {1, {{date, 0, 100}}}, m2;
	uint8_t body[64], dg[PROTO_MAX_DGRAM], out[64];
	proto_session_t *s = cam_past_find(c, date, id);
	proto_s2c_hdr_t h;
	int blen, n;

	if (s == NULL)
		return 0;
	blen = proto_confirm_encode(&m, body, sizeof(body));
	n = proto_s2c_seal(srv, PROTO_T_CONFIRM, NULL, body, (size_t)blen, dg, sizeof(dg));
	assert_true(n > 0);
	assert_int_equal(proto_s2c_open(s, dg, (size_t)n, &h, out, sizeof(out)), blen);
	assert_int_equal(proto_confirm_decode(out, (size_t)blen, &m2), 0);
	assert_int_equal(m2.range[0].date, date);
	return 1;
}

static void
test_vector(void **state)
{
	char *dir = tu_tmpdir(), *hex = tu_doc_vector("docs/STORAGE.md", "cam-s2c-slot");
	uint8_t key[PROTO_KEY_LEN], want[64], got[SLOT_LEN];
	proto_session_t *s;
	cam_t c;
	int i, n;

	(void)state;
	assert_non_null(hex);
	n = tu_unhex(hex, want, sizeof(want));
	free(hex);
	assert_int_equal(n, SLOT_LEN);
	for (i = 0; i < PROTO_KEY_LEN; i++)
		key[i] = (uint8_t)i;
	s = proto_session_s2c_new(UUID, 20782, 4096, key);
	assert_non_null(s);
	cam_init(&c, dir);
	assert_int_equal(cam_past_open(&c), 0);
	assert_int_equal(cam_past_keep(&c, s), 0);
	assert_int_equal(pread(c.past_fd, got, SLOT_LEN, 0), SLOT_LEN);
	assert_memory_equal(got, want, SLOT_LEN);
	cam_past_close(&c);
	proto_session_free(s);
	tu_rmtree(dir);
	free(dir);
}

static void
test_last_sessions(void **state)
{
	char *dir = tu_tmpdir(), path[4200];
	uint8_t secret[NSESS][PROTO_SECRET_LEN], file[CAM_PAST_MAX * SLOT_LEN];
	proto_session_t *srv[NSESS];
	cam_t c;
	int k, fd;

	(void)state;
	cam_init(&c, dir);
	assert_int_equal(cam_past_open(&c), 0);
	for (k = 0; k < NSESS; k++) {
		memset(secret[k], 0x40 + k, PROTO_SECRET_LEN);
		srv[k] = proto_session_new(UUID, date_of(k), id_of(k), secret[k]);
		assert_non_null(srv[k]);
		assert_int_equal(cam_past_keep(&c, srv[k]), 0);
	}
	cam_past_close(&c);

	/* a restarted camera knows the last eight, not the two oldest */
	cam_init(&c, dir);
	assert_int_equal(cam_past_open(&c), 0);
	for (k = 0; k < NSESS; k++)
		assert_int_equal(opens(&c, srv[k], date_of(k), id_of(k)),
				 k >= NSESS - CAM_PAST_MAX);
	/* another camera's or an unknown session: none */
	assert_null(cam_past_find(&c, date_of(9), id_of(9) + 1));
	/* the current session comes first */
	c.session = proto_session_new(UUID, date_of(9), id_of(9), secret[9]);
	assert_ptr_equal(cam_past_find(&c, date_of(9), id_of(9)), c.session);
	proto_session_free(c.session);
	c.session = NULL;
	cam_past_close(&c);

	/* the file holds s2c keys, never a secret */
	snprintf(path, sizeof(path), "%s/state.s2c", dir);
	assert_true((fd = open(path, O_RDWR)) >= 0);
	assert_int_equal(read(fd, file, sizeof(file)), sizeof(file));
	for (k = 0; k < NSESS; k++)
		assert_null(memmem(file, sizeof(file), secret[k], PROTO_SECRET_LEN));
	/* a torn slot (the newest session's) is empty; the others still open */
	for (k = 0; k < CAM_PAST_MAX; k++)
		if (proto_get32(file + k * SLOT_LEN + 4) == id_of(9) &&
		    proto_get32(file + k * SLOT_LEN) == date_of(9))
			break;
	assert_true(k < CAM_PAST_MAX);
	file[k * SLOT_LEN + 20] ^= 0x01;
	assert_int_equal(pwrite(fd, file, sizeof(file), 0), sizeof(file));
	close(fd);
	cam_init(&c, dir);
	assert_int_equal(cam_past_open(&c), 0);
	assert_null(cam_past_find(&c, date_of(9), id_of(9)));
	for (k = NSESS - CAM_PAST_MAX; k < NSESS - 1; k++)
		assert_true(opens(&c, srv[k], date_of(k), id_of(k)));
	/* the next session takes the empty slot, not an older session's */
	assert_int_equal(cam_past_keep(&c, srv[9]), 0);
	for (k = NSESS - CAM_PAST_MAX; k < NSESS; k++)
		assert_true(opens(&c, srv[k], date_of(k), id_of(k)));
	cam_past_close(&c);

	for (k = 0; k < NSESS; k++)
		proto_session_free(srv[k]);
	tu_rmtree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vector),
	    cmocka_unit_test(test_last_sessions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
