/*
 * NAME
 *	test_metrics.c - per-stage counters in shared memory (shm_metrics.c)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "shm_metrics.h"

static void
test_counters_render_reattach(void **state)
{
	char prefix[32], name[96], buf[4096];
	shm_seg_t seg, seg2;
	shm_metrics_t *m, *m2;
	uint64_t *a, *b;
	size_t n;
	int i;

	(void)state;
	snprintf(prefix, sizeof(prefix), "vigiltm%d", (int)getpid());
	assert_int_equal(shm_metrics_open(prefix, "writer", 3, &seg, &m), 0);
	a = shm_metrics_counter(m, "appended_total");
	b = shm_metrics_counter(m, "dropped_total");
	assert_non_null(a);
	assert_non_null(b);
	assert_ptr_equal(shm_metrics_counter(m, "appended_total"), a); /* same name, same slot */
	shm_metrics_add(a, 41);
	shm_metrics_add(a, 1);
	n = shm_metrics_render(m, buf, sizeof(buf));
	assert_int_equal(n, strlen(buf));
	assert_non_null(strstr(buf, "vigil_appended_total{stage=\"writer\",index=\"3\"} 42\n"));
	assert_non_null(strstr(buf, "vigil_dropped_total{stage=\"writer\",index=\"3\"} 0\n"));
	/* a truncated render says how much it needed */
	assert_int_equal(shm_metrics_render(m, buf, 10), n);
	/* a restarted stage re-attaches and finds its totals */
	assert_int_equal(shm_metrics_open(prefix, "writer", 3, &seg2, &m2), 0);
	assert_int_equal(*shm_metrics_counter(m2, "appended_total"), 42);
	shm_seg_detach(&seg2);
	/* bounded: the table refuses names past its size */
	for (i = 0; i < SHM_METRICS_MAX; i++) {
		snprintf(name, sizeof(name), "c%d", i);
		if (shm_metrics_counter(m, name) == NULL)
			break;
	}
	assert_int_equal(i, SHM_METRICS_MAX - 2);
	assert_null(shm_metrics_counter(m, "one_too_many"));
	shm_seg_detach(&seg);
	assert_int_equal(shm_kind_unlink(prefix, SHM_KIND_METRICS, "writer", 3), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_counters_render_reattach),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
