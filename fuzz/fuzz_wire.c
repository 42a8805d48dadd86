/*
 * NAME
 *	fuzz_wire.c - libFuzzer target for every wire decoder and opener
 *
 * DESCRIPTION
 *	Feeds arbitrary bytes to the prefix and header decoders, to the body
 *	decoders, and to the AES-GCM openers of a fixed session. Nothing may
 *	crash, read out of bounds or leak; anything forged must be refused.
 *	Seeds in fuzz/corpus/fuzz_wire/ are the vectors of docs/PROTOCOL.md.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto_crypto.h"

static const uint8_t UUID[16] = {0x0f, 0x8f, 0xad, 0x5b, 0xd9, 0xcb, 0x46, 0x9f,
				 0xa1, 0x65, 0x70, 0x86, 0x77, 0x28, 0x95, 0x0e};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static proto_session_t *s;
	static uint8_t out[PROTO_MAX_DGRAM];
	proto_prefix_t p;
	proto_data_hdr_t dh;
	proto_hello_t hh;
	proto_c2s_hdr_t ch;
	proto_s2c_hdr_t sh;
	proto_report_t r;
	proto_missing_t m;
	proto_rr_t rr;
	proto_hello_ack_t a;
	proto_bye_t b;
	uint8_t *copy;

	if (s == NULL) {
		uint8_t secret[32];
		for (int i = 0; i < 32; i++)
			secret[i] = (uint8_t)i;
		s = proto_session_new(UUID, 20782, 0, secret);
		if (s == NULL)
			abort();
	}
	/* a private copy, so reads past the end are caught */
	copy = malloc(size ? size : 1);
	memcpy(copy, data, size);
	proto_prefix_decode(copy, size, &p);
	proto_data_hdr_decode(copy, size, &dh);
	proto_hello_decode(copy, size, &hh);
	proto_c2s_hdr_decode(copy, size, &ch);
	proto_s2c_hdr_decode(copy, size, &sh);
	proto_data_open(s, copy, size, &dh, out);
	proto_data_open(s, copy, size, &dh, NULL);
	proto_c2s_open(s, copy, size, &ch, out, sizeof(out));
	proto_s2c_open(s, copy, size, &sh, out, sizeof(out));
	proto_report_decode(copy, size, &r);
	proto_missing_decode(copy, size, &m);
	proto_confirm_decode(copy, size, &m);
	proto_rr_decode(copy, size, &rr);
	proto_hello_ack_decode(copy, size, &a);
	proto_bye_decode(copy, size, &b);
	free(copy);
	return 0;
}
