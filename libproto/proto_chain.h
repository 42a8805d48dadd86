/*
 * NAME
 *	proto_chain.h - tamper evidence for a day file: hash chain and
 *	signed checkpoints
 *
 * DESCRIPTION
 *	Beside DATA/<uuid>/<day>.vgl, the file <day>.chain holds, for the
 *	records of the day file in file order, a SHA-256 chain
 *	  h0 = SHA-256("vigil/1 chain" || the 64-byte file header)
 *	  hi = SHA-256(h(i-1) || record i as stored: 40-byte header + datagram)
 *	in blocks of links (each record's offset and the first 8 bytes of
 *	hi, so that a check says which record changed) each followed by a
 *	checkpoint (records chained, end offset, hi, SHA-256 of the links
 *	block) signed by the server key with RSA-PSS. docs/STORAGE.md,
 *	"Chain beside a day file", is the byte-exact specification.
 *
 *	proto_chain_update() extends the chain with what the day file gained
 *	since the last checkpoint; it reads the day file, never writes it,
 *	and is called off the write path (by vigil-indexer, or vigilctl
 *	chain). proto_chain_check() recomputes the chain and reports the
 *	first record that differs from what was signed.
 *
 *	Functions return 0 (or a count) or a negative proto_err; context in
 *	proto_errmsg(). They never print or exit.
 */
#ifndef VIGIL_PROTO_CHAIN_H
#define VIGIL_PROTO_CHAIN_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "proto.h"

#define PROTO_CHAIN_SUFFIX ".chain"
#define PROTO_CHAIN_LABEL "vigil/1 chain" /* 13 bytes, no terminator */
#define PROTO_CHAIN_CK_MAGIC "VCHK"
#define PROTO_CHAIN_LK_MAGIC "VLNK"
#define PROTO_CHAIN_VERSION 1
#define PROTO_CHAIN_SIGNED_LEN 122 /* checkpoint bytes the signature covers */
#define PROTO_CHAIN_MAX_SIG 512
#define PROTO_CHAIN_LK_HDR_LEN 8
#define PROTO_CHAIN_LINK_LEN 16
#define PROTO_CHAIN_F_CLOSED 0x0001 /* written after the UTC day ended */

typedef struct proto_chain_ckpt {
	uint16_t flags;
	uint8_t uuid[PROTO_UUID_LEN];
	uint32_t date;
	uint64_t records;  /* records chained from the start of the file */
	uint64_t end;      /* day file offset after the last chained record */
	uint64_t time_ms;  /* when the checkpoint was made, Unix ms */
	uint8_t hash[32];  /* h(records) */
	uint8_t links[32]; /* SHA-256 of the links block before the checkpoint */
	uint16_t sig_len;
	uint8_t sig[PROTO_CHAIN_MAX_SIG];
} proto_chain_ckpt_t;

/* h0 from the day file's 64-byte header. */
int proto_chain_start(const uint8_t filehdr[64], uint8_t h[32]);
/* h = SHA-256(h || rec[0..len)), rec a whole stored record. */
int proto_chain_step(uint8_t h[32], const uint8_t *rec, size_t len);

/* The checkpoint bytes: PROTO_CHAIN_SIGNED_LEN + sig_len + 4; returns the length. */
int proto_chain_ckpt_encode(const proto_chain_ckpt_t *c, uint8_t *out, size_t cap);
/* Decodes one checkpoint at buf; returns its length. Signature not checked. */
int proto_chain_ckpt_decode(const uint8_t *buf, size_t len, proto_chain_ckpt_t *c);
/* Signs (sets sig_len and sig) with the server's private key; RSA-PSS SHA-256, salt 32. */
int proto_chain_ckpt_sign(proto_chain_ckpt_t *c, EVP_PKEY *priv);
/* 0, or PROTO_E_SIGNATURE. */
int proto_chain_ckpt_verify(const proto_chain_ckpt_t *c, EVP_PKEY *pub);

/* "<day file without .vgl>.chain" into out; PROTO_E_OVERSIZE if cap is short. */
int proto_chain_path(const char *dayfile, char *out, size_t cap);

/*
 * Extend the chain of dayfile with the records it gained (at most
 * max_bytes of records per call, 0: no bound) and append one links block
 * and one checkpoint signed by priv, with PROTO_CHAIN_F_CLOSED when
 * closed is set. A checkpoint with nothing new is written only to close
 * the day once. A chain file whose last checkpoint does not verify with
 * priv's public key is not extended (PROTO_E_SIGNATURE); a torn last
 * entry (a crash while appending) is cut off first. The chain file is
 * locked (flock) while it is extended; when another process holds the
 * lock nothing is done. Returns the records chained by this call (0:
 * nothing written), or an error whose proto_strerror() is the cause;
 * proto_errmsg() then says where, or is empty.
 */
int proto_chain_update(const char *dayfile, EVP_PKEY *priv, uint64_t now_ms, int closed,
		       uint64_t max_bytes);

/* What proto_chain_check found. */
typedef struct proto_chain_report {
	uint64_t checkpoints; /* checkpoints that verified */
	uint64_t records;     /* records the last good checkpoint covers */
	uint64_t unchained;   /* good records after the last checkpoint */
	uint64_t chained_ms;  /* time of the last checkpoint */
	int closed;           /* the last checkpoint closed the day */
	int ok;               /* 1: every signed record is present and unchanged */
	char where[512];      /* when !ok: what differs, and where */
} proto_chain_report_t;

/*
 * Recompute the chain of the day file dayfile against the chain file
 * chainfile (NULL: beside it) and server_pub. Returns 0 with rep filled
 * (rep->ok says whether the file is as signed), or an error when a file
 * cannot be read (PROTO_E_IO, a header error).
 */
int proto_chain_check(const char *dayfile, const char *chainfile, EVP_PKEY *server_pub,
		      proto_chain_report_t *rep);

#endif
