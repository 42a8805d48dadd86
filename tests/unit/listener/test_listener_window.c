/*
 * NAME
 *	test_listener_window.c - the listener's replay window
 *	(listener/listener_window.c)
 *
 * DESCRIPTION
 *	A camera's window remembers which of the LISTENER_WINDOW counters
 *	below its newest one (of its newest date) went to a ring. Checks:
 *	an empty window has seen nothing; a counter marked is seen, its
 *	neighbours are not; counters marked out of order inside the window
 *	are seen; one older than the window is neither marked nor seen;
 *	when the window slides, what falls out is forgotten, also where a
 *	new counter shares a bit with an old one; a jump of a whole window
 *	or more forgets everything; a newer date starts afresh and an
 *	earlier date's counters are not marked; UINT32_MAX is never marked.
 *	listener_window_stored does not look for the index for what the
 *	window covers; for an older counter it looks once a second, and
 *	with no indexer it answers 0.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "listener/listener.h"

#define DATE 20782u

static listener_sess_t *
sess_new(void)
{
	listener_sess_t *ls = calloc(1, sizeof(*ls));

	assert_non_null(ls);
	return ls;
}

static void
test_empty(void **state)
{
	listener_sess_t *ls = sess_new();

	(void)state;
	assert_false(listener_window_seen(ls, DATE, 0));
	assert_false(listener_window_seen(ls, DATE, 1));
	assert_false(listener_window_seen(ls, 0, 0));
	free(ls);
}

static void
test_new_counters(void **state)
{
	listener_sess_t *ls = sess_new();
	uint32_t c;

	(void)state;
	for (c = 0; c < 100; c++) {
		assert_false(listener_window_seen(ls, DATE, c));
		listener_window_mark(ls, DATE, c);
		assert_true(listener_window_seen(ls, DATE, c));
		assert_false(listener_window_seen(ls, DATE, c + 1));
	}
	for (c = 0; c < 100; c++)
		assert_true(listener_window_seen(ls, DATE, c));
	/* the same counter of another day is another datagram */
	assert_false(listener_window_seen(ls, DATE + 1, 50));
	assert_false(listener_window_seen(ls, DATE - 1, 50));
	free(ls);
}

static void
test_out_of_order(void **state)
{
	listener_sess_t *ls = sess_new();

	(void)state;
	listener_window_mark(ls, DATE, 1000);
	assert_false(listener_window_seen(ls, DATE, 500));
	listener_window_mark(ls, DATE, 500);
	assert_true(listener_window_seen(ls, DATE, 500));
	assert_false(listener_window_seen(ls, DATE, 499));
	assert_false(listener_window_seen(ls, DATE, 501));
	assert_true(listener_window_seen(ls, DATE, 1000));
	free(ls);
}

static void
test_too_old(void **state)
{
	listener_sess_t *ls = sess_new();
	uint32_t top = 10000, oldest = top + 1 - LISTENER_WINDOW;

	(void)state;
	listener_window_mark(ls, DATE, top);
	/* the oldest counter the window holds, and the one below it */
	listener_window_mark(ls, DATE, oldest);
	assert_true(listener_window_seen(ls, DATE, oldest));
	listener_window_mark(ls, DATE, oldest - 1);
	assert_false(listener_window_seen(ls, DATE, oldest - 1));
	/* marking one did not set the bit it shares with a counter in the window */
	listener_window_mark(ls, DATE, oldest - 2);
	assert_false(listener_window_seen(ls, DATE, oldest - 2 + LISTENER_WINDOW));
	free(ls);
}

static void
test_slide(void **state)
{
	listener_sess_t *ls = sess_new();
	uint32_t c;

	(void)state;
	for (c = 0; c < 100; c++)
		listener_window_mark(ls, DATE, c);
	/* 4100 is marked: counters up to 4100 - LISTENER_WINDOW fall out */
	listener_window_mark(ls, DATE, 4100);
	for (c = 0; c <= 4100 - LISTENER_WINDOW; c++)
		assert_false(listener_window_seen(ls, DATE, c));
	for (c = 4100 - LISTENER_WINDOW + 1; c < 100; c++)
		assert_true(listener_window_seen(ls, DATE, c));
	/* counters that share a bit with ones that fell out were never sent */
	for (c = LISTENER_WINDOW; c < 4100; c++)
		assert_false(listener_window_seen(ls, DATE, c));
	assert_true(listener_window_seen(ls, DATE, 4100));
	free(ls);
}

static void
test_jump(void **state)
{
	listener_sess_t *ls = sess_new();
	uint32_t c;

	(void)state;
	for (c = 0; c < LISTENER_WINDOW; c++)
		listener_window_mark(ls, DATE, c);
	listener_window_mark(ls, DATE, 1000000);
	assert_true(listener_window_seen(ls, DATE, 1000000));
	for (c = 1000000 - LISTENER_WINDOW + 1; c < 1000000; c++)
		assert_false(listener_window_seen(ls, DATE, c));
	for (c = 0; c < LISTENER_WINDOW; c++)
		assert_false(listener_window_seen(ls, DATE, c));
	free(ls);
}

static void
test_dates(void **state)
{
	listener_sess_t *ls = sess_new();

	(void)state;
	listener_window_mark(ls, DATE, 100);
	listener_window_mark(ls, DATE + 1, 5);
	/* the new day starts afresh; the old one is no longer followed */
	assert_true(listener_window_seen(ls, DATE + 1, 5));
	assert_false(listener_window_seen(ls, DATE + 1, 100));
	assert_false(listener_window_seen(ls, DATE, 100));
	/* an earlier day's datagram is left to the writer's check */
	listener_window_mark(ls, DATE, 3);
	assert_false(listener_window_seen(ls, DATE, 3));
	assert_false(listener_window_seen(ls, DATE + 1, 3));
	listener_window_mark(ls, DATE + 1, UINT32_MAX);
	assert_false(listener_window_seen(ls, DATE + 1, UINT32_MAX));
	assert_true(listener_window_seen(ls, DATE + 1, 5));
	free(ls);
}

static void
test_stored_without_index(void **state)
{
	listener_sess_t *ls = sess_new();
	listener_t *l = calloc(1, sizeof(*l));
	char pfx[64];

	(void)state;
	assert_non_null(l);
	/* a prefix no indexer uses: attaching fails */
	snprintf(pfx, sizeof(pfx), "vigil-test-none-%d", (int)getpid());
	l->prefix = pfx;
	listener_window_mark(ls, DATE, 5000);
	/* inside the window, or newer: the index is not looked for */
	assert_int_equal(listener_window_stored(l, ls, DATE, 4999, 10000), 0);
	assert_int_equal(listener_window_stored(l, ls, DATE + 1, 1, 10000), 0);
	assert_int_equal(l->idx_try_ms, 0);
	/* older: looked for, not there, not known to be stored */
	assert_int_equal(listener_window_stored(l, ls, DATE, 10, 10000), 0);
	assert_int_equal(l->idx_try_ms, 10000);
	assert_null(l->idx);
	/* and not looked for again within a second */
	assert_int_equal(listener_window_stored(l, ls, DATE, 10, 10500), 0);
	assert_int_equal(l->idx_try_ms, 10000);
	free(l);
	free(ls);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_empty),        cmocka_unit_test(test_new_counters),
	    cmocka_unit_test(test_out_of_order), cmocka_unit_test(test_too_old),
	    cmocka_unit_test(test_slide),        cmocka_unit_test(test_jump),
	    cmocka_unit_test(test_dates),        cmocka_unit_test(test_stored_without_index),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
