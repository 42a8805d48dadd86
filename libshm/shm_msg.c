/*
 * NAME
 *	shm_msg.c - encode and decode a message's metadata (shm_msg.h)
 */
#include <errno.h>
#include <string.h>

#include "shm_msg.h"

static void
put(uint8_t *p, uint64_t v, int n)
{
	while (n-- > 0) {
		p[n] = (uint8_t)v;
		v >>= 8;
	}
}

static uint64_t
get(const uint8_t *p, int n)
{
	uint64_t v = 0;

	while (n-- > 0)
		v = v << 8 | *p++;
	return v;
}

void
shm_msg_encode(const shm_msg_meta_t *meta, uint8_t out[SHM_MSG_HDR_LEN])
{
	out[0] = SHM_MSG_VERSION;
	out[1] = 0;
	put(out + 2, meta->port, 2);
	put(out + 4, meta->session, 4);
	put(out + 8, meta->arrival_ns, 8);
	memcpy(out + 16, meta->addr, 16);
}

int
shm_msg_decode(const uint8_t *buf, size_t len, shm_msg_meta_t *meta)
{
	if (len <= SHM_MSG_HDR_LEN || len - SHM_MSG_HDR_LEN > SHM_MSG_MAX ||
	    buf[0] != SHM_MSG_VERSION || buf[1] != 0)
		return -EPROTO;
	memset(meta, 0, sizeof(*meta));
	meta->port = (uint16_t)get(buf + 2, 2);
	meta->session = (uint32_t)get(buf + 4, 4);
	meta->arrival_ns = get(buf + 8, 8);
	memcpy(meta->addr, buf + 16, 16);
	meta->len = (uint32_t)(len - SHM_MSG_HDR_LEN);
	return 0;
}
