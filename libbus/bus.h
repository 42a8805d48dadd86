/*
 * NAME
 *	bus.h - the listener-to-writer hop across machines: NATS JetStream
 *
 * DESCRIPTION
 *	The shared-memory rings carry datagrams from the listener to the
 *	writers on one machine; across machines the same hop runs over a
 *	JetStream stream (DEPLOY.md). One subject per partition shard,
 *	STREAM.<shard>; the stream keeps each message until the writer of
 *	that shard acknowledges it (work-queue retention) and drops a
 *	message whose id it has seen within its duplicate window, so a
 *	datagram published twice (a listener retrying, two listeners
 *	receiving the same resend) is stored in the stream once.
 *
 *	Publisher: bus_publish() queues a message asynchronously with its
 *	message id (Nats-Msg-Id); bus_publish_wait() waits until the server
 *	acknowledged every queued message and says how many it refused.
 *	A publisher counts a datagram as accepted only after that wait.
 *
 *	Consumer: bus_consume() binds a pull subscription to the durable
 *	consumer STREAM-writer-<shard> (created when missing, explicit
 *	acknowledgement), so a writer that dies resumes where its
 *	predecessor stopped: what was delivered and not acknowledged is
 *	delivered again after ack_wait_ms. bus_fetch() hands out messages;
 *	the caller owns each and ends it with bus_msg_ack() (stored
 *	durably), bus_msg_nak() (deliver again now) or bus_msg_free().
 *
 *	Functions return 0 or -errno (bool where said) and never print;
 *	bus_errmsg() is the last failure's text in this thread.
 */
#ifndef VIGIL_BUS_H
#define VIGIL_BUS_H

#include <stddef.h>
#include <stdint.h>

#define BUS_SUBJECT_MAX 96
#define BUS_MSGID_MAX 64

typedef struct bus bus_t;
typedef struct bus_msg bus_msg_t; /* a natsMsg */

typedef struct bus_conf {
	const char *url;    /* nats://HOST:PORT[,...] */
	const char *stream; /* stream name and subject prefix, e.g. "vigil" */
	int ack_wait_ms;    /* redelivery of an unacknowledged message */
	int max_pending;    /* messages out at once: publisher and consumer */
	int replicas;       /* stream replicas (1 on one server, 3 in a cluster) */
	int lease_ms;       /* a shard's lease lasts this long unrenewed */
} bus_conf_t;

/*
 * The settings vigild hands a stage in its environment: VIGIL_NATS_URL
 * (may be NULL), VIGIL_NATS_STREAM (default "vigil"),
 * VIGIL_NATS_ACK_WAIT_MS (0..3600000, default 0: the bus's own),
 * VIGIL_NATS_REPLICAS (1..5, default 1) and VIGIL_NATS_LEASE_MS
 * (1500..600000, default 6000). max_pending is left alone.
 * Returns 0, or -EINVAL/-ERANGE when a number is not one.
 */
int bus_conf_env(bus_conf_t *c);

/* Connect and make sure the stream exists (same settings: kept as is). */
int bus_open(const bus_conf_t *c, bus_t **out);
void bus_close(bus_t *b);

/* Publish asynchronously to STREAM.<shard> with id msgid. */
int bus_publish(bus_t *b, uint32_t shard, const char *msgid, const void *data, size_t len);
/*
 * Wait up to timeout_ms for every publish in flight; returns how many
 * were refused or unanswered since the last call (0: all stored), or
 * -errno.
 */
int bus_publish_wait(bus_t *b, int timeout_ms);

/* Become the consumer of shard (one consumer per shard). */
int bus_consume(bus_t *b, uint32_t shard);
/* Up to max messages into msgs within timeout_ms; how many, or -errno. */
int bus_fetch(bus_t *b, bus_msg_t **msgs, int max, int timeout_ms);
const void *bus_msg_data(const bus_msg_t *m, size_t *len);
/* Acknowledge (and free) m: its content is durable downstream. */
int bus_msg_ack(bus_msg_t *m);
/* Give m back for delivery again at once (and free it). */
int bus_msg_nak(bus_msg_t *m);
void bus_msg_free(bus_msg_t *m);

/*
 * Who consumes a shard, across nodes: a lease, the key shard-<k> in the
 * JetStream key-value bucket STREAM-owners, whose values live lease_ms
 * (the bucket's TTL, set when vigil creates it). bus_lease_take() takes
 * it for owner, written "NODE pid N" (NODE names the node and its
 * configuration): created only if absent, or taken over from a previous
 * holder of the same NODE (a writer of this node that died; one vigild
 * runs a configuration). 0; -EBUSY with the holder's text in holder
 * (cap bytes) when another node holds it; -errno. bus_lease_renew()
 * writes it again on the revision it last wrote: 0; -EBUSY when another
 * revision is there (the lease was lost and taken); -errno when the
 * server did not answer (within lease_ms/6). bus_lease_drop() removes it
 * when it is still ours (a clean stop: the next owner need not wait).
 */
int bus_lease_take(bus_t *b, uint32_t shard, const char *owner, char *holder, size_t cap);
int bus_lease_renew(bus_t *b);
void bus_lease_drop(bus_t *b);

/* The message id of a datagram's identity: UUID-DATE-COUNTER in hex. */
void bus_msgid(const uint8_t uuid[16], uint32_t date, uint32_t counter, char out[BUS_MSGID_MAX]);

const char *bus_errmsg(void);

#endif
