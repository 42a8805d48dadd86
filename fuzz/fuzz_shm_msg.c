/*
 * NAME
 *	fuzz_shm_msg.c - libFuzzer target for a NATS message's metadata
 *
 * DESCRIPTION
 *	A writer consuming JetStream decodes whatever the stream holds: the
 *	decoder must refuse what is not metadata plus a datagram of 1 to
 *	SHM_MSG_MAX bytes, and what it accepts must encode back to the
 *	same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shm_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t again[SHM_MSG_HDR_LEN];
	shm_msg_meta_t m;

	if (shm_msg_decode(data, size, &m) == 0) {
		if (m.len != size - SHM_MSG_HDR_LEN || m.len == 0 || m.len > SHM_MSG_MAX)
			abort();
		shm_msg_encode(&m, again);
		if (memcmp(again, data, SHM_MSG_HDR_LEN))
			abort();
	}
	return 0;
}
