/*
 * NAME
 *	indexer_ckpt.c - checkpoints of idle day files, and loading them
 *
 * DESCRIPTION
 *	A file whose index has not moved for ckpt_idle_ms (-c, default
 *	60 s) gets its day's index saved beside it as <file>.idx (written
 *	to a temporary name and renamed: never half a checkpoint, and never
 *	on the writers' path). Before the first scan of a file the indexer
 *	loads its checkpoint, if any, and uses it only when it still
 *	describes the file: same camera and day, same file header (CRC),
 *	the file at least as long as what it covers, and the same 4 KiB
 *	before that point (CRC). Anything else, a damaged checkpoint
 *	included, is logged, counted and ignored: the file is scanned. The
 *	sessions of the day's hellos are opened again from the file (the
 *	checkpoint holds their offsets, not their secrets).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "indexer.h"
#include "stage.h"

#define CKPT_TAIL 4096
#define CKPT_MAX_BYTES (512u << 20)

/* CRCs of a file's header and of the CKPT_TAIL bytes before `to`. */
static int
fingerprint(int fd, uint64_t to, uint32_t *hdr_crc, uint32_t *tail_crc)
{
	uint8_t b[CKPT_TAIL];
	uint64_t from = to > PROTO_FILE_HDR_LEN + CKPT_TAIL ? to - CKPT_TAIL : PROTO_FILE_HDR_LEN;

	if (pread(fd, b, PROTO_FILE_HDR_LEN, 0) != PROTO_FILE_HDR_LEN)
		return -EIO;
	*hdr_crc = proto_crc32c(0, b, PROTO_FILE_HDR_LEN);
	if (to < from || pread(fd, b, to - from, (off_t)from) != (ssize_t)(to - from))
		return -EIO;
	*tail_crc = proto_crc32c(0, b, to - from);
	return 0;
}

static void
ignored(indexer_t *ix, const char *path, const char *why)
{
	log_warnx("checkpoint %s ignored: %s; scanning the file", path, why);
	if (ix->m_ckpt_ignored)
		shm_metrics_add(ix->m_ckpt_ignored, 1);
}

void
indexer_ckpt_load(indexer_t *ix, indexer_file_t *f)
{
	char path[4096], cpath[4200];
	uint8_t *buf = NULL, rb[PROTO_REC_MAX_LEN];
	uint32_t hc, tc, i;
	struct stat st;
	idx_ckpt_t c;
	int fd = -1, cfd = -1;

	if (proto_file_path(ix->dir, f->uuid, f->date, path, sizeof(path)) < 0)
		return;
	snprintf(cpath, sizeof(cpath), "%s.idx", path);
	if ((cfd = open(cpath, O_RDONLY | O_CLOEXEC)) < 0)
		return; /* none: scan */
	if (fstat(cfd, &st) < 0 || st.st_size <= 0 || (uint64_t)st.st_size > CKPT_MAX_BYTES ||
	    (buf = malloc((size_t)st.st_size)) == NULL ||
	    read(cfd, buf, (size_t)st.st_size) != st.st_size) {
		ignored(ix, cpath, "unreadable");
		goto out;
	}
	if (idx_ckpt_decode(buf, (size_t)st.st_size, &c) < 0) {
		ignored(ix, cpath, "damaged");
		goto out;
	}
	if (c.date != f->date || memcmp(c.uuid, f->uuid, PROTO_UUID_LEN)) {
		ignored(ix, cpath, "another partition's");
		goto out;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0 ||
	    (uint64_t)st.st_size < c.indexed_to || fingerprint(fd, c.indexed_to, &hc, &tc) < 0 ||
	    hc != c.hdr_crc || tc != c.tail_crc) {
		ignored(ix, cpath, "stale (the file is not the one it describes)");
		goto out;
	}
	if (idx_ckpt_restore(ix->idx, f->day, &c) < 0) {
		ignored(ix, cpath, "does not fit the index");
		goto out;
	}
	f->offset = c.indexed_to;
	f->ckpt_at = f->last_to = c.indexed_to;
	/* reopen the sessions of the day's hellos, for telemetry and reports */
	for (i = 0; i < c.nhellos; i++) {
		proto_rec_t rec;
		ssize_t n = pread(fd, rb, sizeof(rb), (off_t)idx_ckpt_hello_offset(&c, i));
		if (n > 0 && proto_rec_decode(rb, (size_t)n, &rec) > 0)
			indexer_keys_hello(ix, f, rec.dgram, rec.len);
	}
	if (ix->m_ckpt_loaded)
		shm_metrics_add(ix->m_ckpt_loaded, 1);
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	close(cfd);
}

static int
save(indexer_t *ix, indexer_file_t *f, uint64_t to)
{
	char path[4096], cpath[4200], tmp[4300];
	uint32_t hc, tc;
	uint8_t *buf = NULL;
	size_t len;
	int fd, cfd, rc = -EIO;

	if (proto_file_path(ix->dir, f->uuid, f->date, path, sizeof(path)) < 0 ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -EIO;
	if (fingerprint(fd, to, &hc, &tc) < 0 ||
	    idx_ckpt_encode(ix->idx, f->day, hc, tc, &buf, &len) < 0)
		goto out;
	snprintf(cpath, sizeof(cpath), "%s.idx", path);
	snprintf(tmp, sizeof(tmp), "%s.tmp", cpath);
	if ((cfd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640)) < 0)
		goto out;
	if (write(cfd, buf, len) == (ssize_t)len && close(cfd) == 0 && rename(tmp, cpath) == 0)
		rc = 0;
	else
		unlink(tmp);
out:
	free(buf);
	close(fd);
	return rc;
}

void
indexer_ckpt_tick(indexer_t *ix, uint64_t now_ms)
{
	int i;

	if (ix->ckpt_idle_ms == 0)
		return;
	for (i = 0; i < ix->nfiles; i++) {
		indexer_file_t *f = &ix->f[i];
		uint64_t to = idx_day_indexed_to(f->day);
		if (to != f->last_to) {
			f->last_to = to;
			f->changed_ms = now_ms;
			continue;
		}
		if (to <= PROTO_FILE_HDR_LEN || to == f->ckpt_at ||
		    now_ms - f->changed_ms < ix->ckpt_idle_ms)
			continue;
		if (save(ix, f, to) == 0) {
			f->ckpt_at = to;
			if (ix->m_ckpt_written)
				shm_metrics_add(ix->m_ckpt_written, 1);
		} else {
			f->ckpt_at = to; /* not again until the file moves */
			log_warnx("checkpoint of a file at %llu bytes could not be written",
				  (unsigned long long)to);
		}
	}
}
