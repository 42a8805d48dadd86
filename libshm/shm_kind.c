/*
 * NAME
 *	shm_kind.c - the registry of shared segments: names and versions
 *
 * DESCRIPTION
 *	See shm_kind.h. The table below is the only place that spells a
 *	segment's name; shm_kind_create and shm_kind_attach pass the kind to
 *	shm_seg_create and shm_seg_attach, which write and check the kind's
 *	version in the segment header.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "shm.h"

static const shm_kind_info_t kinds[SHM_KIND_MAX + 1] = {
    [SHM_KIND_RING] = {"ring", SHM_VERSION_RING, SHM_FORM_INDEX, 1},
    [SHM_KIND_METRICS] = {"metrics", SHM_VERSION_METRICS, SHM_FORM_STAGE, 0},
    [SHM_KIND_STATUS] = {"status", SHM_VERSION_STATUS, SHM_FORM_ONE, 0},
    [SHM_KIND_SESSIONS] = {"sessions", SHM_VERSION_SESSIONS, SHM_FORM_INDEX, 0},
    [SHM_KIND_TEXT] = {"text", SHM_VERSION_TEXT, SHM_FORM_STAGE, 0},
    [SHM_KIND_NOTICE] = {"notice", SHM_VERSION_NOTICE, SHM_FORM_INDEX, 1},
    [SHM_KIND_SYNC_IN] = {"sync-in", SHM_VERSION_SYNC_IN, SHM_FORM_ONE, 1},
    [SHM_KIND_SYNC_OUT] = {"sync-out", SHM_VERSION_SYNC_OUT, SHM_FORM_ONE, 1},
    [SHM_KIND_INDEX] = {"index", SHM_VERSION_INDEX, SHM_FORM_ONE, 0},
};

_Static_assert(sizeof(shm_seg_hdr_t) <= SHM_SEG_HDR_SIZE, "segment header fits its space");

const shm_kind_info_t *
shm_kind_info(uint32_t kind)
{
	if (kind == 0 || kind > SHM_KIND_MAX)
		return NULL;
	return &kinds[kind];
}

uint32_t
shm_kind_version(uint32_t kind)
{
	const shm_kind_info_t *k = shm_kind_info(kind);

	return k ? k->version : 0;
}

int
shm_kind_name(char *buf, size_t len, const char *prefix, uint32_t kind, const char *stage,
	      uint32_t index)
{
	const shm_kind_info_t *k = shm_kind_info(kind);
	int n;

	if (len > 0)
		buf[0] = '\0';
	if (k == NULL || prefix == NULL || prefix[0] == '\0' || strchr(prefix, '/') ||
	    (k->form == SHM_FORM_STAGE) != (stage != NULL) ||
	    (stage && (stage[0] == '\0' || strchr(stage, '/'))))
		return -EINVAL;
	switch (k->form) {
	case SHM_FORM_ONE: n = snprintf(buf, len, "%s-%s", prefix, k->tag); break;
	case SHM_FORM_INDEX: n = snprintf(buf, len, "%s-%s-%u", prefix, k->tag, index); break;
	default: n = snprintf(buf, len, "%s-%s-%s-%u", prefix, k->tag, stage, index); break;
	}
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}

int
shm_kind_create(const char *prefix, uint32_t kind, const char *stage, uint32_t index,
		size_t body_size, shm_seg_t *seg)
{
	int rc;

	if ((rc = shm_kind_name(seg->name, sizeof(seg->name), prefix, kind, stage, index)) < 0)
		return rc;
	return shm_seg_create(seg->name, kind, body_size, seg);
}

int
shm_kind_attach(const char *prefix, uint32_t kind, const char *stage, uint32_t index,
		size_t body_min, shm_seg_t *seg)
{
	int rc;

	if ((rc = shm_kind_name(seg->name, sizeof(seg->name), prefix, kind, stage, index)) < 0)
		return rc;
	if ((rc = shm_seg_attach(seg->name, kind, seg)) < 0)
		return rc;
	if (shm_seg_body_size(seg) < body_min) {
		shm_seg_detach(seg);
		return -EPROTO;
	}
	return 0;
}

int
shm_kind_unlink(const char *prefix, uint32_t kind, const char *stage, uint32_t index)
{
	char name[SHM_NAME_MAX];
	int rc;

	if ((rc = shm_kind_name(name, sizeof(name), prefix, kind, stage, index)) < 0)
		return rc;
	return shm_seg_unlink(name);
}
