/*
 * NAME
 *	writer_file.c - the bounded cache of open day files
 *
 * DESCRIPTION
 *	A file is DATA/<uuid>/<yyyy-mm-dd>.vgl (docs/STORAGE.md), keyed by
 *	the camera and the date carried by the datagram, never the wall
 *	clock. At most `max` files are open: the least recently used one is
 *	synced and closed to make room, so 10,000 cameras cannot exhaust the
 *	descriptors. Opening an existing file scans it once: the counters it
 *	holds (so a duplicate is stored once) and where its last good record
 *	ends; a torn tail left by a crash is cut off there and logged. A new
 *	file's header, and its name in its folder, become durable with the
 *	writer's next sync, like its first records: a fdatasync and a folder
 *	fsync per new file, in the loop, stopped the appends for seconds
 *	when a thousand cameras started a day at once (0.4-3.1 s for 500
 *	files here).
 *
 *	A file has one appender (docs/STORAGE.md, "The day file's lock"):
 *	opening one takes an exclusive POSIX record lock over the whole
 *	file, F_OFD_SETLK, before its size is read, its header written or
 *	its tail cut, and the lock lasts as long as the descriptor: a file
 *	closed by the cache loses it and takes it again when reopened.
 *	GlusterFS's locks translator serves these locks to every client of a
 *	volume, so two writers on two machines are refused too; flock() is
 *	not reliable across FUSE clients. A file another process holds is
 *	refused: logged once with its path, counted, and tried again no
 *	sooner than WRITER_LOCK_RETRY_MS later; its datagrams stay where
 *	they are (writer_turn.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "stage.h"
#include "writer.h"

/* The entry of (uuid, date) among the refused files, NULL when none. */
static writer_refused_t *
refused_find(writer_files_t *fs, const uint8_t *uuid, uint32_t date)
{
	int i;

	for (i = 0; i < WRITER_REFUSED_MAX; i++)
		if (fs->wait[i].date == date && !memcmp(fs->wait[i].uuid, uuid, PROTO_UUID_LEN))
			return &fs->wait[i];
	return NULL;
}

/*
 * Lock f's file for this writer alone: 0, 1 when another process holds
 * it (logged the first time), -errno.
 */
static int
lock_file(writer_files_t *fs, writer_file_t *f, const char *path)
{
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET}; /* all of it */
	writer_refused_t *r = refused_find(fs, f->uuid, f->date);
	uint64_t now = proto_mono_ms();
	int i;

	if (fcntl(f->fd, F_OFD_SETLK, &fl) == 0) {
		if (r) {
			log_info("%s: the lock is ours now; appending", path);
			r->date = 0;
		}
		return 0;
	}
	if (errno != EACCES && errno != EAGAIN)
		return -errno;
	if (r == NULL) {
		/* a free entry, else the one tried longest ago */
		for (i = 0, r = &fs->wait[0]; i < WRITER_REFUSED_MAX && r->date != 0; i++)
			if (fs->wait[i].date == 0 || fs->wait[i].retry_ms < r->retry_ms)
				r = &fs->wait[i];
		memcpy(r->uuid, f->uuid, PROTO_UUID_LEN);
		r->date = f->date;
		fs->locked++;
		log_warnx("%s: locked by another process (a second writer for this shard?); "
			  "not appending, its datagrams wait (retried every %d ms)",
			  path, WRITER_LOCK_RETRY_MS);
	}
	r->retry_ms = now + WRITER_LOCK_RETRY_MS;
	return 1;
}

int
writer_files_check(const char *dir)
{
	char parent[4096];
	struct stat st;
	char *slash;

	if (stat(dir, &st) == 0) {
		if (!S_ISDIR(st.st_mode))
			return -ENOTDIR;
		return access(dir, W_OK | X_OK) == 0 ? 0 : -errno;
	}
	if (errno != ENOENT)
		return -errno;
	/* writer_files_init makes the folder itself, not its parents */
	if (snprintf(parent, sizeof(parent), "%s", dir) >= (int)sizeof(parent))
		return -ENAMETOOLONG;
	while ((slash = strrchr(parent, '/')) != NULL && slash[1] == '\0' && slash != parent)
		*slash = '\0';
	if ((slash = strrchr(parent, '/')) == NULL)
		snprintf(parent, sizeof(parent), ".");
	else
		slash[slash == parent] = '\0';
	return access(parent, W_OK | X_OK) == 0 ? 0 : -errno;
}

int
writer_files_init(writer_files_t *fs, const char *dir, int max)
{
	int i;

	memset(fs, 0, sizeof(*fs));
	fs->dir = dir;
	fs->max = max;
	fs->nbucket = max * 2;
	fs->f = calloc((size_t)max, sizeof(*fs->f));
	fs->bucket = malloc((size_t)fs->nbucket * sizeof(int));
	if (fs->f == NULL || fs->bucket == NULL)
		return -ENOMEM;
	for (i = 0; i < max; i++) {
		fs->f[i].fd = -1;
		fs->f[i].group = -1;
	}
	fs->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fs->dirfd < 0 && (mkdir(dir, 0755) != 0 ||
			      (fs->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0))
		return -errno;
	for (i = 0; i < fs->nbucket; i++)
		fs->bucket[i] = -1;
	return 0;
}

static int
bucket_of(const writer_files_t *fs, const uint8_t *uuid, uint32_t date)
{
	return (int)((proto_partition(uuid, 0x7fffffff) ^ date * 2654435761u) %
		     (uint32_t)fs->nbucket);
}

static void
unchain(writer_files_t *fs, int idx)
{
	int *p = &fs->bucket[bucket_of(fs, fs->f[idx].uuid, fs->f[idx].date)];

	while (*p != -1 && *p != idx)
		p = &fs->f[*p].next;
	if (*p == idx)
		*p = fs->f[idx].next;
}

static void
evict(writer_files_t *fs, int idx)
{
	writer_file_t *f = &fs->f[idx];

	if (f->dirty && fdatasync(f->fd) != 0)
		log_warn("fdatasync on eviction");
	if (f->fresh && writer_files_sync_dir(fs, f) < 0)
		log_warn("fsync of a new file's folder on eviction");
	close(f->fd);
	unchain(fs, idx);
	proto_ranges_free(&f->have);
	f->fd = -1;
	fs->evicted++;
}

static int
mkdir_p(const char *dir, const uint8_t *uuid, char *path, size_t cap)
{
	char u[37];

	proto_uuid_fmt(uuid, u);
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return -errno;
	snprintf(path, cap, "%s/%s", dir, u);
	if (mkdir(path, 0755) != 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/*
 * Before a tail is cut, its bytes are copied beside the file
 * (<file>.tail-<offset>): the writer never destroys bytes it cannot
 * read, it only moves them out of the append path for an auditor.
 */
static int
keep_tail(int fd, const char *path, uint64_t from, uint64_t to)
{
	char name[4200], buf[65536];
	uint64_t off = from;
	int out, rc = 0;

	snprintf(name, sizeof(name), "%s.tail-%llu", path, (unsigned long long)from);
	if ((out = open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640)) < 0)
		return -1;
	while (off < to) {
		size_t want = to - off < sizeof(buf) ? (size_t)(to - off) : sizeof(buf);
		ssize_t n = pread(fd, buf, want, (off_t)off);
		if (n <= 0 || write(out, buf, (size_t)n) != n) {
			rc = -1;
			break;
		}
		off += (uint64_t)n;
	}
	if (fsync(out) != 0)
		rc = -1;
	close(out);
	return rc;
}

/* Read an existing file: its counters, and cut a torn tail. */
static int
scan(writer_files_t *fs, writer_file_t *f, const char *path)
{
	proto_reader_t *r;
	proto_file_hdr_t h;
	proto_rec_t rec;
	struct stat st;
	uint64_t end;
	int rc;

	if ((rc = proto_reader_fdopen(f->fd, &r)) < 0) {
		log_warnx("%s: unreadable header (%s); refusing to append", path,
			  proto_strerror(rc));
		return -1;
	}
	h = *proto_reader_header(r);
	if (memcmp(h.uuid, f->uuid, PROTO_UUID_LEN) != 0 || h.date != f->date) {
		log_warnx("%s: header names another camera or day; refusing to append", path);
		proto_reader_free(r);
		return -1;
	}
	while ((rc = proto_reader_next(r, &rec)) == 1) {
		uint32_t c = rec.len >= PROTO_C2S_HDR_LEN ? proto_dgram_counter(rec.dgram) : 0;

		if (rec.len >= PROTO_C2S_HDR_LEN && proto_ranges_add(&f->have, c, c + 1) < 0) {
			rc = -ENOMEM;
			break;
		}
	}
	proto_reader_free(r);
	if (rc < 0 || proto_file_scan_tail(f->fd, &end) < 0 || fstat(f->fd, &st) != 0) {
		log_warnx("%s: scan failed", path);
		return -1;
	}
	if ((uint64_t)st.st_size > end) {
		log_warnx("%s: cut a torn tail of %llu bytes at offset %llu (kept in %s.tail-%llu)",
			  path, (unsigned long long)((uint64_t)st.st_size - end),
			  (unsigned long long)end, path, (unsigned long long)end);
		if (keep_tail(f->fd, path, end, (uint64_t)st.st_size) < 0 ||
		    ftruncate(f->fd, (off_t)end) != 0 || fdatasync(f->fd) != 0) {
			log_warn("%s: ftruncate", path);
			return -1;
		}
		fs->torn_cut++;
		fs->torn_bytes += (uint64_t)st.st_size - end;
	}
	f->size = end;
	return 0;
}

int
writer_files_sync_dir(const writer_files_t *fs, const writer_file_t *f)
{
	char path[4096], u[37];
	int dfd, rc = 0;

	proto_uuid_fmt(f->uuid, u);
	snprintf(path, sizeof(path), "%s/%s", fs->dir, u);
	if ((dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -errno;
	if (fsync(dfd) != 0)
		rc = -errno;
	close(dfd);
	return rc;
}

/* The header of a new file; durable with the next sync (f is dirty and fresh). */
static int
create(writer_file_t *f)
{
	uint8_t hdr[PROTO_FILE_HDR_LEN];
	proto_file_hdr_t h = {0};

	memcpy(h.uuid, f->uuid, PROTO_UUID_LEN);
	h.date = f->date;
	h.created_ms = proto_now_ms();
	proto_file_hdr_encode(&h, hdr);
	if (pwrite(f->fd, hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr))
		return -1;
	f->dirty = 1;
	f->fresh = 1;
	f->size = sizeof(hdr);
	return 0;
}

writer_file_t *
writer_files_get(writer_files_t *fs, const uint8_t uuid[PROTO_UUID_LEN], uint32_t date)
{
	char path[4096], dirpath[4000];
	int b = bucket_of(fs, uuid, date), i, idx = -1, rc;
	writer_refused_t *r;
	writer_file_t *f;
	struct stat st;

	fs->refused = 0;
	for (i = fs->bucket[b]; i != -1; i = fs->f[i].next)
		if (fs->f[i].date == date && memcmp(fs->f[i].uuid, uuid, PROTO_UUID_LEN) == 0) {
			fs->f[i].used = ++fs->clock;
			return &fs->f[i];
		}
	if ((r = refused_find(fs, uuid, date)) != NULL && proto_mono_ms() < r->retry_ms) {
		fs->refused = 1;
		return NULL;
	}
	for (i = 0; i < fs->max; i++) {
		if (fs->f[i].fd < 0) {
			idx = i;
			break;
		}
		if (idx < 0 || fs->f[i].used < fs->f[idx].used)
			idx = i;
	}
	if (fs->f[idx].fd >= 0)
		evict(fs, idx);
	f = &fs->f[idx];
	memset(f, 0, sizeof(*f));
	f->group = -1;
	memcpy(f->uuid, uuid, PROTO_UUID_LEN);
	f->date = date;
	if (mkdir_p(fs->dir, uuid, dirpath, sizeof(dirpath)) < 0 ||
	    proto_file_path(fs->dir, uuid, date, path, sizeof(path)) < 0) {
		log_warn("mkdir under %s", fs->dir);
		f->fd = -1;
		return NULL;
	}
	if ((f->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640)) < 0)
		goto fail;
	/* the lock first: the size, the header and a torn tail are the holder's business */
	if ((rc = lock_file(fs, f, path)) != 0) {
		if (rc < 0) {
			errno = -rc;
			log_warn("lock %s", path);
		}
		close(f->fd);
		f->fd = -1;
		fs->refused = rc > 0;
		return NULL;
	}
	if (fstat(f->fd, &st) != 0)
		goto fail;
	if (st.st_size == 0 ? create(f) < 0 : scan(fs, f, path) < 0)
		goto fail;
	f->used = ++fs->clock;
	f->next = fs->bucket[b];
	fs->bucket[b] = idx;
	fs->opened++;
	return f;
fail:
	log_warn("open %s", path);
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	proto_ranges_free(&f->have);
	return NULL;
}

int
writer_files_sync_all(writer_files_t *fs)
{
	int i, rc = 0;

	for (i = 0; i < fs->max; i++) {
		if (fs->f[i].fd < 0 || !fs->f[i].dirty)
			continue;
		if (fdatasync(fs->f[i].fd) != 0)
			rc = -errno;
		else
			fs->f[i].dirty = 0;
	}
	return rc;
}

int
writer_files_dirty(const writer_files_t *fs)
{
	int i, n = 0;

	for (i = 0; i < fs->max; i++)
		n += fs->f[i].fd >= 0 && fs->f[i].dirty;
	return n;
}

void
writer_files_close(writer_files_t *fs)
{
	int i;

	for (i = 0; i < fs->max; i++)
		if (fs->f[i].fd >= 0)
			evict(fs, i);
	free(fs->f);
	free(fs->bucket);
	if (fs->dirfd >= 0)
		close(fs->dirfd);
}
