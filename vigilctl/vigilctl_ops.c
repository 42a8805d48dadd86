/*
 * NAME
 *	vigilctl_ops.c - status of the running system, restart of one stage
 *
 * DESCRIPTION
 *	Both read the master's status segment (<prefix>-status; the prefix
 *	is -p, else $VIGIL_SHM_PREFIX, else "vigil"). status prints one line
 *	per stage process, its counters that are not zero, and the depth,
 *	published and dropped counts of each listener-to-writer ring.
 *	restart STAGE [N] bumps that stage's restart request and signals
 *	vigild, then waits (up to 5 s) until a new process runs.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shm.h"
#include "shm_metrics.h"
#include "shm_status.h"
#include "proto.h"
#include "vigilctl.h"

static const char *
prefix(const char *opt)
{
	const char *env = getenv("VIGIL_SHM_PREFIX");

	return opt ? opt : env && *env ? env : "vigil";
}

static int
attach(const char *pfx, shm_seg_t *seg, shm_status_t **st)
{
	int rc;

	if ((rc = shm_kind_attach(pfx, SHM_KIND_STATUS, NULL, 0, sizeof(shm_status_t), seg)) < 0) {
		fprintf(stderr, "vigilctl: no running vigild (shared segment %s: %s)\n", seg->name,
			strerror(-rc));
		return -1;
	}
	*st = shm_seg_body(seg);
	return 0;
}

/* The stage's own counters, those that are not zero, on one line. */
static void
print_counters(const char *pfx, const shm_stage_status_t *s)
{
	const shm_metrics_t *m;
	shm_seg_t seg;
	uint32_t i, n;
	int shown = 0;

	if (shm_kind_attach(pfx, SHM_KIND_METRICS, s->name, s->index, sizeof(shm_metrics_t), &seg) <
	    0)
		return;
	m = shm_seg_body(&seg);
	/* acquire: the names of the first n counters were stored before n (shm_metrics_counter) */
	n = __atomic_load_n(&m->n, __ATOMIC_ACQUIRE);
	for (i = 0; i < n && i < SHM_METRICS_MAX; i++) {
		/* relaxed: one untorn value, ordered against nothing else */
		uint64_t v = __atomic_load_n(&m->m[i].value, __ATOMIC_RELAXED);
		if (v == 0)
			continue;
		printf("%s%.*s=%llu", shown++ ? " " : "    ", SHM_METRIC_NAME, m->m[i].name,
		       (unsigned long long)v);
	}
	if (shown)
		printf("\n");
	shm_seg_detach(&seg);
}

int
vigilctl_status(int argc, char **argv)
{
	const char *pfx = NULL;
	shm_status_t *st;
	shm_seg_t seg, rs;
	shm_ring_t *r;
	uint64_t now = proto_mono_ms(); /* vigild's start times are monotonic */
	uint32_t i;
	int c, k;

	while ((c = getopt(argc, argv, "p:h")) != -1) {
		switch (c) {
		case 'p': pfx = optarg; break;
		case 'h': printf("usage: vigilctl status [-p SHM_PREFIX]\n"); return 0;
		default: return 2;
		}
	}
	if (attach(prefix(pfx), &seg, &st) < 0)
		return 1;
	printf("vigild pid %d, up %llu s\n", st->master_pid,
	       (unsigned long long)(now - st->master_start_ms) / 1000);
	printf("%-12s %5s %8s %10s %8s\n", "stage", "index", "pid", "uptime_s", "restarts");
	for (i = 0; i < st->nstages && i < SHM_STATUS_MAX; i++) {
		shm_stage_status_t *s = &st->stage[i];
		printf("%-12s %5u %8d %10llu %8u%s\n", s->name, s->index, s->pid,
		       s->pid ? (unsigned long long)(now - s->start_ms) / 1000 : 0ull, s->restarts,
		       s->pid             ? ""
		       : s->next_start_ms ? "  (waiting to restart)"
					  : "  (stopped)");
		print_counters(prefix(pfx), s);
	}
	for (k = 0;; k++) {
		int rc = shm_ring_attach(prefix(pfx), SHM_KIND_RING, (uint32_t)k, &rs, &r);
		if (rc == -EPROTO)
			continue; /* not a ring of this version: the next one may be */
		if (rc < 0)
			break;
		printf("ring listener->writer %d: depth %llu, published %llu, dropped %llu\n", k,
		       (unsigned long long)shm_ring_depth(r), (unsigned long long)r->tail,
		       (unsigned long long)r->dropped);
		shm_seg_detach(&rs);
	}
	shm_seg_detach(&seg);
	return 0;
}

int
vigilctl_restart(int argc, char **argv)
{
	const char *pfx = NULL;
	shm_status_t *st;
	shm_seg_t seg;
	uint32_t i, index = 0;
	int c, rc = 1, found = -1;
	int32_t old;

	while ((c = getopt(argc, argv, "p:h")) != -1) {
		switch (c) {
		case 'p': pfx = optarg; break;
		case 'h': printf("usage: vigilctl restart [-p SHM_PREFIX] STAGE [N]\n"); return 0;
		default: return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: vigilctl restart [-p SHM_PREFIX] STAGE [N]\n");
		return 2;
	}
	if (optind + 1 < argc && proto_parse_u32("N", argv[optind + 1], 1023, &index) < 0) {
		fprintf(stderr, "vigilctl restart: %s\n", proto_errmsg());
		return 2;
	}
	if (attach(prefix(pfx), &seg, &st) < 0)
		return 1;
	for (i = 0; i < st->nstages && i < SHM_STATUS_MAX; i++)
		if (!strcmp(st->stage[i].name, argv[optind]) && st->stage[i].index == index)
			found = (int)i;
	if (found < 0) {
		fprintf(stderr, "vigilctl: no stage %s %u\n", argv[optind], index);
		goto out;
	}
	old = st->stage[found].pid;
	/* the request is in the status segment before the signal that makes vigild look
	 * (vigild reads it with acquire in restart_requests) */
	__atomic_add_fetch(&st->stage[found].restart_req, 1, __ATOMIC_RELEASE);
	if (kill(st->master_pid, SIGUSR1) != 0) {
		fprintf(stderr, "vigilctl: signal vigild (pid %d): %s\n", st->master_pid,
			strerror(errno));
		goto out;
	}
	for (i = 0; i < 500; i++) {
		/* acquire: an untorn pid word (vigild writes it when it starts the stage) */
		int32_t pid = __atomic_load_n(&st->stage[found].pid, __ATOMIC_ACQUIRE);
		if (pid != 0 && pid != old) {
			printf("%s %u restarted: pid %d -> %d\n", argv[optind], index, old, pid);
			rc = 0;
			goto out;
		}
		usleep(10 * 1000);
	}
	fprintf(stderr, "vigilctl: %s %u did not come back within 5 s\n", argv[optind], index);
out:
	shm_seg_detach(&seg);
	return rc;
}
