/*
 * NAME
 *	syncd_main.c - vigil-syncd: ask cameras for what the server lacks
 *
 * DESCRIPTION
 *	vigil-syncd -D DATA_DIR [-r RATE] [-R RATE_ALL] [-s SETTLE_MS]
 *	            [-t RTO_MS] [-T RTO_MAX_MS] [-m MAX_TRIES] [-v] [-n]
 *
 *	Runs under vigild (VIGIL_SHM_PREFIX): consumes the listener's
 *	reports from <prefix>-sync-in and queues MISSING and CONFIRM
 *	requests on <prefix>-sync-out, which the listener seals and sends
 *	to the camera. Every 50 ms each followed (camera, day) is looked at
 *	(syncd_day.c). -r caps backfill per camera (datagrams a second,
 *	default 500), -R for all cameras (default 20000); -s is how long
 *	after a report its counters may be asked for (default 500 ms), -t
 *	the first wait for an answer (1000 ms), doubling to -T (30000 ms)
 *	while nothing comes; -m requests in vain give a range up as lost
 *	(default 10). Reports are released from the ring once handled: a
 *	killed syncd loses nothing but the moment, since every state it
 *	needs is the day files, the .sync files and the next reports.
 *	Battery and signal come from the shared index (the indexer's last
 *	telemetry record of the camera's day) when there is one.
 *	Per-camera health metrics are published in the stage's text
 *	metrics segment, which vigild serves at /metrics. SIGTERM: write
 *	the state of every followed day, exit 0.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "idx.h"
#include "shm_metrics.h"
#include "syncd.h"

#define BATCH 64
#define TICK_MS 50
#define RENDER_MS 1000

static volatile sig_atomic_t syncd_stop;

static void
on_signal(int sig)
{
	(void)sig;
	syncd_stop = 1;
}

void
syncd_log(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "vigil-syncd: %s\n", msg);
}

int
syncd_send(syncd_t *d, const uint8_t uuid[PROTO_UUID_LEN], uint8_t type, const proto_missing_t *m)
{
	uint8_t msg[SHM_MSG_MAX];
	shm_msg_meta_t meta = {0};
	proto_sync_req_t q;
	int n;

	q.type = type;
	memcpy(q.uuid, uuid, PROTO_UUID_LEN);
	q.m = *m;
	if ((n = proto_sync_req_encode(&q, msg, sizeof(msg))) < 0)
		return -1;
	if (shm_ring_enqueue_spsc(d->out, &meta, msg, (size_t)n) < 0) {
		syncd_count(d->m_out_full, 1);
		return -1;
	}
	return 0;
}

static int
ring_attach(const char *pfx, uint32_t kind, shm_ring_t **r)
{
	static shm_seg_t seg[2];
	static int n;
	int rc;

	if ((rc = shm_ring_attach(pfx, kind, 0, &seg[n], r)) < 0) {
		syncd_log("ring %s: %s", seg[n].name, strerror(-rc));
		return -1;
	}
	n++;
	return 0;
}

static void
metrics_open(syncd_t *d, const char *pfx)
{
	static shm_seg_t seg;
	shm_metrics_t *m;

	if (shm_metrics_open(pfx, "syncd", 0, &seg, &m) < 0)
		return;
	d->m_reports = shm_metrics_counter(m, "syncd_reports");
	d->m_bad = shm_metrics_counter(m, "syncd_bad_messages");
	d->m_missing = shm_metrics_counter(m, "syncd_missing_sent");
	d->m_confirm = shm_metrics_counter(m, "syncd_confirm_sent");
	d->m_unsynced = shm_metrics_counter(m, "syncd_confirm_unsynced");
	d->m_damaged = shm_metrics_counter(m, "syncd_day_damaged");
	d->m_asked = shm_metrics_counter(m, "syncd_counters_asked");
	d->m_backfilled = shm_metrics_counter(m, "syncd_counters_backfilled");
	d->m_lost = shm_metrics_counter(m, "syncd_counters_lost");
	d->m_complete = shm_metrics_counter(m, "syncd_days_complete");
	d->m_out_full = shm_metrics_counter(m, "syncd_requests_ring_full");
	d->m_indexed = shm_metrics_counter(m, "syncd_days_from_index");
}

static int
reports(syncd_t *d, uint64_t now)
{
	const shm_slot_t *slot;
	proto_sync_report_t r;
	int n = 0;

	while (n < BATCH && (slot = shm_ring_peek_spsc(d->in)) != NULL) {
		if (slot->meta.len <= SHM_MSG_MAX &&
		    proto_sync_report_decode(slot->data, slot->meta.len, &r) == 0) {
			syncd_cam_report(d, &r, now);
			syncd_count(d->m_reports, 1);
		} else {
			syncd_count(d->m_bad, 1);
		}
		shm_ring_release_spsc(d->in, 1);
		n++;
	}
	return n;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: vigil-syncd -D DATA_DIR [-r RATE] [-R RATE_ALL] [-s SETTLE_MS]\n"
		   "                   [-t RTO_MS] [-T RTO_MAX_MS] [-m MAX_TRIES] [-v] [-n]\n");
}

int
main(int argc, char **argv)
{
	static char text[SHM_TEXT_MAX];
	const char *pfx = getenv("VIGIL_SHM_PREFIX");
	static syncd_t d;
	shm_text_t *txt = NULL;
	uint64_t last_tick = 0, last_render = 0;
	int opt, check = 0, k;

	d.o = (syncd_opts_t){NULL, 500, 20000, 500, 1000, 30000, 3000, 10, 0};
	while ((opt = getopt(argc, argv, "D:r:R:s:t:T:m:vnh")) != -1) {
		int bad = 0;

		switch (opt) {
		case 'D': d.o.datadir = optarg; break;
		case 'r': bad = proto_parse_u32("-r", optarg, UINT32_MAX, &d.o.rate); break;
		case 'R': bad = proto_parse_u32("-R", optarg, UINT32_MAX, &d.o.rate_all); break;
		case 's': bad = proto_parse_u32("-s", optarg, UINT32_MAX, &d.o.settle_ms); break;
		case 't': bad = proto_parse_u32("-t", optarg, UINT32_MAX, &d.o.rto_ms); break;
		case 'T': bad = proto_parse_u32("-T", optarg, UINT32_MAX, &d.o.rto_max_ms); break;
		case 'm': bad = proto_parse_u32("-m", optarg, UINT32_MAX, &d.o.max_tries); break;
		case 'v': d.o.verbose = 1; break;
		case 'n': check = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
		if (bad < 0) {
			fprintf(stderr, "vigil-syncd: %s\n", proto_errmsg());
			return 2;
		}
	}
	if (d.o.datadir == NULL || d.o.rate < 1 || d.o.rate_all < 1 || d.o.rto_ms < 10 ||
	    d.o.rto_max_ms < d.o.rto_ms || d.o.max_tries < 1) {
		usage(stderr);
		return 2;
	}
	if (check) {
		printf("vigil-syncd: options ok\n");
		return 0;
	}
	if (pfx == NULL) {
		syncd_log("VIGIL_SHM_PREFIX is not set: run me under vigild");
		return 1;
	}
	/* a descriptor per day being confirmed (syncd_day.c, durable()) */
	proto_nofile_raise(UINT64_MAX);
	if ((d.cam = calloc(SYNCD_MAX_CAMERAS, sizeof(*d.cam))) == NULL ||
	    ring_attach(pfx, SHM_KIND_SYNC_IN, &d.in) < 0 ||
	    ring_attach(pfx, SHM_KIND_SYNC_OUT, &d.out) < 0)
		return 1;
	metrics_open(&d, pfx);
	if (idx_attach(pfx, &d.idx) < 0)
		d.idx = NULL; /* no indexer: no battery or signal in the metrics */
	else
		idx_set_patience(d.idx, 50); /* see idx_set_patience */
	if (shm_text_open(pfx, "syncd", 0, &txt) < 0)
		syncd_log("no text metrics segment: per-camera metrics are not published");
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	d.tokens_ms = proto_now_ms();
	syncd_log("following reports; data in %s", d.o.datadir);

	while (!syncd_stop) {
		uint64_t now = proto_now_ms();
		int n = reports(&d, now);
		if (now >= last_tick + TICK_MS) {
			last_tick = now;
			syncd_cam_tick(&d, now);
		}
		if (txt && now >= last_render + RENDER_MS) {
			last_render = now;
			size_t len = syncd_cam_render(&d, text, sizeof(text));
			shm_text_publish(txt, text, len < sizeof(text) ? len : 0);
		}
		if (n == 0)
			shm_ring_wait_spsc(d.in, TICK_MS);
	}
	for (k = 0; k < SYNCD_MAX_CAMERAS; k++)
		for (int j = 0; j < SYNCD_MAX_DAYS; j++)
			if (d.cam[k].day[j].used)
				syncd_day_close(&d, &d.cam[k].day[j]);
	free(d.cam);
	if (d.idx)
		idx_close(d.idx);
	syncd_log("stopped");
	return 0;
}
