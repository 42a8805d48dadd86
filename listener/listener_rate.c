/*
 * NAME
 *	listener_rate.c - token buckets for hellos, per source and overall
 *
 * DESCRIPTION
 *	A hello costs the server an RSA verify (and, if that passes, an RSA
 *	unwrap); a flood of them must not starve data. Before any of that,
 *	a hello must take a token from the bucket of its source (IPv4 /32,
 *	also when a dual-stack socket shows it as ::ffff:a.b.c.d, or IPv6
 *	/64, hashed into a fixed table: two sources that collide share a
 *	bucket, which only ever limits more) and from the global bucket.
 *	Memory is fixed; data datagrams never pass through here.
 */
#include <string.h>
#include <netinet/in.h>

#include "listener.h"

int
listener_rate_take(listener_bucket_t *b, double rate, double burst, uint64_t now_ms)
{
	if (b->last_ms == 0) {
		b->tokens = burst;
	} else if (now_ms > b->last_ms) {
		b->tokens += (double)(now_ms - b->last_ms) * rate / 1000.0;
		if (b->tokens > burst)
			b->tokens = burst;
	}
	b->last_ms = now_ms;
	if (b->tokens < 1.0)
		return 0;
	b->tokens -= 1.0;
	return 1;
}

int
listener_rate_hello(listener_t *l, const struct sockaddr_storage *peer, uint64_t now_ms)
{
	uint32_t h = 2166136261u;
	const uint8_t *a;
	size_t n, i;

	if (peer->ss_family == AF_INET6 &&
	    !IN6_IS_ADDR_V4MAPPED(&((const struct sockaddr_in6 *)peer)->sin6_addr)) {
		a = (const uint8_t *)&((const struct sockaddr_in6 *)peer)->sin6_addr;
		n = 8; /* the /64 */
	} else if (peer->ss_family == AF_INET6) {
		/* an IPv4 source on a dual-stack socket, ::ffff:a.b.c.d: its /32 */
		a = (const uint8_t *)&((const struct sockaddr_in6 *)peer)->sin6_addr + 12;
		n = 4;
	} else {
		a = (const uint8_t *)&((const struct sockaddr_in *)peer)->sin_addr;
		n = 4;
	}
	for (i = 0; i < n; i++)
		h = (h ^ a[i]) * 16777619u;
	if (!listener_rate_take(
		&l->src_bucket[h % LISTENER_RATE_SOURCES], l->hello_rate_src,
		l->hello_rate_src * LISTENER_HELLO_BURST_SRC / LISTENER_HELLO_RATE_SRC, now_ms))
		return 0;
	return listener_rate_take(&l->all_bucket, LISTENER_HELLO_RATE_ALL, LISTENER_HELLO_BURST_ALL,
				  now_ms);
}
