/*
 * NAME
 *	fuzz_chain.c - libFuzzer target for the chain file beside a day file
 *
 * DESCRIPTION
 *	Arbitrary bytes are the chain file of a small fixed day file (a
 *	header and three records); proto_chain_check walks its links blocks
 *	and checkpoints (no signature key, so that any structure can be
 *	reached) and compares them with the day file. Also decodes the
 *	input as one checkpoint.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto_chain.h"
#include "proto_record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char day[64], chain[64];

static void
make_day(void)
{
	proto_file_hdr_t fh = {.date = 20782};
	proto_rec_meta_t m = {.port = 1};
	uint8_t b[64 + 3 * (PROTO_REC_HDR_LEN + 40)];
	size_t o = 64;
	FILE *f;

	snprintf(day, sizeof(day), "/tmp/fuzz_chain.%d.vgl", (int)getpid());
	snprintf(chain, sizeof(chain), "/tmp/fuzz_chain.%d.chain", (int)getpid());
	proto_file_hdr_encode(&fh, b);
	m.addr[10] = m.addr[11] = 0xff;
	for (int i = 0; i < 3; i++, o += PROTO_REC_HDR_LEN + 40) {
		memset(b + o + PROTO_REC_HDR_LEN, i, 40);
		proto_rec_encode(&m, b + o + PROTO_REC_HDR_LEN, 40, b + o);
	}
	if ((f = fopen(day, "wb")) != NULL) {
		fwrite(b, 1, o, f);
		fclose(f);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	proto_chain_report_t rep;
	proto_chain_ckpt_t c;
	FILE *f;

	if (day[0] == '\0')
		make_day();
	(void)proto_chain_ckpt_decode(data, size, &c);
	if ((f = fopen(chain, "wb")) == NULL)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	(void)proto_chain_check(day, chain, NULL, &rep);
	return 0;
}
