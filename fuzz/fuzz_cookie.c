/*
 * NAME
 *	fuzz_cookie.c - libFuzzer target for the COOKIE and the hello trailer
 *
 * DESCRIPTION
 *	Arbitrary bytes go through proto_cookie_decode (as a camera gets
 *	them) and proto_hello_trailer (as the listener gets a hello); a
 *	decoded cookie must encode back to the same 60 bytes, a parsed
 *	trailer must lie inside the datagram, and its MAC is checked
 *	against a fixed key and source as the listener would.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "proto_crypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t key[32] = {0x42};
	struct sockaddr_storage peer = {0};
	struct sockaddr_in6 *a = (struct sockaddr_in6 *)&peer;
	uint8_t *copy, out[PROTO_COOKIE_LEN], mac[PROTO_COOKIE_MAC_LEN];
	proto_cookie_t c;
	size_t signed_len = 0;
	uint32_t issued = 0;
	int rc;

	copy = malloc(size ? size : 1);
	memcpy(copy, data, size);
	if (proto_cookie_decode(copy, size, &c) == 0) {
		if (size != PROTO_COOKIE_LEN ||
		    proto_cookie_encode(&c, out, sizeof(out)) != PROTO_COOKIE_LEN ||
		    memcmp(out, copy, PROTO_COOKIE_LEN) != 0)
			abort();
	}
	rc = proto_hello_trailer(copy, size, &signed_len, &issued, mac);
	if (rc == 0 && signed_len != size)
		abort();
	if (rc == 1) {
		if (signed_len + PROTO_COOKIE_TRAILER != size)
			abort();
		a->sin6_family = AF_INET6;
		a->sin6_port = htons(7400);
		a->sin6_addr.s6_addr[15] = 1;
		proto_cookie_check(key, issued, mac, &peer, copy + 4, issued);
	}
	free(copy);
	return 0;
}
