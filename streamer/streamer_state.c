/*
 * NAME
 *	streamer_state.c - what every file of a streamer worker shares:
 *	its state, its clock, its counters and gauges
 *
 * DESCRIPTION
 *	One worker process, one event loop, one thread: the state is a
 *	plain global (streamer), set up by main before the loop and read
 *	by the callbacks. The clock is the monotonic one (pacing, queue
 *	ages). Counters go to the worker's metrics segment; a counter not
 *	in the segment (outside vigild, or a unit test) is NULL and ignored.
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "streamer.h"

streamer_t streamer = {.audit_fd = -1, .token_life_s = 12 * 3600, .user_streams = 32};

uint64_t
streamer_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

int
streamer_camera_days(const uint8_t uuid[16], uint32_t **out)
{
	uint32_t *d = NULL, *p;
	int n, cap = 64;

	for (;;) {
		if ((p = realloc(d, (size_t)cap * sizeof(*d))) == NULL) {
			free(d);
			return -ENOMEM;
		}
		d = p;
		if ((n = idx_camera_days(streamer.idx, uuid, d, (size_t)cap)) <= cap)
			break;
		cap = n + 64; /* days added since: ask again with room for them */
	}
	if (n <= 0) {
		free(d);
		d = NULL;
	}
	*out = d;
	return n;
}

void
streamer_count(uint64_t *c, uint64_t n)
{
	if (c)
		shm_metrics_add(c, n);
}

void
streamer_gauge(uint64_t *g, uint64_t value)
{
	if (g)
		__atomic_store_n(g, value, __ATOMIC_RELAXED); /* this worker is its only writer */
}
