/*
 * NAME
 *	vigilctl_file.c - read a day file: dump its records, verify it
 *
 * DESCRIPTION
 *	dump FILE [--json]: one line (or JSON object) per record: offset,
 *	arrival time, source, length and the datagram's clear header, then
 *	(text) a `#` line with the records, the damaged stretches skipped
 *	and the torn tail; damage or a torn tail is also said on standard
 *	error and makes dump exit 1, as verify does.
 *	verify [-d KEYDIR] [-c] FILE: every record checksum (damaged stretches are
 *	skipped and counted, a torn tail reported), the counters present and
 *	the missing ranges below the highest; with the key directory, every
 *	hello's signature (by the camera key in the registry) and, with the
 *	secret the hello carries for the server key, every GCM tag, and the
 *	signed hash chain beside the file (vigilctl_chain.c; -c: a missing
 *	chain fails too). Exits 1
 *	when anything did not verify.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto_crypto.h"
#include "proto_record.h"
#include "vigilctl.h"

static int
open_file(const char *path, proto_reader_t **r)
{
	int rc = proto_reader_open(path, r);

	if (rc < 0)
		fprintf(stderr, "vigilctl: %s: %s (%s)\n", path, proto_strerror(rc),
			proto_errmsg());
	return rc;
}

static const char *
type_name(uint8_t t)
{
	static const char *names[] = {"?",      "hello",   "hello-ack", "data",
				      "report", "missing", "rr",        "bye"};
	return t < 8 ? names[t] : "?";
}

int
vigilctl_dump(int argc, char **argv)
{
	const proto_reader_stats_t *st;
	proto_reader_t *r;
	proto_rec_t rec;
	int json = 0, i, rc, bad;
	const char *path = NULL;
	char u[37];

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = 1;
		else if (!strcmp(argv[i], "-h")) {
			printf("usage: vigilctl dump FILE [--json]\n");
			return 0;
		} else
			path = argv[i];
	}
	if (path == NULL) {
		fprintf(stderr, "usage: vigilctl dump FILE [--json]\n");
		return 2;
	}
	if (open_file(path, &r) < 0)
		return 1;
	proto_uuid_fmt(proto_reader_header(r)->uuid, u);
	if (!json)
		printf("# camera %s date %u\n", u, proto_reader_header(r)->date);
	while ((rc = proto_reader_next(r, &rec)) == 1) {
		proto_data_hdr_t c, h;
		uint8_t type = (uint8_t)proto_dgram_peek(rec.dgram, rec.len, &c);
		uint32_t counter = c.counter;
		int isdata = proto_data_hdr_decode(rec.dgram, rec.len, &h) == 0;

		if (json) {
			printf("{\"offset\":%llu,\"arrival_ns\":%llu,\"port\":%u,\"len\":%u,"
			       "\"type\":\"%s\",\"counter\":%u",
			       (unsigned long long)rec.offset,
			       (unsigned long long)rec.meta.arrival_ns, rec.meta.port, rec.len,
			       type_name(type), counter);
			if (isdata)
				printf(
				    ",\"stream\":%u,\"codec\":%u,\"keyframe\":%s,\"frame\":%u,"
				    "\"frag\":%u,\"frags\":%u,\"capture_ms\":%llu,\"payload\":%u",
				    h.stream, h.codec,
				    h.flags & PROTO_F_KEYFRAME ? "true" : "false", h.frame,
				    h.frag_index, h.frag_count, (unsigned long long)h.capture_ms,
				    h.payload_len);
			printf("}\n");
		} else {
			printf("%10llu %-6s counter=%u len=%u", (unsigned long long)rec.offset,
			       type_name(type), counter, rec.len);
			if (isdata)
				printf(" stream=%u codec=%u frame=%u frag=%u/%u%s capture=%llu",
				       h.stream, h.codec, h.frame, h.frag_index, h.frag_count,
				       h.flags & PROTO_F_KEYFRAME ? " key" : "",
				       (unsigned long long)h.capture_ms);
			printf("\n");
		}
	}
	st = proto_reader_stats(r);
	if (!json)
		printf("# records %llu, damaged %llu (%llu bytes skipped), torn tail %llu bytes\n",
		       (unsigned long long)st->records, (unsigned long long)st->damaged,
		       (unsigned long long)st->skipped_bytes, (unsigned long long)st->tail_len);
	if (st->damaged)
		fprintf(stderr, "vigilctl: %s: %llu damaged stretches (%llu bytes) skipped\n", path,
			(unsigned long long)st->damaged, (unsigned long long)st->skipped_bytes);
	if (st->tail_len)
		fprintf(stderr, "vigilctl: %s: torn tail of %llu bytes at offset %llu\n", path,
			(unsigned long long)st->tail_len, (unsigned long long)st->tail_offset);
	bad = rc < 0 || st->damaged || st->tail_len;
	proto_reader_free(r);
	return bad;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

typedef struct sess {
	uint32_t id;
	proto_session_t *s;
} sess_t;

int
vigilctl_verify(int argc, char **argv)
{
	const char *keydir = NULL;
	uint32_t *ctr = NULL, n = 0, cap = 0, i, dups = 0;
	uint64_t tags_ok = 0, tags_bad = 0, no_hello = 0, sig_ok = 0, sig_bad = 0;
	sess_t sess[64];
	int nsess = 0, c, rc, bad, chain_req = 0;
	EVP_PKEY *server = NULL, *cam = NULL;
	const proto_reader_stats_t *st;
	proto_reader_t *r;
	proto_rec_t rec;
	char path[4200];

	while ((c = getopt(argc, argv, "d:ch")) != -1) {
		switch (c) {
		case 'd': keydir = optarg; break;
		case 'c': chain_req = 1; break;
		case 'h': printf("usage: vigilctl verify [-d KEYDIR] [-c] FILE\n"); return 0;
		default: return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: vigilctl verify [-d KEYDIR] [-c] FILE\n");
		return 2;
	}
	if (open_file(argv[optind], &r) < 0)
		return 1;
	if (keydir) {
		snprintf(path, sizeof(path), "%s/server.key", keydir);
		if ((server = proto_key_load_private(path)) == NULL ||
		    (rc = proto_registry_lookup(keydir, proto_reader_header(r)->uuid, &cam)) ==
			PROTO_E_CAMERA) {
			fprintf(stderr, "vigilctl: %s\n", proto_errmsg());
			proto_reader_free(r);
			return 1;
		}
		if (rc == PROTO_E_REVOKED) {
			/* a revoked camera's recordings are still evidence: use its key */
			char u[37];
			proto_uuid_fmt(proto_reader_header(r)->uuid, u);
			snprintf(path, sizeof(path), "%s/cameras/%s.pub", keydir, u);
			cam = proto_key_load_public(path);
		}
	}
	while ((rc = proto_reader_next(r, &rec)) == 1) {
		proto_data_hdr_t dh;

		if (rec.len < PROTO_C2S_HDR_LEN)
			continue;
		proto_dgram_peek(rec.dgram, rec.len, &dh);
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			ctr = realloc(ctr, cap * sizeof(*ctr));
		}
		ctr[n++] = dh.counter;
		if (!keydir)
			continue;
		if (dh.type == PROTO_T_HELLO) {
			proto_hello_t h;
			uint8_t secret[PROTO_SECRET_LEN];
			if (cam && proto_hello_verify(rec.dgram, rec.len, cam, &h) == 0 &&
			    proto_hello_unwrap(&h, server, secret) == 0 && nsess < 64) {
				sig_ok++;
				sess[nsess].id = h.counter;
				sess[nsess++].s =
				    proto_session_new(h.uuid, h.date, h.counter, secret);
			} else
				sig_bad++;
			continue;
		}
		proto_session_t *s = NULL;
		for (c = 0; c < nsess; c++)
			if (sess[c].id == dh.session)
				s = sess[c].s;
		if (s == NULL) {
			no_hello++;
			continue;
		}
		uint8_t body[PROTO_MAX_DGRAM];
		proto_c2s_hdr_t ch;
		int ok = dh.type == PROTO_T_DATA
			     ? proto_data_open(s, rec.dgram, rec.len, &dh, NULL) >= 0
			     : proto_c2s_open(s, rec.dgram, rec.len, &ch, body, sizeof(body)) >= 0;
		if (ok)
			tags_ok++;
		else
			tags_bad++;
	}
	st = proto_reader_stats(r);
	if (n)
		qsort(ctr, n, sizeof(*ctr), cmp_u32);
	printf("file %s\nrecords %llu, damaged %llu (%llu bytes skipped), torn tail %llu bytes\n",
	       argv[optind], (unsigned long long)st->records, (unsigned long long)st->damaged,
	       (unsigned long long)st->skipped_bytes, (unsigned long long)st->tail_len);
	printf("present:");
	for (i = 0; i < n;) {
		uint32_t lo = ctr[i], hi = lo;
		while (i < n && ctr[i] <= hi + 1) {
			if (i + 1 < n && ctr[i + 1] == ctr[i])
				dups++;
			hi = ctr[i++];
		}
		printf(" %u-%u", lo, hi);
	}
	printf("%s\nmissing:", n ? "" : " none");
	int gaps = 0;
	for (i = 0; i < n; i++) {
		uint32_t want = i == 0 ? 0 : ctr[i - 1] + 1;
		if (ctr[i] > want && (i == 0 || ctr[i] != ctr[i - 1])) {
			printf(" %u-%u", want, ctr[i] - 1);
			gaps++;
		}
	}
	printf("%s\nduplicates %u\n", gaps ? "" : " none", dups);
	if (keydir)
		printf("hellos verified %llu, failed %llu; tags verified %llu, failed %llu; "
		       "without a hello in the file %llu\n",
		       (unsigned long long)sig_ok, (unsigned long long)sig_bad,
		       (unsigned long long)tags_ok, (unsigned long long)tags_bad,
		       (unsigned long long)no_hello);
	bad = rc < 0 || st->damaged || st->tail_len || dups || sig_bad || tags_bad || no_hello;
	if (server && vigilctl_chain_report(argv[optind], server, chain_req))
		bad = 1;
	printf("%s\n", bad ? "NOT VERIFIED" : "verified");
	for (c = 0; c < nsess; c++)
		proto_session_free(sess[c].s);
	free(ctr);
	EVP_PKEY_free(server);
	EVP_PKEY_free(cam);
	proto_reader_free(r);
	return bad ? 1 : 0;
}
