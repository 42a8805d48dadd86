/*
 * NAME
 *	syncd_main.c - vigil-syncd: ask cameras for what the server lacks
 *
 * DESCRIPTION
 *	vigil-syncd -D DATA_DIR [-r RATE] [-R RATE_ALL] [-s SETTLE_MS]
 *	            [-t RTO_MS] [-T RTO_MAX_MS] [-m MAX_TRIES] [-v] [-n] [-h]
 *
 *	The options are libstage's (stage_schema.c, STAGE_SYNCD): -h lists
 *	them with their ranges and defaults. -r caps backfill per camera
 *	(datagrams a second), -R for all cameras; -s is how long after a
 *	report its counters may be asked for, -t the first wait for an
 *	answer, doubling to -T while nothing comes; -m requests in vain
 *	give a range up as lost.
 *
 *	Runs under vigild (VIGIL_SHM_PREFIX): attaches the two rings
 *	between the listener and syncd and runs the loop (syncd_loop.c).
 *	A killed syncd loses nothing but the moment, since every state it
 *	needs is the day files, the .sync files and the next reports.
 *	Battery and signal come from the shared index (the indexer's last
 *	telemetry record of the camera's day) when there is one. Per-camera
 *	health metrics are published in the stage's text metrics segment,
 *	which vigild serves at /metrics. -n checks the options and that
 *	DATA_DIR can be written, and exits 0 or 1. SIGTERM: write the
 *	state of every followed day, exit 0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "idx.h"
#include "shm_metrics.h"
#include "stage.h"
#include "syncd.h"

#define SYNCD_ONLINE_MS 3000 /* a camera is online this long after its last report */

int
main(int argc, char **argv)
{
	static stage_opts_t o;
	static syncd_t d;
	static shm_seg_t mseg, seg[2];
	const char *pfx;
	shm_text_t *txt = NULL;
	uint32_t index;
	int rc;

	log_init("vigil-syncd", -1, STAGE_LOG_STDERR);
	rc = stage_opts_getopt(STAGE_SYNCD, argc, argv, &o);
	d.o = (syncd_opts_t){o.v[STAGE_SYNCD_DATA_DIR].s,
			     (uint32_t)o.v[STAGE_SYNCD_RATE].u,
			     (uint32_t)o.v[STAGE_SYNCD_RATE_ALL].u,
			     (uint32_t)o.v[STAGE_SYNCD_SETTLE_MS].u,
			     (uint32_t)o.v[STAGE_SYNCD_RTO_MS].u,
			     (uint32_t)o.v[STAGE_SYNCD_RTO_MAX_MS].u,
			     SYNCD_ONLINE_MS,
			     (uint32_t)o.v[STAGE_SYNCD_MAX_TRIES].u,
			     (int)o.v[STAGE_SYNCD_VERBOSE].u};
	if (rc == STAGE_OPTS_CHECK) {
		if (access(d.o.datadir, R_OK | W_OK | X_OK) < 0) {
			log_warn("data_dir %s", d.o.datadir);
			return 1;
		}
		printf("vigil-syncd: options ok\n");
		return 0;
	}
	if (stage_env_prefix(&pfx) < 0 || stage_env_index(0, &index) < 0)
		fatalx("%s", stage_errmsg());
	log_set_index((int)index);
	/* a descriptor per day being confirmed (syncd_day.c, durable()) */
	proto_nofile_raise(UINT64_MAX);
	if ((d.cam = calloc(SYNCD_MAX_CAMERAS, sizeof(*d.cam))) == NULL)
		fatal("calloc");
	if ((rc = shm_ring_attach(pfx, SHM_KIND_SYNC_IN, 0, &seg[0], &d.in)) < 0)
		fatalx("ring %s: %s", seg[0].name, strerror(-rc));
	if ((rc = shm_ring_attach(pfx, SHM_KIND_SYNC_OUT, 0, &seg[1], &d.out)) < 0)
		fatalx("ring %s: %s", seg[1].name, strerror(-rc));
	const stage_metric_t metrics[] = {
	    {"syncd_reports", &d.m_reports},
	    {"syncd_bad_messages", &d.m_bad},
	    {"syncd_missing_sent", &d.m_missing},
	    {"syncd_confirm_sent", &d.m_confirm},
	    {"syncd_confirm_unsynced", &d.m_unsynced},
	    {"syncd_day_damaged", &d.m_damaged},
	    {"syncd_counters_asked", &d.m_asked},
	    {"syncd_counters_backfilled", &d.m_backfilled},
	    {"syncd_counters_lost", &d.m_lost},
	    {"syncd_days_complete", &d.m_complete},
	    {"syncd_requests_ring_full", &d.m_out_full},
	    {"syncd_days_from_index", &d.m_indexed},
	};
	stage_metrics_open("syncd", 0, metrics, sizeof(metrics) / sizeof(metrics[0]), &mseg);
	if (idx_attach(pfx, &d.idx) < 0)
		d.idx = NULL; /* no indexer: no battery or signal in the metrics */
	else
		idx_set_patience(d.idx, 50); /* see idx_set_patience */
	if (shm_text_open(pfx, "syncd", 0, &txt) < 0)
		log_warnx("no text metrics segment: per-camera metrics are not published");
	if (stage_signals_init(STAGE_SIG_STOP, NULL) < 0)
		fatalx("%s", stage_errmsg());
	log_info("following reports; data in %s", d.o.datadir);

	syncd_loop_run(&d, txt);

	syncd_cam_close_all(&d);
	free(d.cam);
	if (d.idx)
		idx_close(d.idx);
	log_info("stopped");
	return 0;
}
