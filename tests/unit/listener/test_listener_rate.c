/*
 * NAME
 *	test_listener_rate.c - the hello token buckets (listener/listener_rate.c)
 *
 * DESCRIPTION
 *	Time is given to the buckets, never slept. Checks: a new bucket
 *	holds its burst and refuses past it; it refills at its rate, a
 *	token only once a whole one has grown, and never past the burst;
 *	a clock that goes back adds nothing. Per source: a source is
 *	refused after its burst while another is not; an IPv4 source seen
 *	as ::ffff:a.b.c.d on a dual-stack socket shares its bucket; two
 *	IPv6 sources of one /64 share one. Overall: past the global burst
 *	every source is refused, and a millisecond later one hello passes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <cmocka.h>

#include "listener/listener.h"

#define T0 1795600000000ull /* a wall clock in ms; 0 means a bucket never used */

static void
test_take(void **state)
{
	listener_bucket_t b = {0};
	int i;

	(void)state;
	/* rate 2 a second, burst 3 */
	for (i = 0; i < 3; i++)
		assert_int_equal(listener_rate_take(&b, 2.0, 3.0, T0), 1);
	assert_int_equal(listener_rate_take(&b, 2.0, 3.0, T0), 0);
	/* half a token after 250 ms: not yet; a whole one at 500 ms */
	assert_int_equal(listener_rate_take(&b, 2.0, 3.0, T0 + 250), 0);
	assert_int_equal(listener_rate_take(&b, 2.0, 3.0, T0 + 499), 0);
	assert_int_equal(listener_rate_take(&b, 2.0, 3.0, T0 + 500), 1);
	assert_int_equal(listener_rate_take(&b, 2.0, 3.0, T0 + 500), 0);
	/* an hour later: the burst, no more */
	for (i = 0; i < 3; i++)
		assert_int_equal(listener_rate_take(&b, 2.0, 3.0, T0 + 3600000), 1);
	assert_int_equal(listener_rate_take(&b, 2.0, 3.0, T0 + 3600000), 0);
	/* the clock going back adds nothing */
	assert_int_equal(listener_rate_take(&b, 2.0, 3.0, T0), 0);
}

static struct sockaddr_storage
v4(const char *a)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof(ss));
	s->sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, a, &s->sin_addr), 1);
	return ss;
}

static struct sockaddr_storage
v6(const char *a)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	s->sin6_family = AF_INET6;
	assert_int_equal(inet_pton(AF_INET6, a, &s->sin6_addr), 1);
	return ss;
}

static listener_t *
listener_new(double rate_src)
{
	listener_t *l = calloc(1, sizeof(*l));

	assert_non_null(l);
	l->hello_rate_src = rate_src;
	return l;
}

/* Hellos from p at now until one is refused: how many passed (at most max). */
static int
passes(listener_t *l, const struct sockaddr_storage *p, uint64_t now, int max)
{
	int n = 0;

	while (n < max && listener_rate_hello(l, p, now))
		n++;
	return n;
}

static void
test_per_source(void **state)
{
	listener_t *l = listener_new(LISTENER_HELLO_RATE_SRC);
	struct sockaddr_storage a = v4("192.0.2.1"), b = v4("198.51.100.7");
	struct sockaddr_storage a6 = v6("::ffff:192.0.2.1");
	int burst = (int)LISTENER_HELLO_BURST_SRC;

	(void)state;
	assert_int_equal(passes(l, &a, T0, 100), burst);
	assert_int_equal(listener_rate_hello(l, &a6, T0), 0);
	assert_int_equal(passes(l, &b, T0, 100), burst);
	/* one more per 1 / rate seconds */
	assert_int_equal(passes(l, &a, T0 + (uint64_t)(1000 / LISTENER_HELLO_RATE_SRC), 100), 1);
	free(l);
}

static void
test_ipv6_prefix(void **state)
{
	listener_t *l = listener_new(LISTENER_HELLO_RATE_SRC);
	struct sockaddr_storage a = v6("2001:db8:1:2::1"), same = v6("2001:db8:1:2:ffff::9");
	struct sockaddr_storage other = v6("2001:db8:1:3::1");
	int burst = (int)LISTENER_HELLO_BURST_SRC;

	(void)state;
	assert_int_equal(passes(l, &a, T0, 100), burst);
	assert_int_equal(listener_rate_hello(l, &same, T0), 0);
	assert_int_equal(passes(l, &other, T0, 100), burst);
	free(l);
}

static void
test_global(void **state)
{
	/* sources limited far above the global bucket: only that one refuses */
	listener_t *l = listener_new(1e9);
	struct sockaddr_storage a = v4("192.0.2.1"), b = v4("198.51.100.7");
	int burst = (int)LISTENER_HELLO_BURST_ALL;

	(void)state;
	assert_int_equal(passes(l, &a, T0, burst + 100), burst);
	assert_int_equal(listener_rate_hello(l, &b, T0), 0);
	/* LISTENER_HELLO_RATE_ALL a second: one a millisecond */
	assert_int_equal(passes(l, &b, T0 + (uint64_t)(1000 / LISTENER_HELLO_RATE_ALL), 100), 1);
	free(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_take),
	    cmocka_unit_test(test_per_source),
	    cmocka_unit_test(test_ipv6_prefix),
	    cmocka_unit_test(test_global),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
