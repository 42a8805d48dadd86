/*
 * NAME
 *	streamer_keys.c - frame keys for viewers, from the stored hellos
 *
 * DESCRIPTION
 *	A viewer gets the key of each frame it is sent (docs/PROTOCOL.md,
 *	FRAME_KEY), derived with libproto from the session secret. The
 *	secret is in the session's stored hello, wrapped for the server key:
 *	the index gives the hello's offset, the record is read from the day
 *	file and unwrapped once (about 250 us); the PRK is then cached for
 *	the worker (a small table, oldest entry replaced). Secrets never
 *	leave the process; only per-frame keys go to allowed viewers.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "streamer.h"

#define KEYS_CACHE 256

static struct prk_entry {
	uint8_t uuid[16];
	uint32_t date, session;
	uint8_t prk[32];
	int ok; /* 1: prk valid */
	uint64_t used;
} cache[KEYS_CACHE];
static uint64_t clock_;

static int
load_prk(struct prk_entry *e)
{
	uint8_t buf[PROTO_REC_MAX_LEN], secret[PROTO_SECRET_LEN];
	char path[4096];
	proto_hello_t h;
	proto_rec_t rec;
	uint64_t off;
	ssize_t n;
	int fd, rc;

	if (streamer.server_key == NULL)
		return -ENOKEY;
	if ((rc = idx_day_hello(streamer.idx, e->uuid, e->date, e->session, &off)) < 0)
		return rc;
	if (proto_file_path(streamer.data_dir, e->uuid, e->date, path, sizeof(path)) < 0 ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	n = pread(fd, buf, sizeof(buf), (off_t)off);
	close(fd);
	if (n <= 0 || proto_rec_decode(buf, (size_t)n, &rec) < 0 ||
	    proto_hello_decode(rec.dgram, rec.len, &h) < 0 || h.counter != e->session ||
	    h.date != e->date || memcmp(h.uuid, e->uuid, 16) ||
	    proto_hello_unwrap(&h, streamer.server_key, secret) < 0)
		return -EBADMSG;
	rc = proto_kdf_prk(secret, e->uuid, e->prk);
	OPENSSL_cleanse(secret, sizeof(secret));
	return rc < 0 ? -EIO : 0;
}

int
streamer_keys_frame(const uint8_t uuid[16], uint32_t date, uint32_t session, uint8_t stream,
		    uint32_t frame, uint8_t out[STREAMER_FRAME_KEY_LEN])
{
	struct prk_entry *e = NULL, *old = &cache[0];
	int i;

	for (i = 0; i < KEYS_CACHE; i++) {
		struct prk_entry *c = &cache[i];
		if (c->ok == 1 && c->date == date && c->session == session &&
		    !memcmp(c->uuid, uuid, 16)) {
			e = c;
			break;
		}
		if (c->used < old->used)
			old = c;
	}
	if (e == NULL) {
		e = old;
		memset(e, 0, sizeof(*e));
		memcpy(e->uuid, uuid, 16);
		e->date = date;
		e->session = session;
		if (load_prk(e) < 0) {
			e->ok = 0; /* not cached: the hello may be indexed a moment later */
			return -ENOKEY;
		}
		e->ok = 1;
	}
	e->used = ++clock_;
	view_frame_key_t k;

	memcpy(k.uuid, uuid, 16);
	k.date = date;
	k.session = session;
	k.stream = stream;
	k.frame = frame;
	if (proto_kdf_frame(e->prk, date, session, stream, frame, k.key) < 0)
		return -EIO;
	view_frame_key_encode(&k, out);
	OPENSSL_cleanse(k.key, sizeof(k.key));
	return 0;
}
