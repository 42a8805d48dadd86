/*
 * NAME
 *	bus_nats.c - bus.h over the NATS C client (libnats)
 *
 * DESCRIPTION
 *	One connection per bus_t, reconnecting forever every 250 ms, so a
 *	server restart costs a pause, not the process. The stream is
 *	created with work-queue retention, file storage and a two-minute
 *	duplicate window when it is missing; an existing stream is used as
 *	it is (an operator may have tuned it). A shard's lease is a key of
 *	the key-value bucket STREAM-owners (history 1, TTL lease_ms): a
 *	create that fails when the key exists, then updates that each name
 *	the revision written before, so that two owners can never both
 *	succeed. Refused asynchronous
 *	publishes are counted in an atomic by the library's thread and read
 *	by bus_publish_wait() in the caller's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nats/nats.h>

#include "bus.h"
#include "proto.h"

struct bus {
	natsConnection *nc;
	jsCtx *js;
	natsSubscription *sub;
	char stream[64];
	int ack_wait_ms;
	int max_pending;
	int lease_ms;
	jsCtx *ljs;   /* the lease's: answers within lease_ms/6 */
	kvStore *kv;  /* STREAM-owners */
	uint64_t rev; /* the lease's revision we wrote last; 0: none */
	char key[32];
	char owner[128];
	uint64_t refused; /* asynchronous publishes refused (library thread) */
};

static __thread char errbuf[256];

const char *
bus_errmsg(void)
{
	return errbuf;
}

int
bus_conf_env(bus_conf_t *c)
{
	const char *v;
	int rc = 0;

	c->url = getenv("VIGIL_NATS_URL");
	c->stream = (v = getenv("VIGIL_NATS_STREAM")) != NULL ? v : "vigil";
	c->ack_wait_ms = 0;
	c->replicas = 1;
	c->lease_ms = 6000;
	if ((v = getenv("VIGIL_NATS_ACK_WAIT_MS")) != NULL)
		rc = proto_parse_int("VIGIL_NATS_ACK_WAIT_MS", v, 0, 3600000, &c->ack_wait_ms);
	if (rc == 0 && (v = getenv("VIGIL_NATS_REPLICAS")) != NULL)
		rc = proto_parse_int("VIGIL_NATS_REPLICAS", v, 1, 5, &c->replicas);
	if (rc == 0 && (v = getenv("VIGIL_NATS_LEASE_MS")) != NULL)
		rc = proto_parse_int("VIGIL_NATS_LEASE_MS", v, 1500, 600000, &c->lease_ms);
	if (rc < 0)
		snprintf(errbuf, sizeof(errbuf), "%s", proto_errmsg());
	return rc;
}

static int
fail(const char *what, natsStatus s, jsErrCode je)
{
	snprintf(errbuf, sizeof(errbuf), "%s: %s%s%d", what, natsStatus_GetText(s),
		 je ? " jetstream error " : "", (int)je);
	if (!je)
		errbuf[strlen(errbuf) - 1] = '\0'; /* drop the 0 */
	switch (s) {
	case NATS_TIMEOUT: return -ETIMEDOUT;
	case NATS_NO_MEMORY: return -ENOMEM;
	case NATS_CONNECTION_CLOSED:
	case NATS_NO_SERVER:
	case NATS_CONNECTION_DISCONNECTED: return -ENOTCONN;
	case NATS_INVALID_ARG: return -EINVAL;
	default: return -EIO;
	}
}

static void
on_refused(jsCtx *js, jsPubAckErr *pae, void *closure)
{
	(void)js;
	(void)pae;
	/* relaxed: a count on NATS's thread, taken by exchange in bus_publish_wait; orders nothing */
	__atomic_add_fetch(&((bus_t *)closure)->refused, 1, __ATOMIC_RELAXED);
}

void
bus_msgid(const uint8_t uuid[16], uint32_t date, uint32_t counter, char out[BUS_MSGID_MAX])
{
	static const char hex[] = "0123456789abcdef";
	int i;

	for (i = 0; i < 16; i++) {
		out[2 * i] = hex[uuid[i] >> 4];
		out[2 * i + 1] = hex[uuid[i] & 15];
	}
	snprintf(out + 32, BUS_MSGID_MAX - 32, "-%08x-%08x", date, counter);
}

static int
ensure_stream(bus_t *b, int replicas)
{
	char subj[BUS_SUBJECT_MAX];
	const char *subjects[1] = {subj};
	jsStreamConfig sc;
	jsStreamInfo *si = NULL;
	jsErrCode je = 0;
	natsStatus s;

	if (js_GetStreamInfo(&si, b->js, b->stream, NULL, &je) == NATS_OK) {
		jsStreamInfo_Destroy(si);
		return 0;
	}
	snprintf(subj, sizeof(subj), "%s.*", b->stream);
	jsStreamConfig_Init(&sc);
	sc.Name = b->stream;
	sc.Subjects = subjects;
	sc.SubjectsLen = 1;
	sc.Retention = js_WorkQueuePolicy;
	sc.Storage = js_FileStorage;
	sc.Replicas = replicas > 0 ? replicas : 1;
	sc.Duplicates = (int64_t)120 * 1000000000; /* ns */
	je = 0;
	s = js_AddStream(&si, b->js, &sc, NULL, &je);
	if (s == NATS_OK)
		jsStreamInfo_Destroy(si);
	else if (je != JSStreamNameExistErr) /* another node made it meanwhile */
		return fail("add stream", s, je);
	return 0;
}

int
bus_open(const bus_conf_t *c, bus_t **out)
{
	natsOptions *o = NULL;
	jsOptions jo;
	natsStatus s;
	bus_t *b;
	int rc;

	*out = NULL;
	if (c->url == NULL || c->stream == NULL || strlen(c->stream) >= sizeof(b->stream) ||
	    strpbrk(c->stream, ".*> \t") != NULL)
		return fail("configuration", NATS_INVALID_ARG, 0);
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return -ENOMEM;
	snprintf(b->stream, sizeof(b->stream), "%s", c->stream);
	b->ack_wait_ms = c->ack_wait_ms > 0 ? c->ack_wait_ms : 10000;
	b->max_pending = c->max_pending > 0 ? c->max_pending : 8192;
	b->lease_ms = c->lease_ms > 0 ? c->lease_ms : 6000;
	if ((s = natsOptions_Create(&o)) != NATS_OK ||
	    (s = natsOptions_SetURL(o, c->url)) != NATS_OK ||
	    (s = natsOptions_SetMaxReconnect(o, -1)) != NATS_OK ||
	    (s = natsOptions_SetReconnectWait(o, 250)) != NATS_OK ||
	    (s = natsConnection_Connect(&b->nc, o)) != NATS_OK) {
		rc = fail("connect", s, 0);
		goto bad;
	}
	jsOptions_Init(&jo);
	jo.PublishAsync.MaxPending = b->max_pending;
	jo.PublishAsync.ErrHandler = on_refused;
	jo.PublishAsync.ErrHandlerClosure = b;
	if ((s = natsConnection_JetStream(&b->js, b->nc, &jo)) != NATS_OK) {
		rc = fail("jetstream", s, 0);
		goto bad;
	}
	if ((rc = ensure_stream(b, c->replicas)) < 0)
		goto bad;
	natsOptions_Destroy(o);
	*out = b;
	return 0;
bad:
	natsOptions_Destroy(o);
	bus_close(b);
	return rc;
}

void
bus_close(bus_t *b)
{
	if (b == NULL)
		return;
	if (b->sub)
		natsSubscription_Destroy(b->sub);
	if (b->kv)
		kvStore_Destroy(b->kv);
	if (b->ljs)
		jsCtx_Destroy(b->ljs);
	if (b->js)
		jsCtx_Destroy(b->js);
	if (b->nc) {
		natsConnection_FlushTimeout(b->nc, 1000); /* the last acks */
		natsConnection_Destroy(b->nc);
	}
	free(b);
}

int
bus_publish(bus_t *b, uint32_t shard, const char *msgid, const void *data, size_t len)
{
	char subj[BUS_SUBJECT_MAX];
	jsPubOptions po;
	natsStatus s;

	snprintf(subj, sizeof(subj), "%s.%u", b->stream, shard);
	jsPubOptions_Init(&po);
	po.MsgId = msgid;
	if ((s = js_PublishAsync(b->js, subj, data, (int)len, &po)) != NATS_OK)
		return fail("publish", s, 0);
	return 0;
}

int
bus_publish_wait(bus_t *b, int timeout_ms)
{
	natsMsgList pending = {0};
	jsPubOptions po;
	natsStatus s;
	int n;

	jsPubOptions_Init(&po);
	po.MaxWait = timeout_ms;
	s = js_PublishAsyncComplete(b->js, &po);
	if (s == NATS_TIMEOUT) {
		/* unanswered: withdrawn and counted as refused */
		if (js_PublishAsyncGetPendingList(&pending, b->js) == NATS_OK) {
			__atomic_add_fetch(&b->refused, (uint64_t)pending.Count, __ATOMIC_RELAXED);
			natsMsgList_Destroy(&pending);
		}
	} else if (s != NATS_OK) {
		return fail("publish wait", s, 0);
	}
	n = (int)__atomic_exchange_n(&b->refused, 0, __ATOMIC_RELAXED);
	return n;
}

int
bus_consume(bus_t *b, uint32_t shard)
{
	char subj[BUS_SUBJECT_MAX], durable[BUS_SUBJECT_MAX];
	jsSubOptions so;
	jsErrCode je = 0;
	natsStatus s;

	snprintf(subj, sizeof(subj), "%s.%u", b->stream, shard);
	snprintf(durable, sizeof(durable), "%s-writer-%u", b->stream, shard);
	jsSubOptions_Init(&so);
	so.Stream = b->stream;
	so.Config.AckPolicy = js_AckExplicit;
	so.Config.AckWait = (int64_t)b->ack_wait_ms * 1000000;
	so.Config.MaxAckPending = b->max_pending;
	so.Config.DeliverPolicy = js_DeliverAll;
	so.Config.MaxRequestBatch = 0;
	so.ManualAck = true;
	if ((s = js_PullSubscribe(&b->sub, b->js, subj, durable, NULL, &so, &je)) != NATS_OK)
		return fail("pull subscribe", s, je);
	return 0;
}

/* The bucket of the leases, created when missing (its TTL: the lease). */
static int
lease_bucket(bus_t *b)
{
	char bucket[80];
	jsOptions jo;
	kvConfig kc;
	natsStatus s;

	jsOptions_Init(&jo);
	jo.Wait = b->lease_ms / 6 > 250 ? b->lease_ms / 6 : 250; /* ms */
	if ((s = natsConnection_JetStream(&b->ljs, b->nc, &jo)) != NATS_OK)
		return fail("jetstream", s, 0);
	snprintf(bucket, sizeof(bucket), "%s-owners", b->stream);
	if (js_KeyValue(&b->kv, b->ljs, bucket) == NATS_OK)
		return 0;
	kvConfig_Init(&kc);
	kc.Bucket = bucket;
	kc.Description = "vigil: which node's writer consumes each shard";
	kc.History = 1;
	kc.TTL = (int64_t)b->lease_ms * 1000000; /* ns */
	kc.StorageType = js_FileStorage;
	if ((s = js_CreateKeyValue(&b->kv, b->ljs, &kc)) != NATS_OK &&
	    js_KeyValue(&b->kv, b->ljs, bucket) != NATS_OK) /* another made it meanwhile */
		return fail("lease bucket", s, 0);
	return 0;
}

int
bus_lease_take(bus_t *b, uint32_t shard, const char *owner, char *holder, size_t cap)
{
	size_t node = strcspn(owner, " ");
	kvEntry *e = NULL;
	const char *v;
	natsStatus s;
	int rc;

	holder[0] = '\0';
	if (b->kv == NULL && (rc = lease_bucket(b)) < 0)
		return rc;
	snprintf(b->key, sizeof(b->key), "shard-%u", shard);
	snprintf(b->owner, sizeof(b->owner), "%s", owner);
	if ((s = kvStore_CreateString(&b->rev, b->kv, b->key, owner)) == NATS_OK)
		return 0;
	if ((s = kvStore_Get(&e, b->kv, b->key)) != NATS_OK) {
		b->rev = 0;
		return fail(s == NATS_NOT_FOUND ? "lease (gone meanwhile: try again)" : "lease", s,
			    0);
	}
	v = kvEntry_ValueString(e);
	snprintf(holder, cap, "%s", v ? v : "?");
	/* this node's previous writer (dead: vigild starts one at a time) */
	if (v && !strncmp(v, owner, node) && (v[node] == ' ' || v[node] == '\0') &&
	    (s = kvStore_UpdateString(&b->rev, b->kv, b->key, owner, kvEntry_Revision(e))) ==
		NATS_OK) {
		kvEntry_Destroy(e);
		return 0;
	}
	kvEntry_Destroy(e);
	b->rev = 0;
	snprintf(errbuf, sizeof(errbuf), "shard %u is owned by %s", shard, holder);
	return -EBUSY;
}

int
bus_lease_renew(bus_t *b)
{
	kvEntry *e = NULL;
	uint64_t rev;
	natsStatus s;

	if (b->rev == 0)
		return fail("lease renew", NATS_ILLEGAL_STATE, 0);
	if ((s = kvStore_UpdateString(&rev, b->kv, b->key, b->owner, b->rev)) == NATS_OK) {
		b->rev = rev;
		return 0;
	}
	/* refused, or unanswered? refused when another revision is there */
	if (kvStore_Get(&e, b->kv, b->key) == NATS_OK) {
		if (kvEntry_Revision(e) != b->rev) {
			snprintf(errbuf, sizeof(errbuf), "%s is now held by %s", b->key,
				 kvEntry_ValueString(e) ? kvEntry_ValueString(e) : "?");
			kvEntry_Destroy(e);
			b->rev = 0;
			return -EBUSY;
		}
		kvEntry_Destroy(e);
	}
	return fail("lease renew", s, 0);
}

void
bus_lease_drop(bus_t *b)
{
	kvEntry *e = NULL;

	if (b == NULL || b->rev == 0)
		return;
	if (kvStore_Get(&e, b->kv, b->key) == NATS_OK) {
		if (kvEntry_Revision(e) == b->rev)
			kvStore_Delete(b->kv, b->key);
		kvEntry_Destroy(e);
	}
	b->rev = 0;
}

int
bus_fetch(bus_t *b, bus_msg_t **msgs, int max, int timeout_ms)
{
	natsMsgList list = {0};
	jsErrCode je = 0;
	natsStatus s;
	int i;

	s = natsSubscription_Fetch(&list, b->sub, max, timeout_ms, &je);
	if (s == NATS_TIMEOUT)
		return 0;
	if (s != NATS_OK)
		return fail("fetch", s, je);
	for (i = 0; i < list.Count && i < max; i++) {
		msgs[i] = (bus_msg_t *)list.Msgs[i];
		list.Msgs[i] = NULL; /* ours now */
	}
	natsMsgList_Destroy(&list);
	return i;
}

const void *
bus_msg_data(const bus_msg_t *m, size_t *len)
{
	*len = (size_t)natsMsg_GetDataLength((const natsMsg *)m);
	return natsMsg_GetData((const natsMsg *)m);
}

int
bus_msg_ack(bus_msg_t *m)
{
	natsStatus s = natsMsg_Ack((natsMsg *)m, NULL);

	natsMsg_Destroy((natsMsg *)m);
	return s == NATS_OK ? 0 : fail("ack", s, 0);
}

int
bus_msg_nak(bus_msg_t *m)
{
	natsStatus s = natsMsg_Nak((natsMsg *)m, NULL);

	natsMsg_Destroy((natsMsg *)m);
	return s == NATS_OK ? 0 : fail("nak", s, 0);
}

void
bus_msg_free(bus_msg_t *m)
{
	natsMsg_Destroy((natsMsg *)m);
}
