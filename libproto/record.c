/*
 * NAME
 *	record.c - storage file header and record header codecs
 *
 * DESCRIPTION
 *	Byte layouts of docs/STORAGE.md. The file header is 64 bytes with a
 *	CRC-32C of its first 60 bytes; a record header is 40 bytes with a
 *	CRC-32C over its first 36 bytes followed by the datagram. Encoding
 *	validates what decoding checks, so that the writer never stores a
 *	record the reader would skip.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "proto.h"
#include "proto_record.h"

/* File header offsets. */
#define FH_MAGIC 0
#define FH_VERSION 8
#define FH_HDRLEN 10
#define FH_RSV0 12
#define FH_UUID 16
#define FH_DATE 32
#define FH_RSV1 36
#define FH_CREATED 40
#define FH_RSV2 48
#define FH_CRC 60

/* Record header offsets. */
#define RH_MAGIC 0
#define RH_LEN 4
#define RH_FLAGS 6
#define RH_ARRIVAL 8
#define RH_ADDR 16
#define RH_PORT 32
#define RH_RSV 34
#define RH_CRC 36

static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

static int
all_zero(const uint8_t *p, size_t n)
{
	while (n-- > 0)
		if (*p++ != 0)
			return 0;
	return 1;
}

void
proto_file_hdr_encode(const proto_file_hdr_t *h, uint8_t out[PROTO_FILE_HDR_LEN])
{
	memset(out, 0, PROTO_FILE_HDR_LEN);
	memcpy(out + FH_MAGIC, PROTO_FILE_MAGIC, 8);
	proto_put16(out + FH_VERSION, PROTO_FILE_VERSION);
	proto_put16(out + FH_HDRLEN, PROTO_FILE_HDR_LEN);
	memcpy(out + FH_UUID, h->uuid, PROTO_UUID_LEN);
	proto_put32(out + FH_DATE, h->date);
	proto_put64(out + FH_CREATED, h->created_ms);
	proto_put32(out + FH_CRC, proto_crc32c(0, out, FH_CRC));
}

int
proto_file_hdr_decode(const uint8_t *buf, size_t len, proto_file_hdr_t *out)
{
	uint32_t want, got;

	if (len < PROTO_FILE_HDR_LEN) {
		proto_set_errmsg("file header: %zu bytes, need %d", len, PROTO_FILE_HDR_LEN);
		return PROTO_E_SHORT;
	}
	if (memcmp(buf + FH_MAGIC, PROTO_FILE_MAGIC, 8) != 0) {
		proto_set_errmsg("file header: magic is not %s", PROTO_FILE_MAGIC);
		return PROTO_E_MAGIC;
	}
	if (proto_get16(buf + FH_VERSION) != PROTO_FILE_VERSION) {
		proto_set_errmsg("file header: format version %u, know %d",
				 proto_get16(buf + FH_VERSION), PROTO_FILE_VERSION);
		return PROTO_E_VERSION;
	}
	want = proto_get32(buf + FH_CRC);
	got = proto_crc32c(0, buf, FH_CRC);
	if (want != got) {
		proto_set_errmsg("file header: crc32c %08x, stored %08x", got, want);
		return PROTO_E_CRC;
	}
	if (proto_get16(buf + FH_HDRLEN) != PROTO_FILE_HDR_LEN || proto_get32(buf + FH_RSV0) != 0 ||
	    proto_get32(buf + FH_RSV1) != 0 || !all_zero(buf + FH_RSV2, FH_CRC - FH_RSV2)) {
		proto_set_errmsg("file header: header length %u or reserved bytes not zero",
				 proto_get16(buf + FH_HDRLEN));
		return PROTO_E_FIELD;
	}
	memcpy(out->uuid, buf + FH_UUID, PROTO_UUID_LEN);
	out->date = proto_get32(buf + FH_DATE);
	out->created_ms = proto_get64(buf + FH_CREATED);
	return 0;
}

int
proto_file_path(const char *dir, const uint8_t uuid[PROTO_UUID_LEN], uint32_t date, char *out,
		size_t cap)
{
	char u[37], d[11];
	int n;

	proto_uuid_fmt(uuid, u);
	proto_date_fmt(date, d);
	n = snprintf(out, cap, "%s/%s/%s%s", dir, u, d, PROTO_FILE_SUFFIX);
	if (n < 0 || (size_t)n >= cap) {
		proto_set_errmsg("file path longer than %zu bytes", cap);
		return PROTO_E_OVERSIZE;
	}
	return 0;
}

int
proto_rec_encode(const proto_rec_meta_t *m, const uint8_t *dgram, size_t len,
		 uint8_t hdr[PROTO_REC_HDR_LEN])
{
	uint32_t crc;

	if (len == 0) {
		proto_set_errmsg("record: empty datagram");
		return PROTO_E_SHORT;
	}
	if (len > PROTO_MAX_DGRAM) {
		proto_set_errmsg("record: datagram of %zu bytes, limit %d", len, PROTO_MAX_DGRAM);
		return PROTO_E_OVERSIZE;
	}
	if ((m->flags & ~PROTO_REC_F_MASK) != 0) {
		proto_set_errmsg("record: reserved flags %#x", m->flags);
		return PROTO_E_FIELD;
	}
	if (!(m->flags & PROTO_REC_F_IPV6) && memcmp(m->addr, v4mapped, 12) != 0) {
		proto_set_errmsg("record: IPv4 source not in ::ffff:0:0/96");
		return PROTO_E_FIELD;
	}
	memcpy(hdr + RH_MAGIC, PROTO_REC_MAGIC, 4);
	proto_put16(hdr + RH_LEN, (uint16_t)len);
	proto_put16(hdr + RH_FLAGS, m->flags);
	proto_put64(hdr + RH_ARRIVAL, m->arrival_ns);
	memcpy(hdr + RH_ADDR, m->addr, 16);
	proto_put16(hdr + RH_PORT, m->port);
	proto_put16(hdr + RH_RSV, 0);
	crc = proto_crc32c(0, hdr, RH_CRC);
	crc = proto_crc32c(crc, dgram, len);
	proto_put32(hdr + RH_CRC, crc);
	return 0;
}

int
proto_rec_decode(const uint8_t *buf, size_t len, proto_rec_t *out)
{
	uint32_t want, got;
	uint16_t dlen, flags;

	if (len < PROTO_REC_HDR_LEN) {
		proto_set_errmsg("record: %zu bytes left, header needs %d", len, PROTO_REC_HDR_LEN);
		return PROTO_E_SHORT;
	}
	if (memcmp(buf + RH_MAGIC, PROTO_REC_MAGIC, 4) != 0) {
		proto_set_errmsg("record: magic is not %s", PROTO_REC_MAGIC);
		return PROTO_E_MAGIC;
	}
	dlen = proto_get16(buf + RH_LEN);
	if (dlen == 0 || dlen > PROTO_MAX_DGRAM) {
		proto_set_errmsg("record: datagram length %u outside 1..%d", dlen, PROTO_MAX_DGRAM);
		return PROTO_E_OVERSIZE;
	}
	flags = proto_get16(buf + RH_FLAGS);
	if ((flags & ~PROTO_REC_F_MASK) != 0 || proto_get16(buf + RH_RSV) != 0) {
		proto_set_errmsg("record: reserved flags %#x or reserved field %#x", flags,
				 proto_get16(buf + RH_RSV));
		return PROTO_E_FIELD;
	}
	if (len < (size_t)PROTO_REC_HDR_LEN + dlen) {
		proto_set_errmsg("record: %zu bytes left, record needs %d", len,
				 PROTO_REC_HDR_LEN + dlen);
		return PROTO_E_TORN;
	}
	want = proto_get32(buf + RH_CRC);
	got = proto_crc32c(0, buf, RH_CRC);
	got = proto_crc32c(got, buf + PROTO_REC_HDR_LEN, dlen);
	if (want != got) {
		proto_set_errmsg("record: crc32c %08x, stored %08x", got, want);
		return PROTO_E_CRC;
	}
	out->meta.flags = flags;
	out->meta.arrival_ns = proto_get64(buf + RH_ARRIVAL);
	memcpy(out->meta.addr, buf + RH_ADDR, 16);
	out->meta.port = proto_get16(buf + RH_PORT);
	out->offset = 0;
	out->len = dlen;
	out->dgram = buf + PROTO_REC_HDR_LEN;
	return PROTO_REC_HDR_LEN + dlen;
}

int
proto_rec_meta_set_addr(proto_rec_meta_t *m, const struct sockaddr *sa, socklen_t salen)
{
	if (sa->sa_family == AF_INET && salen >= (socklen_t)sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		memcpy(m->addr, v4mapped, 12);
		memcpy(m->addr + 12, &sin->sin_addr, 4);
		m->port = ntohs(sin->sin_port);
		m->flags &= (uint16_t)~PROTO_REC_F_IPV6;
		return 0;
	}
	if (sa->sa_family == AF_INET6 && salen >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

		memcpy(m->addr, &sin6->sin6_addr, 16);
		m->port = ntohs(sin6->sin6_port);
		m->flags |= PROTO_REC_F_IPV6;
		return 0;
	}
	proto_set_errmsg("record: source address family %d", sa->sa_family);
	return PROTO_E_FIELD;
}

int
proto_rec_meta_get_addr(const proto_rec_meta_t *m, struct sockaddr_storage *ss, socklen_t *salen)
{
	memset(ss, 0, sizeof(*ss));
	if (!(m->flags & PROTO_REC_F_IPV6)) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		if (memcmp(m->addr, v4mapped, 12) != 0) {
			proto_set_errmsg("record: IPv4 source not in ::ffff:0:0/96");
			return PROTO_E_FIELD;
		}
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, m->addr + 12, 4);
		sin->sin_port = htons(m->port);
		*salen = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, m->addr, 16);
		sin6->sin6_port = htons(m->port);
		*salen = sizeof(*sin6);
	}
	return 0;
}
