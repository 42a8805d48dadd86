/*
 * NAME
 *	fuzz_chain.c - libFuzzer target for the chain file beside a day file
 *
 * DESCRIPTION
 *	Arbitrary bytes are the chain file of a small fixed day file (a
 *	header and three records); proto_chain_check walks its links blocks
 *	and checkpoints (no signature key, so that any structure can be
 *	reached) and compares them with the day file. Also decodes the
 *	input as one checkpoint. Both files are memory files (memfd), read
 *	by the path API through /proc/self/fd: an input is one write to
 *	memory, and proto_chain_check still opens and reads both by name.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "proto_chain.h"
#include "proto_record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char day[64], chain[64];
static int chain_fd = -1;

/* A memory file and the path that opens it: its descriptor. */
static int
memfile(const char *name, char *path, size_t cap)
{
	int fd;

	if ((fd = memfd_create(name, 0)) < 0)
		abort();
	snprintf(path, cap, "/proc/self/fd/%d", fd);
	return fd;
}

static void
make_day(void)
{
	proto_file_hdr_t fh = {.date = 20782};
	proto_rec_meta_t m = {.port = 1};
	uint8_t b[64 + 3 * (PROTO_REC_HDR_LEN + 40)];
	size_t o = 64;
	int fd;

	fd = memfile("fuzz_chain.vgl", day, sizeof(day));
	chain_fd = memfile("fuzz_chain.chain", chain, sizeof(chain));
	proto_file_hdr_encode(&fh, b);
	m.addr[10] = m.addr[11] = 0xff;
	for (int i = 0; i < 3; i++, o += PROTO_REC_HDR_LEN + 40) {
		memset(b + o + PROTO_REC_HDR_LEN, i, 40);
		proto_rec_encode(&m, b + o + PROTO_REC_HDR_LEN, 40, b + o);
	}
	if (pwrite(fd, b, o, 0) != (ssize_t)o)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	proto_chain_report_t rep;
	proto_chain_ckpt_t c;

	if (day[0] == '\0')
		make_day();
	(void)proto_chain_ckpt_decode(data, size, &c);
	if (ftruncate(chain_fd, 0) < 0 || pwrite(chain_fd, data, size, 0) != (ssize_t)size)
		abort();
	(void)proto_chain_check(day, chain, NULL, &rep);
	return 0;
}
