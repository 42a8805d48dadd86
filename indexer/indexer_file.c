/*
 * NAME
 *	indexer_file.c - the day files the indexer follows
 *
 * DESCRIPTION
 *	One entry per (camera, day) file, with a libproto reader that
 *	follows the file as it grows: each update reads the records after
 *	the last one indexed, decodes their clear headers and adds them to
 *	the day's slot of the shared index, up to 256 records per sequence
 *	lock write section. At most max_open readers stay open; the least
 *	recently used is closed and reopened at its offset when needed.
 *	Damaged stretches are skipped by the reader (docs/STORAGE.md) and
 *	counted; a file whose header is bad is not indexed.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "indexer.h"
#include "stage.h"

#define BATCH 256

int
indexer_file_check(const char *dir)
{
	struct stat st;

	if (stat(dir, &st) != 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	return access(dir, R_OK | W_OK | X_OK) == 0 ? 0 : -errno;
}

indexer_file_t *
indexer_file_get(indexer_t *ix, const uint8_t uuid[PROTO_UUID_LEN], uint32_t date)
{
	indexer_file_t *f;
	int i;

	for (i = 0; i < ix->nfiles; i++)
		if (ix->f[i].date == date && !memcmp(ix->f[i].uuid, uuid, PROTO_UUID_LEN))
			return &ix->f[i];
	if (ix->nfiles == ix->cap) {
		int ncap = ix->cap ? ix->cap * 2 : 64;
		void *p = realloc(ix->f, (size_t)ncap * sizeof(*ix->f));
		if (p == NULL)
			return NULL;
		ix->f = p;
		ix->cap = ncap;
	}
	f = &ix->f[ix->nfiles];
	memset(f, 0, sizeof(*f));
	memcpy(f->uuid, uuid, PROTO_UUID_LEN);
	f->date = date;
	f->offset = PROTO_FILE_HDR_LEN;
	if ((f->day = idx_day_get(ix->idx, uuid, date)) == NULL) {
		log_warnx("index day table full");
		return NULL;
	}
	ix->nfiles++;
	return f;
}

static void
close_lru(indexer_t *ix)
{
	indexer_file_t *old = NULL;
	int i;

	for (i = 0; i < ix->nfiles; i++)
		if (ix->f[i].rd && (old == NULL || ix->f[i].lru < old->lru))
			old = &ix->f[i];
	if (old) {
		proto_reader_free(old->rd);
		old->rd = NULL;
		ix->open--;
	}
}

static int
open_reader(indexer_t *ix, indexer_file_t *f)
{
	char path[4096];
	int rc;

	if (ix->open >= ix->max_open)
		close_lru(ix);
	if ((rc = proto_file_path(ix->dir, f->uuid, f->date, path, sizeof(path))) < 0)
		return rc;
	if ((rc = proto_reader_open(path, &f->rd)) < 0)
		return rc; /* not there yet, or a header still being written */
	const proto_file_hdr_t *h = proto_reader_header(f->rd);
	if (h->date != f->date || memcmp(h->uuid, f->uuid, PROTO_UUID_LEN)) {
		proto_reader_free(f->rd);
		f->rd = NULL;
		return PROTO_E_FIELD; /* a file under another partition's name */
	}
	if (f->offset > PROTO_FILE_HDR_LEN)
		proto_reader_seek(f->rd, f->offset);
	ix->open++;
	return 0;
}

/*
 * Decode one record's clear header into r; 0 or a negative error. A data
 * datagram (nearly every record) goes straight to its decoder, which
 * checks the prefix as well; its fields are then taken from the bytes
 * just checked, not read back from dh (stored byte by byte in another
 * file, they would be loaded again before the stores retire).
 */
static int
describe(const proto_rec_t *rec, idx_rec_t *r, proto_data_hdr_t *dh)
{
	const uint8_t *dg = rec->dgram;
	proto_prefix_t p;
	proto_hello_t h;
	int type;

	memset(r, 0, sizeof(*r));
	if (rec->len > 3 && proto_dgram_type(dg) == PROTO_T_DATA) {
		if (proto_data_hdr_decode(dg, rec->len, dh) < 0)
			return PROTO_E_FIELD;
		type = PROTO_T_DATA;
		r->stream = dh->stream;
		r->codec = dh->codec;
		r->flags = dh->flags;
		r->frag_index = dh->frag_index;
		r->capture_ms = dh->capture_ms;
	} else if ((type = proto_prefix_decode(dg, rec->len, &p)) < 0 ||
		   rec->len < PROTO_C2S_HDR_LEN) {
		return type < 0 ? type : PROTO_E_SHORT;
	} else if (type == PROTO_T_HELLO && proto_hello_decode(dg, rec->len, &h) == 0) {
		r->capture_ms = h.camera_ms;
	}
	r->offset = rec->offset;
	r->next = rec->offset + PROTO_REC_HDR_LEN + rec->len;
	r->arrival_ms = rec->meta.arrival_ns / 1000000;
	r->counter = proto_dgram_counter(dg); /* both branches checked the length */
	r->session = proto_dgram_session(dg);
	r->len = rec->len;
	r->type = (uint8_t)type;
	return 0;
}

int
indexer_file_update(indexer_t *ix, indexer_file_t *f)
{
	uint64_t damaged = 0;
	int n = 0, inbatch = 0, rc = 0;
	proto_data_hdr_t dh;
	proto_rec_t rec;
	idx_rec_t r;

	if (!f->ckpt_tried) {
		f->ckpt_tried = 1;
		indexer_ckpt_load(ix, f);
	}
	if (f->rd == NULL && (rc = open_reader(ix, f)) < 0)
		return rc == PROTO_E_SHORT || rc == PROTO_E_IO ? 0 : rc;
	f->lru = ++ix->clock;
	damaged = proto_reader_stats(f->rd)->damaged;
	for (;;) {
		if ((rc = proto_reader_next(f->rd, &rec)) <= 0)
			break;
		if (describe(&rec, &r, &dh) < 0)
			continue; /* the writer stores only what the listener accepted */
		if (!inbatch)
			idx_day_begin(ix->idx, f->day);
		inbatch++;
		if (idx_day_add(ix->idx, f->day, &r) < 0 && ix->m_full)
			shm_metrics_add(ix->m_full, 1);
		if (r.type == PROTO_T_HELLO)
			indexer_keys_hello(ix, f, rec.dgram, rec.len);
		else if (r.type == PROTO_T_DATA && r.stream == PROTO_S_TELEMETRY)
			indexer_keys_data(ix, f, &dh, rec.dgram, rec.len);
		else if (r.type == PROTO_T_REPORT)
			indexer_keys_report(ix, f, rec.dgram, rec.len);
		if (inbatch == BATCH) {
			idx_day_end(ix->idx, f->day);
			inbatch = 0;
		}
		n++;
		if (ix->m_records) {
			shm_metrics_add(ix->m_records, 1);
			shm_metrics_add(ix->m_bytes, PROTO_REC_HDR_LEN + rec.len);
		}
	}
	if (inbatch)
		idx_day_end(ix->idx, f->day);
	f->offset = proto_reader_offset(f->rd);
	if (ix->m_damaged && proto_reader_stats(f->rd)->damaged > damaged)
		shm_metrics_add(ix->m_damaged, proto_reader_stats(f->rd)->damaged - damaged);
	return rc < 0 ? rc : n;
}

int
indexer_scan_dir(indexer_t *ix)
{
	struct dirent *e, *g;
	DIR *top, *sub;
	char path[4096];
	int total = 0;

	if ((top = opendir(ix->dir)) == NULL)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(top)) != NULL) {
		uint8_t uuid[PROTO_UUID_LEN];
		if (proto_uuid_parse(e->d_name, uuid) < 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", ix->dir, e->d_name);
		if ((sub = opendir(path)) == NULL)
			continue;
		while ((g = readdir(sub)) != NULL) {
			char day[11];
			uint32_t date;
			size_t l = strlen(g->d_name);
			if (l != 14 || strcmp(g->d_name + 10, PROTO_FILE_SUFFIX))
				continue;
			memcpy(day, g->d_name, 10);
			day[10] = '\0';
			if (proto_date_parse(day, &date) < 0)
				continue;
			indexer_file_t *f = indexer_file_get(ix, uuid, date);
			int n = f ? indexer_file_update(ix, f) : 0;
			if (n > 0)
				total += n;
		}
		closedir(sub);
	}
	closedir(top);
	return total;
}
