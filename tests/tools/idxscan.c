/*
 * NAME
 *	idxscan.c - an indexer stage that stays in its start-up scan, or
 *	that indexes some records at the wrong place
 *
 * SYNOPSIS
 *	idxscan -D DATA_DIR [-R] [-m COUNTER [-n N]]
 *
 * DESCRIPTION
 *	Runs under vigild in place of vigil-indexer (VIGIL_SHM_PREFIX). It
 *	starts a new generation of the shared index, indexes every day
 *	file under DATA_DIR once, as vigil-indexer does from the records'
 *	clear headers, and then waits for SIGTERM without reading anything
 *	more. Without -R it never marks the index ready: to the streamer it
 *	is an indexer whose start-up scan has not ended, for as long as the
 *	test needs. -R marks it ready after the scan. -m COUNTER indexes
 *	the records of the N (128) counters from COUNTER on at the offset
 *	of the record before each in the file, so that the index and the
 *	file disagree there. Test aid only.
 */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "idx.h"
#include "proto.h"
#include "proto_record.h"

static volatile sig_atomic_t done;

static void
on_term(int sig)
{
	(void)sig;
	done = 1;
}

static uint32_t mis_from, mis_n;

static int
day(idx_t *x, const char *path, const uint8_t uuid[16], uint32_t date)
{
	proto_reader_t *rd;
	proto_rec_t rec;
	idx_day_t *d;
	uint64_t prev = 0;
	int n = 0;

	if ((d = idx_day_get(x, uuid, date)) == NULL || proto_reader_open(path, &rd) < 0)
		return -1;
	idx_day_begin(x, d);
	while (proto_reader_next(rd, &rec) > 0) {
		proto_data_hdr_t h;
		idx_rec_t r = {0};

		proto_dgram_peek(rec.dgram, rec.len, &h);
		if (rec.len < PROTO_C2S_HDR_LEN ||
		    (h.type == PROTO_T_DATA && rec.len < PROTO_DATA_HDR_LEN))
			continue;
		r.type = h.type;
		r.stream = h.stream; /* the data fields are 0 for other types */
		r.codec = h.codec;
		r.flags = h.flags;
		r.frag_index = h.frag_index;
		r.capture_ms = h.capture_ms;
		r.counter = h.counter;
		r.session = h.session;
		r.offset = rec.offset;
		r.next = rec.offset + PROTO_REC_HDR_LEN + rec.len;
		r.arrival_ms = rec.meta.arrival_ns / 1000000;
		r.len = rec.len;
		if (prev && r.counter - mis_from < mis_n)
			r.offset = prev;
		prev = rec.offset;
		idx_day_add(x, d, &r);
		if (++n % 256 == 0) {
			idx_day_end(x, d);
			idx_day_begin(x, d);
		}
	}
	idx_day_end(x, d);
	proto_reader_free(rd);
	return n;
}

int
main(int argc, char **argv)
{
	const char *dir = NULL, *pfx = getenv("VIGIL_SHM_PREFIX");
	struct dirent *e, *g;
	struct sigaction sa;
	char path[4096];
	DIR *top, *sub;
	idx_t *x;
	uint64_t m = 0, mn = 128;
	int opt, ready = 0, mis = 0, n = 0;

	while ((opt = getopt(argc, argv, "D:Rm:n:")) != -1) {
		switch (opt) {
		case 'D': dir = optarg; break;
		case 'R': ready = 1; break;
		case 'm':
			if (proto_parse_u64("-m", optarg, UINT32_MAX, &m) < 0)
				return 2;
			mis = 1;
			break;
		case 'n':
			if (proto_parse_u64("-n", optarg, UINT32_MAX, &mn) < 0)
				return 2;
			break;
		default: return 2;
		}
	}
	if (dir == NULL || pfx == NULL || idx_attach(pfx, &x) < 0) {
		fprintf(stderr,
			"usage: idxscan -D DATA_DIR [-R] [-m COUNTER [-n N]], under vigild\n");
		return 2;
	}
	mis_from = (uint32_t)m;
	mis_n = mis ? (uint32_t)mn : 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	idx_reset(x);
	if ((top = opendir(dir)) != NULL) {
		while ((e = readdir(top)) != NULL) {
			uint8_t uuid[PROTO_UUID_LEN];
			if (proto_uuid_parse(e->d_name, uuid) < 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			if ((sub = opendir(path)) == NULL)
				continue;
			while ((g = readdir(sub)) != NULL) {
				char d[11];
				uint32_t date;
				if (strlen(g->d_name) != 14 ||
				    strcmp(g->d_name + 10, PROTO_FILE_SUFFIX))
					continue;
				memcpy(d, g->d_name, 10);
				d[10] = '\0';
				snprintf(path, sizeof(path), "%s/%s/%s", dir, e->d_name, g->d_name);
				if (proto_date_parse(d, &date) == 0 && day(x, path, uuid, date) > 0)
					n++;
			}
			closedir(sub);
		}
		closedir(top);
	}
	if (ready)
		idx_set_ready(x, 1);
	fprintf(stderr, "idxscan: %d day files indexed%s\n", n,
		ready ? ", ready" : ", never ready");
	while (!done)
		pause();
	idx_close(x);
	return 0;
}
