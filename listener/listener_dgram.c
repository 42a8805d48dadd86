/*
 * NAME
 *	listener_dgram.c - authenticate one datagram, count every drop
 *
 * DESCRIPTION
 *	Hellos: under load a valid cookie trailer first (listener_cookie.c;
 *	without one the hello is answered with a cookie and goes no
 *	further), the trailer stripped, then rate limit per source and
 *	overall, registry lookup, the hello's time (its date the day of its
 *	signed time, not ahead of the server: else refused outright) and
 *	replay cache, a copy of a hello already verified (known by its sum:
 *	no RSA work, answered only at the session's proven address), signature,
 *	and only then the RSA unwrap; an accepted hello replaces the
 *	camera's session and is answered with a hello-ack sealed with the
 *	session's s2c key, sent to the address the hello came from. Data,
 *	report and bye: the camera's session opens them (GCM tag checked;
 *	the bytes stay as received). Nothing is answered to a datagram that
 *	did not authenticate, so the server never amplifies. A hello that is
 *	stale or already seen, but signed and of a session we do not hold,
 *	is an earlier session resent from the camera's store: kept as key
 *	material for that session, stored, not answered. Each datagram is
 *	opened with the session it names (current or earlier). Under vigild an
 *	authenticated datagram, hellos included, goes as received to the ring
 *	of writer proto_partition(uuid, writers).
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <arpa/inet.h>

#include "idx.h"
#include "listener.h"

static void
verbose(const listener_t *l, const uint8_t *uuid, const char *what, const char *verdict)
{
	char u[37];

	if (!l->verbose)
		return;
	proto_uuid_fmt(uuid, u);
	log_debug("%.8s %s %s", u, what, verdict);
}

/*
 * Hand an authenticated datagram to its writer's ring. A full ring is
 * never waited for: the datagram is dropped and counted, the camera
 * still holds it and sync fetches it again.
 */
static int
route(listener_t *l, const uint8_t *dg, size_t len, const struct sockaddr_storage *peer,
      uint32_t session)
{
	shm_msg_meta_t m = {0};
	struct timespec ts;

	if (l->nrings == 0 && l->bus == NULL)
		return 1;
	if (l->rx_ns) {
		m.arrival_ns = l->rx_ns;
	} else {
		clock_gettime(CLOCK_REALTIME, &ts);
		m.arrival_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	}
	if (peer->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)peer;
		memcpy(m.addr, &a->sin6_addr, 16);
		m.port = ntohs(a->sin6_port);
	} else if (peer->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)peer;
		m.addr[10] = m.addr[11] = 0xff;
		memcpy(m.addr + 12, &a->sin_addr, 4);
		m.port = ntohs(a->sin_port);
	}
	m.session = session;
	if (l->bus)
		return listener_nats_route(l, &m, dg, len);
	if (shm_ring_enqueue_spsc(
		l->ring[proto_partition(proto_dgram_uuid(dg), (uint32_t)l->nrings)], &m, dg, len) <
	    0) {
		l->st.ring_full++;
		return 0;
	}
	return 1;
}

static void
count_err(listener_t *l, int err)
{
	switch (err) {
	case PROTO_E_OVERSIZE: l->st.oversize++; break;
	case PROTO_E_TAG: l->st.bad_tag++; break;
	case PROTO_E_SIGNATURE: l->st.bad_signature++; break;
	case PROTO_E_UNWRAP: l->st.unwrap++; break;
	case PROTO_E_REPLAY: l->st.replay++; break;
	case PROTO_E_STALE: l->st.stale++; break;
	case PROTO_E_CAMERA: l->st.unknown_camera++; break;
	case PROTO_E_REVOKED: l->st.revoked++; break;
	case PROTO_E_FULL: l->st.sessions_full++; break;
	case PROTO_E_DATE: l->st.hello_date++; break;
	case PROTO_E_FUTURE: l->st.hello_future++; break;
	default: l->st.malformed++; break;
	}
}

/*
 * The HELLO_ACK of a new session s of the camera (docs/PROTOCOL.md,
 * "Server-to-camera messages"). Its next counter is normative: 1 + the
 * highest counter of (camera, date) that the listener handed on (its
 * window), that the index holds or that the camera reported, the hello's
 * own included; the camera never uses a counter below it. reused: the
 * hello's counter was held before its session opened.
 */
static void
send_ack(listener_t *l, listener_sess_t *ls, proto_session_t *s, int reused, uint64_t now,
	 const struct sockaddr_storage *peer, socklen_t peer_len)
{
	uint8_t body[16], out[PROTO_MAX_DGRAM];
	uint32_t date = proto_session_date(s);
	proto_hello_ack_t ack = {0};
	idx_day_info_t di;
	struct idx *x;
	int n;

	if (s == NULL)
		return;
	ack.status = reused ? PROTO_ACK_REUSED : PROTO_ACK_OK;
	ack.server_ms = now;
	ack.next_counter = proto_session_id(s) + 1;
	if (ls->win_date == date && ls->win_top > ack.next_counter)
		ack.next_counter = ls->win_top;
	if ((x = listener_window_idx(l, proto_mono_ms())) != NULL &&
	    idx_day_info(x, ls->uuid, date, &di) == 0) {
		if (di.high > ack.next_counter)
			ack.next_counter = di.high;
		if (di.reported_next > ack.next_counter)
			ack.next_counter = di.reported_next;
	}
	proto_hello_ack_encode(&ack, body, sizeof(body));
	n = proto_s2c_seal(s, PROTO_T_HELLO_ACK, NULL, body, sizeof(body), out, sizeof(out));
	if (n > 0)
		sendto(l->fd, out, (size_t)n, 0, (const struct sockaddr *)peer, peer_len);
}

/* Do two sessions of one (camera, date, counter) hold the same secret? */
static int
same_secret(proto_session_t *a, proto_session_t *b)
{
	static const uint8_t nonce[12], body[1];
	uint8_t x[128], y[128];
	int n = proto_s2c_seal(a, PROTO_T_HELLO_ACK, nonce, body, sizeof(body), x, sizeof(x));

	return n > 0 &&
	       proto_s2c_seal(b, PROTO_T_HELLO_ACK, nonce, body, sizeof(body), y, sizeof(y)) == n &&
	       memcmp(x, y, (size_t)n) == 0;
}

/* Was counter of date held before a hello took it (a camera that lost its counter)? */
static int
ack_reused(listener_t *l, const listener_sess_t *ls, uint32_t date, uint32_t counter, uint64_t mono)
{
	struct idx *x;

	if (listener_window_seen(ls, date, counter))
		return 1;
	return (x = listener_window_idx(l, mono)) != NULL &&
	       idx_day_has(x, ls->uuid, date, counter) == 1;
}

/*
 * A copy of the hello of a session we hold: nothing new to store. Only a
 * copy of the current session's hello is answered (its ack was lost), and
 * only at the address the session's authenticated datagrams came from:
 * from another, it is anyone's replay of bytes seen on the way, or the
 * camera behind a NAT mapping that moved, whose next authenticated
 * datagram from there proves the address and takes the ack
 * (listener_dgram). fresh: what the replay cache said of the hello.
 */
static void
copy(listener_t *l, listener_sess_t *ls, proto_session_t *held, int fresh, uint64_t now,
     const struct sockaddr_storage *peer, socklen_t peer_len)
{
	if (held == ls->s && !listener_sess_proven(ls, peer, peer_len)) {
		ls->ack_owed = 1;
		l->st.hello_replay++;
		verbose(l, ls->uuid, "hello", "copy from an unproven address: not answered");
		return;
	}
	if (held == ls->s)
		send_ack(l, ls, ls->s, 0, now, peer, peer_len);
	fresh = fresh < 0 ? fresh : PROTO_E_REPLAY;
	count_err(l, fresh);
	verbose(l, ls->uuid, "hello", proto_strerror(fresh));
}

static int
hello(listener_t *l, const uint8_t *dg, size_t len, const struct sockaddr_storage *peer,
      socklen_t peer_len)
{
	uint8_t secret[PROTO_SECRET_LEN], mac[PROTO_COOKIE_MAC_LEN], sum[LISTENER_SUM_LEN];
	proto_hello_t h;
	listener_sess_t *ls;
	proto_session_t *held;
	EVP_PKEY *pub = NULL;
	/* now: the camera's signed time, cookies and acks; mono: rates, caches */
	uint64_t now = proto_now_ms(), mono = proto_mono_ms();
	uint32_t issued = 0;
	char what[80];
	int rc, fresh, live, reused, under_load, trailer;

	under_load = listener_cookie_load(l, mono);
	if ((trailer = proto_hello_trailer(dg, len, &len, &issued, mac)) < 0) {
		rc = trailer;
		goto drop;
	}
	/* from here on len is the signed hello's, without the trailer */
	if ((rc = proto_hello_decode(dg, len, &h)) < 0)
		goto drop;
	if (under_load && !(trailer && listener_cookie_valid(l, issued, mac, peer, h.uuid, now))) {
		/* before any bucket, registry lookup or RSA work */
		if (trailer)
			l->st.hello_cookie_bad++;
		listener_cookie_answer(l, &h, peer, peer_len, now, mono);
		verbose(l, h.uuid, "hello", trailer ? "bad cookie: cookie sent" : "cookie sent");
		return 0;
	}
	if (!listener_rate_hello(l, peer, mono)) {
		/* before any RSA work or registry lookup */
		l->st.hello_rate_limited++;
		verbose(l, h.uuid, "hello", "rate limited");
		return 0;
	}
	if ((rc = listener_key_lookup(l, h.uuid, mono, &pub)) < 0)
		goto drop;
	/*
	 * Time is part of the evidence: a date that is not the UTC day of
	 * the signed camera time, or a time ahead of the server's clock by
	 * more than the window, is refused outright, before any RSA work. A
	 * hello older than the window or already seen is refused as a new
	 * session, but may still be an earlier session's hello resent from
	 * the camera's store (docs/PROTOCOL.md, "Resending"): its signature
	 * is checked like any other.
	 */
	fresh = proto_replay_check(l->replay, &h, now);
	if (fresh < 0 && fresh != PROTO_E_STALE && fresh != PROTO_E_REPLAY) {
		rc = fresh;
		goto drop;
	}
	listener_sess_sum(dg, len, sum);
	held = (ls = listener_sess_find(l, h.uuid)) != NULL
		   ? listener_sess_lookup(ls, h.date, h.counter)
		   : NULL;
	if (held && listener_sess_verified(ls, held, sum)) {
		/* the very bytes that opened a session we hold: no RSA work again */
		copy(l, ls, held, fresh, now, peer, peer_len);
		EVP_PKEY_free(pub);
		return 0;
	}
	l->st.hello_verify++;
	if ((rc = proto_hello_verify(dg, len, pub, &h)) < 0)
		goto drop;
	if (held && fresh < 0) {
		copy(l, ls, held, fresh, now, peer, peer_len);
		EVP_PKEY_free(pub);
		return 0;
	}
	if ((rc = proto_hello_unwrap(&h, l->server_key, secret)) < 0 ||
	    (fresh == 0 && (rc = proto_replay_commit(l->replay, &h, now)) < 0))
		goto drop;
	if (held) {
		/*
		 * A new hello on the counter of a session we hold: a copy after
		 * a listener restart (same secret), or a camera that lost its
		 * counter and reused it (another secret), told so in an ack
		 * sealed for its new secret. Neither is stored again.
		 */
		proto_session_t *s = proto_session_new(h.uuid, h.date, h.counter, secret);
		OPENSSL_cleanse(secret, sizeof(secret));
		if (s == NULL || same_secret(s, held)) {
			if (s != NULL)
				listener_sess_note(ls, held, sum); /* its copies cost no RSA now */
			copy(l, ls, held, PROTO_E_REPLAY, now, peer, peer_len);
		} else {
			send_ack(l, ls, s, 1, now, peer, peer_len);
			count_err(l, PROTO_E_REPLAY);
		}
		proto_session_free(s);
		EVP_PKEY_free(pub);
		return 0;
	}
	if ((ls = listener_sess_slot(l, h.uuid)) == NULL) {
		rc = PROTO_E_FULL;
		goto drop;
	}
	/*
	 * Only a fresh hello (in the window, never seen) newer than the
	 * camera's current session replaces it: a stale one, whatever its
	 * session number, only ever serves resends of its own session. A
	 * stale hello is taken as current only where the listener holds no
	 * current session to displace: a camera re-announcing the session it
	 * streams in to a server that lost its sessions (vigil-cam sends
	 * its hello again when the server falls silent).
	 */
	if (ls->s == NULL)
		live = fresh == 0 || fresh == PROTO_E_STALE;
	else
		live =
		    fresh == 0 &&
		    (h.date > proto_session_date(ls->s) ||
		     (h.date == proto_session_date(ls->s) && h.counter > proto_session_id(ls->s)));
	/*
	 * Asked before the hello is routed: only then can a held counter be
	 * another's. A fresh hello (in the window, never seen) that is not
	 * newer than the current session comes from a camera that lost its
	 * counter: it is answered too, so that the camera moves above.
	 */
	reused = (live || fresh == 0) && ack_reused(l, ls, h.date, h.counter, mono);
	if (live)
		rc = listener_sess_set(l, ls, h.date, h.counter, secret, sum, peer, peer_len);
	else
		rc = listener_sess_add_past(ls, h.date, h.counter, secret, sum);
	OPENSSL_cleanse(secret, sizeof(secret));
	if (rc < 0) {
		rc = PROTO_E_NOMEM;
		goto drop;
	}
	EVP_PKEY_free(pub);
	if (!route(l, dg, len, peer, h.counter))
		return 0;
	snprintf(what, sizeof(what), "hello counter=%u session=%u%s", h.counter, h.counter,
		 live ? "" : " (earlier session)");
	verbose(l, h.uuid, what, "ok");
	if (fresh < 0)
		count_err(l, fresh); /* not a new session: kept as an earlier one, or adopted */
	if (!live) {
		l->st.hello_past++;
		if (fresh == 0)
			send_ack(l, ls, listener_sess_lookup(ls, h.date, h.counter), reused, now,
				 peer, peer_len);
		return 1;
	}
	l->st.hello++;
	send_ack(l, ls, ls->s, reused, now, peer, peer_len);
	return 1;
drop:
	EVP_PKEY_free(pub);
	count_err(l, rc);
	verbose(l, proto_dgram_uuid(dg), "hello", proto_strerror(rc));
	return 0;
}

int
listener_dgram(listener_t *l, const uint8_t *dg, size_t len, const struct sockaddr_storage *peer,
	       socklen_t peer_len)
{
	uint8_t body[PROTO_MAX_DGRAM];
	proto_prefix_t p;
	proto_data_hdr_t h;
	proto_c2s_hdr_t ch;
	listener_sess_t *ls;
	proto_session_t *s;
	char what[160] = "";
	uint32_t counter;
	int t, rc;

	if ((t = proto_prefix_decode(dg, len, &p)) < 0) {
		count_err(l, t);
		return 0;
	}
	if (t == PROTO_T_HELLO) {
		if (!hello(l, dg, len, peer, peer_len))
			return 0;
		listener_rr_note(l, listener_sess_find(l, p.uuid), dg, len);
		l->st.accepted++;
		return 1;
	}
	if (t != PROTO_T_DATA && t != PROTO_T_REPORT && t != PROTO_T_BYE) {
		l->st.unexpected_type++;
		return 0;
	}
	if ((ls = listener_sess_find(l, p.uuid)) == NULL || len < PROTO_C2S_HDR_LEN ||
	    (s = listener_sess_lookup(ls, p.date, proto_dgram_session(dg))) == NULL) {
		l->st.no_session++;
		verbose(l, p.uuid, "datagram", "no session");
		return 0;
	}
	counter = proto_dgram_counter(dg);
	if (listener_window_seen(ls, p.date, counter) ||
	    (l->bus == NULL &&
	     listener_window_stored(l, ls, p.date, counter,
				    l->rx_mono_ms ? l->rx_mono_ms : proto_mono_ms()))) {
		l->st.replay_data++; /* a copy of what already reached a ring */
		return 0;
	}
	if (t == PROTO_T_DATA) {
		rc = proto_data_open(s, dg, len, &h, NULL);
		if (l->verbose) { /* formatting costs more than opening: only when asked */
			proto_data_hdr_t v; /* as received, whether it opened or not */
			proto_dgram_peek(dg, len, &v);
			snprintf(what, sizeof(what),
				 "data counter=%u stream=%u codec=%u frame=%u frag=%u/%u%s "
				 "capture=%llu len=%u",
				 counter, v.stream, v.codec, v.frame, v.frag_index, v.frag_count,
				 (v.flags & PROTO_F_KEYFRAME) ? " key" : "",
				 (unsigned long long)v.capture_ms, v.payload_len);
		}
	} else {
		rc = proto_c2s_open(s, dg, len, &ch, body, sizeof(body));
		snprintf(what, sizeof(what), "%s counter=%u",
			 t == PROTO_T_REPORT ? "report" : "bye", counter);
	}
	if (rc == PROTO_E_CAMERA) {
		/* authentic or not, it is not for the current session */
		l->st.no_session++;
		verbose(l, p.uuid, what, "not the current session");
		return 0;
	}
	if (rc < 0) {
		count_err(l, rc);
		verbose(l, p.uuid, what, proto_strerror(rc));
		return 0;
	}
	if (!route(l, dg, len, peer, proto_session_id(s))) {
		verbose(l, p.uuid, what, "ring full");
		return 0;
	}
	if (l->bus == NULL)
		listener_window_mark(ls, p.date, counter);
	if (s != ls->s)
		l->st.past_session++;
	else if (listener_sess_peer(l, ls, peer, peer_len) && ls->ack_owed) {
		/* the address a copy of its hello came from is proven now: its ack */
		ls->ack_owed = 0;
		send_ack(l, ls, ls->s, 0, proto_now_ms(), peer, peer_len);
	}
	if (t == PROTO_T_REPORT)
		listener_sync_report(l, &ch, body, (size_t)rc);
	verbose(l, p.uuid, what, "ok");
	if (t == PROTO_T_DATA)
		l->st.data++;
	else if (t == PROTO_T_REPORT)
		l->st.report++;
	else
		l->st.bye++;
	listener_rr_note(l, ls, dg, len);
	l->st.accepted++;
	return 1;
}

void
listener_stats_print(const listener_t *l)
{
#define X(n) printf(#n "=%llu\n", (unsigned long long)l->st.n);
	LISTENER_COUNTERS(X)
#undef X
	fflush(stdout);
}
