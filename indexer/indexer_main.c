/*
 * NAME
 *	indexer_main.c - vigil-indexer: the loop
 *
 * DESCRIPTION
 *	vigil-indexer [-D DATA_DIR] [-d KEYDIR] [-r RESCAN_MS] [-o MAX_OPEN]
 *	              [-c CHECKPOINT_IDLE_MS]
 *
 *	Runs under vigild (VIGIL_SHM_PREFIX). At start it clears the shared
 *	index (a new generation: what a killed predecessor left is never
 *	trusted), scans every day file under DATA_DIR, and marks the index
 *	ready. Then it consumes the notice rings <prefix>-notice-<k> (one
 *	per writer: "this file now ends here") and reads the files they
 *	name; every RESCAN_MS (1000) it also walks DATA_DIR and reads what
 *	any file holds past what was indexed, so a notice lost to a full
 *	ring or a restart costs latency, never an entry. The writers never
 *	wait for the indexer: they drop a notice when the ring is full.
 *	With -d, the server key opens stored sessions for telemetry and
 *	reports (indexer_keys.c). A file idle for CHECKPOINT_IDLE_MS (60000;
 *	0: never) gets a checkpoint beside it, loaded at the next start
 *	when it still matches the file (indexer_ckpt.c). SIGTERM: finish
 *	the turn, exit 0.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "indexer.h"

#define MAX_RINGS 32
#define NOTICES_PER_TURN 64

static volatile sig_atomic_t indexer_stop;

static void
on_signal(int sig)
{
	(void)sig;
	indexer_stop = 1;
}

void
indexer_log(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "vigil-indexer: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Up to NOTICES_PER_TURN notices of one ring. Returns how many. */
static int
drain(indexer_t *ix, shm_ring_t *r)
{
	const shm_slot_t *s;
	idx_notice_t n;
	int k;

	for (k = 0; k < NOTICES_PER_TURN && (s = shm_ring_peek_spsc(r)) != NULL; k++) {
		if (idx_notice_decode(s->data, s->meta.len, &n) == 0) {
			indexer_file_t *f = indexer_file_get(ix, n.uuid, n.date);
			if (f && idx_day_indexed_to(f->day) < n.end)
				indexer_file_update(ix, f);
		}
		/* the notice is used up once read: the file, not the ring, holds the data */
		shm_ring_release_spsc(r, 1);
		if (ix->m_notices)
			shm_metrics_add(ix->m_notices, 1);
	}
	return k;
}

int
main(int argc, char **argv)
{
	const char *pfx = getenv("VIGIL_SHM_PREFIX"), *keydir = NULL;
	shm_seg_t rseg[MAX_RINGS], mseg;
	shm_ring_t *ring[MAX_RINGS];
	int opt, nrings = 0, rescan_ms = 1000, i, n, turn = 0;
	struct sigaction sa;
	shm_metrics_t *m;
	indexer_t ix;
	char name[128];

	memset(&ix, 0, sizeof(ix));
	ix.dir = "/var/lib/vigil/data";
	ix.max_open = 256;
	ix.ckpt_idle_ms = 60000;
	while ((opt = getopt(argc, argv, "D:d:r:o:c:h")) != -1) {
		int bad = 0;

		switch (opt) {
		case 'D': ix.dir = optarg; break;
		case 'd': keydir = optarg; break;
		case 'r': bad = proto_parse_int("-r", optarg, 0, 3600000, &rescan_ms); break;
		case 'o': bad = proto_parse_int("-o", optarg, 0, 1 << 20, &ix.max_open); break;
		case 'c': bad = proto_parse_u64("-c", optarg, UINT64_MAX, &ix.ckpt_idle_ms); break;
		case 'h':
			printf("usage: vigil-indexer [-D DATA_DIR] [-d KEYDIR] [-r RESCAN_MS] "
			       "[-o MAX_OPEN] [-c CHECKPOINT_IDLE_MS]\n");
			return 0;
		default: return 2;
		}
		if (bad < 0) {
			fprintf(stderr, "vigil-indexer: %s\n", proto_errmsg());
			return 2;
		}
	}
	if (rescan_ms < 10)
		rescan_ms = 10;
	if (ix.max_open < 4)
		ix.max_open = 4;
	if (pfx == NULL) {
		fprintf(stderr, "vigil-indexer: runs under vigild (VIGIL_SHM_PREFIX is not set)\n");
		return 2;
	}
	if ((n = idx_attach(pfx, &ix.idx)) < 0) {
		indexer_log("index segment %s-index: %s", pfx, strerror(-n));
		return 1;
	}
	if (keydir) {
		snprintf(name, sizeof(name), "%s/server.key", keydir);
		if ((ix.server_key = proto_key_load_private(name)) == NULL)
			indexer_log("%s: %s; no telemetry nor reports in the index", name,
				    proto_errmsg());
	}
	for (i = 0; i < MAX_RINGS; i++) {
		if (shm_ring_attach(pfx, SHM_KIND_NOTICE, (uint32_t)i, &rseg[i], &ring[nrings]) < 0)
			break;
		nrings++;
	}
	if (shm_metrics_open(pfx, "indexer", 0, &mseg, &m) == 0) {
		ix.m_records = shm_metrics_counter(m, "indexed_records_total");
		ix.m_bytes = shm_metrics_counter(m, "indexed_bytes_total");
		ix.m_notices = shm_metrics_counter(m, "notices_total");
		ix.m_rescans = shm_metrics_counter(m, "rescans_total");
		ix.m_damaged = shm_metrics_counter(m, "damaged_stretches_total");
		ix.m_full = shm_metrics_counter(m, "index_full_total");
		ix.m_ckpt_loaded = shm_metrics_counter(m, "checkpoints_loaded_total");
		ix.m_ckpt_ignored = shm_metrics_counter(m, "checkpoints_ignored_total");
		ix.m_ckpt_written = shm_metrics_counter(m, "checkpoints_written_total");
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	/* a new generation: rebuild everything from the files */
	idx_reset(ix.idx);
	struct timespec ts0, ts1;
	clock_gettime(CLOCK_MONOTONIC, &ts0);
	n = indexer_scan_dir(&ix);
	idx_set_ready(ix.idx, 1);
	clock_gettime(CLOCK_MONOTONIC, &ts1);
	indexer_log("indexed %d records of %d files in %.1f ms; %d notice rings", n, ix.nfiles,
		    (double)(ts1.tv_sec - ts0.tv_sec) * 1e3 + (double)(ts1.tv_nsec - ts0.tv_nsec) / 1e6,
		    nrings);

	uint64_t next_scan = proto_mono_ms() + (uint64_t)rescan_ms;
	while (!indexer_stop) {
		for (n = 0, i = 0; i < nrings; i++)
			n += drain(&ix, ring[i]);
		if (proto_mono_ms() >= next_scan) {
			indexer_scan_dir(&ix);
			indexer_ckpt_tick(&ix, proto_mono_ms());
			indexer_chain_tick(&ix);
			next_scan = proto_mono_ms() + (uint64_t)rescan_ms;
			if (ix.m_rescans)
				shm_metrics_add(ix.m_rescans, 1);
		}
		if (n)
			continue;
		/* idle: sleep on one ring's doorbell in turn, bounded so the others are seen */
		if (nrings)
			shm_ring_wait_spsc(ring[turn++ % nrings], nrings > 1 ? 5 : 100);
		else
			usleep(50 * 1000);
	}
	for (i = 0; i < ix.nfiles; i++) {
		indexer_keys_free(&ix.f[i]);
		proto_reader_free(ix.f[i].rd);
	}
	free(ix.f);
	indexer_chain_free();
	EVP_PKEY_free(ix.server_key);
	idx_close(ix.idx);
	return 0;
}
