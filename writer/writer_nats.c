/*
 * NAME
 *	writer_nats.c - a writer's partition shard from NATS JetStream
 *
 * DESCRIPTION
 *	With "transport = nats" (VIGIL_TRANSPORT=nats) the writer of shard
 *	k consumes STREAM.<k> through the durable consumer STREAM-writer-<k>
 *	instead of the shared-memory ring. A fetch thread puts each message
 *	(metadata and datagram, shm_msg.h) into a ring in the process's own
 *	memory, so the writer's loop, its grouping by file, its syncs and
 *	its duplicate check stay the same; the thread keeps the message
 *	handle beside its slot. The writer runs durable: a slot is released
 *	only after the sync that follows its append, and
 *	writer_nats_release() acknowledges each message then, never before.
 *	A writer killed before that leaves its messages unacknowledged; the
 *	server delivers them again to its successor after the ack wait, and
 *	the successor's duplicate check (the file's counters) drops those
 *	already on disk. On a clean stop the messages still in the ring are
 *	given back (nak) so that the successor gets them at once. A message
 *	whose metadata does not decode is acknowledged and dropped, counted.
 *
 *	A shard has one consumer across nodes: before consuming, the writer
 *	takes the shard's lease (bus_lease_take: the key-value bucket
 *	STREAM-owners, node "HOST/PREFIX"). Another node's lease refuses it:
 *	writer_nats_open() returns -EBUSY, and the writer exits
 *	STAGE_EXIT_REFUSED. The fetch thread renews the lease every
 *	lease_ms/3; when no renewal succeeded for 2*lease_ms/3 (the server
 *	unreachable, or the lease taken), it stops fetching and asks the
 *	writer to stop, before the lease can lapse and another node take
 *	the shard: what it wrote is synced and acknowledged, the rest given
 *	back. A clean stop removes the lease.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <unistd.h>

#include "bus.h"
#include "shm_msg.h"
#include "stage.h"
#include "writer.h"

#define FETCH_MAX 256

struct writer_nats {
	bus_t *bus;
	shm_ring_t *ring; /* private memory: the fetch thread produces, the loop consumes */
	bus_msg_t **held; /* the message of each ring slot */
	uint32_t mask;
	pthread_t thread;
	int running;
	volatile int stop;
	uint64_t bad; /* messages that did not decode */
	uint32_t shard;
	int lease_ms;
	uint64_t renewed_ms; /* monotonic: when the last renewal that succeeded was sent */
	int renew_failing;   /* renewals failed in a row */
};

/*
 * Renew the lease when due. 0 while it holds, -1 once it may be lapsing:
 * no renewal succeeded for 2/3 of its life (logged).
 */
static int
lease_keep(writer_nats_t *wn)
{
	uint64_t now = proto_mono_ms();
	int rc;

	if (now - wn->renewed_ms < (uint64_t)wn->lease_ms / 3)
		return 0;
	if ((rc = bus_lease_renew(wn->bus)) == 0) {
		if (wn->renew_failing)
			log_info("shard %u: lease renewed again", wn->shard);
		wn->renew_failing = 0;
		wn->renewed_ms = now;
		return 0;
	}
	if (wn->renew_failing++ == 0)
		log_warnx("shard %u: lease renewal failed: %s", wn->shard, bus_errmsg());
	if (rc != -EBUSY && proto_mono_ms() - wn->renewed_ms < (uint64_t)wn->lease_ms * 2 / 3)
		return 0;
	log_warnx("shard %u: lease lost (%s; last renewed %llu ms ago): no longer consuming "
		  "it; stopping",
		  wn->shard, rc == -EBUSY ? "taken" : "not renewed",
		  (unsigned long long)(proto_mono_ms() - wn->renewed_ms));
	return -1;
}

static void *
fetch_loop(void *arg)
{
	writer_nats_t *wn = arg;
	bus_msg_t *msgs[FETCH_MAX];
	int wait_ms = wn->lease_ms / 6 < 500 ? wn->lease_ms / 6 : 500; /* renewals come between */
	shm_msg_meta_t meta;
	const uint8_t *p;
	size_t len;
	int n, i, want;

	while (!wn->stop) {
		uint64_t room = wn->ring->nslots - shm_ring_depth(wn->ring);
		if (lease_keep(wn) < 0) {
			stage_request_stop(); /* the loop syncs and acknowledges what it wrote */
			break;
		}
		if (room == 0) { /* the loop is behind: wait for it */
			struct timespec ts = {0, 2000000};
			nanosleep(&ts, NULL);
			continue;
		}
		want = room < FETCH_MAX ? (int)room : FETCH_MAX;
		if ((n = bus_fetch(wn->bus, msgs, want, wait_ms)) < 0) {
			log_warnx("nats: %s", bus_errmsg());
			struct timespec ts = {0, 200000000};
			nanosleep(&ts, NULL);
			continue;
		}
		for (i = 0; i < n; i++) {
			p = bus_msg_data(msgs[i], &len);
			if (shm_msg_decode(p, len, &meta) < 0) {
				/* relaxed: a count only, taken by writer_nats_bad */
				__atomic_add_fetch(&wn->bad, 1, __ATOMIC_RELAXED);
				bus_msg_ack(msgs[i]);
				continue;
			}
			/* the handle is in place before the slot is published */
			wn->held[wn->ring->tail & wn->mask] = msgs[i];
			shm_ring_enqueue_spsc(wn->ring, &meta, p + SHM_MSG_HDR_LEN, meta.len);
		}
	}
	return NULL;
}

int
writer_nats_open(writer_nats_t **out, uint32_t shard, uint32_t nslots, shm_ring_t **ring)
{
	char owner[160], host[64], holder[128];
	bus_conf_t c = {0};
	sigset_t block, old;
	writer_nats_t *wn;
	const char *pfx;
	int rc;

	*out = NULL;
	if (!stage_env_nats())
		return 0;
	if ((rc = bus_conf_env(&c)) < 0) {
		log_warnx("%s", bus_errmsg());
		return rc;
	}
	if ((wn = calloc(1, sizeof(*wn))) == NULL)
		return -ENOMEM;
	c.max_pending = (int)nslots * 2;
	wn->shard = shard;
	wn->lease_ms = c.lease_ms;
	/* the node: this machine and its configuration (one vigild runs it) */
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "?");
	host[sizeof(host) - 1] = '\0';
	if (stage_env_prefix(&pfx) < 0)
		pfx = "vigil";
	snprintf(owner, sizeof(owner), "%s/%s pid %d", host, pfx, (int)getpid());
	wn->ring = aligned_alloc(64, (shm_ring_size(nslots) + 63) / 64 * 64);
	wn->held = calloc(nslots, sizeof(*wn->held));
	wn->mask = nslots - 1;
	if (wn->ring == NULL || wn->held == NULL) {
		rc = -ENOMEM;
		goto bad;
	}
	memset(wn->ring, 0, shm_ring_size(nslots));
	shm_ring_init(wn->ring, nslots);
	/* the library's threads and ours leave SIGTERM and SIGINT to the loop */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	if ((rc = bus_open(&c, &wn->bus)) < 0)
		log_warnx("nats %s: %s", c.url ? c.url : "(no url)", bus_errmsg());
	else if ((rc = bus_lease_take(wn->bus, shard, owner, holder, sizeof(holder))) == -EBUSY)
		log_warnx("shard %u is owned by %s (its lease in %s-owners): refusing to consume "
			  "it; a shard has one writer (check writer_shards on every node)",
			  shard, holder, c.stream);
	else if (rc < 0)
		log_warnx("nats %s: shard %u lease: %s", c.url, shard, bus_errmsg());
	else if ((wn->renewed_ms = proto_mono_ms()), (rc = bus_consume(wn->bus, shard)) < 0)
		log_warnx("nats %s: %s", c.url, bus_errmsg());
	else if ((rc = -pthread_create(&wn->thread, NULL, fetch_loop, wn)) == 0)
		wn->running = 1;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc < 0)
		goto bad;
	log_info("consuming %s.%u at %s (lease %s, %d ms)", c.stream, shard, c.url, owner,
		 c.lease_ms);
	*ring = wn->ring;
	*out = wn;
	return 0;
bad:
	writer_nats_close(wn);
	return rc;
}

void
writer_nats_release(writer_nats_t *wn, uint64_t n)
{
	uint64_t i, head = wn->ring->head;

	for (i = 0; i < n; i++) {
		bus_msg_t **m = &wn->held[(head + i) & wn->mask];
		bus_msg_ack(*m);
		*m = NULL;
	}
	shm_ring_release_spsc(wn->ring, n);
}

uint64_t
writer_nats_bad(const writer_nats_t *wn)
{
	return __atomic_exchange_n((uint64_t *)&wn->bad, 0, __ATOMIC_RELAXED);
}

void
writer_nats_close(writer_nats_t *wn)
{
	uint64_t i;

	if (wn == NULL)
		return;
	if (wn->running) {
		wn->stop = 1;
		pthread_join(wn->thread, NULL);
	}
	if (wn->held && wn->ring) /* not written: to the successor at once */
		for (i = wn->ring->head; i < wn->ring->tail; i++)
			if (wn->held[i & wn->mask])
				bus_msg_nak(wn->held[i & wn->mask]);
	bus_lease_drop(wn->bus);
	bus_close(wn->bus);
	free(wn->held);
	free(wn->ring);
	free(wn);
}
