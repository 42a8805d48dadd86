/*
 * NAME
 *	test_sync.c - libproto sync ring messages, counter ranges, day scan
 *	and the sync state file
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "proto_daystate.h"
#include "proto_sync.h"
#include "testutil.h"

static const uint8_t UUID[16] = {0x0f, 0x8f, 0xad, 0x5b, 0xd9, 0xcb, 0x46, 0x9f,
				 0xa1, 0x65, 0x70, 0x86, 0x77, 0x28, 0x95, 0x0e};

static void
test_report_msg(void **state)
{
	proto_sync_report_t r = {0}, back;
	uint8_t buf[1024];
	int n;

	(void)state;
	memcpy(r.uuid, UUID, 16);
	r.date = 20782;
	r.session = 4;
	r.counter = 99;
	r.r.n = 2;
	r.r.day[0] = (proto_report_day_t){20781, 500, 100};
	r.r.day[1] = (proto_report_day_t){20782, 100, 0};
	n = proto_sync_report_encode(&r, buf, sizeof(buf));
	assert_int_equal(n, 32 + 4 + 24);
	assert_int_equal(buf[0], PROTO_SYNC_REPORT);
	assert_int_equal(proto_sync_report_decode(buf, (size_t)n, &back), 0);
	assert_memory_equal(back.uuid, UUID, 16);
	assert_int_equal(back.counter, 99);
	assert_int_equal(back.r.n, 2);
	assert_int_equal(back.r.day[0].oldest_held, 100);
	/* short, wrong kind, other version, reserved bytes */
	assert_true(proto_sync_report_decode(buf, 31, &back) < 0);
	assert_true(proto_sync_report_decode(buf, (size_t)n - 1, &back) < 0);
	buf[1] = 2;
	assert_int_equal(proto_sync_report_decode(buf, (size_t)n, &back), PROTO_E_VERSION);
	buf[1] = 1;
	buf[2] = 1;
	assert_int_equal(proto_sync_report_decode(buf, (size_t)n, &back), PROTO_E_FIELD);
	buf[2] = 0;
	buf[0] = PROTO_SYNC_REQUEST;
	assert_int_equal(proto_sync_report_decode(buf, (size_t)n, &back), PROTO_E_TYPE);
}

static void
test_req_msg(void **state)
{
	proto_sync_req_t q = {0}, back;
	uint8_t buf[2048];
	int n;

	(void)state;
	q.type = PROTO_T_CONFIRM;
	memcpy(q.uuid, UUID, 16);
	q.m.n = 1;
	q.m.range[0] = (proto_range_t){20782, 0, 1000};
	n = proto_sync_req_encode(&q, buf, sizeof(buf));
	assert_int_equal(n, 24 + 16);
	assert_int_equal(proto_sync_req_decode(buf, (size_t)n, &back), 0);
	assert_int_equal(back.type, PROTO_T_CONFIRM);
	assert_int_equal(back.m.range[0].count, 1000);
	buf[4] = PROTO_T_RR; /* only MISSING and CONFIRM travel this way */
	assert_int_equal(proto_sync_req_decode(buf, (size_t)n, &back), PROTO_E_TYPE);
	q.type = PROTO_T_HELLO_ACK;
	assert_true(proto_sync_req_encode(&q, buf, sizeof(buf)) < 0);
}

static void
test_ranges(void **state)
{
	proto_ranges_t s = {0};
	uint32_t lo, hi;

	(void)state;
	assert_int_equal(proto_ranges_add(&s, 10, 20), 0);
	assert_int_equal(proto_ranges_add(&s, 30, 40), 0);
	assert_int_equal(proto_ranges_add(&s, 0, 5), 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(proto_ranges_add(&s, 20, 30), 0); /* joins two */
	assert_int_equal(s.n, 2);
	assert_true(proto_ranges_has(&s, 39));
	assert_false(proto_ranges_has(&s, 40));
	assert_false(proto_ranges_has(&s, 7));
	assert_int_equal(proto_ranges_count(&s, 0, 100), 35);
	assert_int_equal(proto_ranges_count(&s, 3, 12), 4);
	assert_int_equal(proto_ranges_gap(&s, 0, 100, &lo, &hi), 0);
	assert_int_equal(lo, 5);
	assert_int_equal(hi, 10);
	assert_int_equal(proto_ranges_gap(&s, 10, 100, &lo, &hi), 0);
	assert_int_equal(lo, 40);
	assert_int_equal(hi, 100);
	assert_int_equal(proto_ranges_gap(&s, 10, 40, &lo, &hi), -ENOENT);
	proto_ranges_free(&s);
}

static void
test_dayscan(void **state)
{
	proto_dayscan_t d = {0};
	uint32_t c;

	(void)state;
	/* 0..9 in order, 20..29, then 10..19 late, one duplicate, 30 asked for */
	for (c = 0; c < 10; c++)
		assert_int_equal(proto_dayscan_note(&d, c, 1000000000ull * c, 0), 0);
	for (c = 20; c < 30; c++)
		assert_int_equal(proto_dayscan_note(&d, c, 1000000000ull * c, 0), 0);
	for (c = 10; c < 20; c++)
		assert_int_equal(proto_dayscan_note(&d, c, 50000000000ull + c, 0), 0);
	assert_int_equal(proto_dayscan_note(&d, 5, 1, 0), 0);
	assert_int_equal(proto_dayscan_note(&d, 30, 60000000000ull, 1), 0);
	assert_int_equal(d.records, 31);
	assert_int_equal(d.dups, 1);
	assert_int_equal(d.present.n, 1);
	assert_int_equal(d.nlate, 2);
	assert_int_equal(d.late[0].lo, 10);
	assert_int_equal(d.late[0].hi, 20);
	assert_int_equal(d.late[0].first_ms, 50000);
	assert_int_equal(d.late[1].lo, 30);
	proto_dayscan_free(&d);
}

static void
test_daystate(void **state)
{
	char *dir = tu_tmpdir(), sub[4200];
	proto_late_t runs[2] = {{5, 8, 100, 200}, {8, 10, 150, 300}};
	proto_daystate_t st = {1000, 10, 123, 456, 2, runs, 2}, back;

	(void)state;
	snprintf(sub, sizeof(sub), "%s/0f8fad5b-d9cb-469f-a165-70867728950e", dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	assert_int_equal(proto_daystate_read(dir, UUID, 20782, &back), -ENOENT);
	assert_int_equal(proto_late_merge(runs, 2), 1); /* touching runs join */
	st.nlate = 1;
	assert_int_equal(proto_daystate_write(dir, UUID, 20782, &st), 0);
	assert_int_equal(proto_daystate_read(dir, UUID, 20782, &back), 0);
	assert_int_equal(back.high, 1000);
	assert_int_equal(back.oldest_held, 10);
	assert_int_equal(back.complete_ms, 456);
	assert_int_equal(back.lost, 2);
	assert_int_equal(back.nlate, 1);
	assert_int_equal(back.late[0].lo, 5);
	assert_int_equal(back.late[0].hi, 10);
	assert_int_equal(back.late[0].first_ms, 100);
	assert_int_equal(back.late[0].last_ms, 300);
	assert_int_equal(back.unsynced, 0);
	assert_int_equal(back.damaged, 0);
	proto_daystate_free(&back);
	/* a failed sync and a day found damaged, offsets 0 and beyond 4 GiB kept */
	st.unsynced = 1;
	st.unsynced_from = 0;
	st.damaged = 1;
	st.damaged_at = 5000000000ull;
	assert_int_equal(proto_daystate_write(dir, UUID, 20782, &st), 0);
	assert_int_equal(proto_daystate_read(dir, UUID, 20782, &back), 0);
	assert_int_equal(back.unsynced, 1);
	assert_int_equal(back.unsynced_from, 0);
	assert_int_equal(back.damaged, 1);
	assert_true(back.damaged_at == 5000000000ull);
	assert_int_equal(back.high, 1000);
	proto_daystate_free(&back);
	/* not a sync state (its first line), or empty: refused, not read as an empty day */
	char path[4300];
	FILE *f;
	assert_int_equal(proto_daystate_path(dir, UUID, 20782, path, sizeof(path)), 0);
	assert_non_null(f = fopen(path, "w"));
	fputs("vigil-sink 1\nhigh 5\n", f);
	fclose(f);
	assert_int_equal(proto_daystate_read(dir, UUID, 20782, &back), PROTO_E_FIELD);
	assert_non_null(f = fopen(path, "w"));
	fclose(f);
	assert_int_equal(proto_daystate_read(dir, UUID, 20782, &back), PROTO_E_FIELD);
	tu_rmtree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_report_msg), cmocka_unit_test(test_req_msg),
	    cmocka_unit_test(test_ranges),     cmocka_unit_test(test_dayscan),
	    cmocka_unit_test(test_daystate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
