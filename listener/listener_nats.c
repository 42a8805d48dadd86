/*
 * NAME
 *	listener_nats.c - the listener's datagrams over NATS JetStream
 *
 * DESCRIPTION
 *	Under vigild with "transport = nats" (VIGIL_TRANSPORT=nats,
 *	VIGIL_NATS_URL, VIGIL_NATS_STREAM, VIGIL_WRITERS) an authenticated
 *	datagram is published, with its arrival metadata in front
 *	(shm_msg.h), to the subject of its partition shard
 *	proto_partition(uuid, writers), with its identity (camera, date,
 *	counter) as the message id: JetStream drops a second copy within
 *	its duplicate window. Publishing is asynchronous: while more
 *	datagrams wait in the socket and fewer than WINDOW are unanswered
 *	the listener goes on reading; otherwise it waits for the server's
 *	acknowledgements. A datagram is counted as accepted only once the
 *	server acknowledged it (route() takes back the caller's count, the
 *	wait adds it); one the server refused is counted in
 *	publish_refused instead (the camera still holds it; sync fetches
 *	it again). A listener that cannot reach the
 *	server at start exits, and vigild restarts it with backoff.
 */
#include <poll.h>
#include <string.h>

#include "bus.h"
#include "listener.h"
#include "shm_msg.h"

#define WINDOW 2048 /* unanswered publishes before the listener waits */

static uint64_t pending; /* published, not yet answered */

int
listener_nats_open(listener_t *l)
{
	bus_conf_t c = {0};

	if (!stage_env_nats())
		return 0;
	if (bus_conf_env(&c) < 0) {
		stage_set_errmsg("%s", bus_errmsg());
		return -1;
	}
	if (stage_env_writers(&l->nshards) < 0)
		return -1;
	if (bus_open(&c, &l->bus) < 0) {
		stage_set_errmsg("nats %s: %s", c.url ? c.url : "(no url)", bus_errmsg());
		return -1;
	}
	log_info("publishing to %s.<0..%d> at %s", c.stream, l->nshards - 1, c.url);
	return 0;
}

int
listener_nats_route(listener_t *l, const shm_msg_meta_t *m, const uint8_t *dg, size_t len)
{
	uint8_t msg[SHM_MSG_HDR_LEN + PROTO_MAX_DGRAM];
	char id[BUS_MSGID_MAX];

	if (len > SHM_MSG_MAX || len < PROTO_C2S_HDR_LEN)
		return 0;
	shm_msg_encode(m, msg);
	memcpy(msg + SHM_MSG_HDR_LEN, dg, len);
	bus_msgid(proto_dgram_uuid(dg), proto_dgram_date(dg), proto_dgram_counter(dg), id);
	if (bus_publish(l->bus, proto_partition(proto_dgram_uuid(dg), (uint32_t)l->nshards), id,
			msg, SHM_MSG_HDR_LEN + len) < 0) {
		l->st.publish_refused++;
		return 0;
	}
	pending++;
	l->st.accepted--; /* the caller counts it now; the acknowledgement will */
	return 1;
}

void
listener_nats_flush(listener_t *l, int all)
{
	struct pollfd p = {l->fd, POLLIN, 0};
	int n;

	if (l->bus == NULL || pending == 0)
		return;
	if (!all && pending < WINDOW && poll(&p, 1, 0) > 0)
		return; /* more to read first: the acknowledgements come meanwhile */
	if ((n = bus_publish_wait(l->bus, 5000)) < 0) {
		log_warnx("%s", bus_errmsg());
		n = (int)pending; /* unknown: not counted as accepted */
	}
	if ((uint64_t)n > pending)
		n = (int)pending;
	l->st.accepted += pending - (uint64_t)n;
	l->st.publish_refused += (uint64_t)n;
	pending = 0;
}

void
listener_nats_close(listener_t *l)
{
	if (l->bus) {
		listener_nats_flush(l, 1);
		bus_close(l->bus);
		l->bus = NULL;
	}
}
