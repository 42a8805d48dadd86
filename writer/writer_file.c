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
 *	holds, by session (so a duplicate is stored once, and a counter that
 *	comes again with other content is told apart), and where its last
 *	good record ends; a torn tail left by a crash is cut off there and
 *	logged. A file whose header is torn or does not parse (a crash
 *	while it was created) holds nothing readable: it is renamed aside
 *	to <file>.torn-header-<unix ms>, logged, and started again. A new
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
bucket_of(const writer_files_t *fs, const uint8_t *uuid, uint32_t date, int kind)
{
	return (
	    int)((proto_partition(uuid, 0x7fffffff) ^ (date * 2u + (uint32_t)kind) * 2654435761u) %
		 (uint32_t)fs->nbucket);
}

void
writer_files_path(const writer_files_t *fs, const uint8_t uuid[PROTO_UUID_LEN], uint32_t date,
		  int kind, char *path, size_t cap)
{
	size_t l;

	if (proto_file_path(fs->dir, uuid, date, path, cap) < 0)
		path[0] = '\0';
	else if (kind == WRITER_CONFLICT && (l = strlen(path)) + 9 < cap)
		memcpy(path + l - strlen(PROTO_FILE_SUFFIX), ".conflict" PROTO_FILE_SUFFIX,
		       sizeof(".conflict" PROTO_FILE_SUFFIX));
}

static writer_sess_t *
sess_of(writer_file_t *f, uint32_t id)
{
	int i;

	if (f->cur < f->nsess && f->sess[f->cur].id == id)
		return &f->sess[f->cur];
	for (i = 0; i < f->nsess; i++)
		if (f->sess[i].id == id)
			return &f->sess[f->cur = i];
	return NULL;
}

static void
sess_free(writer_file_t *f)
{
	int i;

	for (i = 0; i < f->nsess; i++)
		proto_ranges_free(&f->sess[i].have);
	free(f->sess);
	f->sess = NULL;
	f->nsess = f->cur = 0;
	proto_ranges_free(&f->have);
}

int
writer_file_note(writer_file_t *f, const uint8_t *dg, size_t len)
{
	uint32_t c = proto_dgram_counter(dg), id = proto_dgram_session(dg);
	writer_sess_t *e;

	if (proto_ranges_add(&f->have, c, c + 1) < 0)
		return -ENOMEM;
	if ((e = sess_of(f, id)) == NULL) {
		writer_sess_t *p = realloc(f->sess, (size_t)(f->nsess + 1) * sizeof(*p));
		if (p == NULL)
			return -ENOMEM;
		f->sess = p;
		e = &p[f->cur = f->nsess++];
		memset(e, 0, sizeof(*e));
		e->id = id;
	}
	if (proto_dgram_type(dg) == PROTO_T_HELLO && len >= 44 + PROTO_HELLO_ID_LEN && !e->hello) {
		memcpy(e->hello_id, dg + 44, PROTO_HELLO_ID_LEN);
		e->hello = 1;
	}
	return proto_ranges_add(&e->have, c, c + 1) < 0 ? -ENOMEM : 0;
}

int
writer_file_conflicts(writer_file_t *f, const uint8_t *dg, size_t len, uint32_t *held_by)
{
	uint32_t c = proto_dgram_counter(dg), id = proto_dgram_session(dg);
	writer_sess_t *e = sess_of(f, id);
	int i;

	*held_by = id;
	if (e == NULL || !proto_ranges_has(&e->have, c)) { /* held under another session */
		for (i = 0; i < f->nsess; i++)
			if (proto_ranges_has(&f->sess[i].have, c))
				*held_by = f->sess[i].id;
		return 1;
	}
	if (proto_dgram_type(dg) == PROTO_T_HELLO && len >= 44 + PROTO_HELLO_ID_LEN && e->hello &&
	    memcmp(e->hello_id, dg + 44, PROTO_HELLO_ID_LEN) != 0)
		e->reused = 1; /* a second hello of the same number: another secret */
	return e->reused;
}

static void
unchain(writer_files_t *fs, int idx)
{
	int *p = &fs->bucket[bucket_of(fs, fs->f[idx].uuid, fs->f[idx].date, fs->f[idx].kind)];

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
	sess_free(f);
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

#define SCAN_TORN_HEADER 1

/*
 * A file whose header is torn (shorter than a header: a crash while it
 * was created) or does not parse holds no record a reader would return:
 * it is renamed aside (no byte is destroyed) so that the day can start
 * again. Its counters are then missing from the new file, and syncd asks
 * the camera for them. 0 or -errno.
 */
static int
set_aside(writer_files_t *fs, const char *path)
{
	char name[4200];
	int rc = 0;

	snprintf(name, sizeof(name), "%s.torn-header-%llu", path,
		 (unsigned long long)proto_now_ms());
	if (rename(path, name) != 0)
		rc = -errno;
	if (rc == 0)
		fs->torn_headers++;
	if (rc == 0)
		log_warnx("%s: torn or unreadable file header; set aside as %s, the file starts "
			  "again",
			  path, name);
	else
		log_warnx("%s: torn or unreadable file header, cannot set it aside: %s", path,
			  strerror(-rc));
	return rc;
}

/*
 * Read an existing file: its counters, and cut a torn tail. 0,
 * SCAN_TORN_HEADER, or -errno.
 */
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
		/* a later format is no damage: left alone, and not appended to */
		if (rc == PROTO_E_SHORT || rc == PROTO_E_MAGIC || rc == PROTO_E_CRC ||
		    rc == PROTO_E_FIELD)
			return SCAN_TORN_HEADER;
		log_warnx("%s: unreadable header (%s); refusing to append", path,
			  proto_strerror(rc));
		return rc == PROTO_E_IO ? -EIO : -EPROTO;
	}
	h = *proto_reader_header(r);
	if (memcmp(h.uuid, f->uuid, PROTO_UUID_LEN) != 0 || h.date != f->date) {
		log_warnx("%s: header names another camera or day; refusing to append", path);
		proto_reader_free(r);
		return -EPROTO;
	}
	while ((rc = proto_reader_next(r, &rec)) == 1)
		if (rec.len >= PROTO_C2S_HDR_LEN &&
		    (rc = writer_file_note(f, rec.dgram, rec.len)) < 0)
			break;
	proto_reader_free(r);
	if (rc < 0 || proto_file_scan_tail(f->fd, &end) < 0 || fstat(f->fd, &st) != 0) {
		log_warnx("%s: scan failed", path);
		return rc == -ENOMEM ? -ENOMEM : -EIO;
	}
	if ((uint64_t)st.st_size > end) {
		log_warnx("%s: cut a torn tail of %llu bytes at offset %llu (kept in %s.tail-%llu)",
			  path, (unsigned long long)((uint64_t)st.st_size - end),
			  (unsigned long long)end, path, (unsigned long long)end);
		if (keep_tail(f->fd, path, end, (uint64_t)st.st_size) < 0 ||
		    ftruncate(f->fd, (off_t)end) != 0 || fdatasync(f->fd) != 0) {
			rc = errno ? -errno : -EIO;
			log_warn("%s: ftruncate", path);
			return rc;
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
	errno = 0;
	if (pwrite(f->fd, hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr))
		return errno ? -errno : -ENOSPC; /* a short write: the file system is full */
	f->dirty = 1;
	f->fresh = 1;
	f->size = sizeof(hdr);
	return 0;
}

int
writer_files_get(writer_files_t *fs, const uint8_t uuid[PROTO_UUID_LEN], uint32_t date, int kind,
		 writer_file_t **out)
{
	char path[4096], dirpath[4000];
	int b = bucket_of(fs, uuid, date, kind), i, idx = -1, rc, again = 0;
	writer_refused_t *r;
	writer_file_t *f;
	struct stat st;

	for (i = fs->bucket[b]; i != -1; i = fs->f[i].next)
		if (fs->f[i].date == date && fs->f[i].kind == kind &&
		    memcmp(fs->f[i].uuid, uuid, PROTO_UUID_LEN) == 0) {
			fs->f[i].used = ++fs->clock;
			*out = &fs->f[i];
			return 0;
		}
	if ((r = refused_find(fs, uuid, date)) != NULL && proto_mono_ms() < r->retry_ms)
		return -EAGAIN; /* another process's, tried again at retry_ms */
	for (i = 0; i < fs->max; i++) {
		if (fs->f[i].fd < 0) {
			idx = i;
			break;
		}
		if (fs->f[i].group < 0 && (idx < 0 || fs->f[i].used < fs->f[idx].used))
			idx = i;
	}
	if (idx < 0)
		return -EMFILE; /* every file is being written this turn */
	if (fs->f[idx].fd >= 0)
		evict(fs, idx);
	f = &fs->f[idx];
	memset(f, 0, sizeof(*f));
	f->group = -1;
	memcpy(f->uuid, uuid, PROTO_UUID_LEN);
	f->date = date;
	f->kind = kind;
	if ((rc = mkdir_p(fs->dir, uuid, dirpath, sizeof(dirpath))) < 0) {
		f->fd = -1;
		return rc;
	}
	writer_files_path(fs, uuid, date, kind, path, sizeof(path));
reopen:
	if ((f->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640)) < 0)
		goto fail;
	/* the lock first: the size, the header and a torn tail are the holder's business */
	if ((rc = lock_file(fs, f, path)) != 0) {
		close(f->fd);
		f->fd = -1;
		return rc > 0 ? -EAGAIN : rc;
	}
	if (fstat(f->fd, &st) != 0)
		goto fail;
	rc = st.st_size == 0 ? create(f) : scan(fs, f, path);
	if (rc == SCAN_TORN_HEADER && !again++) {
		close(f->fd);
		sess_free(f);
		if ((rc = set_aside(fs, path)) < 0)
			goto fail;
		goto reopen;
	}
	if (rc > 0)
		rc = -EPROTO; /* torn again at once: leave it */
	if (rc != 0)
		goto fail;
	f->used = ++fs->clock;
	f->next = fs->bucket[b];
	fs->bucket[b] = idx;
	fs->opened++;
	*out = f;
	return 0;
fail:
	if (rc >= 0)
		rc = errno ? -errno : -EIO;
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	sess_free(f);
	return rc;
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
