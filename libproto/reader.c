/*
 * NAME
 *	reader.c - walk a storage file record by record
 *
 * DESCRIPTION
 *	A file reader maps the file read-only and shared, and trusts only
 *	the bytes below the size fstat() last gave: when it needs more (near
 *	the end, or to judge a record again) it asks the size again, and
 *	maps again when the file outgrew the mapping (it grows by
 *	READER_MAP_STEP, so a file being written is rarely mapped again).
 *	So it never depends on the file's size at open time: after it
 *	reported the end, the next call finds what the writer appended. It
 *	prefetches READER_PREFETCH bytes ahead of the position.
 *
 *	Why a mapping and not pread() into a buffer: a scan reads every byte
 *	once and computes a CRC over it. pread() copies each byte out of the
 *	page cache first; with the mapping and the prefetch the CRC reads
 *	the page cache directly. bench_stream measures the start-up scan.
 *
 *	The price is SIGBUS: a page of the mapping that a truncation cut off
 *	(a restarted writer cuts a torn tail, anyone may shrink a file) faults
 *	when touched. Each mapping makes sure of a SIGBUS handler that,
 *	for an address inside a registered reader mapping, maps a page of
 *	zeros there and counts the event; the access then reads zeros, which
 *	never verify as a record, and every reader maps its file again at its
 *	next call. A SIGBUS anywhere else goes to the disposition the process
 *	had before (default: it dies as it would have). A record the caller
 *	holds reads as zeros if the file is cut below it meanwhile; a writer
 *	only ever cuts after its last good record, so that takes someone
 *	shrinking a file under the server. READER_MAPS mappings at most are
 *	registered; a reader beyond them, or whose fd cannot be mapped (a
 *	write-only fd), or with VIGIL_READER_PREAD set in the environment,
 *	reads with pread() through its own buffer instead.
 *
 *	At each position the reader decodes one record (proto_rec_decode).
 *	When that fails it first reads the same bytes again from the file
 *	(asks the size again, maps again after a SIGBUS, or for the pread()
 *	buffer reads again), because bytes seen in an earlier call may have
 *	belonged to a torn tail that the writer has since cut off and
 *	overwritten. If the record is still bad, the reader searches forward
 *	byte by byte for "VREC" at which a whole record verifies. Found: the
 *	bytes before it are one damaged stretch, counted and skipped. Not
 *	found before the end of the file: the bytes from the position to the
 *	end are the tail, reported in the stats, and the position stays put.
 *
 *	A memory reader does the same over a caller's buffer without I/O.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proto.h"
#include "proto_record.h"

#define READER_BUFSZ (64 * 1024)      /* pread(): about 43 full records per call */
#define READER_MAP_STEP (64ull << 20) /* a mapping covers the file rounded up to this */
#define READER_PREFETCH (8 * 1024)    /* ahead of the position: 4-64 KiB measured alike */
#define READER_MAPS 4096              /* mappings the SIGBUS handler knows */

struct proto_reader {
	int fd;             /* -1 for a memory reader */
	int own_fd;         /* close fd in proto_reader_free */
	const uint8_t *mem; /* memory reader: the caller's bytes */
	uint64_t mem_len;
	uint8_t *map; /* mapped file reader: bytes [0, size) are trusted */
	size_t map_len;
	uint64_t size;     /* the file's size at the last fstat() */
	uint64_t pf_end;   /* prefetched up to here */
	unsigned bus_seen; /* reader_bus when the file was last mapped */
	int slot;          /* in reader_maps, -1 if none */
	uint8_t *buf;      /* pread() reader: window [buf_off, buf_off + buf_len) */
	size_t cap;
	uint64_t buf_off;
	size_t buf_len;
	uint64_t pos; /* offset of the next record: end of the last good one */
	proto_file_hdr_t hdr;
	proto_reader_stats_t st;
};

/* --- the SIGBUS handler and the mappings it knows ---------------------- */

static struct {
	uintptr_t lo, hi; /* lo 0: free; lo is cleared first and set last */
} reader_maps[READER_MAPS];
static unsigned reader_bus; /* pages of zeros mapped by the handler */
static struct sigaction reader_old_bus;
static uintptr_t reader_pagesz;
static pthread_mutex_t reader_maps_lock = PTHREAD_MUTEX_INITIALIZER;

static void
reader_on_bus(int sig, siginfo_t *si, void *uc)
{
	uintptr_t a = (uintptr_t)si->si_addr, lo, hi;
	int i;

	for (i = 0; i < READER_MAPS; i++) {
		lo = __atomic_load_n(&reader_maps[i].lo, __ATOMIC_ACQUIRE);
		hi = __atomic_load_n(&reader_maps[i].hi, __ATOMIC_RELAXED);
		if (lo == 0 || a < lo || a >= hi)
			continue;
		/* a reader's page cut off by a truncation: zeros instead, and map again */
		if (mmap((void *)(a & ~(reader_pagesz - 1)), reader_pagesz, PROT_READ,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
			break;
		__atomic_add_fetch(&reader_bus, 1, __ATOMIC_RELEASE);
		return;
	}
	/* not ours: what the process had before the first reader */
	if ((reader_old_bus.sa_flags & SA_SIGINFO) && reader_old_bus.sa_sigaction != NULL) {
		reader_old_bus.sa_sigaction(sig, si, uc);
	} else if (!(reader_old_bus.sa_flags & SA_SIGINFO) &&
		   reader_old_bus.sa_handler != SIG_DFL && reader_old_bus.sa_handler != SIG_IGN) {
		reader_old_bus.sa_handler(sig);
	} else {
		struct sigaction dfl;

		memset(&dfl, 0, sizeof(dfl));
		dfl.sa_handler = SIG_DFL;
		sigaction(SIGBUS, &dfl, NULL); /* the access faults again and the process dies */
	}
}

/*
 * Make reader_on_bus the SIGBUS handler, keeping the one it replaces for
 * the faults that are not a reader's. Checked at each mapping: a handler
 * installed later (a test harness, say) would take SIGBUS from us.
 * 0 or -1.
 */
static int
reader_bus_install(void)
{
	struct sigaction sa, cur;
	long pg;
	int rc = 0;

	pthread_mutex_lock(&reader_maps_lock);
	if (sigaction(SIGBUS, NULL, &cur) != 0)
		rc = -1;
	else if (!(cur.sa_flags & SA_SIGINFO) || cur.sa_sigaction != reader_on_bus) {
		pg = sysconf(_SC_PAGESIZE);
		reader_pagesz = pg > 0 ? (uintptr_t)pg : 4096;
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = reader_on_bus;
		sa.sa_flags = SA_SIGINFO | SA_RESTART;
		sigemptyset(&sa.sa_mask);
		reader_old_bus = cur;
		rc = sigaction(SIGBUS, &sa, NULL) == 0 ? 0 : -1;
	}
	pthread_mutex_unlock(&reader_maps_lock);
	return rc;
}

/* Register [lo, lo + len) in slot (claimed when -1); -1 when all are taken. */
static int
reader_slot_set(int slot, const uint8_t *lo, size_t len)
{
	int i;

	if (slot < 0) {
		pthread_mutex_lock(&reader_maps_lock);
		for (i = 0; i < READER_MAPS && reader_maps[i].hi != 0; i++)
			;
		if (i < READER_MAPS)
			reader_maps[i].hi = 1; /* taken; lo still 0, so never matched */
		pthread_mutex_unlock(&reader_maps_lock);
		if (i == READER_MAPS)
			return -1;
		slot = i;
	}
	__atomic_store_n(&reader_maps[slot].lo, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&reader_maps[slot].hi, (uintptr_t)lo + len, __ATOMIC_RELEASE);
	__atomic_store_n(&reader_maps[slot].lo, (uintptr_t)lo, __ATOMIC_RELEASE);
	return slot;
}

static void
reader_slot_free(int slot)
{
	if (slot < 0)
		return;
	__atomic_store_n(&reader_maps[slot].lo, 0, __ATOMIC_RELEASE);
	pthread_mutex_lock(&reader_maps_lock);
	__atomic_store_n(&reader_maps[slot].hi, 0, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&reader_maps_lock);
}

/*
 * Ask the file's size again; map the file again when it outgrew the
 * mapping or when the SIGBUS handler put zeros into some mapping since
 * this one was made. 0 or PROTO_E_IO.
 */
static int
reader_map(proto_reader_t *r)
{
	unsigned bus = __atomic_load_n(&reader_bus, __ATOMIC_ACQUIRE);
	struct stat st;
	size_t len;
	void *m;

	if (fstat(r->fd, &st) < 0) {
		proto_set_errmsg("fstat: %s", strerror(errno));
		return PROTO_E_IO;
	}
	if (r->map == NULL || bus != r->bus_seen || (uint64_t)st.st_size > r->map_len) {
		if ((uint64_t)st.st_size > SIZE_MAX - READER_MAP_STEP) {
			proto_set_errmsg("file of %llu bytes too large to map",
					 (unsigned long long)st.st_size);
			return PROTO_E_IO;
		}
		len = (size_t)(((uint64_t)st.st_size / READER_MAP_STEP + 1) * READER_MAP_STEP);
		if (reader_bus_install() < 0) {
			proto_set_errmsg("sigaction SIGBUS: %s", strerror(errno));
			return PROTO_E_IO;
		}
		if ((m = mmap(NULL, len, PROT_READ, MAP_SHARED, r->fd, 0)) == MAP_FAILED) {
			proto_set_errmsg("mmap: %s", strerror(errno));
			return PROTO_E_IO;
		}
		if ((r->slot = reader_slot_set(r->slot, m, len)) < 0) {
			munmap(m, len);
			proto_set_errmsg("more than %d mapped readers", READER_MAPS);
			return PROTO_E_IO;
		}
		/* faults on a cold file read ahead as read() would, growing the window */
		(void)madvise(m, len, MADV_SEQUENTIAL);
		if (r->map != NULL)
			munmap(r->map, r->map_len);
		r->map = m;
		r->map_len = len;
		r->bus_seen = bus;
		r->pf_end = 0;
	}
	r->size = (uint64_t)st.st_size;
	return 0;
}

/*
 * Make at least need bytes at off available (fewer at the end of the
 * file) and point *p at them. fresh discards what the reader knows of the
 * file (its size, the pread() buffer) and reads again. Returns the number
 * of bytes available at *p, which may exceed need, or PROTO_E_IO.
 */
static ssize_t
reader_fill(proto_reader_t *r, uint64_t off, size_t need, int fresh, const uint8_t **p)
{
	ssize_t n;
	int rc;

	if (r->fd < 0) {
		if (off >= r->mem_len) {
			*p = r->mem + r->mem_len;
			return 0;
		}
		*p = r->mem + off;
		return (ssize_t)(r->mem_len - off);
	}
	if (r->map != NULL) {
		if ((fresh || off + need > r->size ||
		     __atomic_load_n(&reader_bus, __ATOMIC_RELAXED) != r->bus_seen) &&
		    (rc = reader_map(r)) < 0)
			return rc;
		if (off >= r->size) {
			*p = r->map;
			return 0;
		}
		/* the lines READER_PREFETCH ahead, once each; prefetches never fault */
		uint64_t to = off + READER_PREFETCH + need, l;
		if (to > r->size)
			to = r->size;
		l = r->pf_end > off + READER_PREFETCH ? r->pf_end
						      : (off + READER_PREFETCH) & ~63ull;
		for (; l < to; l += 64)
			__builtin_prefetch(r->map + l);
		if (l > r->pf_end)
			r->pf_end = l;
		*p = r->map + off;
		return (ssize_t)(r->size - off);
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
	r->slot = -1;
	if (fd >= 0 && getenv("VIGIL_READER_PREAD") == NULL) {
		(void)reader_map(r); /* on failure r->map stays NULL */
	}
	if (fd >= 0 && r->map == NULL) { /* cannot map: pread() through a buffer */
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
		if (r->map != NULL)
			munmap(r->map, r->map_len);
		reader_slot_free(r->slot);
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
	if (r->map != NULL)
		munmap(r->map, r->map_len);
	reader_slot_free(r->slot);
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
	r->pf_end = 0;
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
