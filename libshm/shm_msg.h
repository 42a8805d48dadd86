/*
 * NAME
 *	shm_msg.h - a ring message's metadata as bytes, for the hop
 *	between machines
 *
 * DESCRIPTION
 *	Over NATS (libbus) a message is SHM_MSG_HDR_LEN bytes of metadata
 *	followed by the datagram exactly as the camera sent it. Layout,
 *	big-endian (docs/PROTOCOL.md, "Listener to writer over NATS"):
 *	  0 u8  version (1)
 *	  1 u8  reserved, 0
 *	  2 u16 port the datagram came from
 *	  4 u32 session
 *	  8 u64 arrival time, ns since the Unix epoch
 *	 16 16  address (IPv6, or IPv4-mapped)
 *	shm_msg_decode() checks the version, the reserved byte and the
 *	datagram's length (1 .. SHM_MSG_MAX) and fills meta (len included);
 *	it returns 0 or -EPROTO and reads nothing past len.
 */
#ifndef VIGIL_SHM_MSG_H
#define VIGIL_SHM_MSG_H

#include "shm.h"

#define SHM_MSG_HDR_LEN 32
#define SHM_MSG_VERSION 1

void shm_msg_encode(const shm_msg_meta_t *meta, uint8_t out[SHM_MSG_HDR_LEN]);
int shm_msg_decode(const uint8_t *buf, size_t len, shm_msg_meta_t *meta);

#endif
