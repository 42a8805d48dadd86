/*
 * NAME
 *	test_cam_abr.c - the camera's bitrate ladder (firmware/cam_abr.c)
 *
 * DESCRIPTION
 *	The ladder is pure arithmetic on receiver reports, so it is tested
 *	here from fabricated reports, linked from the firmware's objects
 *	(all but its main file): rungs derived from the base stream, a
 *	step down to the best rung under what got through, no action on
 *	the report that follows a change unless its loss is heavy, JPEG under the threshold, 4 clean reports to step up and 8
 *	to leave JPEG, and the caps a weak signal puts on the best rung.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "firmware/cam_media.h"

static const cam_feed_conf_t BASE = {"testsrc", PROTO_C_H264, 640, 360, 15, 1000, 30, 75, NULL};

/* A one-second report: `sent` datagrams of 1000 bytes expected, `lost` of them lost. */
static int
report(cam_abr_t *a, uint32_t sent, uint32_t lost, int signal)
{
	proto_rr_t rr = {1000, sent, sent - lost, (sent - lost) * 1000, 0};
	return cam_abr_report(a, &rr, signal);
}

static void
test_rungs(void **state)
{
	cam_abr_t a;

	(void)state;
	cam_abr_init(&a, &BASE, 200, 2);
	assert_int_equal(a.n, CAM_ABR_RUNGS);
	assert_int_equal(a.rung[0].kbps, 1000);
	assert_int_equal(a.rung[0].w, 640);
	assert_int_equal(a.rung[1].w, 480);
	assert_int_equal(a.rung[2].w, 320);
	assert_int_equal(a.rung[2].h, 180);
	assert_int_equal(a.rung[4].w, 160);
	assert_int_equal(a.rung[4].h, 96);
	for (int i = 0; i < a.n - 1; i++) {
		assert_int_equal(a.rung[i].codec, PROTO_C_H264);
		assert_true(i == 0 || a.rung[i].kbps < a.rung[i - 1].kbps);
	}
	assert_int_equal(a.rung[a.n - 1].codec, PROTO_C_JPEG);
	assert_int_equal(a.rung[a.n - 1].fps, 2);
	assert_int_equal(cam_abr_rung(&a)->kbps, 1000);
}

static void
test_down_hold_up(void **state)
{
	cam_abr_t a;
	int i;

	(void)state;
	cam_abr_init(&a, &BASE, 200, 2);
	/* 50 datagrams of 1000 B a second get through: 400 kbps, cap 340: rung 3 (200 kbps) */
	assert_int_equal(report(&a, 125, 75, 90), 1);
	assert_int_equal(a.cur, 3);
	/* the next report measures the switch: moderate loss is not acted on */
	assert_int_equal(report(&a, 30, 3, 90), 0);
	assert_int_equal(a.cur, 3);
	/* then it is: one rung down at least */
	assert_int_equal(report(&a, 30, 3, 90), 1);
	assert_int_equal(a.cur, 4);
	report(&a, 15, 0, 90); /* held */
	for (i = 0; i < 3; i++)
		assert_int_equal(report(&a, 15, 0, 90), 0);
	assert_int_equal(report(&a, 15, 0, 90), 1); /* the 4th clean report */
	assert_int_equal(a.cur, 3);
	assert_int_equal(a.changes, 3);
	assert_int_equal(a.to_jpeg, 0);
}

static void
test_jpeg_and_back(void **state)
{
	cam_abr_t a;
	int i;

	(void)state;
	cam_abr_init(&a, &BASE, 200, 2);
	/* heavy loss, 12 kB/s through: 96 kbps, under the threshold: JPEG at once */
	assert_int_equal(report(&a, 125, 113, 90), 1);
	assert_int_equal(cam_abr_rung(&a)->codec, PROTO_C_JPEG);
	assert_int_equal(a.to_jpeg, 1);
	report(&a, 8, 0, 90); /* held */
	for (i = 0; i < 7; i++)
		assert_int_equal(report(&a, 8, 0, 90), 0);
	assert_int_equal(report(&a, 8, 0, 90), 1); /* 8 clean reports */
	assert_int_equal(cam_abr_rung(&a)->codec, PROTO_C_H264);
	assert_int_equal(a.cur, a.n - 2);
	assert_int_equal(a.from_jpeg, 1);
	/* moderate loss under the threshold on the last H.264 rung: JPEG */
	report(&a, 10, 0, 90); /* held */
	assert_int_equal(report(&a, 10, 1, 90), 1);
	assert_int_equal(cam_abr_rung(&a)->codec, PROTO_C_JPEG);
}

static void
test_moderate_loss_above_last_rung(void **state)
{
	cam_abr_t a;

	(void)state;
	cam_abr_init(&a, &BASE, 200, 2);
	/* 8 % loss with 230 kbps through on the best rung: a step, not JPEG */
	assert_int_equal(report(&a, 31, 2, 90), 1);
	assert_int_not_equal(cam_abr_rung(&a)->codec, PROTO_C_JPEG);
}

static void
test_signal(void **state)
{
	cam_abr_t a;

	(void)state;
	cam_abr_init(&a, &BASE, 200, 2);
	assert_int_equal(report(&a, 100, 0, 45), 1);
	assert_int_equal(a.cur, 1);
	cam_abr_init(&a, &BASE, 200, 2);
	assert_int_equal(report(&a, 100, 0, 30), 1);
	assert_int_equal(a.cur, 2);
	cam_abr_init(&a, &BASE, 200, 2);
	assert_int_equal(report(&a, 100, 0, 20), 1);
	assert_int_equal(a.cur, a.n - 2);
	cam_abr_init(&a, &BASE, 200, 2);
	assert_int_equal(report(&a, 100, 0, 10), 1);
	assert_int_equal(cam_abr_rung(&a)->codec, PROTO_C_JPEG);
	/* a report with nothing expected changes nothing */
	proto_rr_t none = {1000, 0, 0, 0, 0};
	assert_int_equal(cam_abr_report(&a, &none, 90), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rungs),
	    cmocka_unit_test(test_down_hold_up),
	    cmocka_unit_test(test_jpeg_and_back),
	    cmocka_unit_test(test_moderate_loss_above_last_rung),
	    cmocka_unit_test(test_signal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
