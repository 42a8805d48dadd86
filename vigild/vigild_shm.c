/*
 * NAME
 *	vigild_shm.c - the shared segments of a run: create, remove
 *
 * DESCRIPTION
 *	vigild_shm_create() makes the status segment, one ring from the
 *	listener to each writer with one for that writer's notices to the
 *	indexer, the shared index, and with a syncd stage the two rings
 *	between the listener and syncd. A ring that a killed vigild left,
 *	of the size wanted, is kept with what it holds (its stages are gone
 *	by then: vigild_own.c). vigild_shm_remove() unlinks them all, and
 *	the stages' own segments of this prefix, but not the lock.
 *	vigild_shm_create_rings() and vigild_shm_remove_rings() are the
 *	writers' rings alone, made anew when the number of writers changes
 *	(vigild_reload.c).
 */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "idx.h"
#include "vigild.h"

/*
 * A ring of the size wanted. One a killed vigild left, of that size, is
 * kept with what it holds: its datagrams were accepted, and the new
 * writer appends them (its stages are gone by now: vigild_own.c).
 */
static int
ring_make(vigild_t *d, uint32_t kind, uint32_t index, uint32_t nslots, shm_seg_t *seg)
{
	shm_ring_t *r;

	if (shm_ring_attach(d->conf.shm_prefix, kind, index, seg, &r) == 0) {
		if (r->nslots == nslots) {
			if (shm_ring_depth(r))
				log_info("ring %s kept from the previous run with %llu entries",
					 seg->name, (unsigned long long)shm_ring_depth(r));
			return 0;
		}
		shm_seg_detach(seg);
	}
	return shm_ring_create(d->conf.shm_prefix, kind, index, nslots, seg, &r);
}

/* One ring from the listener to each writer, one for its notices. */
int
vigild_shm_create_rings(vigild_t *d)
{
	int i, rc;

	for (i = 0; i < d->conf.writers; i++) {
		rc = ring_make(d, SHM_KIND_RING, (uint32_t)i, d->conf.ring_slots, &d->ring_seg[i]);
		if (rc < 0) {
			log_warnx("ring %s: %s", d->ring_seg[i].name, strerror(-rc));
			return -1;
		}
		d->nrings++;
		rc = ring_make(d, SHM_KIND_NOTICE, (uint32_t)i, VIGILD_NOTICE_SLOTS,
			       &d->notice_seg[i]);
		if (rc < 0) {
			log_warnx("ring %s: %s", d->notice_seg[i].name, strerror(-rc));
			return -1;
		}
	}
	return 0;
}

void
vigild_shm_remove_rings(vigild_t *d)
{
	char name[128];
	int i;

	for (i = 0; i < d->nrings; i++) {
		snprintf(name, sizeof(name), "%s", d->ring_seg[i].name);
		shm_seg_detach(&d->ring_seg[i]);
		shm_seg_unlink(name);
		snprintf(name, sizeof(name), "%s", d->notice_seg[i].name);
		shm_seg_detach(&d->notice_seg[i]);
		shm_seg_unlink(name);
	}
	d->nrings = 0;
}

int
vigild_shm_create(vigild_t *d)
{
	int i, rc;

	rc = shm_kind_create(d->conf.shm_prefix, SHM_KIND_STATUS, NULL, 0, sizeof(shm_status_t),
			     &d->status_seg);
	if (rc < 0) {
		log_warnx("status segment %s: %s", d->status_seg.name, strerror(-rc));
		return -1;
	}
	d->status = shm_seg_body(&d->status_seg);
	d->status->master_pid = (int32_t)getpid();
	d->status->master_start_ms = vigild_now_ms();
	if (vigild_shm_create_rings(d) < 0)
		return -1;
	rc = idx_create(d->conf.shm_prefix, d->conf.index_days,
			(uint64_t)d->conf.index_arena_mb << 20, &d->idx);
	if (rc < 0) {
		log_warnx("index segment %s-index: %s", d->conf.shm_prefix, strerror(-rc));
		return -1;
	}
	for (i = 0; i < d->conf.nstage; i++)
		if (!strcmp(d->conf.stage[i].name, "syncd"))
			break;
	if (i == d->conf.nstage)
		return 0;
	/* reports from the listener to syncd; syncd's requests back */
	for (i = 0; i < 2; i++) {
		rc = ring_make(d, i ? SHM_KIND_SYNC_OUT : SHM_KIND_SYNC_IN, 0, d->conf.ring_slots,
			       &d->sync_seg[i]);
		if (rc < 0) {
			log_warnx("ring %s: %s", d->sync_seg[i].name, strerror(-rc));
			return -1;
		}
		d->nsync++;
	}
	return 0;
}

void
vigild_shm_remove(vigild_t *d)
{
	char name[128];
	struct dirent *e;
	DIR *dir;
	int i;

	vigild_shm_remove_rings(d);
	idx_close(d->idx);
	d->idx = NULL;
	for (i = 0; i < d->nsync; i++) {
		snprintf(name, sizeof(name), "%s", d->sync_seg[i].name);
		shm_seg_detach(&d->sync_seg[i]);
		shm_seg_unlink(name);
	}
	/*
	 * the stages' own segments (metrics, sessions) belong to this run
	 * too; the lock goes last, at the stop (vigild_own.c)
	 */
	if ((dir = opendir("/dev/shm")) != NULL) {
		size_t plen = strlen(d->conf.shm_prefix);
		while ((e = readdir(dir)) != NULL)
			if (!strncmp(e->d_name, d->conf.shm_prefix, plen) &&
			    e->d_name[plen] == '-' && strcmp(e->d_name, d->status_seg.name) &&
			    strcmp(e->d_name + plen, "-vigild.lock"))
				shm_seg_unlink(e->d_name);
		closedir(dir);
	}
	if (d->status) {
		snprintf(name, sizeof(name), "%s", d->status_seg.name);
		shm_seg_detach(&d->status_seg);
		shm_seg_unlink(name);
	}
}
