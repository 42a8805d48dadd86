/*
 * NAME
 *	stage_metrics.c - open a stage's metrics segment from a table
 *
 * DESCRIPTION
 *	One call in place of a shm_metrics_counter() call per counter: the
 *	stage's table names each counter and where its pointer goes.
 */
#include <errno.h>
#include <string.h>

#include "shm_metrics.h"
#include "stage.h"

int
stage_metrics_open(const char *stage, uint32_t index, const stage_metric_t *table, size_t n,
		   shm_seg_t *seg)
{
	const char *prefix;
	shm_metrics_t *m;
	size_t i;
	int rc;

	for (i = 0; i < n; i++)
		*table[i].counter = NULL;
	if ((rc = stage_env_prefix(&prefix)) < 0)
		return rc;
	if ((rc = shm_metrics_open(prefix, stage, index, seg, &m)) < 0) {
		stage_set_errmsg("metrics segment of %s[%u]: %s", stage, index, strerror(-rc));
		return rc;
	}
	for (i = 0; i < n; i++)
		*table[i].counter = shm_metrics_counter(m, table[i].name);
	return 0;
}
