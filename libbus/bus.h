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
	int replicas;	    /* stream replicas (1 on one server, 3 in a cluster) */
} bus_conf_t;

/*
 * The settings vigild hands a stage in its environment: VIGIL_NATS_URL
 * (may be NULL), VIGIL_NATS_STREAM (default "vigil"),
 * VIGIL_NATS_ACK_WAIT_MS (0..3600000, default 0: the bus's own) and
 * VIGIL_NATS_REPLICAS (1..5, default 1). max_pending is left alone.
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

/* The message id of a datagram's identity: UUID-DATE-COUNTER in hex. */
void bus_msgid(const uint8_t uuid[16], uint32_t date, uint32_t counter, char out[BUS_MSGID_MAX]);

const char *bus_errmsg(void);

#endif
