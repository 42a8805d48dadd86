/*
 * NAME
 *	listener_metrics.c - the listener's counters in its metrics segment
 *
 * DESCRIPTION
 *	Under vigild every counter of LISTENER_COUNTERS also lives in the
 *	stage's metrics segment, under its own name: read back at start, so
 *	totals survive a restart, and published after every receive batch
 *	(not per datagram: the loop counts in listener_stats_t).
 */
#include "listener.h"

int
listener_metrics_open(listener_t *l, uint32_t index, shm_seg_t *seg)
{
	const stage_metric_t table[] = {
#define X(n) {#n, &l->metric.n},
	    LISTENER_COUNTERS(X)
#undef X
	};
	int rc;

	if ((rc = stage_metrics_open("listener", index, table, sizeof(table) / sizeof(table[0]),
				     seg)) < 0)
		return rc;
#define X(n)                                                                                       \
	if (l->metric.n)                                                                           \
		l->st.n = *l->metric.n;
	LISTENER_COUNTERS(X)
#undef X
	return 0;
}

void
listener_metrics_publish(const listener_t *l)
{
	/* relaxed: each counter untorn for vigild's reads, ordered against nothing else */
#define X(n)                                                                                       \
	if (l->metric.n)                                                                           \
		__atomic_store_n(l->metric.n, l->st.n, __ATOMIC_RELAXED);
	LISTENER_COUNTERS(X)
#undef X
}
