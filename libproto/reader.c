/*
 * NAME
 *	reader.c - walk a storage file record by record
 *
 * DESCRIPTION
 *	A file reader holds a window of the file in its own buffer, filled
 *	with pread(), so that it never depends on the file's size at open
 *	time: after it reported the end, the next call reads again from the
 *	end of the last good record and finds what the writer appended.
 *
 *	At each position the reader decodes one record (proto_rec_decode).
 *	When that fails it first reads the same bytes again from the file,
 *	because bytes buffered in an earlier call may have belonged to a
 *	torn tail that the writer has since cut off and overwritten. If the
 *	record is still bad, the reader searches forward byte by byte for
 *	"VREC" at which a whole record verifies. Found: the bytes before it
 *	are one damaged stretch, counted and skipped. Not found before the
 *	end of the file: the bytes from the position to the end are the tail,
 *	reported in the stats, and the position stays put.
 *
 *	A memory reader does the same over a caller's buffer without I/O.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"
#include "proto_record.h"

#define READER_BUFSZ (64 * 1024) /* about 43 full records per pread */

struct proto_reader {
	int fd;             /* -1 for a memory reader */
	int own_fd;         /* close fd in proto_reader_free */
	const uint8_t *mem; /* memory reader: the caller's bytes */
	uint64_t mem_len;
	uint8_t *buf; /* file reader: window [buf_off, buf_off + buf_len) */
	size_t cap;
	uint64_t buf_off;
	size_t buf_len;
	uint64_t pos; /* offset of the next record: end of the last good one */
	proto_file_hdr_t hdr;
	proto_reader_stats_t st;
};

/*
 * Make at least need bytes at off available (fewer at the end of the
 * file) and point *p at them. fresh discards what the buffer holds and
 * reads it again. Returns the number of bytes available at *p, which may
 * exceed need, or PROTO_E_IO.
 */
static ssize_t
reader_fill(proto_reader_t *r, uint64_t off, size_t need, int fresh, const uint8_t **p)
{
	ssize_t n;

	if (r->fd < 0) {
		if (off >= r->mem_len) {
			*p = r->mem + r->mem_len;
			return 0;
		}
		*p = r->mem + off;
		return (ssize_t)(r->mem_len - off);
	}
	if (fresh || off < r->buf_off || off > r->buf_off + r->buf_len) {
		r->buf_off = off;
		r->buf_len = 0;
	} else if (r->buf_off + r->buf_len - off < need) {
		size_t skip = (size_t)(off - r->buf_off);

		memmove(r->buf, r->buf + skip, r->buf_len - skip);
		r->buf_len -= skip;
		r->buf_off = off;
	}
	while (r->buf_off + r->buf_len - off < need && r->buf_len < r->cap) {
		n = pread(r->fd, r->buf + r->buf_len, r->cap - r->buf_len,
		          (off_t)(r->buf_off + r->buf_len));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			proto_set_errmsg("pread at %llu: %s",
			                 (unsigned long long)(r->buf_off + r->buf_len),
			                 strerror(errno));
			return PROTO_E_IO;
		}
		if (n == 0)
			break;
		r->buf_len += (size_t)n;
	}
	*p = r->buf + (off - r->buf_off);
	return (ssize_t)(r->buf_off + r->buf_len - off);
}

static int
reader_new(int fd, int own_fd, const uint8_t *mem, size_t mem_len, proto_reader_t **out)
{
	proto_reader_t *r;
	const uint8_t *p;
	ssize_t n;
	int err;

	*out = NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		err = PROTO_E_NOMEM;
		goto fail;
	}
	r->fd = fd;
	r->own_fd = own_fd;
	r->mem = mem;
	r->mem_len = mem_len;
	if (fd >= 0) {
		r->cap = READER_BUFSZ;
		if ((r->buf = malloc(r->cap)) == NULL) {
			err = PROTO_E_NOMEM;
			goto fail;
		}
	}
	if ((n = reader_fill(r, 0, PROTO_FILE_HDR_LEN, 1, &p)) < 0) {
		err = (int)n;
		goto fail;
	}
	if ((err = proto_file_hdr_decode(p, (size_t)n, &r->hdr)) < 0)
		goto fail;
	r->pos = PROTO_FILE_HDR_LEN;
	*out = r;
	return 0;
fail:
	if (r != NULL) {
		free(r->buf);
		free(r);
	}
	if (own_fd && fd >= 0)
		close(fd);
	return err;
}

int
proto_reader_open(const char *path, proto_reader_t **out)
{
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		proto_set_errmsg("open %s: %s", path, strerror(errno));
		*out = NULL;
		return PROTO_E_IO;
	}
	return reader_new(fd, 1, NULL, 0, out);
}

int
proto_reader_fdopen(int fd, proto_reader_t **out)
{
	return reader_new(fd, 0, NULL, 0, out);
}

int
proto_reader_mem(const uint8_t *buf, size_t len, proto_reader_t **out)
{
	static const uint8_t empty[1];

	return reader_new(-1, 0, buf != NULL ? buf : empty, buf != NULL ? len : 0, out);
}

void
proto_reader_free(proto_reader_t *r)
{
	if (r == NULL)
		return;
	if (r->own_fd && r->fd >= 0)
		close(r->fd);
	free(r->buf);
	free(r);
}

static int
reader_take(proto_reader_t *r, uint64_t off, int len, proto_rec_t *out)
{
	out->offset = off;
	r->pos = off + (uint64_t)len;
	r->st.records++;
	r->st.record_bytes += (uint64_t)len;
	r->st.tail_offset = 0;
	r->st.tail_len = 0;
	return 1;
}

int
proto_reader_next(proto_reader_t *r, proto_rec_t *out)
{
	const uint8_t *p, *m;
	uint64_t q;
	ssize_t n;
	int len;

	if ((n = reader_fill(r, r->pos, PROTO_REC_MAX_LEN, 0, &p)) < 0)
		return (int)n;
	if ((len = proto_rec_decode(p, (size_t)n, out)) > 0)
		return reader_take(r, r->pos, len, out);
	if ((n = reader_fill(r, r->pos, PROTO_REC_MAX_LEN, 1, &p)) < 0)
		return (int)n;
	if ((len = proto_rec_decode(p, (size_t)n, out)) > 0)
		return reader_take(r, r->pos, len, out);
	if (n == 0) {
		r->st.tail_offset = 0;
		r->st.tail_len = 0;
		r->buf_len = 0;
		return 0;
	}

	/* Damage or the end: search for the next record that verifies. */
	q = r->pos + 1;
	for (;;) {
		if ((n = reader_fill(r, q, PROTO_REC_MAX_LEN, 0, &p)) < 0)
			return (int)n;
		if (n < 4)
			break;
		if ((m = memmem(p, (size_t)n, PROTO_REC_MAGIC, 4)) == NULL) {
			q += (uint64_t)n - 3;
			continue;
		}
		q += (uint64_t)(m - p);
		if ((n = reader_fill(r, q, PROTO_REC_MAX_LEN, 0, &p)) < 0)
			return (int)n;
		if ((len = proto_rec_decode(p, (size_t)n, out)) > 0) {
			r->st.damaged++;
			r->st.skipped_bytes += q - r->pos;
			return reader_take(r, q, len, out);
		}
		q++;
	}
	/* pos < q <= q + n, the end of the file as this call saw it. */
	r->st.tail_offset = r->pos;
	r->st.tail_len = q + (uint64_t)n - r->pos;
	proto_set_errmsg("%llu bytes at %llu do not form a good record",
	                 (unsigned long long)r->st.tail_len, (unsigned long long)r->st.tail_offset);
	/* Drop the window: the tail may be cut off and rewritten. */
	r->buf_len = 0;
	return 0;
}

int
proto_reader_seek(proto_reader_t *r, uint64_t offset)
{
	if (offset < PROTO_FILE_HDR_LEN || (r->fd < 0 && offset > r->mem_len)) {
		proto_set_errmsg("seek to %llu outside the record area",
		                 (unsigned long long)offset);
		return PROTO_E_FIELD;
	}
	r->pos = offset;
	r->buf_len = 0;
	r->st.tail_offset = 0;
	r->st.tail_len = 0;
	return 0;
}

uint64_t
proto_reader_offset(const proto_reader_t *r)
{
	return r->pos;
}

const proto_file_hdr_t *
proto_reader_header(const proto_reader_t *r)
{
	return &r->hdr;
}

const proto_reader_stats_t *
proto_reader_stats(const proto_reader_t *r)
{
	return &r->st;
}

int
proto_file_scan_tail_from(int fd, uint64_t start, uint64_t *good_end)
{
	proto_reader_t *r;
	proto_rec_t rec;
	int err;

	if ((err = proto_reader_fdopen(fd, &r)) < 0) {
		if (err == PROTO_E_SHORT)
			*good_end = 0;
		return err;
	}
	if (start > PROTO_FILE_HDR_LEN && (err = proto_reader_seek(r, start)) < 0)
		goto out;
	while ((err = proto_reader_next(r, &rec)) > 0)
		;
	if (err == 0)
		*good_end = proto_reader_offset(r);
out:
	proto_reader_free(r);
	return err;
}

int
proto_file_scan_tail(int fd, uint64_t *good_end)
{
	return proto_file_scan_tail_from(fd, PROTO_FILE_HDR_LEN, good_end);
}
