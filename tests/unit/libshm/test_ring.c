/*
 * NAME
 *	test_ring.c - shared segments and SPSC rings (libshm)
 *
 * DESCRIPTION
 *	Wrap-around, full, empty, oversize, batch peek and release, layout
 *	and version checks on attach, and a consumer woken from its futex
 *	sleep by a producer in another process.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "shm.h"

static char prefix[32];

static shm_ring_t *
make_ring(shm_seg_t *seg, uint32_t nslots)
{
	shm_ring_t *r;

	snprintf(prefix, sizeof(prefix), "vigil-test-%d", (int)getpid());
	assert_int_equal(shm_ring_create(prefix, SHM_KIND_RING, 0, nslots, seg, &r), 0);
	return r;
}

static void
drop_ring(shm_seg_t *seg)
{
	shm_seg_detach(seg);
	shm_kind_unlink(prefix, SHM_KIND_RING, NULL, 0);
}

static void
test_wrap_full_empty(void **state)
{
	shm_seg_t seg;
	shm_ring_t *r = make_ring(&seg, 8);
	shm_msg_meta_t m = {0};
	const shm_slot_t *s;
	uint8_t buf[SHM_MSG_MAX];
	uint32_t i, next = 0, got = 0;

	(void)state;
	assert_null(shm_ring_peek_spsc(r));
	/* many laps around an 8-slot ring, in uneven bursts */
	for (i = 0; i < 1000; i++) {
		uint32_t burst = i % 9, k;
		for (k = 0; k < burst; k++) {
			memcpy(buf, &next, 4);
			m.session = next;
			int rc = shm_ring_enqueue_spsc(r, &m, buf, 4 + next % 1400);
			if (rc == -ENOSPC) {
				assert_int_equal(shm_ring_depth(r), 8);
				break;
			}
			assert_int_equal(rc, 0);
			next++;
		}
		while ((s = shm_ring_peek_spsc(r)) != NULL && (i % 3 || s->meta.session % 2)) {
			uint32_t v;
			memcpy(&v, s->data, 4);
			assert_int_equal(v, got);
			assert_int_equal(s->meta.session, got);
			assert_int_equal(s->meta.len, 4 + got % 1400);
			assert_int_equal(s->meta.seq, got);
			shm_ring_release_spsc(r, 1);
			got++;
		}
	}
	while ((s = shm_ring_peek_spsc(r)) != NULL) {
		assert_int_equal(s->meta.session, got++);
		shm_ring_release_spsc(r, 1);
	}
	assert_int_equal(got, next);
	assert_true(next > 100 * 8);
	assert_true(r->dropped > 0);
	assert_int_equal(r->tail, next);
	assert_int_equal(r->head, next);
	drop_ring(&seg);
}

static void
test_full_and_batch(void **state)
{
	shm_seg_t seg;
	shm_ring_t *r = make_ring(&seg, 4);
	shm_msg_meta_t m = {0};
	uint8_t big[SHM_MSG_MAX + 1] = {0};
	int i;

	(void)state;
	assert_int_equal(shm_ring_enqueue_spsc(r, &m, big, SHM_MSG_MAX + 1), -EMSGSIZE);
	assert_int_equal(shm_ring_depth(r), 0);
	for (i = 0; i < 4; i++) {
		m.session = (uint32_t)i;
		assert_int_equal(shm_ring_enqueue_spsc(r, &m, big, SHM_MSG_MAX), 0);
	}
	assert_int_equal(shm_ring_enqueue_spsc(r, &m, big, 10), -ENOSPC);
	assert_int_equal(r->dropped, 1);
	assert_int_equal(shm_ring_enqueue_wait_spsc(r, &m, big, 10, 20), -ETIMEDOUT);
	/* peek ahead without releasing: a crash here would redeliver all four */
	for (i = 0; i < 4; i++)
		assert_int_equal(shm_ring_peek_at_spsc(r, (uint64_t)i)->meta.session, i);
	assert_null(shm_ring_peek_at_spsc(r, 4));
	shm_ring_release_spsc(r, 3);
	assert_int_equal(shm_ring_peek_spsc(r)->meta.session, 3);
	assert_int_equal(shm_ring_depth(r), 1);
	drop_ring(&seg);
}

static void
test_attach_checks(void **state)
{
	shm_seg_t seg, a;
	shm_ring_t *r = make_ring(&seg, 16), *ra;

	(void)state;
	assert_int_equal(shm_ring_attach(prefix, SHM_KIND_RING, 0, &a, &ra), 0);
	assert_int_equal(shm_seg_body_size(&a), shm_ring_size(16));
	assert_int_equal(ra->nslots, 16);
	/* too small for what the ring header claims */
	assert_int_equal(shm_ring_check(ra, shm_ring_size(8)), -EPROTO);
	shm_seg_detach(&a);
	/* another kind of segment is refused */
	assert_int_equal(shm_seg_attach(seg.name, SHM_KIND_METRICS, &a), -EPROTO);
	/* a different layout version is refused, for the segment and the ring */
	((shm_seg_hdr_t *)seg.base)->version = SHM_VERSION_RING + 1;
	assert_int_equal(shm_ring_attach(prefix, SHM_KIND_RING, 0, &a, &ra), -EPROTO);
	((shm_seg_hdr_t *)seg.base)->version = SHM_VERSION_RING;
	r->version = SHM_RING_VERSION + 1;
	assert_int_equal(shm_ring_attach(prefix, SHM_KIND_RING, 0, &a, &ra), -EPROTO);
	assert_int_equal(shm_ring_check(r, shm_seg_body_size(&seg)), -EPROTO);
	r->version = SHM_RING_VERSION;
	r->slot_size = 100;
	assert_int_equal(shm_ring_check(r, shm_seg_body_size(&seg)), -EPROTO);
	/* a ring size that is not a power of two is refused at init */
	assert_int_equal(shm_ring_init(r, 12), -EINVAL);
	assert_int_equal(shm_ring_attach("vigil-test-no-such", SHM_KIND_RING, 0, &a, &ra), -ENOENT);
	assert_int_equal(shm_seg_create("bad/name", SHM_KIND_RING, 64, &a), -EINVAL);
	drop_ring(&seg);
}

static void
test_wakeup_across_processes(void **state)
{
	shm_seg_t seg;
	shm_ring_t *r = make_ring(&seg, 64);
	shm_msg_meta_t m = {0};
	int status, got = 0;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int i;
		usleep(50 * 1000); /* let the consumer fall asleep */
		for (i = 0; i < 1000; i++) {
			m.session = (uint32_t)i;
			if (shm_ring_enqueue_wait_spsc(r, &m, "x", 1, 5000) != 0)
				_exit(1);
		}
		_exit(0);
	}
	while (got < 1000) {
		const shm_slot_t *s = shm_ring_peek_spsc(r);
		if (s == NULL) {
			int rc = shm_ring_wait_spsc(r, 5000);
			assert_true(rc == 0 || rc == -EINTR);
			continue;
		}
		assert_int_equal(s->meta.session, got);
		shm_ring_release_spsc(r, 1);
		got++;
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(shm_ring_wait_spsc(r, 10), -ETIMEDOUT);
	drop_ring(&seg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_wrap_full_empty),
	    cmocka_unit_test(test_full_and_batch),
	    cmocka_unit_test(test_attach_checks),
	    cmocka_unit_test(test_wakeup_across_processes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
