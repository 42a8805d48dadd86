/*
 * NAME
 *	chain.c - hash chain and signed checkpoints beside a day file
 *
 * DESCRIPTION
 *	The chain file <day>.chain is a sequence of entries, each a links
 *	block (the offset and the first 8 bytes of the chain hash of every
 *	record chained since the previous checkpoint) followed by a
 *	checkpoint signed by the server key. A checkpoint ends with its own
 *	length, so that an update finds the last one by reading the file's
 *	last bytes and does not reread the whole chain. See proto_chain.h
 *	and docs/STORAGE.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "proto_bundle.h"
#include "proto_chain.h"
#include "proto_record.h"

#define CHAIN_MAX_LINKS 262144 /* records per update, bounds its memory */

int
proto_chain_start(const uint8_t filehdr[64], uint8_t h[32])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
		 EVP_DigestUpdate(md, PROTO_CHAIN_LABEL, strlen(PROTO_CHAIN_LABEL)) == 1 &&
		 EVP_DigestUpdate(md, filehdr, PROTO_FILE_HDR_LEN) == 1 &&
		 EVP_DigestFinal_ex(md, h, NULL) == 1;

	EVP_MD_CTX_free(md);
	return ok ? 0 : PROTO_E_CRYPTO;
}

int
proto_chain_step(uint8_t h[32], const uint8_t *rec, size_t len)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
		 EVP_DigestUpdate(md, h, 32) == 1 && EVP_DigestUpdate(md, rec, len) == 1 &&
		 EVP_DigestFinal_ex(md, h, NULL) == 1;

	EVP_MD_CTX_free(md);
	return ok ? 0 : PROTO_E_CRYPTO;
}

static void
encode_signed(const proto_chain_ckpt_t *c, uint8_t *b)
{
	memcpy(b, PROTO_CHAIN_CK_MAGIC, 4);
	proto_put16(b + 4, PROTO_CHAIN_VERSION);
	proto_put16(b + 6, c->flags);
	memcpy(b + 8, c->uuid, PROTO_UUID_LEN);
	proto_put32(b + 24, c->date);
	proto_put32(b + 28, 0);
	proto_put64(b + 32, c->records);
	proto_put64(b + 40, c->end);
	proto_put64(b + 48, c->time_ms);
	memcpy(b + 56, c->hash, 32);
	memcpy(b + 88, c->links, 32);
	proto_put16(b + 120, c->sig_len);
}

int
proto_chain_ckpt_encode(const proto_chain_ckpt_t *c, uint8_t *out, size_t cap)
{
	size_t n = PROTO_CHAIN_SIGNED_LEN + (size_t)c->sig_len + 4;

	if (c->sig_len > PROTO_CHAIN_MAX_SIG)
		return PROTO_E_OVERSIZE;
	if (cap < n)
		return PROTO_E_SHORT;
	encode_signed(c, out);
	memcpy(out + PROTO_CHAIN_SIGNED_LEN, c->sig, c->sig_len);
	proto_put32(out + PROTO_CHAIN_SIGNED_LEN + c->sig_len, (uint32_t)n);
	return (int)n;
}

int
proto_chain_ckpt_decode(const uint8_t *b, size_t len, proto_chain_ckpt_t *c)
{
	size_t n;

	if (len < PROTO_CHAIN_SIGNED_LEN + 4)
		return PROTO_E_SHORT;
	if (memcmp(b, PROTO_CHAIN_CK_MAGIC, 4) != 0)
		return PROTO_E_MAGIC;
	if (proto_get16(b + 4) != PROTO_CHAIN_VERSION)
		return PROTO_E_VERSION;
	memset(c, 0, sizeof(*c));
	c->flags = proto_get16(b + 6);
	memcpy(c->uuid, b + 8, PROTO_UUID_LEN);
	c->date = proto_get32(b + 24);
	c->records = proto_get64(b + 32);
	c->end = proto_get64(b + 40);
	c->time_ms = proto_get64(b + 48);
	memcpy(c->hash, b + 56, 32);
	memcpy(c->links, b + 88, 32);
	c->sig_len = proto_get16(b + 120);
	if (proto_get32(b + 28) != 0 || (c->flags & ~PROTO_CHAIN_F_CLOSED) ||
	    c->sig_len > PROTO_CHAIN_MAX_SIG)
		return PROTO_E_FIELD;
	n = PROTO_CHAIN_SIGNED_LEN + (size_t)c->sig_len + 4;
	if (len < n)
		return PROTO_E_TORN;
	memcpy(c->sig, b + PROTO_CHAIN_SIGNED_LEN, c->sig_len);
	if (proto_get32(b + n - 4) != n)
		return PROTO_E_LENGTH;
	return (int)n;
}

int
proto_chain_ckpt_sign(proto_chain_ckpt_t *c, EVP_PKEY *priv)
{
	uint8_t b[PROTO_CHAIN_SIGNED_LEN];
	size_t slen = (size_t)EVP_PKEY_get_size(priv);
	int rc;

	if (slen > PROTO_CHAIN_MAX_SIG) {
		proto_set_errmsg("chain: server key larger than %d bytes", PROTO_CHAIN_MAX_SIG);
		return PROTO_E_CRYPTO;
	}
	c->sig_len = (uint16_t)slen;
	encode_signed(c, b);
	if ((rc = proto_pss_sign(priv, b, sizeof(b), c->sig, &slen)) < 0)
		return rc;
	return slen == c->sig_len ? 0 : PROTO_E_CRYPTO;
}

int
proto_chain_ckpt_verify(const proto_chain_ckpt_t *c, EVP_PKEY *pub)
{
	uint8_t b[PROTO_CHAIN_SIGNED_LEN];

	encode_signed(c, b);
	return proto_pss_verify(pub, b, sizeof(b), c->sig, c->sig_len);
}

int
proto_chain_path(const char *dayfile, char *out, size_t cap)
{
	size_t n = strlen(dayfile), sl = strlen(PROTO_FILE_SUFFIX);

	if (n >= sl && !strcmp(dayfile + n - sl, PROTO_FILE_SUFFIX))
		n -= sl;
	if (n + strlen(PROTO_CHAIN_SUFFIX) + 1 > cap)
		return PROTO_E_OVERSIZE;
	memcpy(out, dayfile, n);
	strcpy(out + n, PROTO_CHAIN_SUFFIX);
	return 0;
}

static int
sha256(const uint8_t *b, size_t n, uint8_t out[32])
{
	return EVP_Digest(b, n, out, NULL, EVP_sha256(), NULL) == 1 ? 0 : PROTO_E_CRYPTO;
}

static int
read_all(int fd, uint8_t **out, size_t *len)
{
	struct stat st;
	uint8_t *b;
	size_t o = 0;
	ssize_t k;

	if (fstat(fd, &st) < 0)
		return PROTO_E_IO;
	if ((b = malloc((size_t)st.st_size + 1)) == NULL)
		return PROTO_E_NOMEM;
	while (o < (size_t)st.st_size) {
		if ((k = pread(fd, b + o, (size_t)st.st_size - o, (off_t)o)) <= 0) {
			if (k < 0 && errno == EINTR)
				continue;
			break;
		}
		o += (size_t)k;
	}
	*out = b;
	*len = o;
	return 0;
}

/*
 * Write b[0..len) at off: 0 or -errno. A short write (a file system
 * that filled up in the middle) goes on with the rest, so that the
 * error reported is the one the rest gets, never a stale errno.
 */
static int
write_all(int fd, const uint8_t *b, size_t len, off_t off)
{
	ssize_t k;

	while (len > 0) {
		if ((k = pwrite(fd, b, len, off)) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (k == 0)
			return -EIO;
		b += k, len -= (size_t)k, off += k;
	}
	return 0;
}

/*
 * Walk the entries of a chain file held in b[0..len). For each
 * checkpoint that decodes, has a matching links hash and (with key)
 * verifies, calls fn (when set) and goes on. Returns the offset where the
 * last good entry ends; *bad is set to the offset of the first entry
 * that is not good (or len), *why to what is wrong with it, *last to the
 * last good checkpoint (records 0 when none).
 */
static const char chain_torn[] = "cut short";

typedef int (*chain_fn)(void *arg, const uint8_t *links, uint32_t n, const proto_chain_ckpt_t *c);

static size_t
walk_chain(const uint8_t *b, size_t len, EVP_PKEY *key, chain_fn fn, void *arg,
	   proto_chain_ckpt_t *last, size_t *bad, const char **why)
{
	size_t o = 0, good = 0;
	proto_chain_ckpt_t c;
	uint8_t h[32];
	uint64_t records = 0;
	int k;

	memset(last, 0, sizeof(*last));
	*why = NULL;
	while (o < len) {
		uint32_t n;
		size_t lb;

		if (len - o < PROTO_CHAIN_LK_HDR_LEN) {
			*why = chain_torn;
			break;
		}
		if (memcmp(b + o, PROTO_CHAIN_LK_MAGIC, 4)) {
			*why = "not a links block";
			break;
		}
		n = proto_get32(b + o + 4);
		if (n > CHAIN_MAX_LINKS) {
			*why = "links block too long";
			break;
		}
		lb = PROTO_CHAIN_LK_HDR_LEN + (size_t)n * PROTO_CHAIN_LINK_LEN;
		if (len - o < lb) {
			*why = chain_torn;
			break;
		}
		if ((k = proto_chain_ckpt_decode(b + o + lb, len - o - lb, &c)) < 0) {
			*why = k == PROTO_E_SHORT || k == PROTO_E_TORN ? chain_torn
								       : "malformed checkpoint";
			break;
		}
		if (sha256(b + o, lb, h) < 0 || memcmp(h, c.links, 32)) {
			*why = "links block does not match its checkpoint";
			break;
		}
		if (c.records != records + n) {
			*why = "checkpoint record count does not follow the previous one";
			break;
		}
		if (key && proto_chain_ckpt_verify(&c, key) < 0) {
			*why = "checkpoint signature does not verify";
			break;
		}
		if (fn && fn(arg, b + o + PROTO_CHAIN_LK_HDR_LEN, n, &c) < 0) {
			*why = "out of memory";
			break;
		}
		records = c.records;
		*last = c;
		o += lb + (size_t)k;
		good = o;
	}
	*bad = o;
	return good;
}

/* The last checkpoint from the file's last bytes; -1 when that fails. */
static int
last_ckpt(int fd, off_t size, proto_chain_ckpt_t *c, EVP_PKEY *key)
{
	uint8_t b[PROTO_CHAIN_SIGNED_LEN + PROTO_CHAIN_MAX_SIG + 4];
	uint32_t n;

	if (size < (off_t)sizeof(uint32_t) || pread(fd, b, 4, size - 4) != 4)
		return -1;
	n = proto_get32(b);
	if (n < PROTO_CHAIN_SIGNED_LEN + 4 || n > sizeof(b) || (off_t)n > size ||
	    pread(fd, b, n, size - n) != (ssize_t)n || proto_chain_ckpt_decode(b, n, c) != (int)n ||
	    proto_chain_ckpt_verify(c, key) < 0)
		return -1;
	return 0;
}

int
proto_chain_update(const char *dayfile, EVP_PKEY *priv, uint64_t now_ms, int closed,
		   uint64_t max_bytes)
{
	uint8_t fh[PROTO_FILE_HDR_LEN], h[32], *buf = NULL, *all = NULL;
	char path[4096];
	proto_reader_t *r = NULL;
	proto_chain_ckpt_t last, c;
	proto_rec_t rec;
	uint64_t bytes = 0;
	uint32_t n = 0;
	size_t cap, o, alllen, bad;
	const char *why;
	struct stat st;
	int fd = -1, rc, k;

	memset(&last, 0, sizeof(last));
	proto_set_errmsg("%s", ""); /* no earlier call's message for an error here */
	if ((rc = proto_chain_path(dayfile, path, sizeof(path))) < 0)
		return rc;
	if ((rc = proto_reader_open(dayfile, &r)) < 0)
		return rc;
	proto_file_hdr_encode(proto_reader_header(r), fh);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0) {
		proto_set_errmsg("chain: %s: %s", path, strerror(errno));
		rc = PROTO_E_IO;
		goto out;
	}
	/* one updater at a time (several indexers may read one shared volume):
	 * the one that finds the chain busy leaves it to the other */
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		proto_set_errmsg("chain: %s: %s", path, strerror(errno));
		rc = errno == EWOULDBLOCK ? 0 : PROTO_E_IO;
		goto out;
	}
	if (fstat(fd, &st) < 0) {
		proto_set_errmsg("chain: %s: %s", path, strerror(errno));
		rc = PROTO_E_IO;
		goto out;
	}
	if (st.st_size > 0 && last_ckpt(fd, st.st_size, &last, priv) < 0) {
		/* a torn append: keep what verifies, refuse what was forged */
		if ((rc = read_all(fd, &all, &alllen)) < 0)
			goto out;
		o = walk_chain(all, alllen, NULL, NULL, NULL, &last, &bad, &why);
		if (why != chain_torn) {
			/* never cut signed history away: that would launder an edit */
			proto_set_errmsg("chain: %s: entry at offset %zu: %s; not extended", path,
					 bad, why ? why : "last checkpoint does not verify");
			rc = PROTO_E_FIELD;
			goto out;
		}
		if (o) {
			if (proto_chain_ckpt_verify(&last, priv) < 0) {
				proto_set_errmsg("chain: %s: last checkpoint does not verify",
						 path);
				rc = PROTO_E_SIGNATURE;
				goto out;
			}
		}
		if (ftruncate(fd, (off_t)o) < 0) {
			proto_set_errmsg("chain: %s: cut a torn entry: %s", path, strerror(errno));
			rc = PROTO_E_IO;
			goto out;
		}
		st.st_size = (off_t)o;
	}
	if (st.st_size == 0) {
		memset(&last, 0, sizeof(last));
		last.end = PROTO_FILE_HDR_LEN;
		if ((rc = proto_chain_start(fh, last.hash)) < 0)
			goto out;
	} else if (last.date != proto_reader_header(r)->date ||
		   memcmp(last.uuid, proto_reader_header(r)->uuid, PROTO_UUID_LEN)) {
		proto_set_errmsg("chain: %s belongs to another day file", path);
		rc = PROTO_E_CAMERA;
		goto out;
	}
	memcpy(h, last.hash, 32);
	if (last.end > PROTO_FILE_HDR_LEN && (rc = proto_reader_seek(r, last.end)) < 0)
		goto out;
	cap = 1024;
	if ((buf = malloc(PROTO_CHAIN_LK_HDR_LEN + cap * PROTO_CHAIN_LINK_LEN +
			  PROTO_CHAIN_SIGNED_LEN + PROTO_CHAIN_MAX_SIG + 4)) == NULL) {
		rc = PROTO_E_NOMEM;
		goto out;
	}
	c = last;
	while (n < CHAIN_MAX_LINKS && (max_bytes == 0 || bytes < max_bytes) &&
	       (rc = proto_reader_next(r, &rec)) == 1) {
		size_t rl = PROTO_REC_HDR_LEN + (size_t)rec.len;

		if (n == cap) {
			uint8_t *nb =
			    realloc(buf, PROTO_CHAIN_LK_HDR_LEN + 2 * cap * PROTO_CHAIN_LINK_LEN +
					     PROTO_CHAIN_SIGNED_LEN + PROTO_CHAIN_MAX_SIG + 4);
			if (nb == NULL) {
				rc = PROTO_E_NOMEM;
				goto out;
			}
			buf = nb;
			cap *= 2;
		}
		/* the record as stored: its header lies right before the datagram */
		if ((rc = proto_chain_step(h, rec.dgram - PROTO_REC_HDR_LEN, rl)) < 0)
			goto out;
		o = PROTO_CHAIN_LK_HDR_LEN + (size_t)n * PROTO_CHAIN_LINK_LEN;
		proto_put64(buf + o, rec.offset);
		memcpy(buf + o + 8, h, 8);
		c.end = rec.offset + rl;
		bytes += rl;
		n++;
	}
	if (rc < 0)
		goto out;
	rc = 0;
	if (n == 0 && !(closed && !(last.flags & PROTO_CHAIN_F_CLOSED)))
		goto out;
	memcpy(buf, PROTO_CHAIN_LK_MAGIC, 4);
	proto_put32(buf + 4, n);
	o = PROTO_CHAIN_LK_HDR_LEN + (size_t)n * PROTO_CHAIN_LINK_LEN;
	memcpy(c.uuid, proto_reader_header(r)->uuid, PROTO_UUID_LEN);
	c.date = proto_reader_header(r)->date;
	c.flags =
	    (uint16_t)((last.flags & PROTO_CHAIN_F_CLOSED) | (closed ? PROTO_CHAIN_F_CLOSED : 0));
	c.records = last.records + n;
	c.time_ms = now_ms;
	memcpy(c.hash, h, 32);
	if ((rc = sha256(buf, o, c.links)) < 0 || (rc = proto_chain_ckpt_sign(&c, priv)) < 0)
		goto out;
	if ((k = proto_chain_ckpt_encode(&c, buf + o,
					 PROTO_CHAIN_SIGNED_LEN + PROTO_CHAIN_MAX_SIG + 4)) < 0) {
		rc = k;
		goto out;
	}
	o += (size_t)k;
	if ((k = write_all(fd, buf, o, st.st_size)) < 0 ||
	    (k = fdatasync(fd) < 0 ? -errno : 0) < 0) {
		proto_set_errmsg("chain: %s: write: %s", path, strerror(-k));
		(void)!ftruncate(fd, st.st_size);
		rc = PROTO_E_IO;
		goto out;
	}
	rc = (int)n;
out:
	free(all);
	free(buf);
	if (fd >= 0)
		close(fd);
	proto_reader_free(r);
	return rc;
}

/* --- check ------------------------------------------------------------ */

typedef struct check {
	uint8_t *links; /* every link, in order */
	uint64_t n, cap;
	proto_chain_ckpt_t *ck;
	uint64_t nck, capck;
} check_t;

static int
collect(void *arg, const uint8_t *links, uint32_t n, const proto_chain_ckpt_t *c)
{
	check_t *k = arg;

	if (k->n + n > k->cap) {
		uint64_t cap = (k->cap ? k->cap * 2 : 4096) + n;
		uint8_t *p = realloc(k->links, cap * PROTO_CHAIN_LINK_LEN);
		if (p == NULL)
			return -1;
		k->links = p;
		k->cap = cap;
	}
	if (k->nck == k->capck) {
		uint64_t cap = k->capck ? k->capck * 2 : 64;
		proto_chain_ckpt_t *p = realloc(k->ck, cap * sizeof(*p));
		if (p == NULL)
			return -1;
		k->ck = p;
		k->capck = cap;
	}
	if (n)
		memcpy(k->links + k->n * PROTO_CHAIN_LINK_LEN, links,
		       (size_t)n * PROTO_CHAIN_LINK_LEN);
	k->n += n;
	k->ck[k->nck++] = *c;
	return 0;
}

#define WHERE(...) snprintf(rep->where, sizeof(rep->where), __VA_ARGS__)

int
proto_chain_check(const char *dayfile, const char *chainfile, EVP_PKEY *server_pub,
		  proto_chain_report_t *rep)
{
	uint8_t fh[PROTO_FILE_HDR_LEN], h[32], *all = NULL;
	char path[4096];
	check_t k = {0};
	proto_chain_ckpt_t last;
	proto_reader_t *r = NULL;
	proto_rec_t rec;
	size_t len, bad;
	uint64_t i = 0, ck = 0, prev_end = PROTO_FILE_HDR_LEN;
	const char *why;
	int fd, rc;

	memset(rep, 0, sizeof(*rep));
	if (chainfile == NULL) {
		if ((rc = proto_chain_path(dayfile, path, sizeof(path))) < 0)
			return rc;
		chainfile = path;
	}
	if ((fd = open(chainfile, O_RDONLY | O_CLOEXEC)) < 0) {
		proto_set_errmsg("chain: %s: %s", chainfile, strerror(errno));
		return PROTO_E_IO;
	}
	rc = read_all(fd, &all, &len);
	close(fd);
	if (rc < 0)
		return rc;
	if ((rc = proto_reader_open(dayfile, &r)) < 0)
		goto out;
	walk_chain(all, len, server_pub, collect, &k, &last, &bad, &why);
	if (why) {
		WHERE("chain file %.200s: entry at offset %zu: %s", chainfile, bad, why);
		goto out;
	}
	if (k.nck && (last.date != proto_reader_header(r)->date ||
		      memcmp(last.uuid, proto_reader_header(r)->uuid, PROTO_UUID_LEN))) {
		WHERE("chain file %.200s belongs to another camera or day", chainfile);
		goto out;
	}
	rep->checkpoints = k.nck;
	rep->records = k.n;
	rep->chained_ms = last.time_ms;
	rep->closed = !!(last.flags & PROTO_CHAIN_F_CLOSED);
	proto_file_hdr_encode(proto_reader_header(r), fh);
	if ((rc = proto_chain_start(fh, h)) < 0)
		goto out;
	while ((rc = proto_reader_next(r, &rec)) == 1) {
		const uint8_t *lk;
		uint64_t want;
		uint32_t ctr = rec.len >= 28 ? proto_get32(rec.dgram + 24) : 0;

		if (i >= k.n) {
			rep->unchained++;
			continue;
		}
		lk = k.links + i * PROTO_CHAIN_LINK_LEN;
		want = proto_get64(lk);
		if ((rc = proto_chain_step(h, rec.dgram - PROTO_REC_HDR_LEN,
					   PROTO_REC_HDR_LEN + (size_t)rec.len)) < 0)
			goto out;
		if (rec.offset != want) {
			if (rec.offset > prev_end && want < rec.offset)
				WHERE("record %llu (chained at offset %llu): bytes %llu..%llu are "
				      "no longer a good record (edited or overwritten)",
				      (unsigned long long)i, (unsigned long long)want,
				      (unsigned long long)prev_end, (unsigned long long)rec.offset);
			else
				WHERE("record %llu: chained at offset %llu, the file has record "
				      "(counter %u) at offset %llu: records were removed, inserted "
				      "or moved before it",
				      (unsigned long long)i, (unsigned long long)want, ctr,
				      (unsigned long long)rec.offset);
			rc = 0;
			goto out;
		}
		if (memcmp(h, lk + 8, 8) != 0) {
			WHERE("record %llu at offset %llu (counter %u) differs from the record "
			      "chained there: edited, replaced, removed or reordered%s",
			      (unsigned long long)i, (unsigned long long)rec.offset, ctr,
			      i == 0 ? " (or the file header was edited)" : "");
			rc = 0;
			goto out;
		}
		prev_end = rec.offset + PROTO_REC_HDR_LEN + rec.len;
		i++;
		while (ck < k.nck && k.ck[ck].records == i) {
			if (memcmp(h, k.ck[ck].hash, 32) || k.ck[ck].end != prev_end) {
				WHERE("checkpoint %llu (record %llu, offset %llu) does not match",
				      (unsigned long long)ck, (unsigned long long)i,
				      (unsigned long long)prev_end);
				rc = 0;
				goto out;
			}
			ck++;
		}
	}
	if (rc < 0)
		goto out;
	rc = 0;
	if (i < k.n) {
		WHERE("truncated: the file holds %llu of the %llu chained records; record %llu "
		      "was at offset %llu, the file's good records end at %llu",
		      (unsigned long long)i, (unsigned long long)k.n, (unsigned long long)i,
		      (unsigned long long)proto_get64(k.links + i * PROTO_CHAIN_LINK_LEN),
		      (unsigned long long)prev_end);
		goto out;
	}
	rep->ok = 1;
out:
	free(k.links);
	free(k.ck);
	free(all);
	proto_reader_free(r);
	return rc;
}
