/*
 * NAME
 *	indexer_main.c - vigil-indexer: derive the shared index from the
 *	day files
 *
 * DESCRIPTION
 *	vigil-indexer [-n] [-h] [-D DATA_DIR] [-d KEYDIR] [-r RESCAN_MS]
 *	              [-o MAX_OPEN] [-c CHECKPOINT_IDLE_MS]
 *
 *	Runs under vigild (VIGIL_SHM_PREFIX): attaches the shared index and
 *	the writers' notice rings, then scans, follows the notices and
 *	rescans every RESCAN_MS (indexer_loop.c). With -d, the server key
 *	opens stored sessions for telemetry and reports (indexer_keys.c). A
 *	file idle for CHECKPOINT_IDLE_MS (60000; 0: never) gets a checkpoint
 *	beside it, loaded at the next start when it still matches the file
 *	(indexer_ckpt.c). The options are libstage's table (-h lists them);
 *	RESCAN_MS is raised to 10 (a rescan walks every file) and MAX_OPEN
 *	to 4, whatever is given. -n checks the options, DATA_DIR and the
 *	server key, and exits. SIGTERM: finish the turn, exit 0.
 */
#include <stdio.h>
#include <string.h>

#include "indexer.h"
#include "stage.h"

/* KEYDIR/server.key, or NULL (logged): no telemetry nor reports. */
static EVP_PKEY *
server_key(const char *keydir)
{
	char name[4200];
	EVP_PKEY *k;

	snprintf(name, sizeof(name), "%s/server.key", keydir);
	if ((k = proto_key_load_private(name)) == NULL)
		log_warnx("%s: %s; no telemetry nor reports in the index", name, proto_errmsg());
	return k;
}

static int
check(const indexer_t *ix, const stage_opts_t *o)
{
	int rc;

	if ((rc = indexer_file_check(ix->dir)) < 0) {
		log_warnx("data_dir %s: %s", ix->dir, strerror(-rc));
		return 1;
	}
	if (o->v[STAGE_INDEXER_KEYDIR].set && ix->server_key == NULL)
		return 1;
	printf("vigil-indexer: configuration ok (data_dir %s, %s)\n", ix->dir,
	       ix->server_key ? "telemetry and reports" : "no server key");
	return 0;
}

int
main(int argc, char **argv)
{
	static indexer_t ix;
	static stage_opts_t o;
	static shm_seg_t rseg[INDEXER_RINGS];
	shm_seg_t mseg;
	const char *pfx;
	uint32_t index;
	int rc;
	const stage_metric_t metrics[] = {
	    {"indexed_records_total", &ix.m_records},
	    {"indexed_bytes_total", &ix.m_bytes},
	    {"notices_total", &ix.m_notices},
	    {"rescans_total", &ix.m_rescans},
	    {"damaged_stretches_total", &ix.m_damaged},
	    {"index_full_total", &ix.m_full},
	    {"checkpoints_loaded_total", &ix.m_ckpt_loaded},
	    {"checkpoints_ignored_total", &ix.m_ckpt_ignored},
	    {"checkpoints_written_total", &ix.m_ckpt_written},
	};

	log_init("vigil-indexer", -1, STAGE_LOG_STDERR);
	rc = stage_opts_getopt(STAGE_INDEXER, argc, argv, &o);
	ix.dir = o.v[STAGE_INDEXER_DATA_DIR].s;
	ix.ckpt_idle_ms = o.v[STAGE_INDEXER_CHECKPOINT_IDLE_MS].u;
	/* a rescan walks every file: never more often than every 10 ms */
	ix.rescan_ms = o.v[STAGE_INDEXER_RESCAN_MS].u < 10 ? 10 : o.v[STAGE_INDEXER_RESCAN_MS].u;
	/* a reader per file being read, and room for the LRU to turn */
	ix.max_open = o.v[STAGE_INDEXER_MAX_OPEN].u < 4 ? 4 : (int)o.v[STAGE_INDEXER_MAX_OPEN].u;
	if (o.v[STAGE_INDEXER_KEYDIR].set)
		ix.server_key = server_key(o.v[STAGE_INDEXER_KEYDIR].s);
	if (rc == STAGE_OPTS_CHECK)
		return check(&ix, &o);
	if (stage_env_prefix(&pfx) < 0 || stage_env_index(0, &index) < 0) {
		log_warnx("%s", stage_errmsg());
		return 2;
	}
	log_set_index((int)index);
	if ((rc = idx_attach(pfx, &ix.idx)) < 0)
		fatalx("index segment %s-index: %s", pfx, strerror(-rc));
	while (ix.nrings < INDEXER_RINGS &&
	       shm_ring_attach(pfx, SHM_KIND_NOTICE, (uint32_t)ix.nrings, &rseg[ix.nrings],
			       &ix.ring[ix.nrings]) == 0)
		ix.nrings++;
	/* without its metrics segment the indexer counts nothing, and runs */
	(void)stage_metrics_open("indexer", index, metrics, sizeof(metrics) / sizeof(metrics[0]),
				 &mseg);
	if (stage_signals_init(STAGE_SIG_STOP, NULL) < 0)
		fatalx("%s", stage_errmsg());
	indexer_loop_start(&ix);
	indexer_loop_run(&ix);
	indexer_loop_close(&ix);
	return 0;
}
