/*
 * NAME
 *	fuzz_telemetry.c - libFuzzer target for the telemetry record decoder
 *
 * DESCRIPTION
 *	Arbitrary bytes to proto_telemetry_decode(): nothing may crash or
 *	read out of bounds, and whatever decodes must encode back to the
 *	same 32 bytes (or, for a 24-byte record, the same first 24).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1), out[PROTO_TELEMETRY_LEN];
	proto_telemetry_t t;
	char line[256];

	if (copy == NULL)
		return 0;
	memcpy(copy, data, size); /* exact-size buffer: ASan sees any overread */
	if (proto_telemetry_decode(copy, size, &t) == 0) {
		if (proto_telemetry_encode(&t, out, sizeof(out)) != PROTO_TELEMETRY_LEN ||
		    memcmp(out, copy, PROTO_TELEMETRY_LEN_V0) != 0 ||
		    (size == PROTO_TELEMETRY_LEN && memcmp(out, copy, size) != 0))
			abort();
		proto_telemetry_fmt(&t, line, sizeof(line));
	}
	free(copy);
	return 0;
}
