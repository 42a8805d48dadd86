/*
 * NAME
 *	shm_metrics.c - per-stage counters in shared memory
 *
 * DESCRIPTION
 *	See shm_metrics.h. Rendering follows the Prometheus text format:
 *	  vigil_<name>{stage="writer",index="1"} <value>
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "shm_metrics.h"

int
shm_metrics_open(const char *prefix, const char *stage, uint32_t index, shm_seg_t *seg,
		 shm_metrics_t **out)
{
	char name[64];
	int rc;

	if (strlen(stage) >= sizeof((*out)->stage))
		return -EINVAL;
	snprintf(name, sizeof(name), "%s-metrics-%s-%u", prefix, stage, index);
	rc = shm_seg_attach(name, SHM_KIND_METRICS, seg);
	if (rc == -ENOENT || rc == -EPROTO) {
		if ((rc = shm_seg_create(name, SHM_KIND_METRICS, sizeof(shm_metrics_t), seg)) < 0)
			return rc;
		shm_metrics_t *m = shm_seg_body(seg);
		snprintf(m->stage, sizeof(m->stage), "%s", stage);
		m->index = index;
	} else if (rc < 0) {
		return rc;
	}
	if (seg->size < 64 + sizeof(shm_metrics_t)) {
		shm_seg_detach(seg);
		return -EPROTO;
	}
	*out = shm_seg_body(seg);
	return 0;
}

uint64_t *
shm_metrics_counter(shm_metrics_t *m, const char *name)
{
	uint32_t i, n = __atomic_load_n(&m->n, __ATOMIC_ACQUIRE);

	for (i = 0; i < n; i++)
		if (!strncmp(m->m[i].name, name, SHM_METRIC_NAME))
			return &m->m[i].value;
	if (n == SHM_METRICS_MAX || strlen(name) >= SHM_METRIC_NAME)
		return NULL;
	snprintf(m->m[n].name, SHM_METRIC_NAME, "%s", name);
	m->m[n].value = 0;
	/* the name is in place before readers count this slot */
	__atomic_store_n(&m->n, n + 1, __ATOMIC_RELEASE);
	return &m->m[n].value;
}

size_t
shm_metrics_render(const shm_metrics_t *m, char *buf, size_t cap)
{
	uint32_t i, n = __atomic_load_n(&m->n, __ATOMIC_ACQUIRE);
	size_t len = 0;
	char stage[24];

	if (n > SHM_METRICS_MAX)
		n = SHM_METRICS_MAX;
	snprintf(stage, sizeof(stage), "%s", m->stage);
	for (i = 0; i < n; i++) {
		char name[SHM_METRIC_NAME];
		int k;
		snprintf(name, sizeof(name), "%s", m->m[i].name);
		k = snprintf(len < cap ? buf + len : NULL, len < cap ? cap - len : 0,
			     "vigil_%s{stage=\"%s\",index=\"%u\"} %llu\n", name, stage, m->index,
			     (unsigned long long)__atomic_load_n(&m->m[i].value, __ATOMIC_RELAXED));
		if (k > 0)
			len += (size_t)k;
	}
	return len;
}
