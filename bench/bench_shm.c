/*
 * NAME
 *	bench_shm.c - ring throughput and wake-up latency across processes
 *
 * DESCRIPTION
 *	  BENCH shm_ring msgs_per_s=... ref=... ratio=...
 *	    1400-byte messages from a producer process to a consumer process
 *	    through one 4096-slot ring; ref: a memcpy loop of the same bytes
 *	    in one process, in the same run.
 *	  BENCH shm_wake p50_us=... p99_us=... ref=... ratio=...
 *	    a message sent every millisecond to a consumer asleep on the
 *	    ring's futex: time from enqueue to the consumer running; ref: the
 *	    same through a pipe to a reader blocked in read(2) (ref and ratio
 *	    are for p99).
 *	Nothing here is asserted; the machine is shared and noisy.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "shm.h"

#define MSGS 4000000
#define SAMPLES 2000

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
throughput(shm_ring_t *r)
{
	static uint8_t msg[1400];
	shm_msg_meta_t m = {0};
	double t0;
	pid_t pid;
	long got = 0;

	t0 = now_ns();
	if ((pid = fork()) == 0) {
		long i;
		for (i = 0; i < MSGS; i++)
			shm_ring_enqueue_wait_spsc(r, &m, msg, sizeof(msg), -1);
		_exit(0);
	}
	while (got < MSGS) {
		uint64_t n = 0;
		while (n < 64 && shm_ring_peek_at_spsc(r, n) != NULL)
			n++;
		if (n == 0) {
			shm_ring_wait_spsc(r, 100);
			continue;
		}
		shm_ring_release_spsc(r, n);
		got += (long)n;
	}
	waitpid(pid, NULL, 0);
	return MSGS / ((now_ns() - t0) / 1e9);
}

static double
memcpy_ref(void)
{
	static uint8_t src[4096][1472], dst[1472];
	volatile uint8_t sink = 0;
	double t0 = now_ns();
	long i;

	for (i = 0; i < MSGS; i++) {
		memcpy(dst, src[i & 4095], 1400);
		sink ^= dst[i & 1023];
	}
	(void)sink;
	return MSGS / ((now_ns() - t0) / 1e9);
}

static void
wake(shm_ring_t *r, double *p50, double *p99)
{
	static double lat[SAMPLES];
	shm_msg_meta_t m = {0};
	pid_t pid;
	int i = 0;

	if ((pid = fork()) == 0) {
		for (int k = 0; k < SAMPLES; k++) {
			usleep(1000);
			double t = now_ns();
			shm_ring_enqueue_wait_spsc(r, &m, &t, sizeof(t), -1);
		}
		_exit(0);
	}
	while (i < SAMPLES) {
		const shm_slot_t *s = shm_ring_peek_spsc(r);
		if (s == NULL) {
			shm_ring_wait_spsc(r, 1000);
			continue;
		}
		double t;
		memcpy(&t, s->data, sizeof(t));
		lat[i++] = (now_ns() - t) / 1e3;
		shm_ring_release_spsc(r, 1);
	}
	waitpid(pid, NULL, 0);
	qsort(lat, SAMPLES, sizeof(double), cmp);
	*p50 = lat[SAMPLES / 2];
	*p99 = lat[SAMPLES * 99 / 100];
}

static void
pipe_wake(double *p50, double *p99)
{
	static double lat[SAMPLES];
	int fds[2], i;
	pid_t pid;

	if (pipe(fds) != 0)
		return;
	if ((pid = fork()) == 0) {
		for (int k = 0; k < SAMPLES; k++) {
			usleep(1000);
			double t = now_ns();
			if (write(fds[1], &t, sizeof(t)) != sizeof(t))
				_exit(1);
		}
		_exit(0);
	}
	for (i = 0; i < SAMPLES; i++) {
		double t;
		if (read(fds[0], &t, sizeof(t)) != sizeof(t))
			break;
		lat[i] = (now_ns() - t) / 1e3;
	}
	waitpid(pid, NULL, 0);
	close(fds[0]);
	close(fds[1]);
	qsort(lat, (size_t)i, sizeof(double), cmp);
	*p50 = lat[i / 2];
	*p99 = lat[i * 99 / 100];
}

int
main(void)
{
	char prefix[32];
	shm_seg_t seg;
	shm_ring_t *r;
	double rate, ref, p50, p99, rp50 = 0, rp99 = 0;

	snprintf(prefix, sizeof(prefix), "vigil-bench-%d", (int)getpid());
	if (shm_ring_create(prefix, SHM_KIND_RING, 0, 4096, &seg, &r) != 0) {
		fprintf(stderr, "bench_shm: cannot create a shared segment\n");
		return 1;
	}
	ref = memcpy_ref();
	rate = throughput(r);
	wake(r, &p50, &p99);
	pipe_wake(&rp50, &rp99);
	printf("BENCH shm_ring msgs_per_s=%.0f ref=%.0f ratio=%.2f\n", rate, ref, rate / ref);
	printf("BENCH shm_wake p50_us=%.1f p99_us=%.1f ref=%.1f ratio=%.2f\n", p50, p99, rp99,
	       p99 / rp99);
	shm_seg_detach(&seg);
	shm_kind_unlink(prefix, SHM_KIND_RING, NULL, 0);
	return 0;
}
