/*
 * NAME
 *	listener_main.c - vigil-listener: receive and authenticate datagrams
 *
 * DESCRIPTION
 *	vigil-listener [-d KEYDIR] [-l ADDR:PORT] [-v] [-n COUNT] [-w MS] [-r RATE]
 *		       [-k auto|always|off] [-L HELLOS] [-K COOKIES] [-W]
 *
 *	One UDP socket (dual-stack for an IPv6 or wildcard address,
 *	SO_REUSEPORT so that several listeners can share the port, a 32 MiB
 *	receive buffer where the system allows it), read in batches of 64
 *	with recvmmsg. Each datagram is authenticated (listener_dgram.c).
 *	On SIGINT or SIGTERM, or after COUNT accepted datagrams, it prints
 *	its counters as name=value lines and exits 0. Under vigild the
 *	counters are also kept in the stage's metrics segment. -w sets how
 *	far (ms, default 120000) a hello's camera time may be from ours. -r
 *	sets how many hellos per second one source address (IPv4 /32, IPv6
 *	/64) may send (default 2, bursts of 4 seconds' worth): raise it when
 *	many cameras share one address, behind a carrier NAT or in a test.
 *	-k and -L: when hellos must first answer a cookie (listener_cookie.c):
 *	auto (the default) when more than HELLOS (default 500) arrived in
 *	this second or the last, always, or off; -K caps the cookies sent a
 *	second, all sources together (default 50,000; beyond it a hello gets
 *	no answer, counted hello_cookie_capped). A revocation ends the
 *	camera's live sessions (listener_revoke.c): the registry folder is
 *	watched with inotify, and swept; -W leaves the sweep alone, as for
 *	a registry changed from another machine.
 */
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "idx.h"
#include "listener.h"
#include "shm_metrics.h"

#define BATCH 64

static volatile sig_atomic_t listener_stop;

static void
on_signal(int sig)
{
	(void)sig;
	listener_stop = 1;
}

/*
 * Under vigild (VIGIL_SHM_PREFIX set) the counters also live in this
 * stage's metrics segment: read back at start, so totals survive a
 * restart, and published after every batch.
 */
static uint64_t *metric[64];

static void
listener_metrics_open(listener_t *l)
{
	const char *pfx = getenv("VIGIL_SHM_PREFIX"), *idx = getenv("VIGIL_STAGE_INDEX");
	static shm_seg_t seg;
	shm_metrics_t *m;
	uint32_t k = 0;
	int i = 0;

	if (pfx == NULL ||
	    (idx != NULL && proto_parse_u32("VIGIL_STAGE_INDEX", idx, 1023, &k) < 0) ||
	    shm_metrics_open(pfx, "listener", k, &seg, &m) < 0)
		return;
#define X(n)                                                                                  \
	if ((metric[i] = shm_metrics_counter(m, #n)) != NULL)                                 \
		l->st.n = *metric[i];                                                         \
	i++;
	LISTENER_COUNTERS(X)
#undef X
}

/* Under vigild: the session table survives a restart in shared memory. */
static void
listener_sessions_open(listener_t *l)
{
	const char *pfx = getenv("VIGIL_SHM_PREFIX"), *idx = getenv("VIGIL_STAGE_INDEX");
	size_t size = LISTENER_MAX_SESSIONS * sizeof(listener_saved_t);
	uint32_t k = idx ? (uint32_t)strtoul(idx, NULL, 10) : 0;
	static shm_seg_t seg;
	int n;

	if (pfx == NULL)
		return;
	if (shm_kind_attach(pfx, SHM_KIND_SESSIONS, NULL, k, size, &seg) < 0 &&
	    shm_kind_create(pfx, SHM_KIND_SESSIONS, NULL, k, size, &seg) < 0)
		return;
	l->saved = shm_seg_body(&seg);
	if ((n = listener_sess_restore(l)) > 0)
		printf("vigil-listener: %d camera sessions restored\n", n);
}

/* Under vigild: attach the ring to each writer. */
static int
listener_rings_open(listener_t *l)
{
	const char *pfx = getenv("VIGIL_SHM_PREFIX"), *w = getenv("VIGIL_WRITERS");
	static shm_seg_t seg[32];
	int n, k, rc;

	if (pfx == NULL || w == NULL)
		return 0;
	if (proto_parse_int("VIGIL_WRITERS", w, 1, 32, &n) < 0) {
		fprintf(stderr, "vigil-listener: %s\n", proto_errmsg());
		return -1;
	}
	for (k = 0; k < n; k++) {
		rc = shm_ring_attach(pfx, SHM_KIND_RING, (uint32_t)k, &seg[k], &l->ring[k]);
		if (rc < 0) {
			fprintf(stderr, "vigil-listener: ring %s: %s\n", seg[k].name, strerror(-rc));
			return -1;
		}
	}
	l->nrings = n;
	return 0;
}

static void
listener_metrics_publish(const listener_t *l)
{
	int i = 0;

	/* relaxed: each counter untorn for vigild's reads, ordered against nothing else */
#define X(n)                                                                                  \
	if (metric[i])                                                                        \
		__atomic_store_n(metric[i], l->st.n, __ATOMIC_RELAXED);                       \
	i++;
	LISTENER_COUNTERS(X)
#undef X
}

static int
listener_bind(const char *spec)
{
	char host[256], *port;
	struct addrinfo hints = {0}, *ai;
	int fd, one = 1, zero = 0, rcvbuf = 32 << 20, rc;

	snprintf(host, sizeof(host), "%s", spec);
	if ((port = strrchr(host, ':')) == NULL) {
		fprintf(stderr, "vigil-listener: \"%s\" is not ADDR:PORT\n", spec);
		return -1;
	}
	*port++ = '\0';
	if (host[0] == '[') {
		memmove(host, host + 1, strlen(host));
		host[strcspn(host, "]")] = '\0';
	}
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_PASSIVE;
	if ((rc = getaddrinfo(host[0] && strcmp(host, "*") ? host : "::", port, &hints, &ai)) != 0) {
		fprintf(stderr, "vigil-listener: %s: %s\n", spec, gai_strerror(rc));
		return -1;
	}
	if ((fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0) {
		fprintf(stderr, "vigil-listener: socket: %s\n", strerror(errno));
		freeaddrinfo(ai);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) != 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (ai->ai_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		fprintf(stderr, "vigil-listener: bind %s: %s\n", spec, strerror(errno));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

int
main(int argc, char **argv)
{
	static uint8_t bufs[BATCH][PROTO_MAX_DGRAM + 1];
	struct sockaddr_storage peers[BATCH];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	const char *addr = "[::]:7400";
	char path[4096];
	long count = 0;
	uint32_t window_ms = 120000; /* hello time must be this close to ours */
	listener_t l;
	struct timespec ts;
	int opt, i, n, rc = 1, no_watch = 0;

	memset(&l, 0, sizeof(l));
	l.keydir = getenv("VIGIL_KEYDIR") ? getenv("VIGIL_KEYDIR") : "/var/lib/vigil/keys";
	l.hello_rate_src = LISTENER_HELLO_RATE_SRC;
	l.hello_load = LISTENER_HELLO_LOAD;
	l.cookie_rate = LISTENER_COOKIE_RATE;
	while ((opt = getopt(argc, argv, "d:l:vn:w:r:k:L:K:Wh")) != -1) {
		int bad = 0;

		switch (opt) {
		case 'd': l.keydir = optarg; break;
		case 'l': addr = optarg; break;
		case 'v': l.verbose = 1; break;
		case 'n': bad = proto_parse_long("-n", optarg, 0, LONG_MAX, &count); break;
		case 'w': bad = proto_parse_u32("-w", optarg, UINT32_MAX, &window_ms); break;
		case 'r': bad = proto_parse_double("-r", optarg, 1e-6, 1e9, &l.hello_rate_src); break;
		case 'k':
			if (!strcmp(optarg, "auto"))
				l.cookie_mode = LISTENER_COOKIE_AUTO;
			else if (!strcmp(optarg, "always"))
				l.cookie_mode = LISTENER_COOKIE_ALWAYS;
			else if (!strcmp(optarg, "off"))
				l.cookie_mode = LISTENER_COOKIE_OFF;
			else {
				fprintf(stderr, "vigil-listener: -k wants auto, always or off\n");
				return 2;
			}
			break;
		case 'L': bad = proto_parse_u32("-L", optarg, 100000000, &l.hello_load); break;
		case 'K': bad = proto_parse_double("-K", optarg, 1, 1e9, &l.cookie_rate); break;
		case 'W': no_watch = 1; break;
		case 'h':
			printf("usage: vigil-listener [-d KEYDIR] [-l ADDR:PORT] [-v] [-n COUNT] "
			       "[-w HELLO_WINDOW_MS] [-r HELLOS_PER_S_PER_SOURCE] "
			       "[-k auto|always|off] [-L HELLOS_PER_S] [-K COOKIES_PER_S] [-W]\n");
			return 0;
		default: return 2;
		}
		if (bad < 0) {
			fprintf(stderr, "vigil-listener: %s\n", proto_errmsg());
			return 2;
		}
	}
	snprintf(path, sizeof(path), "%s/server.key", l.keydir);
	if ((l.server_key = proto_key_load_private(path)) == NULL) {
		fprintf(stderr, "vigil-listener: %s\n", proto_errmsg());
		return 1;
	}
	if (proto_cookie_key(l.server_key, l.cookie_key) < 0) {
		fprintf(stderr, "vigil-listener: %s\n", proto_errmsg());
		EVP_PKEY_free(l.server_key);
		return 1;
	}
	l.replay = proto_replay_new(65536, window_ms);
	l.sess = calloc(LISTENER_MAX_SESSIONS, sizeof(*l.sess));
	if (listener_keys_init(&l) < 0)
		goto out;
	if (l.replay == NULL || l.sess == NULL || listener_rr_init(&l) < 0 ||
	    (l.fd = listener_bind(addr)) < 0)
		goto out;
	listener_metrics_open(&l);
	listener_sessions_open(&l);
	l.revoke_fd = -1;
	if (!no_watch)
		listener_revoke_open(&l); /* without: the sweep alone finds revocations */
	if (listener_rings_open(&l) < 0 || listener_nats_open(&l) < 0)
		goto out;
	listener_sync_open(&l);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("vigil-listener: listening on %s\n", addr);

	while (!listener_stop && (count == 0 || (long)l.st.accepted < count)) {
		struct pollfd pfd = {l.fd, POLLIN, 0};
		listener_rr_tick(&l, proto_mono_ms());
		listener_revoke_tick(&l, proto_mono_ms());
		listener_sync_send(&l, BATCH);
		/* syncd's requests are looked at every 20 ms at least */
		if (poll(&pfd, 1, l.sync_out ? 20 : 200) <= 0)
			continue;
		for (i = 0; i < BATCH; i++) {
			iov[i] = (struct iovec){bufs[i], sizeof(bufs[i])};
			msgs[i].msg_hdr = (struct msghdr){.msg_name = &peers[i],
							  .msg_namelen = sizeof(peers[i]),
							  .msg_iov = &iov[i],
							  .msg_iovlen = 1};
		}
		if ((n = recvmmsg(l.fd, msgs, BATCH, MSG_DONTWAIT, NULL)) < 0) {
			if (errno != EAGAIN && errno != EINTR)
				fprintf(stderr, "vigil-listener: recvmmsg: %s\n", strerror(errno));
			continue;
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		l.rx_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
		l.rx_mono_ms = proto_mono_ms();
		for (i = 0; i < n; i++) {
			if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) { /* longer than 1473 bytes */
				l.st.oversize++;
				continue;
			}
			listener_dgram(&l, bufs[i], msgs[i].msg_len, &peers[i],
				       msgs[i].msg_hdr.msg_namelen);
		}
		listener_cookie_flush(&l);
		listener_nats_flush(&l, 0); /* accepted: stored by the server */
		listener_metrics_publish(&l);
	}
	listener_nats_close(&l);
	listener_revoke_close(&l);
	if (l.idx)
		idx_close(l.idx);
	listener_stats_print(&l);
	rc = 0;
out:
	if (l.sess)
		for (i = 0; i < LISTENER_MAX_SESSIONS; i++) {
			proto_session_free(l.sess[i].s);
			for (n = 0; n < LISTENER_PAST; n++)
				proto_session_free(l.sess[i].past[n]);
		}
	free(l.sess);
	listener_keys_free(&l);
	listener_rr_free(&l);
	proto_replay_free(l.replay);
	EVP_PKEY_free(l.server_key);
	OPENSSL_cleanse(l.cookie_key, sizeof(l.cookie_key));
	return rc;
}
