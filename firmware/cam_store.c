/*
 * NAME
 *	cam_store.c - the camera's on-disk store of sent datagrams
 *
 * DESCRIPTION
 *	A folder (docs/STORAGE.md, "Camera store") holding:
 *	  seg-<n>   append-only segments of records, n counting up; a new
 *	            segment starts when the current one would pass seg_max;
 *	  hellos    every session's hello, apart, so that evicting a
 *	            segment never loses the key material of datagrams kept
 *	            in later ones;
 *	  confirm   append-only log of the ranges the server confirmed;
 *	  void      ranges of counters never used (skipped after a crash).
 *	The confirmations and voids outlive the records they name, so the
 *	store always knows the highest counter of a day that was used
 *	(cam_store_used), even after its segments were freed.
 *	A record is "VCSR", u16 length, u16 flags (0), u32 CRC-32C of the
 *	first 8 bytes and the datagram, then the datagram as sent. On open
 *	every file is read; at the first record that is not good the file
 *	is cut there (a torn tail from a crash), and counted.
 *
 *	In memory: per day, the held counters in ascending order with where
 *	each lives; per segment, how many of its datagrams are unconfirmed.
 *	When the store passes its bound the oldest segment whose datagrams
 *	are all confirmed is deleted; only when none is left is the oldest
 *	segment deleted anyway, and its unconfirmed datagrams are counted
 *	(dropped_unconfirmed): the day's oldest held counter then rises past
 *	them and the server learns from the next report that they are gone.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "cam_store.h"
#include "proto_record.h"

static uint32_t
rec_crc(const uint8_t hdr[8], const uint8_t *dg, size_t len)
{
	return proto_crc32c(proto_crc32c(0, hdr, 8), dg, len);
}

static void
rec_hdr(uint8_t hdr[CAM_STORE_REC_HDR], const uint8_t *dg, size_t len)
{
	memcpy(hdr, CAM_STORE_MAGIC, 4);
	proto_put16(hdr + 4, (uint16_t)len);
	proto_put16(hdr + 6, 0);
	proto_put32(hdr + 8, rec_crc(hdr, dg, len));
}

/*
 * One good record at buf[0..avail): its total length, 0 when the bytes
 * do not hold a whole good record (a torn or damaged tail).
 */
static size_t
rec_parse(const uint8_t *buf, size_t avail)
{
	size_t len;

	if (avail < CAM_STORE_REC_HDR || memcmp(buf, CAM_STORE_MAGIC, 4) != 0)
		return 0;
	len = proto_get16(buf + 4);
	if (len < PROTO_C2S_HDR_LEN || len > PROTO_MAX_DGRAM || proto_get16(buf + 6) != 0 ||
	    avail < CAM_STORE_REC_HDR + len ||
	    proto_get32(buf + 8) != rec_crc(buf, buf + CAM_STORE_REC_HDR, len))
		return 0;
	return CAM_STORE_REC_HDR + len;
}

static cam_store_day_t *
day_find(const cam_store_t *s, uint32_t date)
{
	uint32_t i;

	for (i = 0; i < s->nday; i++)
		if (s->day[i].date == date)
			return &s->day[i];
	return NULL;
}

static cam_store_day_t *
day_get(cam_store_t *s, uint32_t date)
{
	cam_store_day_t *d = day_find(s, date);
	void *p;

	if (d)
		return d;
	if ((p = realloc(s->day, (s->nday + 1) * sizeof(*s->day))) == NULL)
		return NULL;
	s->day = p;
	d = &s->day[s->nday++];
	memset(d, 0, sizeof(*d));
	d->date = date;
	return d;
}

/* Index of the first entry with counter >= c. */
static uint32_t
ent_find(const cam_store_day_t *d, uint32_t c)
{
	uint32_t a = d->first, b = d->n;

	while (a < b) {
		uint32_t m = (a + b) / 2;
		if (d->e[m].counter < c)
			a = m + 1;
		else
			b = m;
	}
	return a;
}

/* Counters of date below next were used (confirmed or voided). */
static int
used_note(cam_store_t *s, uint32_t date, uint32_t next)
{
	uint32_t i;
	void *p;

	for (i = 0; i < s->nused; i++)
		if (s->used[i].date == date) {
			if (s->used[i].next < next)
				s->used[i].next = next;
			return 0;
		}
	if ((p = realloc(s->used, (s->nused + 1) * sizeof(*s->used))) == NULL)
		return -ENOMEM;
	s->used = p;
	s->used[s->nused].date = date;
	s->used[s->nused++].next = next;
	return 0;
}

static cam_store_seg_t *
seg_find(cam_store_t *s, uint32_t num)
{
	uint32_t a = 0, b = s->nseg;

	while (a < b) {
		uint32_t m = (a + b) / 2;
		if (s->seg[m].num < num)
			a = m + 1;
		else
			b = m;
	}
	return a < s->nseg && s->seg[a].num == num ? &s->seg[a] : NULL;
}

/* Record a held datagram in the day's list; -EEXIST for a counter already held. */
static int
ent_add(cam_store_t *s, const uint8_t *dg, uint16_t len, uint32_t seg, uint32_t off)
{
	cam_store_day_t *d = day_get(s, proto_get32(dg + 20));
	uint32_t c = proto_get32(dg + 24), i;

	if (d == NULL)
		return -ENOMEM;
	/* counters grow within a day: almost always an append */
	i = d->n && d->e[d->n - 1].counter < c ? d->n : ent_find(d, c);
	if (i < d->n && d->e[i].counter == c)
		return -EEXIST;
	if (d->n == d->cap) {
		uint32_t cap = d->cap ? d->cap * 2 : 1024;
		void *p = realloc(d->e, cap * sizeof(d->e[0]));
		if (p == NULL)
			return -ENOMEM;
		d->e = p;
		d->cap = cap;
	}
	memmove(&d->e[i + 1], &d->e[i], (d->n - i) * sizeof(d->e[0]));
	d->e[i] = (cam_store_ent_t){c, seg, off, len, 0, dg[3]};
	d->n++;
	d->unconfirmed++;
	if (seg != CAM_STORE_HELLO_SEG) {
		cam_store_seg_t *sg = seg_find(s, seg);
		if (sg)
			sg->unconfirmed++;
	}
	return 0;
}

static int
hello_keep(cam_store_t *s, const uint8_t *dg, uint16_t len)
{
	void *p = realloc(s->hello, (s->nhello + 1) * sizeof(*s->hello));
	cam_store_hello_t *h;
	int rc;

	if (p == NULL)
		return -ENOMEM;
	s->hello = p;
	h = &s->hello[s->nhello];
	h->date = proto_get32(dg + 20);
	h->session = proto_get32(dg + 24);
	h->len = len;
	memcpy(h->dg, dg, len);
	if ((rc = ent_add(s, dg, len, CAM_STORE_HELLO_SEG, s->nhello)) < 0)
		return rc;
	s->nhello++;
	return 0;
}

/*
 * Read a file of records, calling back for each good one, and cut it at
 * the first bytes that are not a good record. Returns the good length.
 */
static int64_t
load(cam_store_t *s, int fd, int (*each)(cam_store_t *, const uint8_t *, size_t, uint64_t, void *),
     void *arg)
{
	static uint8_t buf[1 << 20];
	uint64_t base = 0; /* file offset of buf[0] */
	size_t have = 0, pos, n;
	ssize_t r;
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	for (;;) {
		if ((r = pread(fd, buf + have, sizeof(buf) - have, (off_t)(base + have))) < 0)
			return -errno;
		have += (size_t)r;
		for (pos = 0; (n = rec_parse(buf + pos, have - pos)) > 0; pos += n)
			if (each(s, buf + pos, n, base + pos, arg) == -ENOMEM)
				return -ENOMEM;
		memmove(buf, buf + pos, have - pos);
		base += pos;
		have -= pos;
		if (r == 0 || (pos == 0 && have == sizeof(buf)))
			break; /* the end, or bytes that are no record */
	}
	if ((uint64_t)st.st_size > base) {
		/* what follows the last good record is a torn tail: cut it */
		if (ftruncate(fd, (off_t)base) < 0)
			return -errno;
		s->torn_cut++;
	}
	return (int64_t)base;
}

static int
each_seg(cam_store_t *s, const uint8_t *rec, size_t n, uint64_t off, void *arg)
{
	int rc = ent_add(s, rec + CAM_STORE_REC_HDR, (uint16_t)(n - CAM_STORE_REC_HDR),
			 *(uint32_t *)arg, (uint32_t)off);
	return rc == -EEXIST ? 0 : rc;
}

static int
each_hello(cam_store_t *s, const uint8_t *rec, size_t n, uint64_t off, void *arg)
{
	(void)off;
	(void)arg;
	if (rec[CAM_STORE_REC_HDR + 3] != PROTO_T_HELLO)
		return 0;
	int rc = hello_keep(s, rec + CAM_STORE_REC_HDR, (uint16_t)(n - CAM_STORE_REC_HDR));
	return rc == -EEXIST ? 0 : rc;
}

static int
seg_add(cam_store_t *s, uint32_t num, int fd, uint64_t size)
{
	if (s->nseg == s->segcap) {
		uint32_t cap = s->segcap ? s->segcap * 2 : 16;
		void *p = realloc(s->seg, cap * sizeof(*s->seg));
		if (p == NULL)
			return -ENOMEM;
		s->seg = p;
		s->segcap = cap;
	}
	s->seg[s->nseg++] = (cam_store_seg_t){num, fd, size, 0};
	return 0;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static void confirm_apply(cam_store_t *s, const proto_range_t *r, int log);

int
cam_store_open(cam_store_t *s, const char *dir, uint64_t max_bytes)
{
	char path[4200];
	uint32_t *nums = NULL, nn = 0, i;
	struct dirent *e;
	DIR *dh;
	int fd, rc = 0;

	memset(s, 0, sizeof(*s));
	s->hello_fd = s->confirm_fd = s->void_fd = -1;
	snprintf(s->dir, sizeof(s->dir), "%s", dir);
	s->max_bytes = max_bytes ? max_bytes : CAM_STORE_DEFAULT_MAX;
	/* at least eight segments fit, so eviction frees an eighth at a time */
	s->seg_max = s->max_bytes / 8 < CAM_STORE_SEG_MAX ? s->max_bytes / 8 : CAM_STORE_SEG_MAX;
	if (s->seg_max < 64 * 1024)
		s->seg_max = 64 * 1024;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	if ((dh = opendir(dir)) == NULL)
		return -errno;
	while ((e = readdir(dh)) != NULL) {
		unsigned n;
		char tail;
		if (sscanf(e->d_name, "seg-%u%c", &n, &tail) != 1)
			continue;
		void *p = realloc(nums, (nn + 1) * sizeof(*nums));
		if (p == NULL) {
			rc = -ENOMEM;
			break;
		}
		nums = p;
		nums[nn++] = n;
	}
	closedir(dh);
	if (rc < 0)
		goto out;
	if (nn > 1) /* qsort must not see the NULL of an empty folder */
		qsort(nums, nn, sizeof(*nums), cmp_u32);
	/* hellos first: their entries must exist before segments refer to sessions */
	snprintf(path, sizeof(path), "%s/hellos", dir);
	if ((s->hello_fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600)) < 0) {
		rc = -errno;
		goto out;
	}
	int64_t got = load(s, s->hello_fd, each_hello, NULL);
	if (got < 0) {
		rc = (int)got;
		goto out;
	}
	s->bytes += (uint64_t)got;
	for (i = 0; i < nn; i++) {
		snprintf(path, sizeof(path), "%s/seg-%010u", dir, nums[i]);
		if ((fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC)) < 0) {
			rc = -errno;
			goto out;
		}
		if ((rc = seg_add(s, nums[i], fd, 0)) < 0) {
			close(fd);
			goto out;
		}
		if ((got = load(s, fd, each_seg, &nums[i])) < 0) {
			rc = (int)got;
			goto out;
		}
		s->seg[s->nseg - 1].size = (uint64_t)got;
		s->bytes += (uint64_t)got;
	}
	/* replay the confirmations: 16-byte records (date, first, count, CRC) */
	snprintf(path, sizeof(path), "%s/confirm", dir);
	if ((s->confirm_fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600)) < 0) {
		rc = -errno;
		goto out;
	}
	{
		uint8_t r[16];
		off_t off = 0;
		while (pread(s->confirm_fd, r, 16, off) == 16 &&
		       proto_get32(r + 12) == proto_crc32c(0, r, 12)) {
			proto_range_t pr = {proto_get32(r), proto_get32(r + 4), proto_get32(r + 8)};
			confirm_apply(s, &pr, 0);
			uint64_t end = (uint64_t)pr.first + pr.count;
			if ((rc = used_note(s, pr.date,
					    end > UINT32_MAX ? UINT32_MAX : (uint32_t)end)) < 0)
				goto out;
			off += 16;
		}
		if (ftruncate(s->confirm_fd, off) < 0) {
			rc = -errno;
			goto out;
		}
	}
	/* counters never used: 16-byte records like the confirmations */
	snprintf(path, sizeof(path), "%s/void", dir);
	if ((s->void_fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600)) < 0) {
		rc = -errno;
		goto out;
	}
	{
		uint8_t r[16];
		off_t off = 0;
		while (pread(s->void_fd, r, 16, off) == 16 &&
		       proto_get32(r + 12) == proto_crc32c(0, r, 12)) {
			void *p = realloc(s->voids, (s->nvoid + 1) * sizeof(*s->voids));
			if (p == NULL) {
				rc = -ENOMEM;
				goto out;
			}
			s->voids = p;
			s->voids[s->nvoid++] =
			    (proto_range_t){proto_get32(r), proto_get32(r + 4), proto_get32(r + 8)};
			uint64_t end = (uint64_t)proto_get32(r + 4) + proto_get32(r + 8);
			if ((rc = used_note(s, proto_get32(r),
					    end > UINT32_MAX ? UINT32_MAX : (uint32_t)end)) < 0)
				goto out;
			off += 16;
		}
		if (ftruncate(s->void_fd, off) < 0) {
			rc = -errno;
			goto out;
		}
	}
	s->confirmed = 0;
out:
	free(nums);
	if (rc < 0)
		cam_store_close(s);
	return rc;
}

void
cam_store_close(cam_store_t *s)
{
	uint32_t i;

	/* what was appended since the last sync (a full segment was synced when it filled) */
	if (s->seg_dirty && s->nseg)
		fdatasync(s->seg[s->nseg - 1].fd);
	for (i = 0; i < s->nseg; i++)
		close(s->seg[i].fd);
	if (s->hello_fd >= 0) {
		if (s->hello_dirty)
			fdatasync(s->hello_fd);
		close(s->hello_fd);
	}
	if (s->confirm_fd >= 0) {
		if (s->confirm_dirty)
			fdatasync(s->confirm_fd);
		close(s->confirm_fd);
	}
	if (s->void_fd >= 0)
		close(s->void_fd);
	free(s->voids);
	free(s->used);
	for (i = 0; i < s->nday; i++)
		free(s->day[i].e);
	free(s->day);
	free(s->seg);
	free(s->hello);
	memset(s, 0, sizeof(*s));
	s->hello_fd = s->confirm_fd = s->void_fd = -1;
}

/* Delete segment k; its entries are no longer held. */
static void
seg_delete(cam_store_t *s, uint32_t k)
{
	cam_store_seg_t *sg = &s->seg[k];
	char path[4200];
	uint32_t i, j;

	for (i = 0; i < s->nday; i++) {
		cam_store_day_t *d = &s->day[i];
		for (j = d->first; j < d->n; j++) {
			if (d->e[j].seg != sg->num)
				continue;
			if (!d->e[j].confirmed) {
				s->dropped_unconfirmed++;
				d->unconfirmed--;
			}
			d->e[j].seg = CAM_STORE_FREED;
		}
		while (d->first < d->n && d->e[d->first].seg == CAM_STORE_FREED)
			d->first++;
	}
	snprintf(path, sizeof(path), "%s/seg-%010u", s->dir, sg->num);
	unlink(path);
	close(sg->fd);
	s->bytes -= sg->size;
	s->evicted++;
	memmove(&s->seg[k], &s->seg[k + 1], (s->nseg - k - 1) * sizeof(*s->seg));
	s->nseg--;
}

static void
evict(cam_store_t *s)
{
	while (s->bytes > s->max_bytes && s->nseg > 1) {
		uint32_t k;
		/* the oldest segment that holds nothing unconfirmed, else the oldest */
		for (k = 0; k < s->nseg - 1 && s->seg[k].unconfirmed; k++)
			;
		seg_delete(s, k < s->nseg - 1 ? k : 0);
	}
}

/* The newest segment, or a new one when rec more bytes would pass seg_max; NULL: -errno in *rc. */
static cam_store_seg_t *
seg_room(cam_store_t *s, size_t rec, int *rc)
{
	cam_store_seg_t *sg = s->nseg ? &s->seg[s->nseg - 1] : NULL;
	char path[4200];
	uint32_t num;
	int fd;

	if (sg != NULL && sg->size + rec <= s->seg_max)
		return sg;
	num = sg ? sg->num + 1 : 0;
	snprintf(path, sizeof(path), "%s/seg-%010u", s->dir, num);
	if ((fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600)) < 0) {
		*rc = -errno;
		return NULL;
	}
	if (sg)
		fdatasync(sg->fd); /* a full segment is made durable once */
	if ((*rc = seg_add(s, num, fd, 0)) < 0) {
		close(fd);
		return NULL;
	}
	return &s->seg[s->nseg - 1];
}

/* Append the k records gathered in iov (bytes in all) to segment sg. */
static int
seg_write(cam_store_t *s, cam_store_seg_t *sg, const struct iovec *iov, int k, size_t bytes)
{
	if (k == 0)
		return 0;
	if (writev(sg->fd, iov, 2 * k) != (ssize_t)bytes)
		return -errno;
	sg->size += bytes;
	s->bytes += bytes;
	s->stored += (uint64_t)k;
	s->seg_dirty = 1;
	return 0;
}

int
cam_store_put_many(cam_store_t *s, const uint8_t *const dg[], const size_t len[], int n)
{
	uint8_t hdr[CAM_STORE_BATCH][CAM_STORE_REC_HDR];
	struct iovec iov[2 * CAM_STORE_BATCH];
	cam_store_seg_t *sg = NULL;
	size_t bytes = 0;
	int i, k = 0, rc = 0;

	for (i = 0; i < n; i++) {
		size_t rec = CAM_STORE_REC_HDR + len[i];
		if (len[i] < PROTO_C2S_HDR_LEN || len[i] > PROTO_MAX_DGRAM ||
		    dg[i][3] == PROTO_T_HELLO) {
			rc = -EINVAL;
			break;
		}
		/* a full batch, or a segment that cannot take this record: write what is gathered */
		if (sg != NULL && (k == CAM_STORE_BATCH || sg->size + bytes + rec > s->seg_max)) {
			if ((rc = seg_write(s, sg, iov, k, bytes)) < 0)
				break;
			k = 0;
			bytes = 0;
		}
		if (k == 0 && (sg = seg_room(s, rec, &rc)) == NULL)
			break;
		if ((rc = ent_add(s, dg[i], (uint16_t)len[i], sg->num,
				  (uint32_t)(sg->size + bytes))) < 0) {
			if (rc != -EEXIST)
				break;
			rc = 0; /* held already */
			continue;
		}
		rec_hdr(hdr[k], dg[i], len[i]);
		iov[2 * k] = (struct iovec){hdr[k], CAM_STORE_REC_HDR};
		iov[2 * k + 1] = (struct iovec){(void *)dg[i], len[i]};
		k++;
		bytes += rec;
	}
	if (sg != NULL) {
		int wrc = seg_write(s, sg, iov, k, bytes);
		if (rc == 0)
			rc = wrc;
	}
	evict(s);
	return rc;
}

int
cam_store_put(cam_store_t *s, const uint8_t *dg, size_t len)
{
	uint8_t hdr[CAM_STORE_REC_HDR];
	struct iovec iov[2];
	int rc;

	if (len < PROTO_C2S_HDR_LEN || len > PROTO_MAX_DGRAM)
		return -EINVAL;
	if (dg[3] != PROTO_T_HELLO)
		return cam_store_put_many(s, &dg, &len, 1);
	rec_hdr(hdr, dg, len);
	iov[0] = (struct iovec){hdr, sizeof(hdr)};
	iov[1] = (struct iovec){(void *)dg, len};
	if ((rc = hello_keep(s, dg, (uint16_t)len)) < 0)
		return rc == -EEXIST ? 0 : rc;
	if (writev(s->hello_fd, iov, 2) != (ssize_t)(sizeof(hdr) + len))
		return -errno;
	s->bytes += sizeof(hdr) + len;
	s->stored++;
	s->hello_dirty = 1;
	return 0;
}

int
cam_store_get(cam_store_t *s, uint32_t date, uint32_t counter, uint8_t *buf)
{
	cam_store_day_t *d = day_find(s, date);
	cam_store_seg_t *sg;
	uint32_t i;

	if (d == NULL || (i = ent_find(d, counter)) >= d->n || d->e[i].counter != counter)
		return -ENOENT;
	if (d->e[i].seg == CAM_STORE_FREED)
		return -ENOENT;
	if (d->e[i].seg == CAM_STORE_HELLO_SEG) {
		memcpy(buf, s->hello[d->e[i].off].dg, s->hello[d->e[i].off].len);
		return s->hello[d->e[i].off].len;
	}
	if ((sg = seg_find(s, d->e[i].seg)) == NULL ||
	    pread(sg->fd, buf, d->e[i].len, (off_t)d->e[i].off + CAM_STORE_REC_HDR) != d->e[i].len)
		return -EIO;
	return d->e[i].len;
}

const cam_store_hello_t *
cam_store_hello_of(const cam_store_t *s, uint32_t date, uint32_t session)
{
	uint32_t i;

	for (i = s->nhello; i-- > 0;)
		if (s->hello[i].date == date && s->hello[i].session == session)
			return &s->hello[i];
	return NULL;
}

static void
confirm_apply(cam_store_t *s, const proto_range_t *r, int log)
{
	cam_store_day_t *d = day_find(s, r->date);
	uint64_t end = (uint64_t)r->first + r->count;
	uint32_t i, changed = 0;

	if (d == NULL)
		return;
	for (i = ent_find(d, r->first); i < d->n && d->e[i].counter < end; i++) {
		cam_store_ent_t *e = &d->e[i];
		if (e->confirmed || e->seg == CAM_STORE_FREED)
			continue;
		e->confirmed = 1;
		d->unconfirmed--;
		changed++;
		if (e->seg != CAM_STORE_HELLO_SEG) {
			cam_store_seg_t *sg = seg_find(s, e->seg);
			if (sg)
				sg->unconfirmed--;
		}
	}
	s->confirmed += changed;
	if (log && changed) {
		used_note(s, r->date, (uint32_t)(end > UINT32_MAX ? UINT32_MAX : end));
		uint8_t rec[16];
		proto_put32(rec, r->date);
		proto_put32(rec + 4, r->first);
		proto_put32(rec + 8, r->count);
		proto_put32(rec + 12, proto_crc32c(0, rec, 12));
		if (write(s->confirm_fd, rec, 16) != 16)
			return; /* lost: the server confirms again */
		s->confirm_dirty = 1;
	}
}

void
cam_store_confirm(cam_store_t *s, const proto_range_t *r)
{
	confirm_apply(s, r, 1);
}

uint32_t
cam_store_oldest(const cam_store_t *s, uint32_t date, uint32_t next)
{
	const cam_store_day_t *d = day_find(s, date);
	uint32_t i;

	if (d == NULL)
		return next;
	for (i = d->first; i < d->n; i++)
		if (d->e[i].seg != CAM_STORE_FREED)
			return d->e[i].counter < next ? d->e[i].counter : next;
	return next;
}

uint32_t
cam_store_high(const cam_store_t *s, uint32_t date)
{
	const cam_store_day_t *d = day_find(s, date);

	return d && d->n ? d->e[d->n - 1].counter + 1 : 0;
}

uint32_t
cam_store_used(const cam_store_t *s, uint32_t date)
{
	uint32_t next = cam_store_high(s, date), i;

	for (i = 0; i < s->nused; i++)
		if (s->used[i].date == date && s->used[i].next > next)
			next = s->used[i].next;
	return next;
}

uint64_t
cam_store_unconfirmed(const cam_store_t *s)
{
	uint64_t n = 0;
	uint32_t i;

	for (i = 0; i < s->nday; i++)
		n += s->day[i].unconfirmed;
	return n;
}

int
cam_store_void_from(cam_store_t *s, uint32_t date, uint32_t next)
{
	uint32_t high = cam_store_high(s, date), i;
	uint8_t r[16];
	void *p;

	if (high >= next)
		return 0;
	for (i = 0; i < s->nvoid; i++)
		if (s->voids[i].date == date && s->voids[i].first == high)
			return 0; /* known already */
	if ((p = realloc(s->voids, (s->nvoid + 1) * sizeof(*s->voids))) == NULL)
		return -ENOMEM;
	s->voids = p;
	s->voids[s->nvoid++] = (proto_range_t){date, high, next - high};
	used_note(s, date, next);
	proto_put32(r, date);
	proto_put32(r + 4, high);
	proto_put32(r + 8, next - high);
	proto_put32(r + 12, proto_crc32c(0, r, 12));
	if (write(s->void_fd, r, 16) != 16 || fdatasync(s->void_fd) != 0)
		return -errno;
	return 1;
}

uint64_t
cam_store_unconfirmed_before(const cam_store_t *s, uint32_t date, uint32_t counter)
{
	uint64_t n = 0;
	uint32_t i, j;

	for (i = 0; i < s->nday; i++) {
		const cam_store_day_t *d = &s->day[i];
		if (d->date < date)
			n += d->unconfirmed;
		else if (d->date == date)
			for (j = d->first; j < d->n && d->e[j].counter < counter; j++)
				n += d->e[j].seg != CAM_STORE_FREED && !d->e[j].confirmed;
	}
	return n;
}

void
cam_store_sync(cam_store_t *s, uint64_t now_ms)
{
	if (now_ms < s->last_sync_ms + 1000)
		return;
	s->last_sync_ms = now_ms;
	/* only what was appended since: most seconds add no hello and no confirmation */
	if (s->seg_dirty && s->nseg)
		fdatasync(s->seg[s->nseg - 1].fd);
	if (s->hello_dirty)
		fdatasync(s->hello_fd);
	if (s->confirm_dirty)
		fdatasync(s->confirm_fd);
	s->seg_dirty = s->hello_dirty = s->confirm_dirty = 0;
}
