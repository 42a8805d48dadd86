/*
 * NAME
 *	uuid.c - camera UUIDs: make, format, parse
 *
 * DESCRIPTION
 *	UUIDs are version 4, variant 1, formatted in lower case as
 *	xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/rand.h>

#include "proto.h"

void
proto_uuid_v4(uint8_t uuid[PROTO_UUID_LEN])
{
	if (RAND_bytes(uuid, PROTO_UUID_LEN) != 1) {
		/* RAND_bytes only fails when the DRBG cannot be seeded. */
		FILE *f = fopen("/dev/urandom", "rb");
		size_t n = f ? fread(uuid, 1, PROTO_UUID_LEN, f) : 0;
		if (f)
			fclose(f);
		if (n != PROTO_UUID_LEN)
			memset(uuid, 0, PROTO_UUID_LEN);
	}
	uuid[6] = (uuid[6] & 0x0f) | 0x40; /* version 4 */
	uuid[8] = (uuid[8] & 0x3f) | 0x80; /* variant 10 */
}

void
proto_uuid_fmt(const uint8_t u[PROTO_UUID_LEN], char out[37])
{
	static const char hex[] = "0123456789abcdef";
	int i, o = 0;

	for (i = 0; i < PROTO_UUID_LEN; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[u[i] >> 4];
		out[o++] = hex[u[i] & 15];
	}
	out[o] = '\0';
}

int
proto_uuid_parse(const char *s, uint8_t u[PROTO_UUID_LEN])
{
	/* 8-4-4-4-12 digits: each group read in turn, so never past a short s's end */
	static const uint8_t group[] = {4, 2, 2, 2, 6};
	size_t i, at = 0, o = 0;

	for (i = 0; i < sizeof(group); i++) {
		if (i > 0 && s[at++] != '-')
			goto bad;
		if (proto_unhex(s + at, u + o, group[i]) < 0)
			goto bad;
		at += 2 * group[i];
		o += group[i];
	}
	if (s[at] != '\0')
		goto bad;
	return 0;
bad:
	proto_set_errmsg("not a UUID: \"%.40s\"", s);
	return PROTO_E_FIELD;
}
