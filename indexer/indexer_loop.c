/*
 * NAME
 *	indexer_loop.c - the indexer's loop: start-up scan, notices, rescans
 *
 * DESCRIPTION
 *	At start the shared index is cleared (a new generation: what a
 *	killed predecessor left is never trusted), every day file under
 *	DATA_DIR is scanned, and the index is marked ready. Then the loop
 *	consumes the notice rings <prefix>-notice-<k> (one per writer:
 *	"this file now ends here") and reads the files they name; every
 *	RESCAN_MS it also walks DATA_DIR and reads what any file holds past
 *	what was indexed, so a notice lost to a full ring or a restart
 *	costs latency, never an entry, and saves the checkpoints of idle
 *	files and extends the signed chains. The writers never wait for the
 *	indexer: they drop a notice when the ring is full. SIGTERM: finish
 *	the turn, return.
 */
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "indexer.h"
#include "stage.h"

#define NOTICES_PER_TURN 64

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

void
indexer_loop_start(indexer_t *ix)
{
	struct timespec ts0, ts1;
	int n;

	idx_reset(ix->idx);
	clock_gettime(CLOCK_MONOTONIC, &ts0);
	n = indexer_scan_dir(ix);
	idx_set_ready(ix->idx, 1);
	clock_gettime(CLOCK_MONOTONIC, &ts1);
	log_info("indexed %d records of %d files in %.1f ms; %d notice rings", n, ix->nfiles,
		 (double)(ts1.tv_sec - ts0.tv_sec) * 1e3 +
		     (double)(ts1.tv_nsec - ts0.tv_nsec) / 1e6,
		 ix->nrings);
}

void
indexer_loop_run(indexer_t *ix)
{
	uint64_t next_scan = proto_mono_ms() + ix->rescan_ms;
	int i, n, turn = 0;

	while (!stage_stop_requested()) {
		for (n = 0, i = 0; i < ix->nrings; i++)
			n += drain(ix, ix->ring[i]);
		if (proto_mono_ms() >= next_scan) {
			indexer_scan_dir(ix);
			indexer_ckpt_tick(ix, proto_mono_ms());
			indexer_chain_tick(ix);
			next_scan = proto_mono_ms() + ix->rescan_ms;
			if (ix->m_rescans)
				shm_metrics_add(ix->m_rescans, 1);
		}
		if (n)
			continue;
		/* idle: sleep on one ring's doorbell in turn, bounded so the others are seen */
		if (ix->nrings)
			shm_ring_wait_spsc(ix->ring[turn++ % ix->nrings], ix->nrings > 1 ? 5 : 100);
		else
			usleep(50 * 1000);
	}
}

void
indexer_loop_close(indexer_t *ix)
{
	int i;

	for (i = 0; i < ix->nfiles; i++) {
		indexer_keys_free(&ix->f[i]);
		proto_reader_free(ix->f[i].rd);
	}
	free(ix->f);
	ix->f = NULL;
	ix->nfiles = 0;
	indexer_chain_free();
	EVP_PKEY_free(ix->server_key);
	ix->server_key = NULL;
	idx_close(ix->idx);
	ix->idx = NULL;
}
