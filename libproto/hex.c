/*
 * NAME
 *	hex.c - bytes to and from lower-case hexadecimal
 *
 * DESCRIPTION
 *	proto_hex() writes two lower-case digits per byte; proto_unhex()
 *	takes either case and refuses anything else.
 */
#include <stddef.h>
#include <stdint.h>

#include "proto.h"

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void
proto_hex(const uint8_t *b, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[b[i] >> 4];
		out[2 * i + 1] = d[b[i] & 15];
	}
	out[2 * n] = '\0';
}

int
proto_unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t i;

	for (i = 0; i < cap; i++) {
		int a = hexval(s[2 * i]), b = a < 0 ? -1 : hexval(s[2 * i + 1]);
		if (a < 0 || b < 0)
			return PROTO_E_FIELD;
		out[i] = (uint8_t)(a << 4 | b);
	}
	return (int)cap;
}
