/*
 * NAME
 *	listener_cookie.c - the hello cookie: under load, prove the source first
 *
 * DESCRIPTION
 *	The listener is under load when more than hello_load hellos (of any
 *	kind) arrived in the current second or the previous one, always with
 *	-k always, never with -k off. Under load a hello must carry a valid
 *	cookie trailer (issued at most 120 s ago, at most 5 s ahead, MAC of
 *	its source address, port and camera under the key derived from the
 *	server key); one without is answered with a 60-byte COOKIE and goes
 *	no further: no hello bucket token, no registry read, no RSA. Cookies
 *	are limited overall by their own bucket (hello_cookie_capped when
 *	empty) and queued, then sent together with sendmmsg after each
 *	receive batch. Nothing is kept per cookie. docs/PROTOCOL.md, "COOKIE
 *	(type 9) and the hello cookie trailer".
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "listener.h"

int
listener_cookie_load(listener_t *l, uint64_t now_ms)
{
	uint64_t sec = now_ms / 1000;

	if (sec != l->load_sec) {
		l->load_prev = sec == l->load_sec + 1 ? l->load_cur : 0;
		l->load_cur = 0;
		l->load_sec = sec;
	}
	if (l->load_cur < UINT32_MAX)
		l->load_cur++;
	if (l->cookie_mode == LISTENER_COOKIE_ALWAYS)
		return 1;
	if (l->cookie_mode == LISTENER_COOKIE_OFF)
		return 0;
	return l->load_cur > l->hello_load || l->load_prev > l->hello_load;
}

int
listener_cookie_valid(listener_t *l, uint32_t issued, const uint8_t mac[PROTO_COOKIE_MAC_LEN],
		      const struct sockaddr_storage *peer, const uint8_t uuid[PROTO_UUID_LEN],
		      uint64_t now_ms)
{
	return proto_cookie_check(l->cookie_key, issued, mac, peer, uuid, now_ms / 1000);
}

void
listener_cookie_answer(listener_t *l, const proto_hello_t *h, const struct sockaddr_storage *peer,
		       socklen_t peer_len, uint64_t now_ms, uint64_t mono_ms)
{
	listener_cookie_out_t *o;
	proto_cookie_t c;

	if (!listener_rate_take(&l->cookie_bucket, l->cookie_rate, l->cookie_rate, mono_ms)) {
		l->st.hello_cookie_capped++;
		return;
	}
	if (l->cookie_n == LISTENER_COOKIE_QUEUE)
		listener_cookie_flush(l);
	o = &l->cookie_out[l->cookie_n++];
	memcpy(c.uuid, h->uuid, PROTO_UUID_LEN);
	c.date = h->date;
	memcpy(c.hello_id, h->hello_id, PROTO_HELLO_ID_LEN);
	c.issued = (uint32_t)(now_ms / 1000);
	proto_cookie_mac(l->cookie_key, c.issued, peer, h->uuid, c.mac);
	proto_cookie_encode(&c, o->dg, sizeof(o->dg));
	memcpy(&o->peer, peer, peer_len);
	o->peer_len = peer_len;
	l->st.hello_cookie_sent++;
}

void
listener_cookie_flush(listener_t *l)
{
	struct mmsghdr msgs[LISTENER_COOKIE_QUEUE];
	struct iovec iov[LISTENER_COOKIE_QUEUE];
	int i, done = 0, n;

	for (i = 0; i < l->cookie_n; i++) {
		iov[i] = (struct iovec){l->cookie_out[i].dg, PROTO_COOKIE_LEN};
		msgs[i].msg_hdr = (struct msghdr){.msg_name = &l->cookie_out[i].peer,
						  .msg_namelen = l->cookie_out[i].peer_len,
						  .msg_iov = &iov[i],
						  .msg_iovlen = 1};
	}
	/*
	 * A datagram the kernel refuses (an unreachable source) is skipped:
	 * a cookie is never retried, the camera asks again.
	 */
	while (done < l->cookie_n) {
		n = sendmmsg(l->fd, msgs + done, (unsigned)(l->cookie_n - done), MSG_DONTWAIT);
		if (n > 0)
			done += n;
		else if (n < 0 && errno == EINTR)
			continue;
		else
			done++;
	}
	l->cookie_n = 0;
}
