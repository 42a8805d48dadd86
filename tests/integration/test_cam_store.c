/*
 * NAME
 *	test_cam_store.c - the camera's store of sent datagrams, on disk
 *
 * DESCRIPTION
 *	Links firmware/cam_store.c (the firmware's objects, bar its main
 *	file) and checks, with real files in a temporary folder: the store
 *	writes and reads the record vector of docs/STORAGE.md; datagrams come back
 *	byte for byte after a reopen; a torn tail is cut on reopen and
 *	appending goes on after it; confirmations survive a reopen; when
 *	full, confirmed datagrams go first and unconfirmed ones are dropped
 *	only when nothing confirmed is left, counted, with the day's oldest
 *	held counter rising past them.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "firmware/cam_store.h"
#include "proto_record.h"
#include "testutil.h"

#define DATE 20782

/* A datagram-shaped buffer: type, date, counter, session; the rest varies with the counter. */
static size_t
mk(uint8_t *dg, uint8_t type, uint32_t counter, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		dg[i] = (uint8_t)(counter * 7 + i);
	dg[0] = 0x56;
	dg[1] = 0x47;
	dg[2] = 1;
	dg[3] = type;
	proto_put32(dg + 20, DATE);
	proto_put32(dg + 24, counter);
	proto_put32(dg + 28, 0);
	return len;
}

/*
 * A record header as docs/STORAGE.md, "Camera store", spells it: "VCSR",
 * u16 length, u16 flags (0), u32 CRC-32C of those 8 bytes and the datagram.
 */
static void
rec_hdr(uint8_t hdr[CAM_STORE_REC_HDR], const uint8_t *dg, size_t len)
{
	memcpy(hdr, "VCSR", 4);
	proto_put16(hdr + 4, (uint16_t)len);
	proto_put16(hdr + 6, 0);
	proto_put32(hdr + 8, proto_crc32c(proto_crc32c(0, hdr, 8), dg, len));
}

/* The whole of a file into buf: its length. */
static size_t
slurp(const char *path, uint8_t *buf, size_t cap)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, cap);
	close(fd);
	assert_true(n >= 0);
	return (size_t)n;
}

/*
 * The store writes the documented record, reads it back, and takes a
 * record with a flipped bit for a torn tail.
 */
static void
test_vector(void **state)
{
	char *dir = tu_tmpdir(), path[4200];
	char *hex = tu_doc_vector("docs/STORAGE.md", "cam-store-record");
	uint8_t dg[32], want[64], got[128], back[PROTO_MAX_DGRAM];
	uint32_t date, counter;
	cam_store_t s;
	int n, fd;

	(void)state;
	assert_non_null(hex);
	n = tu_unhex(hex, want, sizeof(want));
	free(hex);
	assert_int_equal(n, CAM_STORE_REC_HDR + 32);
	for (int i = 0; i < 32; i++)
		dg[i] = (uint8_t)i;
	date = proto_get32(dg + 20);
	counter = proto_get32(dg + 24);
	assert_int_equal(cam_store_open(&s, dir, 0), 0);
	assert_int_equal(cam_store_put(&s, dg, sizeof(dg)), 0);
	cam_store_close(&s);
	snprintf(path, sizeof(path), "%s/seg-0000000000", dir);
	assert_int_equal(slurp(path, got, sizeof(got)), (size_t)n);
	assert_memory_equal(got, want, (size_t)n);

	assert_int_equal(cam_store_open(&s, dir, 0), 0);
	assert_int_equal(s.torn_cut, 0);
	assert_int_equal(cam_store_get(&s, date, counter, back), 32);
	assert_memory_equal(back, dg, 32);
	cam_store_close(&s);

	/* a flipped bit is not a record: cut on reopen */
	want[20] ^= 1;
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, want, (size_t)n), n);
	close(fd);
	assert_int_equal(cam_store_open(&s, dir, 0), 0);
	assert_int_equal(s.torn_cut, 1);
	assert_int_equal(cam_store_get(&s, date, counter, back), -ENOENT);
	cam_store_close(&s);
	assert_int_equal(slurp(path, got, sizeof(got)), 0);
	tu_rmtree(dir);
	free(dir);
}

static void
test_reopen_torn(void **state)
{
	char *dir = tu_tmpdir(), path[4200];
	uint8_t dg[PROTO_MAX_DGRAM], back[PROTO_MAX_DGRAM];
	cam_store_t s;
	uint32_t c;
	int fd;

	(void)state;
	assert_int_equal(cam_store_open(&s, dir, 0), 0);
	assert_int_equal(cam_store_put(&s, dg, mk(dg, PROTO_T_HELLO, 0, 576)), 0);
	for (c = 1; c < 200; c++)
		assert_int_equal(cam_store_put(&s, dg, mk(dg, PROTO_T_DATA, c, 100 + c * 5)), 0);
	cam_store_close(&s);
	/* a crash in the middle of a record: half a record at the tail */
	snprintf(path, sizeof(path), "%s/seg-0000000000", dir);
	fd = open(path, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	mk(dg, PROTO_T_DATA, 200, 500);
	uint8_t hdr[CAM_STORE_REC_HDR];
	rec_hdr(hdr, dg, 500);
	assert_int_equal(write(fd, hdr, sizeof(hdr)), sizeof(hdr));
	assert_int_equal(write(fd, dg, 100), 100);
	close(fd);

	assert_int_equal(cam_store_open(&s, dir, 0), 0);
	assert_int_equal(s.torn_cut, 1);
	assert_int_equal(cam_store_high(&s, DATE), 200);
	for (c = 0; c < 200; c++) {
		size_t len = mk(dg, c ? PROTO_T_DATA : PROTO_T_HELLO, c, c ? 100 + c * 5 : 576);
		assert_int_equal(cam_store_get(&s, DATE, c, back), (int)len);
		assert_memory_equal(back, dg, len);
	}
	assert_int_equal(cam_store_get(&s, DATE, 200, back), -ENOENT);
	assert_non_null(cam_store_hello_of(&s, DATE, 0));
	/* appending goes on after the cut */
	assert_int_equal(cam_store_put(&s, dg, mk(dg, PROTO_T_DATA, 200, 500)), 0);
	cam_store_close(&s);
	assert_int_equal(cam_store_open(&s, dir, 0), 0);
	assert_int_equal(s.torn_cut, 0);
	assert_int_equal(cam_store_get(&s, DATE, 200, back), 500);
	assert_memory_equal(back, dg, 500);
	cam_store_close(&s);
	tu_rmtree(dir);
	free(dir);
}

static void
test_confirm_evict(void **state)
{
	char *dir = tu_tmpdir();
	uint8_t dg[PROTO_MAX_DGRAM];
	cam_store_t s;
	proto_range_t r = {DATE, 0, 0};
	uint32_t c;

	(void)state;
	/* 1 MiB: segments of 128 KiB, about 90 datagrams each */
	assert_int_equal(cam_store_open(&s, dir, 1 << 20), 0);
	for (c = 0; c < 600; c++)
		assert_int_equal(cam_store_put(&s, dg, mk(dg, PROTO_T_DATA, c, 1400)), 0);
	assert_int_equal(s.evicted, 0);
	r.count = 300;
	cam_store_confirm(&s, &r);
	assert_int_equal(cam_store_unconfirmed(&s), 300);
	cam_store_close(&s);
	/* confirmations are kept across a restart */
	assert_int_equal(cam_store_open(&s, dir, 1 << 20), 0);
	assert_int_equal(cam_store_unconfirmed(&s), 300);
	/* past the bound: confirmed segments go first, nothing unconfirmed is lost */
	for (c = 600; c < 800; c++)
		assert_int_equal(cam_store_put(&s, dg, mk(dg, PROTO_T_DATA, c, 1400)), 0);
	assert_true(s.evicted > 0);
	assert_int_equal(s.dropped_unconfirmed, 0);
	assert_true(s.bytes <= 1 << 20);
	assert_int_equal(cam_store_unconfirmed(&s), 500);
	assert_true(cam_store_oldest(&s, DATE, 800) > 0);
	assert_true(cam_store_oldest(&s, DATE, 800) <= 300);
	/* full of unconfirmed data: the oldest is dropped, counted, oldest held rises */
	for (c = 800; c < 1400; c++)
		assert_int_equal(cam_store_put(&s, dg, mk(dg, PROTO_T_DATA, c, 1400)), 0);
	assert_true(s.dropped_unconfirmed > 0);
	assert_int_equal(cam_store_unconfirmed(&s) + s.dropped_unconfirmed, 1100);
	assert_true(cam_store_oldest(&s, DATE, 1400) > 300);
	assert_int_equal(cam_store_get(&s, DATE, 1399, dg), 1400);
	cam_store_close(&s);
	tu_rmtree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vector),
	    cmocka_unit_test(test_reopen_torn),
	    cmocka_unit_test(test_confirm_evict),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
