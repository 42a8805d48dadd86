/*
 * NAME
 *	cam_send.c - open sessions and send sealed datagrams to the server
 *
 * DESCRIPTION
 *	A session starts with a hello carrying a fresh secret; every frame is
 *	split into fragments of at most PROTO_DATA_MAX_PAYLOAD bytes over
 *	consecutive counters and sealed with the frame's key. At UTC midnight
 *	a new session is opened, so no session spans two days. A server
 *	message is opened with the session it names, the current one or an
 *	earlier one the camera keeps (cam_past.c); a COOKIE, not sealed,
 *	goes to cam_cookie.c, and so does every hello sent. The HELLO_ACK's
 *	next counter is a floor: a camera below it (or told its hello's
 *	counter was held already) raises its counter there and opens a new
 *	session; a camera that lost its counter state waits for that ack
 *	after its first hello, up to CAM_HOLD_MS, before it sends anything
 *	else (docs/PROTOCOL.md, "Identity and counters"). A filter
 *	(cam_send_filter) may see and change each live datagram; only the
 *	camera's test build sets one.
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "cam.h"
#include "cam_store.h"

int
cam_connect(cam_t *c)
{
	char host[256], *port;
	struct addrinfo hints = {0}, *ai;
	int rc;

	snprintf(host, sizeof(host), "%s", c->conf.server);
	if ((port = strrchr(host, ':')) == NULL) {
		fprintf(stderr, "vigil-cam: server \"%s\" is not HOST:PORT\n", host);
		return -1;
	}
	*port++ = '\0';
	if (host[0] == '[') { /* [v6addr]:port */
		memmove(host, host + 1, strlen(host));
		host[strcspn(host, "]")] = '\0';
	}
	hints.ai_socktype = SOCK_DGRAM;
	if ((rc = getaddrinfo(host, port, &hints, &ai)) != 0) {
		fprintf(stderr, "vigil-cam: %s: %s\n", c->conf.server, gai_strerror(rc));
		return -1;
	}
	memcpy(&c->server, ai->ai_addr, ai->ai_addrlen);
	c->server_len = ai->ai_addrlen;
	c->fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	freeaddrinfo(ai);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&c->server, c->server_len) != 0) {
		fprintf(stderr, "vigil-cam: socket/connect: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

const cam_filter_t *cam_send_filter;

/* Send a datagram already kept in the store (or none to keep it in). */
static void
emit(cam_t *c, uint8_t *dg, size_t len)
{
	int sent = 1;

	c->sent++;
	if (cam_send_filter && cam_send_filter->before)
		cam_send_filter->before(c, dg, len);
	/* a hello goes with the cookie's trailer while one is fresh (not stored) */
	if (dg[3] == PROTO_T_HELLO ? cam_cookie_send(c, dg, len) < 0
				   : send(c->fd, dg, len, 0) != (ssize_t)len) {
		/* a full socket buffer or an unreachable server loses the datagram;
		 * the camera's store (and sync) is what recovers it: not an error */
		if (errno != EAGAIN && errno != ECONNREFUSED)
			fprintf(stderr, "vigil-cam: send: %s\n", strerror(errno));
		sent = 0;
	} else
		c->sent_bytes += len;
	if (cam_send_filter && cam_send_filter->after)
		cam_send_filter->after(c, dg, len, sent);
}

static int
send_dgram(cam_t *c, uint8_t *dg, size_t len)
{
	int rc;

	/* kept until the server confirms it (cam_store.c) */
	if (c->sync && (rc = cam_store_put(&c->sync->store, dg, len)) < 0)
		fprintf(stderr, "vigil-cam: store: %s\n", strerror(-rc));
	emit(c, dg, len);
	return 0;
}

/* A frame's fragments: kept in the store with one write, then sent one by one. */
static void
send_batch(cam_t *c, uint8_t dg[][PROTO_MAX_DGRAM], const size_t len[], int n)
{
	const uint8_t *p[CAM_STORE_BATCH] = {NULL};
	int i, rc;

	for (i = 0; i < n; i++)
		p[i] = dg[i];
	if (c->sync && (rc = cam_store_put_many(&c->sync->store, p, len, n)) < 0)
		fprintf(stderr, "vigil-cam: store: %s\n", strerror(-rc));
	for (i = 0; i < n; i++)
		emit(c, dg[i], len[i]);
}

static int64_t
take(cam_t *c, uint32_t date)
{
	int64_t n = cam_state_take(&c->state, date);

	if (n < 0)
		fprintf(stderr, "vigil-cam: counter state: %s\n", strerror(errno));
	return n;
}

/*
 * The first hello after the counter state was lost: nothing else goes
 * out before its HELLO_ACK says where the server stands (the capture
 * waits), or before CAM_HOLD_MS pass without one.
 */
static void
ack_wait(cam_t *c)
{
	uint64_t end = proto_mono_ms() + CAM_HOLD_MS, now;
	struct timespec ts = {0, 1000000L};

	c->state.lost = 0;
	while (!c->acked && (now = proto_mono_ms()) < end) {
		nanosleep(&ts, NULL);
		cam_poll_replies(c);
		cam_hello_retry(c, now);
	}
	if (!c->acked)
		fprintf(stderr,
			"vigil-cam: no hello-ack in %u ms: counters go on from %u "
			"unconfirmed\n",
			CAM_HOLD_MS, c->state.next);
}

int
cam_hello(cam_t *c, uint64_t now_ms)
{
	uint8_t secret[PROTO_SECRET_LEN], dg[PROTO_MAX_DGRAM];
	proto_hello_t h = {0};
	int64_t counter;
	int n;

	memcpy(h.uuid, c->conf.uuid, PROTO_UUID_LEN);
	h.date = proto_date_from_ms(now_ms);
	if ((counter = take(c, h.date)) < 0)
		return -1;
	h.counter = (uint32_t)counter;
	h.camera_ms = now_ms;
	if (RAND_bytes(secret, sizeof(secret)) != 1 ||
	    RAND_bytes(h.hello_id, sizeof(h.hello_id)) != 1 ||
	    RAND_bytes((uint8_t *)&h.boot_id, sizeof(h.boot_id)) != 1)
		return -1;
	if ((n = proto_hello_seal(c->key, c->server_pub, &h, secret, dg, sizeof(dg))) < 0) {
		fprintf(stderr, "vigil-cam: hello: %s\n", proto_errmsg());
		return -1;
	}
	proto_session_free(c->session);
	c->session = proto_session_new(h.uuid, h.date, h.counter, secret);
	OPENSSL_cleanse(secret, sizeof(secret));
	if (c->session == NULL)
		return -1;
	if (cam_past_keep(c, c->session) < 0)
		fprintf(stderr, "vigil-cam: session keys not saved: %s\n", strerror(errno));
	c->session_date = h.date;
	memset(c->frame, 0, sizeof(c->frame));
	memcpy(c->hello, dg, (size_t)n);
	c->hello_len = (size_t)n;
	c->hello_ms = proto_mono_ms();
	c->acked = 0;
	c->reopen = 0;
	send_dgram(c, dg, (size_t)n);
	if (c->state.lost)
		ack_wait(c);
	return 0;
}

int
cam_send_frame(cam_t *c, uint8_t stream, uint8_t codec, int keyframe, uint64_t capture_ms,
	       const uint8_t *frame, size_t len)
{
	uint8_t dg[CAM_STORE_BATCH][PROTO_MAX_DGRAM];
	size_t dlen[CAM_STORE_BATCH];
	proto_data_hdr_t h = {0};
	size_t count, i, off;
	uint32_t date = proto_date_from_ms(capture_ms);
	int n, k = 0;

	/* a second turn only when the first hello's ack moved the counter */
	while (c->session == NULL || date != c->session_date || c->reopen)
		if (cam_hello(c, capture_ms) < 0)
			return -1;
	count = len ? (len + PROTO_DATA_MAX_PAYLOAD - 1) / PROTO_DATA_MAX_PAYLOAD : 1;
	if (len > PROTO_MAX_FRAME || count > UINT16_MAX)
		return -1;
	memcpy(h.uuid, c->conf.uuid, PROTO_UUID_LEN);
	h.date = date;
	h.session = proto_session_id(c->session);
	h.stream = stream;
	h.codec = codec;
	h.flags = keyframe ? PROTO_F_KEYFRAME : 0;
	h.frame = c->frame[stream]++;
	h.frag_count = (uint16_t)count;
	h.capture_ms = capture_ms;
	for (i = 0, off = 0; i < count; i++, off += h.payload_len) {
		int64_t counter = take(c, date);
		if (counter < 0) {
			send_batch(c, dg, dlen, k); /* what was sealed goes out */
			return -1;
		}
		h.counter = (uint32_t)counter;
		h.frag_index = (uint16_t)i;
		h.payload_len =
		    (uint16_t)(len - off < PROTO_DATA_MAX_PAYLOAD ? len - off
								  : PROTO_DATA_MAX_PAYLOAD);
		if ((n = proto_data_seal(c->session, &h, frame + off, dg[k], sizeof(dg[k]))) < 0) {
			fprintf(stderr, "vigil-cam: seal: %s\n", proto_strerror(n));
			send_batch(c, dg, dlen, k);
			return -1;
		}
		dlen[k++] = (size_t)n;
		if (k == CAM_STORE_BATCH || i + 1 == count) {
			send_batch(c, dg, dlen, k);
			k = 0;
		}
	}
	return 0;
}

static int
send_control(cam_t *c, uint8_t type, const uint8_t *body, size_t len)
{
	uint8_t dg[PROTO_MAX_DGRAM];
	int64_t counter;
	int n;

	if (c->session == NULL)
		return -1;
	if (c->reopen)
		return 0; /* the next frame opens a session at the server's next counter */
	if ((counter = take(c, c->session_date)) < 0)
		return -1;
	n = proto_c2s_seal(c->session, type, (uint32_t)counter, body, len, dg, sizeof(dg));
	if (n < 0)
		return -1;
	return send_dgram(c, dg, (size_t)n);
}

int
cam_send_report(cam_t *c)
{
	uint8_t body[4 + 12 * PROTO_REPORT_MAX_DAYS];
	proto_report_t r = {0};
	int n;

	/* today (next includes this report) and earlier days the store holds */
	cam_sync_report(c, c->state.date, c->state.next + 1, &r);
	if ((n = proto_report_encode(&r, body, sizeof(body))) < 0)
		return -1;
	return send_control(c, PROTO_T_REPORT, body, (size_t)n);
}

int
cam_send_bye(cam_t *c, uint32_t reason)
{
	uint8_t body[4];
	proto_bye_t b = {reason};

	proto_bye_encode(&b, body, sizeof(body));
	return send_control(c, PROTO_T_BYE, body, sizeof(body));
}

void
cam_hello_retry(cam_t *c, uint64_t now_ms)
{
	/*
	 * The same bytes again, not a new hello: the counter is not reused
	 * for other content, and the server stores the identity once.
	 */
	if (c->session == NULL || c->acked || now_ms < c->hello_ms + 1000)
		return; /* (a hello sent in this turn may be newer than now_ms) */
	c->hello_ms = now_ms;
	if (cam_cookie_send(c, c->hello, c->hello_len) == 0)
		c->hello_resent++;
}

/*
 * The HELLO_ACK of the current session. Its next counter is a floor:
 * below it, or with status REUSED, the hello's counter may be another
 * datagram's identity, so the session cannot be proved by the stored
 * file; a new one opens at the floor (the next frame's cam_hello).
 */
static void
ack_take(cam_t *c, const proto_hello_ack_t *a)
{
	c->acked = 1;
	if (c->state.date != c->session_date ||
	    (a->status != PROTO_ACK_REUSED && a->next_counter <= c->state.next))
		return;
	cam_state_raise(&c->state, a->next_counter);
	fprintf(stderr, "vigil-cam: the server %s: a new session from counter %u\n",
		a->status == PROTO_ACK_REUSED ? "holds the hello's counter already"
					      : "holds counters above ours",
		c->state.next);
	c->reopen = 1;
	c->reopened++;
}

void
cam_poll_replies(cam_t *c)
{
	uint8_t dg[PROTO_MAX_DGRAM + 1], body[PROTO_MAX_DGRAM];
	proto_session_t *s;
	proto_s2c_hdr_t h;
	ssize_t n;
	int blen;

	while (c->session && (n = recv(c->fd, dg, sizeof(dg), 0)) > 0) {
		if (cam_cookie_take(c, dg, (size_t)n))
			continue; /* a COOKIE: not sealed, there is no session yet */
		/* sealed for the current session, or for an earlier one the camera holds */
		s = NULL;
		if (proto_s2c_hdr_decode(dg, (size_t)n, &h) == 0 &&
		    memcmp(h.uuid, c->conf.uuid, PROTO_UUID_LEN) == 0)
			s = cam_past_find(c, h.date, h.session);
		blen = proto_s2c_open(s ? s : c->session, dg, (size_t)n, &h, body, sizeof(body));
		if (blen < 0) {
			fprintf(stderr, "vigil-cam: dropped a server message: %s\n",
				proto_strerror(blen));
			continue;
		}
		if (s != c->session)
			c->s2c_earlier++;
		if (c->sync)
			c->sync->heard_ms = proto_mono_ms(); /* the server knows our session */
		if (h.type == PROTO_T_HELLO_ACK) {
			proto_hello_ack_t a;
			if (proto_hello_ack_decode(body, (size_t)blen, &a) == 0) {
				c->acks++;
				printf("vigil-cam: hello-ack session %u status %u next %u\n",
				       h.session, a.status, a.next_counter);
				if (s == c->session)
					ack_take(c, &a);
			}
		} else if (h.type == PROTO_T_MISSING) {
			proto_missing_t m;
			if (proto_missing_decode(body, (size_t)blen, &m) == 0)
				cam_sync_missing(c, &m);
			c->missing++;
		} else if (h.type == PROTO_T_CONFIRM) {
			proto_confirm_t m;
			if (proto_confirm_decode(body, (size_t)blen, &m) == 0)
				cam_sync_confirm(c, &m, s != c->session);
		} else if (h.type == PROTO_T_RR) {
			if (proto_rr_decode(body, (size_t)blen, &c->last_rr) == 0) {
				c->rr++;
				c->rr_fresh = 1;
			}
		}
	}
}
