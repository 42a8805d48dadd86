/*
 * NAME
 *	test_cam_cookie_match.c - which COOKIEs the camera takes, and what
 *	it sends then
 *
 * DESCRIPTION
 *	Links firmware/cam_cookie.c (and the store it resends earlier
 *	hellos from) with cam_sync.c's resend queue replaced by the test's; the camera's socket is one end of a
 *	datagram socket pair, so every byte it sends is read back. Checks:
 *	a hello goes bare before any cookie; a COOKIE for another camera,
 *	for a hello id never sent, of a wrong length, or for a hello sent
 *	more than 120 s ago is dropped and counted, and nothing is sent; a
 *	good COOKIE makes the camera send that hello again at once with the
 *	20-byte trailer (issued, MAC) and queues what the session sent since
 *	its hello for resending; a second one within a second is kept
 *	but not answered; later hellos carry the trailer until the cookie
 *	is 60 s old; a COOKIE for an earlier session's hello resent from the
 *	store brings that stored hello back with the trailer, while the
 *	store itself keeps the hello without it.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "firmware/cam.h"
#include "firmware/cam_store.h"
#include "testutil.h"

#define DATE 20782u
#define HELLO_LEN 576

/* cam_sync.c's resend queue, as this test sees it: the last range queued. */
static proto_range_t queued;
static int nqueued;

void
cam_sync_queue(cam_t *c, const proto_range_t *r)
{
	(void)c;
	queued = *r;
	nqueued++;
}

static const uint8_t UUID[16] = {0x0f, 0x8f, 0xad, 0x5b, 0xd9, 0xcb, 0x46, 0x9f,
				 0xa1, 0x65, 0x70, 0x86, 0x77, 0x28, 0x95, 0x0e};

/* Hello-shaped bytes: type 1, the camera, date, counter = session, a hello id. */
static void
mk_hello(uint8_t *dg, uint32_t date, uint32_t session, uint8_t id)
{
	int i;

	for (i = 0; i < HELLO_LEN; i++)
		dg[i] = (uint8_t)(i * 13 + id);
	dg[0] = 0x56;
	dg[1] = 0x47;
	dg[2] = PROTO_VERSION;
	dg[3] = PROTO_T_HELLO;
	memcpy(dg + 4, UUID, 16);
	proto_put32(dg + 20, date);
	proto_put32(dg + 24, session);
	proto_put32(dg + 28, session);
	memset(dg + 44, id, PROTO_HELLO_ID_LEN);
}

static size_t
mk_cookie(uint8_t *out, const uint8_t *uuid, uint32_t date, uint8_t id, uint32_t issued)
{
	proto_cookie_t k = {0};

	memcpy(k.uuid, uuid, 16);
	k.date = date;
	memset(k.hello_id, id, PROTO_HELLO_ID_LEN);
	k.issued = issued;
	memset(k.mac, 0xa0 + (int)(issued & 0xf), PROTO_COOKIE_MAC_LEN);
	return (size_t)proto_cookie_encode(&k, out, PROTO_COOKIE_LEN);
}

static void
test_match(void **state)
{
	uint8_t hello[HELLO_LEN], old[HELLO_LEN], ck[PROTO_COOKIE_LEN], buf[PROTO_MAX_DGRAM + 64];
	uint8_t secret[PROTO_SECRET_LEN] = {1}, other[16];
	char *dir = tu_tmpdir();
	cam_sync_t y;
	cam_t c;
	int sv[2];
	ssize_t n;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	memset(&c, 0, sizeof(c));
	memset(&y, 0, sizeof(y));
	c.fd = sv[0];
	memcpy(c.conf.uuid, UUID, 16);
	assert_int_equal(cam_store_open(&y.store, dir, 0), 0);
	c.sync = &y;

	/* an earlier session's hello, in the store */
	mk_hello(old, DATE - 1, 4096, 0x11);
	assert_int_equal(cam_store_put(&y.store, old, HELLO_LEN), 0);
	/* the current session */
	mk_hello(hello, DATE, 0, 0x22);
	memcpy(c.hello, hello, HELLO_LEN);
	c.hello_len = HELLO_LEN;
	c.session = proto_session_new(UUID, DATE, 0, secret);
	assert_non_null(c.session);
	c.state.date = DATE;
	c.state.next = 10; /* the hello was counter 0, nine datagrams followed */

	/* before any cookie a hello goes bare */
	assert_int_equal(cam_cookie_send(&c, hello, HELLO_LEN), 0);
	n = recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT);
	assert_int_equal(n, HELLO_LEN);
	assert_memory_equal(buf, hello, HELLO_LEN);

	/* not a COOKIE: not taken */
	buf[3] = PROTO_T_HELLO_ACK;
	assert_int_equal(cam_cookie_take(&c, buf, 60), 0);
	/* another camera's, a hello never sent, a wrong length: dropped, nothing sent */
	memcpy(other, UUID, 16);
	other[15] ^= 1;
	assert_int_equal(cam_cookie_take(&c, ck, mk_cookie(ck, other, DATE, 0x22, 1000)), 1);
	assert_int_equal(cam_cookie_take(&c, ck, mk_cookie(ck, UUID, DATE, 0x33, 1000)), 1);
	assert_int_equal(cam_cookie_take(&c, ck, mk_cookie(ck, UUID, DATE - 1, 0x22, 1000)), 1);
	assert_int_equal(cam_cookie_take(&c, ck, mk_cookie(ck, UUID, DATE, 0x22, 1000) - 1), 1);
	assert_int_equal(c.cookie.dropped, 4);
	assert_int_equal(c.cookie.accepted, 0);
	assert_true(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT) < 0);

	/* the current hello's COOKIE: the hello again at once, with the trailer */
	assert_int_equal(cam_cookie_take(&c, ck, mk_cookie(ck, UUID, DATE, 0x22, 1000)), 1);
	assert_int_equal(c.cookie.accepted, 1);
	n = recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT);
	assert_int_equal(n, HELLO_LEN + PROTO_COOKIE_TRAILER);
	assert_memory_equal(buf, hello, HELLO_LEN);
	assert_int_equal(proto_get32(buf + HELLO_LEN), 1000);
	assert_memory_equal(buf + HELLO_LEN + 4, ck + 44, PROTO_COOKIE_MAC_LEN);
	/* and what the session sent after its hello (counters 1-9) is queued for resending */
	assert_int_equal(nqueued, 1);
	assert_int_equal(queued.date, DATE);
	assert_int_equal(queued.first, 1);
	assert_int_equal(queued.count, 9);
	/* a second one at once is kept (its trailer from now on) but not answered */
	assert_int_equal(cam_cookie_take(&c, ck, mk_cookie(ck, UUID, DATE, 0x22, 1001)), 1);
	assert_int_equal(c.cookie.accepted, 2);
	assert_true(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT) < 0);
	/* a retry carries the newest trailer */
	assert_int_equal(cam_cookie_send(&c, hello, HELLO_LEN), 0);
	assert_int_equal(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT),
			 HELLO_LEN + PROTO_COOKIE_TRAILER);
	assert_int_equal(proto_get32(buf + HELLO_LEN), 1001);

	/* the earlier session's hello resent from the store, its COOKIE: that hello again */
	assert_int_equal(cam_cookie_send(&c, old, HELLO_LEN), 0);
	assert_int_equal(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT),
			 HELLO_LEN + PROTO_COOKIE_TRAILER);
	assert_int_equal(cam_cookie_take(&c, ck, mk_cookie(ck, UUID, DATE - 1, 0x11, 1002)), 1);
	assert_int_equal(c.cookie.accepted, 3);
	assert_int_equal(nqueued, 1); /* an earlier session's: nothing more queued */
	n = recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT);
	assert_int_equal(n, HELLO_LEN + PROTO_COOKIE_TRAILER);
	assert_memory_equal(buf, old, HELLO_LEN);
	assert_int_equal(proto_get32(buf + HELLO_LEN), 1002);
	/* the store keeps the hello as signed, without a trailer */
	assert_int_equal(cam_store_get(&y.store, DATE - 1, 4096, buf), HELLO_LEN);
	assert_memory_equal(buf, old, HELLO_LEN);

	/* a cookie 60 s old is no longer attached */
	c.cookie.got_ms -= 60001;
	assert_int_equal(cam_cookie_send(&c, hello, HELLO_LEN), 0);
	assert_int_equal(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), HELLO_LEN);
	/* a COOKIE for a hello last sent more than 120 s ago is dropped */
	for (int i = 0; i < CAM_COOKIE_SENT; i++)
		if (c.cookie.sent[i].ms)
			c.cookie.sent[i].ms -= 120001;
	assert_int_equal(cam_cookie_take(&c, ck, mk_cookie(ck, UUID, DATE, 0x22, 1003)), 1);
	assert_int_equal(c.cookie.dropped, 5);
	assert_int_equal(c.cookie.accepted, 3);
	assert_true(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT) < 0);

	proto_session_free(c.session);
	cam_store_close(&y.store);
	close(sv[0]);
	close(sv[1]);
	tu_rmtree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_match),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
