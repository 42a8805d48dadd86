/*
 * NAME
 *	proto_record.h - storage file format, CRC-32C and the file reader
 *
 * DESCRIPTION
 *	A partition (camera UUID, UTC date) is stored in one append-only file,
 *	DATA/<uuid>/<yyyy-mm-dd>.vgl: a 64-byte file header, then records
 *	back to back, no padding, no index. A record is a 40-byte record
 *	header followed by one datagram exactly as it was received. All
 *	integers are big-endian. docs/STORAGE.md is the byte-exact
 *	specification; the offsets in record.c are its single source in code.
 *
 *	The reader walks a file record by record through a read-only mapping
 *	judged by the file's size from fstat() (or pread() through a buffer
 *	when the file cannot be mapped), so that it can be called again after
 *	the file grew; reader.c says how a file cut under a mapping is
 *	handled (a SIGBUS handler).
 *	A damaged record (bad magic, length 0 or above PROTO_MAX_DGRAM,
 *	reserved bits set, CRC mismatch) is skipped: the reader searches
 *	forward byte by byte for the next record that verifies. Bytes after
 *	the last good record that are not followed by a good record are the
 *	tail; the reader stops before them and retries them on the next call.
 *
 *	Functions return 0 (or a count) on success and a negative proto_err
 *	on failure; context is in proto_errmsg(). They never print or exit.
 */
#ifndef VIGIL_PROTO_RECORD_H
#define VIGIL_PROTO_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "proto.h"

/* --- crc32c.c --------------------------------------------------------- */

/*
 * CRC-32C (Castagnoli, reflected 0x82F63B78, init and xorout 0xFFFFFFFF).
 * Chains like zlib crc32(): crc = proto_crc32c(0, a, n);
 * crc = proto_crc32c(crc, b, m) equals the CRC of a || b.
 * proto_crc32c picks the SSE4.2 path when the CPU has it; the _sw and _hw
 * variants force one path (the _hw one falls back to software when the
 * instruction is missing) so that tests can compare them.
 */
uint32_t proto_crc32c(uint32_t crc, const void *buf, size_t len);
uint32_t proto_crc32c_sw(uint32_t crc, const void *buf, size_t len);
uint32_t proto_crc32c_hw(uint32_t crc, const void *buf, size_t len);
int proto_crc32c_hw_available(void);

/* --- record.c: file header and record header ------------------------- */

#define PROTO_FILE_MAGIC "VIGILDAY" /* 8 bytes, no terminator on disk */
#define PROTO_FILE_VERSION 1
#define PROTO_FILE_HDR_LEN 64
#define PROTO_FILE_SUFFIX ".vgl"

#define PROTO_REC_MAGIC "VREC" /* 0x56 0x52 0x45 0x43 */
#define PROTO_REC_HDR_LEN 40
#define PROTO_REC_MAX_LEN (PROTO_REC_HDR_LEN + PROTO_MAX_DGRAM) /* 1512 */

#define PROTO_REC_F_IPV6 0x0001 /* source address is IPv6, else IPv4-mapped */
#define PROTO_REC_F_MASK 0x0001 /* every other flag bit must be zero */

typedef struct proto_file_hdr {
	uint8_t uuid[PROTO_UUID_LEN];
	uint32_t date;       /* days since 1970-01-01, UTC */
	uint64_t created_ms; /* when the writer created the file, Unix ms */
} proto_file_hdr_t;

/* What the writer knows about a datagram besides its bytes. */
typedef struct proto_rec_meta {
	uint16_t flags;      /* PROTO_REC_F_* */
	uint64_t arrival_ns; /* CLOCK_REALTIME at receipt, ns since the epoch */
	uint8_t addr[16];    /* IPv6, or ::ffff:a.b.c.d for IPv4 */
	uint16_t port;       /* source UDP port, host order */
} proto_rec_meta_t;

/* One record as the reader returns it. */
typedef struct proto_rec {
	proto_rec_meta_t meta;
	uint64_t offset;      /* file offset of the record header */
	uint16_t len;         /* datagram length, 1..PROTO_MAX_DGRAM */
	const uint8_t *dgram; /* the datagram; see proto_reader_next() */
} proto_rec_t;

/* Writes PROTO_FILE_HDR_LEN bytes, CRC included. */
void proto_file_hdr_encode(const proto_file_hdr_t *h, uint8_t out[PROTO_FILE_HDR_LEN]);
/*
 * Checks magic (PROTO_E_MAGIC), version (PROTO_E_VERSION), CRC
 * (PROTO_E_CRC), header length and reserved bytes (PROTO_E_FIELD), in
 * that order; PROTO_E_SHORT when len < PROTO_FILE_HDR_LEN.
 */
int proto_file_hdr_decode(const uint8_t *buf, size_t len, proto_file_hdr_t *out);
/* "<dir>/<uuid>/<yyyy-mm-dd>.vgl" into out; PROTO_E_OVERSIZE if cap is short. */
int proto_file_path(const char *dir, const uint8_t uuid[PROTO_UUID_LEN], uint32_t date, char *out,
		    size_t cap);

/*
 * Fills the 40-byte record header for one datagram, CRC over the header
 * and dgram included, so that the caller can writev(hdr, dgram).
 * PROTO_E_SHORT for len 0, PROTO_E_OVERSIZE above PROTO_MAX_DGRAM,
 * PROTO_E_FIELD for reserved flag bits, or an IPv4 record whose address
 * is not IPv4-mapped.
 */
int proto_rec_encode(const proto_rec_meta_t *m, const uint8_t *dgram, size_t len,
		     uint8_t hdr[PROTO_REC_HDR_LEN]);
/*
 * Decodes and verifies the record that starts at buf[0]. Returns the
 * record's total length (header + datagram) and fills out (out->dgram
 * points into buf, out->offset is 0), or PROTO_E_MAGIC, PROTO_E_OVERSIZE
 * (length 0 or above PROTO_MAX_DGRAM), PROTO_E_FIELD (reserved bits),
 * PROTO_E_TORN (buf ends inside the record; PROTO_E_SHORT if it ends
 * inside the header), PROTO_E_CRC.
 */
int proto_rec_decode(const uint8_t *buf, size_t len, proto_rec_t *out);
/* Source address from and to a socket address (AF_INET or AF_INET6). */
int proto_rec_meta_set_addr(proto_rec_meta_t *m, const struct sockaddr *sa, socklen_t salen);
int proto_rec_meta_get_addr(const proto_rec_meta_t *m, struct sockaddr_storage *ss,
			    socklen_t *salen);

/* --- reader.c: walking a file ---------------------------------------- */

typedef struct proto_reader proto_reader_t;

typedef struct proto_reader_stats {
	uint64_t records;       /* good records returned */
	uint64_t record_bytes;  /* their bytes, headers included */
	uint64_t damaged;       /* damaged stretches skipped (each one or more records) */
	uint64_t skipped_bytes; /* bytes in those stretches */
	uint64_t tail_offset;   /* where the tail starts, when tail_len > 0 */
	uint64_t tail_len;      /* bytes after the last good record, none good after */
} proto_reader_stats_t;

/*
 * Open a reader. _open opens path read-only and closes it in _free;
 * _fdopen uses fd (a mapping or positioned reads, never its file
 * offset) and never closes it; _mem reads
 * buf[0..len), which the caller keeps unchanged until _free. The file
 * header is verified (see proto_file_hdr_decode; PROTO_E_SHORT for a file
 * shorter than a header, PROTO_E_IO when the file cannot be read). On
 * success *out is the caller's to free with proto_reader_free(). A file
 * reader that maps its file makes a process-wide SIGBUS handler current
 * (reader.c); a SIGBUS outside the readers' mappings goes on to the
 * handler it replaced.
 */
int proto_reader_open(const char *path, proto_reader_t **out);
int proto_reader_fdopen(int fd, proto_reader_t **out);
int proto_reader_mem(const uint8_t *buf, size_t len, proto_reader_t **out);
void proto_reader_free(proto_reader_t *r);

/*
 * The next good record: returns 1 and fills out, 0 at the end (clean end
 * or a tail, see stats), or PROTO_E_IO. out->dgram points into the
 * reader's buffer (or the caller's buffer for _mem) and stays valid until
 * the next call on r (if the file is cut below it meanwhile, it reads as
 * zeros). After 0, a later call continues from the end of the last good
 * record and sees whatever was appended meanwhile.
 */
int proto_reader_next(proto_reader_t *r, proto_rec_t *out);
/*
 * Continue from offset, normally a record offset returned earlier.
 * PROTO_E_FIELD if offset < PROTO_FILE_HDR_LEN (or past the end of a
 * memory reader). A seek into the middle of a record makes the next call
 * resynchronise, counted as damage.
 */
int proto_reader_seek(proto_reader_t *r, uint64_t offset);
/* Offset where the next call starts: the end of the last good record. */
uint64_t proto_reader_offset(const proto_reader_t *r);
const proto_file_hdr_t *proto_reader_header(const proto_reader_t *r);
const proto_reader_stats_t *proto_reader_stats(const proto_reader_t *r);

/*
 * Where the last good record of the file on fd ends (PROTO_FILE_HDR_LEN
 * for a file with a header and no record), for the writer to ftruncate a
 * torn tail before it appends. Returns 0, a header error, or PROTO_E_IO.
 * A file shorter than a header gives PROTO_E_SHORT with *good_end = 0.
 */
int proto_file_scan_tail(int fd, uint64_t *good_end);
/*
 * The same, starting at start, the offset of a record known to be good
 * (say from an index checkpoint), so that a large file is not read whole.
 */
int proto_file_scan_tail_from(int fd, uint64_t start, uint64_t *good_end);

#endif
