/*
 * NAME
 *	listener_sync.c - the listener's side of vigil-syncd
 *
 * DESCRIPTION
 *	Under vigild two rings join the listener and syncd
 *	(<prefix>-sync-in, <prefix>-sync-out). Every authenticated REPORT
 *	goes to syncd with its camera, date, session, counter and source
 *	address (a full ring drops it and counts sync_full: reports repeat
 *	every second). syncd's requests come back as MISSING or CONFIRM
 *	bodies; the listener seals each with the camera's current session
 *	(its s2c key) and sends it from the listening socket to the address
 *	the camera's authenticated datagrams last came from: cameras sit
 *	behind carrier NAT, and only that mapping reaches them. A camera
 *	without a session gets nothing (sync_no_session).
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include "listener.h"
#include "proto_sync.h"

void
listener_sync_open(listener_t *l)
{
	static shm_seg_t seg[2];
	const uint32_t kind[2] = {SHM_KIND_SYNC_IN, SHM_KIND_SYNC_OUT};
	shm_ring_t *r[2] = {NULL, NULL};
	int k, rc;

	if (l->prefix == NULL)
		return;
	for (k = 0; k < 2; k++) {
		if ((rc = shm_ring_attach(l->prefix, kind[k], 0, &seg[k], &r[k])) == -ENOENT)
			return; /* no syncd configured */
		if (rc < 0) {
			log_warnx("ring %s: %s", seg[k].name, strerror(-rc));
			return;
		}
	}
	l->sync_in = r[0];
	l->sync_out = r[1];
}

void
listener_sync_report(listener_t *l, const proto_c2s_hdr_t *h, const uint8_t *body, size_t len)
{
	uint8_t msg[SHM_MSG_MAX];
	proto_sync_report_t s;
	listener_sess_t *ls;
	shm_msg_meta_t m = {0};
	int n;

	if (l->sync_in == NULL || proto_report_decode(body, len, &s.r) < 0)
		return;
	memcpy(s.uuid, h->uuid, PROTO_UUID_LEN);
	s.date = h->date;
	s.session = h->session;
	s.counter = h->counter;
	if ((n = proto_sync_report_encode(&s, msg, sizeof(msg))) < 0)
		return;
	m.arrival_ns = proto_now_ms() * 1000000ull;
	if ((ls = listener_sess_find(l, h->uuid)) != NULL) {
		const struct sockaddr_storage *p = &ls->peer;
		if (p->ss_family == AF_INET6) {
			memcpy(m.addr, &((const struct sockaddr_in6 *)p)->sin6_addr, 16);
			m.port = ntohs(((const struct sockaddr_in6 *)p)->sin6_port);
		} else if (p->ss_family == AF_INET) {
			m.addr[10] = m.addr[11] = 0xff;
			memcpy(m.addr + 12, &((const struct sockaddr_in *)p)->sin_addr, 4);
			m.port = ntohs(((const struct sockaddr_in *)p)->sin_port);
		}
	}
	m.session = h->session;
	if (shm_ring_enqueue_spsc(l->sync_in, &m, msg, (size_t)n) < 0)
		l->st.sync_full++;
	else
		l->st.sync_reports++;
}

int
listener_sync_send(listener_t *l, int max)
{
	uint8_t body[PROTO_MAX_DGRAM], out[PROTO_MAX_DGRAM];
	const shm_slot_t *slot;
	proto_sync_req_t q;
	listener_sess_t *ls;
	int done = 0, n;

	if (l->sync_out == NULL)
		return 0;
	while (done < max && (slot = shm_ring_peek_spsc(l->sync_out)) != NULL) {
		if (slot->meta.len <= SHM_MSG_MAX &&
		    proto_sync_req_decode(slot->data, slot->meta.len, &q) == 0) {
			if ((ls = listener_sess_find(l, q.uuid)) == NULL || ls->s == NULL ||
			    ls->peer_len == 0) {
				l->st.sync_no_session++;
			} else if ((n = proto_missing_encode(&q.m, body, sizeof(body))) > 0 &&
				   (n = proto_s2c_seal(ls->s, q.type, NULL, body, (size_t)n, out,
						       sizeof(out))) > 0 &&
				   sendto(l->fd, out, (size_t)n, 0,
					  (const struct sockaddr *)&ls->peer, ls->peer_len) == n) {
				l->st.sync_sent++;
			}
		}
		/* a request is advice, not data: released once tried */
		shm_ring_release_spsc(l->sync_out, 1);
		done++;
	}
	return done;
}
