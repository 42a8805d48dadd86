/*
 * NAME
 *	clock.c - wall-clock and monotonic milliseconds
 *
 * DESCRIPTION
 *	proto_now_ms() is CLOCK_REALTIME, for what is stored or sent;
 *	proto_mono_ms() is CLOCK_MONOTONIC, for intervals and deadlines.
 */
#include <time.h>

#include "proto.h"

uint64_t
proto_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t
proto_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}
