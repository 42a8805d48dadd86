/*
 * NAME
 *	listener_loop.c - the listener's receive loop
 *
 * DESCRIPTION
 *	The socket is read in batches of LISTENER_BATCH with recvmmsg, the
 *	clocks read once per batch, and each datagram authenticated
 *	(listener_dgram.c); one longer than PROTO_MAX_DGRAM is counted
 *	oversize. After a batch the queued cookies go out, the NATS
 *	acknowledgements are waited for when due, and the counters are
 *	published. Before each wait come the receiver reports, the
 *	revocation watch and syncd's requests. The wait is a ppoll with the
 *	stage's signals unblocked, 200 ms at most (20 ms with syncd, whose
 *	requests are looked at that often).
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "listener.h"

#define LISTENER_BATCH 64

void
listener_loop(listener_t *l, uint64_t exit_after)
{
	static uint8_t bufs[LISTENER_BATCH][PROTO_MAX_DGRAM + 1];
	static struct sockaddr_storage peers[LISTENER_BATCH];
	static struct mmsghdr msgs[LISTENER_BATCH];
	static struct iovec iov[LISTENER_BATCH];
	struct timespec ts;
	int i, n;

	while (!stage_stop_requested() && (exit_after == 0 || l->st.accepted < exit_after)) {
		struct pollfd pfd = {l->fd, POLLIN, 0};
		struct timespec wait = {0, (l->sync_out ? 20 : 200) * 1000000L};

		listener_rr_tick(l, proto_mono_ms());
		listener_revoke_tick(l, proto_mono_ms());
		listener_sync_send(l, LISTENER_BATCH);
		if (ppoll(&pfd, 1, &wait, stage_signals_waitmask()) <= 0)
			continue;
		for (i = 0; i < LISTENER_BATCH; i++) {
			iov[i] = (struct iovec){bufs[i], sizeof(bufs[i])};
			msgs[i].msg_hdr = (struct msghdr){.msg_name = &peers[i],
							  .msg_namelen = sizeof(peers[i]),
							  .msg_iov = &iov[i],
							  .msg_iovlen = 1};
		}
		if ((n = recvmmsg(l->fd, msgs, LISTENER_BATCH, MSG_DONTWAIT, NULL)) < 0) {
			if (errno != EAGAIN && errno != EINTR)
				log_warn("recvmmsg");
			continue;
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		l->rx_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
		l->rx_mono_ms = proto_mono_ms();
		for (i = 0; i < n; i++) {
			if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
				l->st.oversize++;
				continue;
			}
			listener_dgram(l, bufs[i], msgs[i].msg_len, &peers[i],
				       msgs[i].msg_hdr.msg_namelen);
		}
		listener_cookie_flush(l);
		listener_nats_flush(l, 0); /* accepted: stored by the server */
		listener_metrics_publish(l);
	}
}
