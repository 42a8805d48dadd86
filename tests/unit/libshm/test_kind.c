/*
 * NAME
 *	test_kind.c - the registry of shared segments (shm_kind.c)
 *
 * DESCRIPTION
 *	Every kind's name per its pattern, names refused, and attaching by
 *	kind: a segment of another kind or another version under the name
 *	is refused with -EPROTO, a body smaller than asked for too, and a
 *	ring attached again keeps what was not released.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "shm.h"
#include "shm_metrics.h"
#include "shm_status.h"

static void
name_is(uint32_t kind, const char *stage, uint32_t index, const char *want)
{
	char buf[SHM_NAME_MAX];

	assert_int_equal(shm_kind_name(buf, sizeof(buf), "vigil", kind, stage, index), 0);
	assert_string_equal(buf, want);
}

static void
test_names(void **state)
{
	char buf[SHM_NAME_MAX], big[SHM_NAME_MAX];
	uint32_t k, j;

	(void)state;
	name_is(SHM_KIND_RING, NULL, 3, "vigil-ring-3");
	name_is(SHM_KIND_NOTICE, NULL, 0, "vigil-notice-0");
	name_is(SHM_KIND_SYNC_IN, NULL, 7, "vigil-sync-in"); /* one per prefix: no index */
	name_is(SHM_KIND_SYNC_OUT, NULL, 0, "vigil-sync-out");
	name_is(SHM_KIND_STATUS, NULL, 0, "vigil-status");
	name_is(SHM_KIND_INDEX, NULL, 0, "vigil-index");
	name_is(SHM_KIND_SESSIONS, NULL, 1, "vigil-sessions-1");
	name_is(SHM_KIND_METRICS, "writer", 2, "vigil-metrics-writer-2");
	name_is(SHM_KIND_TEXT, "syncd", 0, "vigil-text-syncd-0");

	/* every kind is known, with a version and a tag of its own */
	for (k = 1; k <= SHM_KIND_MAX; k++) {
		assert_non_null(shm_kind_info(k));
		assert_true(shm_kind_version(k) > 0);
		for (j = 1; j < k; j++)
			assert_string_not_equal(shm_kind_info(j)->tag, shm_kind_info(k)->tag);
	}
	assert_null(shm_kind_info(0));
	assert_null(shm_kind_info(SHM_KIND_MAX + 1));
	assert_int_equal(shm_kind_version(SHM_KIND_MAX + 1), 0);
	assert_int_equal(shm_kind_version(SHM_KIND_INDEX), SHM_VERSION_INDEX);

	/* refused: unknown kind, a stage where none belongs or missing, bad prefix */
	assert_int_equal(shm_kind_name(buf, sizeof(buf), "vigil", 0, NULL, 0), -EINVAL);
	assert_int_equal(shm_kind_name(buf, sizeof(buf), "vigil", SHM_KIND_MAX + 1, NULL, 0),
			 -EINVAL);
	assert_int_equal(shm_kind_name(buf, sizeof(buf), "vigil", SHM_KIND_RING, "writer", 0),
			 -EINVAL);
	assert_int_equal(shm_kind_name(buf, sizeof(buf), "vigil", SHM_KIND_METRICS, NULL, 0),
			 -EINVAL);
	assert_int_equal(shm_kind_name(buf, sizeof(buf), "vigil", SHM_KIND_METRICS, "a/b", 0),
			 -EINVAL);
	assert_int_equal(shm_kind_name(buf, sizeof(buf), "vi/gil", SHM_KIND_STATUS, NULL, 0),
			 -EINVAL);
	assert_int_equal(shm_kind_name(buf, sizeof(buf), "", SHM_KIND_STATUS, NULL, 0), -EINVAL);
	memset(big, 'p', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(shm_kind_name(buf, sizeof(buf), big, SHM_KIND_STATUS, NULL, 0),
			 -ENAMETOOLONG);
	assert_int_equal(shm_kind_name(buf, 8, "vigil", SHM_KIND_RING, NULL, 0), -ENAMETOOLONG);
}

static void
test_wrong_kind_refused(void **state)
{
	char prefix[32], name[SHM_NAME_MAX];
	shm_seg_t seg, a;
	shm_ring_t *r;

	(void)state;
	snprintf(prefix, sizeof(prefix), "vigil-tk-%d", (int)getpid());
	/* a ring from the listener sits where the writer's notice ring should be */
	assert_int_equal(shm_kind_name(name, sizeof(name), prefix, SHM_KIND_NOTICE, NULL, 0), 0);
	assert_int_equal(shm_seg_create(name, SHM_KIND_RING, shm_ring_size(16), &seg), 0);
	assert_int_equal(shm_ring_init(shm_seg_body(&seg), 16), 0);
	assert_int_equal(shm_ring_attach(prefix, SHM_KIND_NOTICE, 0, &a, &r), -EPROTO);
	assert_int_equal(shm_kind_attach(prefix, SHM_KIND_NOTICE, NULL, 0, 0, &a), -EPROTO);
	assert_string_equal(a.name, name); /* the name tried, for messages */
	shm_seg_detach(&seg);
	/* the same under its own kind is taken */
	assert_int_equal(shm_seg_create(name, SHM_KIND_NOTICE, shm_ring_size(16), &seg), 0);
	assert_int_equal(shm_ring_init(shm_seg_body(&seg), 16), 0);
	assert_int_equal(shm_ring_attach(prefix, SHM_KIND_NOTICE, 0, &a, &r), 0);
	shm_seg_detach(&a);
	shm_seg_detach(&seg);
	assert_int_equal(shm_kind_unlink(prefix, SHM_KIND_NOTICE, NULL, 0), 0);

	/* the ring helpers take ring kinds only; the segment layer known kinds only */
	assert_int_equal(shm_ring_create(prefix, SHM_KIND_STATUS, 0, 16, &seg, &r), -EINVAL);
	assert_int_equal(shm_ring_attach(prefix, SHM_KIND_INDEX, 0, &a, &r), -EINVAL);
	assert_int_equal(shm_seg_create(name, SHM_KIND_MAX + 1, 64, &seg), -EINVAL);
	assert_int_equal(shm_kind_attach(prefix, SHM_KIND_STATUS, NULL, 0, 0, &a), -ENOENT);
}

static void
test_wrong_version_refused(void **state)
{
	char prefix[32];
	shm_seg_t seg, a;
	shm_seg_hdr_t *h;

	(void)state;
	snprintf(prefix, sizeof(prefix), "vigil-tv-%d", (int)getpid());
	assert_int_equal(
	    shm_kind_create(prefix, SHM_KIND_STATUS, NULL, 0, sizeof(shm_status_t), &seg), 0);
	h = seg.base;
	assert_int_equal(h->kind, SHM_KIND_STATUS);
	assert_int_equal(h->version, SHM_VERSION_STATUS);
	assert_int_equal(shm_seg_body_size(&seg), sizeof(shm_status_t));
	assert_int_equal(
	    shm_kind_attach(prefix, SHM_KIND_STATUS, NULL, 0, sizeof(shm_status_t), &a), 0);
	shm_seg_detach(&a);
	/* a layout one version ahead (or behind) is refused */
	h->version = SHM_VERSION_STATUS + 1;
	assert_int_equal(shm_kind_attach(prefix, SHM_KIND_STATUS, NULL, 0, 0, &a), -EPROTO);
	h->version = SHM_VERSION_STATUS - 1;
	assert_int_equal(shm_kind_attach(prefix, SHM_KIND_STATUS, NULL, 0, 0, &a), -EPROTO);
	h->version = SHM_VERSION_STATUS;
	/* a body smaller than the caller needs is refused */
	assert_int_equal(
	    shm_kind_attach(prefix, SHM_KIND_STATUS, NULL, 0, sizeof(shm_status_t) + 1, &a),
	    -EPROTO);
	shm_seg_detach(&seg);
	assert_int_equal(shm_kind_unlink(prefix, SHM_KIND_STATUS, NULL, 0), 0);

	/* a stage's metrics segment of another version is replaced, not reused */
	shm_metrics_t *m;
	assert_int_equal(shm_metrics_open(prefix, "writer", 1, &seg, &m), 0);
	shm_metrics_add(shm_metrics_counter(m, "appended_total"), 5);
	((shm_seg_hdr_t *)seg.base)->version = SHM_VERSION_METRICS + 1;
	shm_seg_detach(&seg);
	assert_int_equal(shm_metrics_open(prefix, "writer", 1, &seg, &m), 0);
	assert_int_equal(((shm_seg_hdr_t *)seg.base)->version, SHM_VERSION_METRICS);
	assert_int_equal(*shm_metrics_counter(m, "appended_total"), 0);
	shm_seg_detach(&seg);
	assert_int_equal(shm_kind_unlink(prefix, SHM_KIND_METRICS, "writer", 1), 0);
}

/* Crash contract: attaching again (a restarted consumer) leaves head and tail alone. */
static void
test_reattach_keeps_unreleased(void **state)
{
	char prefix[32];
	shm_seg_t seg, a;
	shm_ring_t *r, *ra;
	shm_msg_meta_t m = {0};
	uint32_t i;

	(void)state;
	snprintf(prefix, sizeof(prefix), "vigil-tr-%d", (int)getpid());
	assert_int_equal(shm_ring_create(prefix, SHM_KIND_SYNC_IN, 0, 8, &seg, &r), 0);
	for (i = 0; i < 3; i++) {
		m.session = i;
		assert_int_equal(shm_ring_enqueue_spsc(r, &m, "x", 1), 0);
	}
	assert_non_null(shm_ring_peek_spsc(r)); /* peeked, never released: the consumer dies */
	assert_int_equal(shm_ring_attach(prefix, SHM_KIND_SYNC_IN, 0, &a, &ra), 0);
	assert_int_equal(shm_ring_depth(ra), 3);
	assert_int_equal(shm_ring_peek_spsc(ra)->meta.session, 0);
	shm_seg_detach(&a);
	shm_seg_detach(&seg);
	assert_int_equal(shm_kind_unlink(prefix, SHM_KIND_SYNC_IN, NULL, 0), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_wrong_kind_refused),
	    cmocka_unit_test(test_wrong_version_refused),
	    cmocka_unit_test(test_reattach_keeps_unreleased),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
