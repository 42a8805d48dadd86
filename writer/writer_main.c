/*
 * NAME
 *	writer_main.c - vigil-writer: from its ring to the day files, with
 *	io_uring
 *
 * DESCRIPTION
 *	vigil-writer [-n] [-h] [-D DATA_DIR] [-s periodic|durable]
 *	             [-i SYNC_MS] [-b SYNC_BYTES] [-o MAX_OPEN] [-g GROUP_MS]
 *
 *	Runs under vigild (VIGIL_SHM_PREFIX, VIGIL_STAGE_INDEX): consumes
 *	ring <prefix>-ring-<index> and appends each datagram to the day file
 *	of its camera and date (writer_turn.c), syncing every SYNC_MS or
 *	SYNC_BYTES (writer_loop.c); with -s durable an entry leaves the ring
 *	only once synced. With transport = nats the entries come from the
 *	shard's JetStream consumer (writer_nats.c), and releasing one
 *	acknowledges it: always after its sync. The options are libstage's
 *	table (-h lists them); MAX_OPEN is raised to twice a turn's batch
 *	(2 * WRITER_BATCH_MAX + 1), whatever is given. -n checks the options and
 *	that DATA_DIR can be written, and exits. A write error, or a failed
 *	sync at the stop, ends the process with 1 without releasing: vigild
 *	restarts it and the entries are written again. SIGTERM: finish the
 *	turn, sync, release, exit 0. With nats, a shard whose lease another
 *	node holds is refused: exit STAGE_EXIT_REFUSED (3).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "stage.h"
#include "writer.h"

#define NATS_SLOTS 4096 /* the private ring of a NATS consumer */

static int
check(const stage_opts_t *o)
{
	const char *dir = o->v[STAGE_WRITER_DATA_DIR].s;
	int rc;

	if ((rc = writer_files_check(dir)) < 0) {
		log_warnx("data_dir %s: %s", dir, strerror(-rc));
		return 1;
	}
	printf("vigil-writer: configuration ok (data_dir %s, sync %s)\n", dir,
	       o->v[STAGE_WRITER_SYNC].s);
	return 0;
}

int
main(int argc, char **argv)
{
	static writer_t w;
	static stage_opts_t o;
	shm_seg_t seg, nseg, mseg;
	const char *pfx;
	uint32_t shard;
	int rc;
	const stage_metric_t metrics[] = {
	    {"appended_total", &w.m_appended},     {"appended_bytes_total", &w.m_bytes},
	    {"duplicates_total", &w.m_dups},       {"malformed_total", &w.m_bad},
	    {"fdatasync_total", &w.m_syncs},       {"fdatasync_failed_total", &w.m_sync_failed},
	    {"files_opened_total", &w.m_opened},   {"torn_tails_cut_total", &w.m_torn},
	    {"torn_headers_total", &w.m_torn_hdr}, {"conflicts_total", &w.m_conflicts},
	    {"unstored_total", &w.m_unstored},     {"file_locked_total", &w.m_locked},
	};

	log_init("vigil-writer", -1, STAGE_LOG_STDERR);
	if (stage_opts_getopt(STAGE_WRITER, argc, argv, &o) == STAGE_OPTS_CHECK)
		return check(&o);
	w.durable = o.v[STAGE_WRITER_SYNC].u == 1;
	w.sync_ms = o.v[STAGE_WRITER_SYNC_MS].u;
	w.sync_bytes = o.v[STAGE_WRITER_SYNC_BYTES].u;
	w.group_ms =
	    o.v[STAGE_WRITER_GROUP_MS].set ? o.v[STAGE_WRITER_GROUP_MS].u : WRITER_GROUP_AUTO;
	if (stage_env_prefix(&pfx) < 0 || stage_env_index(1, &shard) < 0) {
		log_warnx("%s", stage_errmsg());
		return 2;
	}
	log_set_index((int)shard);
	if ((rc = writer_nats_open(&w.nats, shard, NATS_SLOTS, &w.in)) == -EBUSY)
		return STAGE_EXIT_REFUSED; /* another node owns the shard: logged */
	if (rc < 0)
		fatalx("shard %u: no consumer", shard);
	if (w.nats)
		w.durable = 1; /* a message is acknowledged only once it is synced */
	else if ((rc = shm_ring_attach(pfx, SHM_KIND_RING, shard, &seg, &w.in)) < 0)
		fatalx("ring %s: %s", seg.name, strerror(-rc));
	/* without its notice ring the indexer still finds the appends by rescanning */
	(void)shm_ring_attach(pfx, SHM_KIND_NOTICE, shard, &nseg, &w.notices);
	/* without its metrics segment the writer counts nothing, and runs */
	(void)stage_metrics_open("writer", shard, metrics, sizeof(metrics) / sizeof(metrics[0]),
				 &mseg);
	if ((rc = writer_loop_open(&w, o.v[STAGE_WRITER_DATA_DIR].s,
				   (int)o.v[STAGE_WRITER_MAX_OPEN].u)) < 0)
		fatalx("setup: %s", strerror(-rc));
	if (stage_signals_init(STAGE_SIG_STOP, NULL) < 0)
		fatalx("%s", stage_errmsg());
	rc = writer_loop_run(&w);
	writer_loop_close(&w);
	if (rc < 0)
		fatalx("stopped on %s; what was not released is written again by the next writer",
		       strerror(-rc));
	return 0;
}
