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
	int rc;

	if (strlen(stage) >= sizeof((*out)->stage))
		return -EINVAL;
	rc = shm_kind_attach(prefix, SHM_KIND_METRICS, stage, index, sizeof(shm_metrics_t), seg);
	if (rc == -ENOENT || rc == -EPROTO) {
		rc = shm_kind_create(prefix, SHM_KIND_METRICS, stage, index, sizeof(shm_metrics_t),
				     seg);
		if (rc < 0)
			return rc;
		shm_metrics_t *m = shm_seg_body(seg);
		snprintf(m->stage, sizeof(m->stage), "%s", stage);
		m->index = index;
	} else if (rc < 0) {
		return rc;
	}
	*out = shm_seg_body(seg);
	return 0;
}

uint64_t *
shm_metrics_counter(shm_metrics_t *m, const char *name)
{
	/* acquire: the names of the first n slots were stored before n (below) */
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
	/* acquire: the names of the first n slots were stored before n (shm_metrics_counter) */
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
		/* relaxed: one untorn value, ordered against nothing else */
		k = snprintf(len < cap ? buf + len : NULL, len < cap ? cap - len : 0,
			     "vigil_%s{stage=\"%s\",index=\"%u\"} %llu\n", name, stage, m->index,
			     (unsigned long long)__atomic_load_n(&m->m[i].value, __ATOMIC_RELAXED));
		if (k > 0)
			len += (size_t)k;
	}
	return len;
}

int
shm_text_open(const char *prefix, const char *stage, uint32_t index, shm_text_t **out)
{
	static shm_seg_t seg;
	int rc;

	rc = shm_kind_attach(prefix, SHM_KIND_TEXT, stage, index, sizeof(shm_text_t), &seg);
	if (rc == -ENOENT || rc == -EPROTO)
		rc = shm_kind_create(prefix, SHM_KIND_TEXT, stage, index, sizeof(shm_text_t), &seg);
	if (rc < 0)
		return rc;
	*out = shm_seg_body(&seg);
	return 0;
}

void
shm_text_publish(shm_text_t *t, const char *text, size_t len)
{
	uint64_t s = __atomic_load_n(&t->seq, __ATOMIC_RELAXED);

	if (len > SHM_TEXT_MAX)
		len = 0;
	/* odd: a reader that sees it, or sees it change, reads again */
	__atomic_store_n(&t->seq, s + 1, __ATOMIC_RELAXED);
	/* the odd sequence before the text changes (pairs with the reader's acquire fence
	 * between its copy and its second look at seq); as in ck_sequence_write_begin */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	memcpy(t->text, text, len);
	__atomic_store_n(&t->len, len, __ATOMIC_RELAXED);
	/* release: the new text and len before the even sequence that says they are whole */
	__atomic_store_n(&t->seq, s + 2, __ATOMIC_RELEASE);
}

size_t
shm_text_read(const shm_text_t *t, char *buf, size_t cap)
{
	int tries;

	for (tries = 0; tries < 8; tries++) {
		/* acquire: len and text after the sequence (pairs with publish's last store) */
		uint64_t s = __atomic_load_n(&t->seq, __ATOMIC_ACQUIRE);
		uint64_t len = __atomic_load_n(&t->len, __ATOMIC_RELAXED);
		if (s & 1 || len > SHM_TEXT_MAX || len > cap)
			continue;
		memcpy(buf, t->text, len);
		/* the copy is good only if no publish began meanwhile */
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&t->seq, __ATOMIC_RELAXED) == s)
			return len;
	}
	return 0;
}
