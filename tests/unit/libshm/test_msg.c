/*
 * NAME
 *	test_msg.c - a message's metadata as bytes (shm_msg.c), checked
 *	against the vector in docs/PROTOCOL.md
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "shm_msg.h"

/* docs/PROTOCOL.md, "Listener to writer over NATS" */
static const uint8_t vector[SHM_MSG_HDR_LEN] = {
    0x01, 0x00, 0x1c, 0xe8, 0x01, 0x02, 0x03, 0x04, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0x7f, 0x00, 0x00, 0x01,
};

static void
test_vector(void **state)
{
	uint8_t buf[SHM_MSG_HDR_LEN + 3], out[SHM_MSG_HDR_LEN];
	shm_msg_meta_t m = {0}, d;

	(void)state;
	m.port = 7400;
	m.session = 0x01020304;
	m.arrival_ns = 0x0102030405060708ull;
	m.addr[10] = m.addr[11] = 0xff;
	m.addr[12] = 127;
	m.addr[15] = 1;
	shm_msg_encode(&m, out);
	assert_memory_equal(out, vector, sizeof(vector));
	memcpy(buf, vector, sizeof(vector));
	memcpy(buf + SHM_MSG_HDR_LEN, "abc", 3);
	assert_int_equal(shm_msg_decode(buf, sizeof(buf), &d), 0);
	assert_int_equal(d.port, 7400);
	assert_int_equal(d.session, 0x01020304);
	assert_true(d.arrival_ns == 0x0102030405060708ull);
	assert_memory_equal(d.addr, m.addr, 16);
	assert_int_equal(d.len, 3);
}

static void
test_refused(void **state)
{
	uint8_t buf[SHM_MSG_HDR_LEN + SHM_MSG_MAX + 1] = {0};
	shm_msg_meta_t d;

	(void)state;
	memcpy(buf, vector, sizeof(vector));
	assert_int_equal(shm_msg_decode(buf, SHM_MSG_HDR_LEN, &d), -EPROTO); /* no datagram */
	assert_int_equal(shm_msg_decode(buf, sizeof(buf), &d), -EPROTO);     /* too long */
	assert_int_equal(shm_msg_decode(buf, sizeof(buf) - 1, &d), 0);
	buf[0] = 2;
	assert_int_equal(shm_msg_decode(buf, 40, &d), -EPROTO); /* another version */
	buf[0] = 1;
	buf[1] = 1;
	assert_int_equal(shm_msg_decode(buf, 40, &d), -EPROTO); /* reserved byte set */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vector),
	    cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
