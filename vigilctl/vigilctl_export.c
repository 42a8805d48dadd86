/*
 * NAME
 *	vigilctl_export.c - export what a camera recorded from its day files
 *
 * DESCRIPTION
 *	export -d KEYDIR [-s video|telemetry] [-c h264|jpeg] [-o OUT] [-l]
 *	       [-k] FILE...
 *
 *	Opens every session of the files with the server's private key (the
 *	secret each stored hello carries), decrypts and reassembles the
 *	frames of one stream, in file order:
 *	  video: the frames of one codec written back to back to OUT (an
 *	  H.264 Annex-B stream, or concatenated JPEG images), which any
 *	  decoder reads; -l lists one line per frame on stdout.
 *	  telemetry: one line per record on stdout (proto_telemetry_fmt).
 *	-k instead prints, for every sealed datagram, the AES key and the
 *	nonce it was sealed with ("KEY NONCE" in hex), so that a test can
 *	show that no pair ever repeats. Exits 1 when a hello or a tag does
 *	not verify.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto_crypto.h"
#include "proto_frag.h"
#include "proto_record.h"
#include "vigilctl.h"

#define EXPORT_SESSIONS 256

typedef struct export
{
	const char *keydir;
	int stream, codec, list, keys;
	FILE *out;
	EVP_PKEY *server;
	struct {
		uint8_t uuid[PROTO_UUID_LEN];
		uint32_t date, id;
		proto_session_t *s;
	} sess[EXPORT_SESSIONS];
	int nsess;
	proto_reasm_t *reasm;
	uint64_t frames, bad;
}
export_t;

static proto_session_t *
find_session(export_t *x, const uint8_t *uuid, uint32_t date, uint32_t id)
{
	int i;

	for (i = 0; i < x->nsess; i++)
		if (x->sess[i].id == id && x->sess[i].date == date &&
		    !memcmp(x->sess[i].uuid, uuid, PROTO_UUID_LEN))
			return x->sess[i].s;
	return NULL;
}

static void
add_hello(export_t *x, const proto_rec_t *rec, EVP_PKEY *cam)
{
	uint8_t secret[PROTO_SECRET_LEN];
	proto_hello_t h;

	if (proto_hello_verify(rec->dgram, rec->len, cam, &h) < 0 ||
	    proto_hello_unwrap(&h, x->server, secret) < 0) {
		x->bad++;
		return;
	}
	if (find_session(x, h.uuid, h.date, h.counter) || x->nsess == EXPORT_SESSIONS)
		return;
	memcpy(x->sess[x->nsess].uuid, h.uuid, PROTO_UUID_LEN);
	x->sess[x->nsess].date = h.date;
	x->sess[x->nsess].id = h.counter;
	x->sess[x->nsess].s = proto_session_new(h.uuid, h.date, h.counter, secret);
	OPENSSL_cleanse(secret, sizeof(secret));
	if (x->sess[x->nsess].s)
		x->nsess++;
}

static void
print_key(export_t *x, proto_session_t *s, const proto_data_hdr_t *c)
{
	uint8_t key[PROTO_KEY_LEN], nonce[PROTO_NONCE_LEN];
	char k[2 * PROTO_KEY_LEN + 1], n[2 * PROTO_NONCE_LEN + 1];
	int rc;

	if (c->type == PROTO_T_DATA)
		rc = proto_session_frame_key(s, c->stream, c->frame, key);
	else
		rc = proto_session_frame_key(s, PROTO_S_CONTROL, c->counter, key);
	if (rc < 0) {
		x->bad++;
		return;
	}
	proto_c2s_nonce(c->date, c->counter, nonce);
	proto_hex(key, sizeof(key), k);
	proto_hex(nonce, sizeof(nonce), n);
	printf("%s %s\n", k, n);
}

static void
emit(export_t *x, const proto_frame_t *f)
{
	char line[256];

	if (f->stream == PROTO_S_TELEMETRY) {
		proto_telemetry_t t;
		if (proto_telemetry_decode(f->data, f->len, &t) < 0) {
			x->bad++;
			return;
		}
		proto_telemetry_fmt(&t, line, sizeof(line));
		printf("%s\n", line);
		x->frames++;
		return;
	}
	if (f->codec != x->codec)
		return;
	if (x->list)
		printf("frame=%u session=%u codec=%u key=%d capture_ms=%llu len=%zu\n", f->frame,
		       f->session, f->codec, f->flags & PROTO_F_KEYFRAME ? 1 : 0,
		       (unsigned long long)f->capture_ms, f->len);
	if (x->out && fwrite(f->data, 1, f->len, x->out) != f->len)
		x->bad++;
	x->frames++;
}

static int
export_file(export_t *x, const char *path)
{
	static uint8_t plain[PROTO_MAX_DGRAM];
	EVP_PKEY *cam = NULL;
	proto_reader_t *r;
	proto_rec_t rec;
	proto_frame_t f;
	char u[37], p[4200];
	int rc;

	if ((rc = proto_reader_open(path, &r)) < 0) {
		fprintf(stderr, "vigilctl: %s: %s\n", path, proto_strerror(rc));
		return -1;
	}
	/* a revoked camera's recordings are still evidence: read its key file */
	proto_uuid_fmt(proto_reader_header(r)->uuid, u);
	snprintf(p, sizeof(p), "%s/cameras/%s.pub", x->keydir, u);
	if ((cam = proto_key_load_public(p)) == NULL) {
		fprintf(stderr, "vigilctl: %s: %s\n", path, proto_errmsg());
		proto_reader_free(r);
		return -1;
	}
	while ((rc = proto_reader_next(r, &rec)) == 1) {
		proto_session_t *s;
		proto_data_hdr_t c, h;

		if (rec.len < PROTO_C2S_HDR_LEN)
			continue;
		proto_dgram_peek(rec.dgram, rec.len, &c);
		if (c.type == PROTO_T_HELLO) {
			add_hello(x, &rec, cam);
			continue;
		}
		if ((s = find_session(x, c.uuid, c.date, c.session)) == NULL) {
			x->bad++;
			continue;
		}
		if (x->keys) {
			print_key(x, s, &c);
			continue;
		}
		if (c.type != PROTO_T_DATA || c.stream != x->stream)
			continue;
		if (proto_data_open(s, rec.dgram, rec.len, &h, plain) < 0) {
			x->bad++;
			continue;
		}
		if (proto_reasm_add(x->reasm, &h, plain, 0, &f) == 1)
			emit(x, &f);
	}
	EVP_PKEY_free(cam);
	proto_reader_free(r);
	return rc < 0 ? -1 : 0;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: vigilctl export -d KEYDIR [-s video|telemetry] [-c h264|jpeg] [-o OUT] "
		   "[-l] [-k] FILE...\n");
}

int
vigilctl_export(int argc, char **argv)
{
	export_t *x;
	const char *out = NULL;
	char path[4200];
	int c, i, rc = 1;

	if ((x = calloc(1, sizeof(*x))) == NULL)
		return 1;
	x->stream = PROTO_S_VIDEO;
	x->codec = PROTO_C_H264;
	while ((c = getopt(argc, argv, "d:s:c:o:lkh")) != -1) {
		switch (c) {
		case 'd': x->keydir = optarg; break;
		case 's':
			x->stream =
			    !strcmp(optarg, "telemetry") ? PROTO_S_TELEMETRY : PROTO_S_VIDEO;
			break;
		case 'c': x->codec = !strcmp(optarg, "jpeg") ? PROTO_C_JPEG : PROTO_C_H264; break;
		case 'o': out = optarg; break;
		case 'l': x->list = 1; break;
		case 'k': x->keys = 1; break;
		case 'h':
			usage(stdout);
			free(x);
			return 0;
		default:
			usage(stderr);
			free(x);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		free(x);
		return 2;
	}
	x->keydir = vigilctl_keydir(x->keydir);
	snprintf(path, sizeof(path), "%s/server.key", x->keydir);
	if ((x->server = proto_key_load_private(path)) == NULL) {
		fprintf(stderr, "vigilctl: %s\n", proto_errmsg());
		goto done;
	}
	if (out && (x->out = fopen(out, "wb")) == NULL) {
		perror(out);
		goto done;
	}
	if ((x->reasm = proto_reasm_new(64, 4 * PROTO_MAX_FRAME, 1000)) == NULL)
		goto done;
	for (i = optind; i < argc; i++)
		if (export_file(x, argv[i]) < 0)
			goto done;
	fprintf(stderr, "vigilctl export: %llu frames, %llu datagrams or hellos did not verify\n",
		(unsigned long long)x->frames, (unsigned long long)x->bad);
	rc = x->bad ? 1 : 0;
done:
	if (x->out && fclose(x->out) != 0)
		rc = 1;
	for (i = 0; i < x->nsess; i++)
		proto_session_free(x->sess[i].s);
	proto_reasm_free(x->reasm);
	EVP_PKEY_free(x->server);
	free(x);
	return rc;
}
