/*
 * NAME
 *	verify_main.c - vigil-verify: check an evidence bundle, standalone
 *
 * DESCRIPTION
 *	vigil-verify BUNDLE -k RECIPIENT_KEY [-s SERVER_PUB] [--mp4 OUT]
 *
 *	Checks a folder written by vigilctl export-bundle with OpenSSL and
 *	libproto only, no server:
 *	  1. every file's SHA-256 against manifest.txt, no file unlisted,
 *	     and manifest.sig against the server key (server.pub, or the
 *	     key given with -s, which pins it);
 *	  2. the session secrets, unwrapped with the recipient's key;
 *	  3. every record of the day file: its CRC, each hello's RSA-PSS
 *	     signature by camera.pub, every other record's AES-GCM tag with
 *	     its session's keys; hellos.vgl holds exactly the day's hellos;
 *	  4. the signed hash chain over the day file;
 *	  5. the completeness statement against the counters the file holds.
 *	Each failure is one line "FAIL <file>: <what and where>"; the exit
 *	status is 0 only when everything verified. With --mp4 OUT the
 *	selected H.264 frames are decrypted, reassembled and written as an
 *	MP4 (verify_mp4.c). The key fingerprints printed let a reader compare
 *	them with the ones registered at provisioning.
 */
#include <dirent.h>
#include <stdarg.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/x509.h>

#include "proto_bundle.h"
#include "proto_chain.h"
#include "proto_crypto.h"
#include "proto_frag.h"
#include "proto_record.h"
#include "proto_daystate.h"
#include "verify.h"

#define MAX_SESSIONS 1024
#define MAX_LISTED 64

typedef struct vsess {
	uint32_t date, id;
	proto_session_t *s;
	int hello; /* its hello verified in the day file */
} vsess_t;

typedef struct verify {
	const char *dir, *mp4;
	EVP_PKEY *server, *cam, *rcpt;
	uint8_t uuid[PROTO_UUID_LEN];
	uint32_t date;
	char day[4200], chain[4200], uuidstr[37], daystr[11];
	uint64_t from_ms, to_ms;
	vsess_t sess[MAX_SESSIONS];
	int nsess, fails;
	char listed[MAX_LISTED][600];
	int nlisted;
	/* video */
	FILE *spool;
	char spoolpath[4200];
	verify_frame_t *frames;
	size_t nframes, capframes;
	uint64_t spooled;
} verify_t;

static void __attribute__((format(printf, 3, 4)))
fail(verify_t *v, const char *file, const char *fmt, ...)
{
	va_list ap;

	printf("FAIL %s: ", file);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	v->fails++;
}

static void
path_of(const verify_t *v, const char *rel, char *out, size_t cap)
{
	snprintf(out, cap, "%s/%s", v->dir, rel);
}

static void
fingerprint(EVP_PKEY *k, char hx[65])
{
	unsigned char *der = NULL;
	uint8_t d[32];
	int n = i2d_PUBKEY(k, &der);

	memset(d, 0, sizeof(d));
	if (n > 0)
		EVP_Digest(der, (size_t)n, d, NULL, EVP_sha256(), NULL);
	OPENSSL_free(der);
	proto_hex(d, 32, hx);
}

/* --- 1. manifest ---------------------------------------------------------- */

static int
listed(const verify_t *v, const char *rel)
{
	for (int i = 0; i < v->nlisted; i++)
		if (!strcmp(v->listed[i], rel))
			return 1;
	return !strcmp(rel, PROTO_BUNDLE_MANIFEST) || !strcmp(rel, PROTO_BUNDLE_SIG);
}

static void
unlisted(verify_t *v, const char *sub)
{
	char path[4200], rel[600];
	struct dirent *e;
	struct stat st;
	DIR *d;

	path_of(v, sub, path, sizeof(path));
	if ((d = opendir(path)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(rel, sizeof(rel), "%s%s%s", sub, *sub ? "/" : "", e->d_name);
		path_of(v, rel, path, sizeof(path));
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			if (!*sub)
				unlisted(v, rel);
			continue;
		}
		if (!listed(v, rel))
			fail(v, rel, "not in the manifest");
	}
	closedir(d);
}

static void
check_manifest(verify_t *v, const char *server_pin)
{
	char path[4200], line[600], hx[65], fp[65];
	uint8_t want[32], got[32], sig[1024], *m = NULL;
	size_t ml = 0, sl;
	FILE *f;
	int ln = 0;

	path_of(v, PROTO_BUNDLE_MANIFEST, path, sizeof(path));
	if ((f = fopen(path, "r")) == NULL) {
		fail(v, PROTO_BUNDLE_MANIFEST, "missing");
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		char rel[600];
		ln++;
		if (proto_manifest_parse(line, want, rel, sizeof(rel)) < 0 ||
		    v->nlisted == MAX_LISTED) {
			fail(v, PROTO_BUNDLE_MANIFEST, "line %d is not \"<sha256>  <file>\"", ln);
			continue;
		}
		snprintf(v->listed[v->nlisted++], sizeof(v->listed[0]), "%s", rel);
		path_of(v, rel, path, sizeof(path));
		if (proto_sha256_file(path, got) < 0)
			fail(v, rel, "listed in the manifest (line %d) but missing", ln);
		else if (memcmp(want, got, 32)) {
			proto_hex(got, 32, hx);
			fail(v, rel, "SHA-256 %s differs from manifest.txt line %d", hx, ln);
		}
	}
	rewind(f);
	m = malloc(1 << 20);
	ml = m ? fread(m, 1, 1 << 20, f) : 0;
	fclose(f);
	unlisted(v, "");

	path_of(v, "server.pub", path, sizeof(path));
	v->server = proto_key_load_public(server_pin ? server_pin : path);
	path_of(v, "camera.pub", path, sizeof(path));
	v->cam = proto_key_load_public(path);
	if (v->server == NULL)
		fail(v, server_pin ? server_pin : "server.pub", "no server public key");
	if (v->cam == NULL)
		fail(v, "camera.pub", "no camera public key");
	path_of(v, PROTO_BUNDLE_SIG, path, sizeof(path));
	if ((f = fopen(path, "rb")) == NULL) {
		fail(v, PROTO_BUNDLE_SIG, "missing");
	} else {
		sl = fread(sig, 1, sizeof(sig), f);
		fclose(f);
		if (v->server && proto_pss_verify(v->server, m, ml, sig, sl) < 0)
			fail(v, PROTO_BUNDLE_SIG,
			     "the server key's signature of %s does not verify",
			     PROTO_BUNDLE_MANIFEST);
	}
	free(m);
	if (v->server) {
		fingerprint(v->server, fp);
		printf("server key sha256 %s%s\n", fp, server_pin ? " (pinned)" : "");
	}
	if (v->cam) {
		fingerprint(v->cam, fp);
		printf("camera key sha256 %s\n", fp);
	}
}

/* --- 2. selection and secrets ---------------------------------------------- */

static int
read_selection(verify_t *v)
{
	char path[4200], line[256], u[64] = "", d[32] = "";
	unsigned long long a, b;
	FILE *f;

	path_of(v, "selection.txt", path, sizeof(path));
	if ((f = fopen(path, "r")) == NULL) {
		fail(v, "selection.txt", "missing");
		return -1;
	}
	v->to_ms = UINT64_MAX;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "camera %36s", u) == 1 || sscanf(line, "day %10s", d) == 1)
			continue;
		if (sscanf(line, "from_ms %llu", &a) == 1)
			v->from_ms = a;
		else if (sscanf(line, "to_ms %llu", &b) == 1)
			v->to_ms = b;
	}
	fclose(f);
	if (proto_uuid_parse(u, v->uuid) < 0 || proto_date_parse(d, &v->date) < 0) {
		fail(v, "selection.txt", "no camera or day");
		return -1;
	}
	proto_uuid_fmt(v->uuid, v->uuidstr);
	snprintf(v->daystr, sizeof(v->daystr), "%s", d);
	snprintf(v->day, sizeof(v->day), "%s/%s/%s%s", v->dir, v->uuidstr, d, PROTO_FILE_SUFFIX);
	snprintf(v->chain, sizeof(v->chain), "%s/%s/%s%s", v->dir, v->uuidstr, d,
		 PROTO_CHAIN_SUFFIX);
	return 0;
}

static void
read_secrets(verify_t *v)
{
	char path[4200], line[2200], fp[65], want[65] = "";
	uint8_t w[1024], secret[1024]; /* RSA decrypt wants room for a whole block */
	uint32_t date, id = 0;
	size_t sl;
	int ln = 0, k;
	FILE *f;

	path_of(v, PROTO_BUNDLE_SECRETS, path, sizeof(path));
	if ((f = fopen(path, "r")) == NULL) {
		fail(v, PROTO_BUNDLE_SECRETS, "missing");
		return;
	}
	fingerprint(v->rcpt, fp);
	while (fgets(line, sizeof(line), f)) {
		ln++;
		if (sscanf(line, "recipient %64s", want) == 1) {
			if (strcmp(want, fp))
				fail(v, PROTO_BUNDLE_SECRETS,
				     "wrapped for key %s, not for the key "
				     "given (%s)",
				     want, fp);
			continue;
		}
		if ((k = proto_secret_parse(line, &date, &id, w, sizeof(w))) == 0)
			continue;
		sl = sizeof(secret);
		if (k < 0 || proto_oaep_unwrap(v->rcpt, w, (size_t)k, secret, &sl) < 0 ||
		    sl != PROTO_SECRET_LEN) {
			fail(v, PROTO_BUNDLE_SECRETS, "line %d: session %u does not unwrap", ln,
			     id);
			continue;
		}
		if (v->nsess == MAX_SESSIONS)
			break;
		v->sess[v->nsess].date = date;
		v->sess[v->nsess].id = id;
		v->sess[v->nsess].s = proto_session_new(v->uuid, date, id, secret);
		OPENSSL_cleanse(secret, sizeof(secret));
		if (v->sess[v->nsess].s)
			v->nsess++;
	}
	fclose(f);
	printf("sessions %d\n", v->nsess);
}

/* --- 3. records --------------------------------------------------------- */

static vsess_t *
session(verify_t *v, uint32_t date, uint32_t id)
{
	for (int i = 0; i < v->nsess; i++)
		if (v->sess[i].date == date && v->sess[i].id == id)
			return &v->sess[i];
	return NULL;
}

static void
spool_frame(verify_t *v, const proto_frame_t *f)
{
	/* frames before from_ms too: the MP4 starts at the keyframe before it */
	if (v->spool == NULL || f->codec != PROTO_C_H264 || f->capture_ms > v->to_ms)
		return;
	if (v->nframes == v->capframes) {
		size_t cap = v->capframes ? 2 * v->capframes : 1024;
		verify_frame_t *p = realloc(v->frames, cap * sizeof(*p));
		if (p == NULL)
			return;
		v->frames = p;
		v->capframes = cap;
	}
	if (fwrite(f->data, 1, f->len, v->spool) != f->len)
		return;
	v->frames[v->nframes++] =
	    (verify_frame_t){f->capture_ms, f->session, f->frame, !!(f->flags & PROTO_F_KEYFRAME),
			     v->spooled,    f->len};
	v->spooled += f->len;
}

static void
check_records(verify_t *v)
{
	static uint8_t plain[PROTO_MAX_DGRAM];
	uint64_t prev_end = PROTO_FILE_HDR_LEN, hellos = 0, tags = 0;
	const char *rel = v->day + strlen(v->dir) + 1;
	uint8_t *hv = NULL, *hb = NULL;
	size_t hvl = 0, hbl = 0;
	proto_reasm_t *reasm = proto_reasm_new(64, 4 * PROTO_MAX_FRAME, 1000);
	proto_reader_t *r;
	proto_rec_t rec;
	FILE *mem, *f;
	char path[4200];
	int rc;

	if ((rc = proto_reader_open(v->day, &r)) < 0) {
		fail(v, rel, "%s", proto_strerror(rc));
		proto_reasm_free(reasm);
		return;
	}
	if (memcmp(proto_reader_header(r)->uuid, v->uuid, PROTO_UUID_LEN) ||
	    proto_reader_header(r)->date != v->date)
		fail(v, rel, "file header names another camera or day than selection.txt");
	mem = open_memstream((char **)&hv, &hvl);
	{
		uint8_t hdr[PROTO_FILE_HDR_LEN];
		proto_file_hdr_encode(proto_reader_header(r), hdr);
		fwrite(hdr, 1, sizeof(hdr), mem);
	}
	while ((rc = proto_reader_next(r, &rec)) == 1) {
		const uint8_t *d = rec.dgram;
		proto_data_hdr_t c, h;
		proto_c2s_hdr_t ch;
		proto_frame_t fr;
		vsess_t *s;

		if (rec.offset != prev_end)
			fail(v, rel, "bytes %llu..%llu are not a good record (CRC or framing)",
			     (unsigned long long)prev_end, (unsigned long long)rec.offset);
		prev_end = rec.offset + PROTO_REC_HDR_LEN + rec.len;
		if (rec.len < PROTO_C2S_HDR_LEN) {
			fail(v, rel, "record at offset %llu is too short for a datagram",
			     (unsigned long long)rec.offset);
			continue;
		}
		proto_dgram_peek(d, rec.len, &c);
		if (c.type == PROTO_T_HELLO) {
			proto_hello_t hh;
			fwrite(d - PROTO_REC_HDR_LEN, 1, PROTO_REC_HDR_LEN + (size_t)rec.len, mem);
			if (v->cam == NULL || proto_hello_verify(d, rec.len, v->cam, &hh) < 0) {
				fail(v, rel,
				     "hello at offset %llu: camera signature does not verify",
				     (unsigned long long)rec.offset);
				continue;
			}
			if ((s = session(v, hh.date, hh.counter)) != NULL)
				s->hello = 1;
			hellos++;
			continue;
		}
		if ((s = session(v, c.date, c.session)) == NULL || !s->hello) {
			fail(v, rel, "record at offset %llu (counter %u): %s",
			     (unsigned long long)rec.offset, c.counter,
			     s ? "its session's hello is not before it"
			       : "no secret for its session");
			continue;
		}
		if (c.type == PROTO_T_DATA) {
			if (proto_data_open(s->s, d, rec.len, &h, plain) < 0) {
				fail(v, rel,
				     "record at offset %llu (counter %u): GCM tag does not "
				     "verify",
				     (unsigned long long)rec.offset, c.counter);
				continue;
			}
			if (h.stream == PROTO_S_VIDEO && reasm &&
			    proto_reasm_add(reasm, &h, plain, 0, &fr) == 1)
				spool_frame(v, &fr);
		} else if (proto_c2s_open(s->s, d, rec.len, &ch, plain, sizeof(plain)) < 0) {
			fail(v, rel, "record at offset %llu (counter %u): GCM tag does not verify",
			     (unsigned long long)rec.offset, c.counter);
			continue;
		}
		tags++;
	}
	if (rc < 0)
		fail(v, rel, "read error: %s", proto_strerror(rc));
	if (proto_reader_stats(r)->tail_len)
		fail(v, rel, "bytes %llu..end are not a good record (a cut or torn record)",
		     (unsigned long long)proto_reader_stats(r)->tail_offset);
	fclose(mem);
	printf("records %llu: hellos verified %llu, tags verified %llu\n",
	       (unsigned long long)proto_reader_stats(r)->records, (unsigned long long)hellos,
	       (unsigned long long)tags);
	/* hellos.vgl: exactly the day's hellos */
	path_of(v, "hellos.vgl", path, sizeof(path));
	if ((f = fopen(path, "rb")) != NULL) {
		FILE *m2 = open_memstream((char **)&hb, &hbl);
		char buf[8192];
		size_t n;
		while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
			fwrite(buf, 1, n, m2);
		fclose(f);
		fclose(m2);
	}
	if (hbl != hvl || (hvl && memcmp(hb, hv, hvl)))
		fail(v, "hellos.vgl", "differs from the hellos of the day file");
	free(hv);
	free(hb);
	proto_reasm_free(reasm);
	proto_reader_free(r);
}

/* --- 4. chain, 5. completeness ---------------------------------------------- */

static void
check_chain(verify_t *v)
{
	const char *rel = v->chain + strlen(v->dir) + 1;
	proto_chain_report_t rep;

	if (v->server == NULL)
		return;
	if (proto_chain_check(v->day, v->chain, v->server, &rep) < 0) {
		fail(v, rel, "%s", proto_errmsg());
		return;
	}
	printf("chain: %llu checkpoints over %llu records%s, %llu records after the last\n",
	       (unsigned long long)rep.checkpoints, (unsigned long long)rep.records,
	       rep.closed ? " (day closed)" : "", (unsigned long long)rep.unchained);
	if (!rep.ok)
		fail(v, rel, "%s", rep.where);
}

static void
check_completeness(verify_t *v)
{
	char path[4200], line[256];
	proto_dayscan_t d = {0};
	proto_daystate_t st;
	uint32_t high, from, lo, hi, va, vb, f2;
	unsigned long long said = ~0ull;
	uint64_t missing = 0;
	int have, said_complete = -1;
	FILE *f;

	if (proto_dayscan_file(v->day, &d) < 0) {
		proto_dayscan_free(&d);
		return;
	}
	have = proto_daystate_read(v->dir, v->uuid, v->date, &st) == 0;
	high = have ? st.high : 0;
	if (d.any && d.max + 1 > high)
		high = d.max + 1;
	for (from = 0; proto_ranges_gap(&d.present, from, high, &lo, &hi) == 0; from = hi) {
		if (!have) {
			missing += hi - lo;
			continue;
		}
		for (f2 = lo; proto_ranges_gap(&st.voids, f2, hi, &va, &vb) == 0; f2 = vb)
			missing += vb - va;
	}
	path_of(v, "completeness.txt", path, sizeof(path));
	if ((f = fopen(path, "r")) != NULL) {
		while (fgets(line, sizeof(line), f)) {
			if (sscanf(line, "missing %llu, backfilled", &said) == 1)
				continue;
			if (!strncmp(line, "complete ", 9))
				said_complete = strncmp(line + 9, "no", 2) != 0;
		}
		fclose(f);
	}
	printf("completeness: high %u, missing %llu: %s\n", high, (unsigned long long)missing,
	       missing == 0 && high > 0 ? "complete" : "not complete");
	if (said != missing || said_complete != (missing == 0 && high > 0))
		fail(v, "completeness.txt",
		     "states missing %lld, complete %d; the day file and "
		     "sync state show missing %llu",
		     (long long)said, said_complete, (unsigned long long)missing);
	proto_dayscan_free(&d);
	if (have)
		proto_daystate_free(&st);
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: vigil-verify BUNDLE -k RECIPIENT_KEY [-s SERVER_PUB] [--mp4 OUT]\n");
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"mp4", required_argument, NULL, 'm'}, {"help", no_argument, NULL, 'h'}, {0}};
	static verify_t v;
	const char *key = NULL, *pin = NULL;
	int c, i, n;

	while ((c = getopt_long(argc, argv, "k:s:m:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'k': key = optarg; break;
		case 's': pin = optarg; break;
		case 'm': v.mp4 = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc - 1 || key == NULL) {
		usage(stderr);
		return 2;
	}
	v.dir = argv[optind];
	if ((v.rcpt = proto_key_load_private(key)) == NULL) {
		fprintf(stderr, "vigil-verify: %s: %s\n", key, proto_errmsg());
		return 2;
	}
	check_manifest(&v, pin);
	if (read_selection(&v) == 0) {
		printf("camera %s day %s\n", v.uuidstr, v.daystr);
		read_secrets(&v);
		if (v.mp4) {
			snprintf(v.spoolpath, sizeof(v.spoolpath), "%s.spool", v.mp4);
			v.spool = fopen(v.spoolpath, "w+b");
		}
		check_records(&v);
		check_chain(&v);
		check_completeness(&v);
	}
	if (v.spool) {
		fflush(v.spool);
		n = verify_mp4_write(v.spoolpath, v.frames, v.nframes, v.from_ms, v.mp4);
		if (n < 0)
			fail(&v, v.mp4, "could not be written");
		else
			printf("mp4 %s: %d frames\n", v.mp4, n);
		fclose(v.spool);
		remove(v.spoolpath);
	}
	printf("%s\n", v.fails ? "NOT VERIFIED" : "VERIFIED");
	for (i = 0; i < v.nsess; i++)
		proto_session_free(v.sess[i].s);
	free(v.frames);
	EVP_PKEY_free(v.server);
	EVP_PKEY_free(v.cam);
	EVP_PKEY_free(v.rcpt);
	return v.fails ? 1 : 0;
}
