/*
 * NAME
 *	streamer_main.c - vigil-streamer: set up, fork workers, run the loop
 *
 * DESCRIPTION
 *	vigil-streamer [-l HOST:PORT] [-D DATA_DIR] [-d KEYDIR] [-P PLAYER_DIR]
 *	               [-u USERS] [-a AUDIT_LOG] [-w WORKERS] [-q QUEUE_KB]
 *	               [-t TABLE_SIZE] [-C CERT -K KEY] [-n]
 *
 *	Runs under vigild (VIGIL_SHM_PREFIX): attaches the shared index,
 *	loads the server key (frame keys for viewers), the token key
 *	(KEYDIR/streamer.token, created once) and the users file (USERS,
 *	default KEYDIR/users, read again when it changes). Then it forks
 *	WORKERS-1 more processes; each runs its own libwebsockets loop on
 *	the same port (SO_REUSEPORT: the kernel spreads connections) and
 *	dies with the first. The first exits when a worker dies, so that
 *	vigild restarts the whole streamer. With -C and -K the port speaks
 *	TLS only. Each viewer's queue holds at most QUEUE_KB (1024) KiB.
 *	The tables of index points that a worker's viewers in counter order
 *	share (one per day) hold at most TABLE_SIZE bytes (a number, with
 *	k, m or g for KiB, MiB, GiB; 256m); with 0,
 *	recorded playback goes on in file order where counter order first
 *	needs a table (streamer_order.c).
 *	-n checks the options and files and exits. SIGTERM: close, exit 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "streamer.h"

streamer_t streamer;

static volatile sig_atomic_t stop, child_died;
static lws_sorted_usec_list_t poll_sul;

typedef struct pss {
	int is_ws;
	char user[AUTH_NAME_MAX + 1];
	char token[AUTH_TOKEN_MAX + 1];
	char cmd[1024];
	size_t cmd_len;
	int cmd_bad;
	union {
		http_req_t http;
		viewer_t view;
	} u;
} pss_t;

void
streamer_log(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "vigil-streamer[%d]: ", (int)getpid());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

uint64_t
streamer_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

int
streamer_camera_days(const uint8_t uuid[16], uint32_t **out)
{
	uint32_t *d = NULL, *p;
	int n, cap = 64;

	for (;;) {
		if ((p = realloc(d, (size_t)cap * sizeof(*d))) == NULL) {
			free(d);
			return -ENOMEM;
		}
		d = p;
		if ((n = idx_camera_days(streamer.idx, uuid, d, (size_t)cap)) <= cap)
			break;
		cap = n + 64; /* days added since: ask again with room for them */
	}
	if (n <= 0) {
		free(d);
		d = NULL;
	}
	*out = d;
	return n;
}

void
streamer_count(uint64_t *c, uint64_t n)
{
	if (c)
		shm_metrics_add(c, n);
}

void
streamer_gauge(uint64_t *g, uint64_t value)
{
	if (g)
		__atomic_store_n(g, value, __ATOMIC_RELAXED); /* this worker is its only writer */
}

static void
on_signal(int sig)
{
	if (sig == SIGCHLD)
		child_died = 1;
	else
		stop = 1;
	if (streamer.ctx)
		lws_cancel_service(streamer.ctx);
}

static void
on_poll(lws_sorted_usec_list_t *sul)
{
	streamer_watch_poll();
	lws_sul_schedule(streamer.ctx, 0, sul, on_poll, 200 * LWS_US_PER_MS);
}

static int
cb_main(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	pss_t *p = user;
	char uri[256];

	switch (reason) {
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: {
		const auth_user_t *u;
		if (lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI) <= 0 || strcmp(uri, "/ws") ||
		    streamer_auth_token_of(wsi, p->token, sizeof(p->token)) < 0 ||
		    (u = streamer_auth_user(p->token)) == NULL) {
			streamer_count(streamer.m_refused, 1);
			return -1; /* no token, no socket */
		}
		snprintf(p->user, sizeof(p->user), "%s", u->name);
		p->is_ws = 1;
		return 0;
	}
	case LWS_CALLBACK_ESTABLISHED:
		streamer_view_init(&p->u.view, wsi, p->user, p->token);
		return 0;
	case LWS_CALLBACK_RECEIVE:
		if (lws_is_first_fragment(wsi)) {
			p->cmd_len = 0;
			p->cmd_bad = 0;
		}
		if (p->cmd_len + len > sizeof(p->cmd))
			p->cmd_bad = 1;
		else {
			memcpy(p->cmd + p->cmd_len, in, len);
			p->cmd_len += len;
		}
		if (lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0) {
			if (p->cmd_bad || lws_frame_is_binary(wsi))
				streamer_view_command(&p->u.view, "", 0); /* answered with an error */
			else
				streamer_view_command(&p->u.view, p->cmd, p->cmd_len);
		}
		return 0;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return p->is_ws ? streamer_view_writeable(&p->u.view) : 0;
	case LWS_CALLBACK_CLOSED:
		if (p->is_ws)
			streamer_view_close(&p->u.view);
		return 0;
	default:
		if (p && p->is_ws)
			return lws_callback_http_dummy(wsi, reason, user, in, len);
		return streamer_http(wsi, reason, p ? &p->u.http : NULL, in, len);
	}
}

static int listen_fd = -1, use_tls;

/* The worker's own listening socket is readable: take every waiting connection. */
static int
cb_listen(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	lws_sock_file_fd_type fd;
	int c;

	(void)wsi;
	(void)user;
	(void)in;
	(void)len;
	if (reason != LWS_CALLBACK_RAW_RX_FILE)
		return 0;
	while ((c = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		/*
		 * A small kernel send buffer: what a slow viewer cannot take
		 * stays in its bounded queue, where it is skipped, instead of
		 * megabytes of socket buffer where live latency would creep.
		 */
		int sndbuf = STREAMER_SNDBUF, one = 1;
		setsockopt(c, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
		/* no Nagle: a state message and the first datagram leave at once */
		setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		fd.sockfd = c;
		if (lws_adopt_descriptor_vhost(streamer.vh,
					       LWS_ADOPT_SOCKET | LWS_ADOPT_HTTP |
						       (use_tls ? LWS_ADOPT_ALLOW_SSL : 0),
					       fd, NULL, NULL) == NULL)
			close(c);
	}
	return 0;
}

/*
 * One listening socket per worker, all bound to the same port with
 * SO_REUSEPORT: the kernel spreads new connections over the workers.
 * (The lws 4.1 of Debian does not set SO_REUSEPORT itself.)
 */
static int
listen_on(const char *iface, int port)
{
	struct addrinfo hints = {0}, *ai;
	char ps[16];
	int fd, one = 1, rc;

	snprintf(ps, sizeof(ps), "%d", port);
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((rc = getaddrinfo(iface[0] ? iface : NULL, ps, &hints, &ai)) != 0) {
		streamer_log("listen %s:%d: %s", iface, port, gai_strerror(rc));
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 1024) < 0) {
		streamer_log("listen %s:%d: %s", iface, port, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

static int
cb_watch(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	if (reason == LWS_CALLBACK_RAW_RX_FILE)
		streamer_watch_events();
	(void)wsi;
	(void)user;
	(void)in;
	(void)len;
	return 0;
}

static struct lws_protocols protocols[] = {
	{"http", cb_main, sizeof(pss_t), 4096, 0, NULL, 0},
	{"vigil-watch", cb_watch, 0, 0, 0, NULL, 0},
	{"vigil-listen", cb_listen, 0, 0, 0, NULL, 0},
	{NULL, NULL, 0, 0, 0, NULL, 0},
};

static int
serve(const char *iface, int port, const char *cert, const char *key, int index)
{
	struct lws_context_creation_info info;
	shm_metrics_t *m;
	shm_seg_t mseg;
	int rc = 0;

	if (shm_metrics_open(streamer.prefix, "streamer", (uint32_t)index, &mseg, &m) == 0) {
		streamer.m_viewers = shm_metrics_counter(m, "viewers_total");
		streamer.m_sent = shm_metrics_counter(m, "datagrams_sent_total");
		streamer.m_skips = shm_metrics_counter(m, "slow_viewer_skips_total");
		streamer.m_logins = shm_metrics_counter(m, "logins_total");
		streamer.m_refused = shm_metrics_counter(m, "refused_total");
		streamer.m_table_bytes = shm_metrics_counter(m, "order_table_bytes");
		streamer.m_tables = shm_metrics_counter(m, "order_tables");
		streamer.m_table_viewers = shm_metrics_counter(m, "order_table_viewers");
		streamer_gauge(streamer.m_table_bytes, 0); /* held by the worker before a restart */
		streamer_gauge(streamer.m_tables, 0);
		streamer_gauge(streamer.m_table_viewers, 0);
	}
	lws_sock_file_fd_type lfd;

	if ((listen_fd = listen_on(iface, port)) < 0)
		return 1;
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN_SERVER;
	info.protocols = protocols;
	use_tls = cert != NULL;
	if (cert) {
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
		info.ssl_cert_filepath = cert;
		info.ssl_private_key_filepath = key;
	}
	lws_set_log_level(LLL_ERR, NULL);
	if ((streamer.ctx = lws_create_context(&info)) == NULL) {
		streamer_log("cannot serve on %s:%d", iface ? iface : "*", port);
		return 1;
	}
	streamer.vh = lws_get_vhost_by_name(streamer.ctx, "default");
	lfd.filefd = listen_fd;
	if (streamer.vh == NULL ||
	    lws_adopt_descriptor_vhost(streamer.vh, LWS_ADOPT_RAW_FILE_DESC, lfd, "vigil-listen",
				       NULL) == NULL) {
		streamer_log("cannot add the listening socket to the loop");
		lws_context_destroy(streamer.ctx);
		return 1;
	}
	if (streamer.vh == NULL || streamer_watch_init(streamer.vh) < 0)
		streamer_log("inotify unavailable: live viewers follow files by polling");
	lws_sul_schedule(streamer.ctx, 0, &poll_sul, on_poll, 200 * LWS_US_PER_MS);
	while (!stop && !child_died)
		if (lws_service(streamer.ctx, 0) < 0)
			break;
	if (child_died) {
		streamer_log("a worker died; exiting so that the streamer is restarted whole");
		rc = 1;
	}
	lws_context_destroy(streamer.ctx);
	streamer.ctx = NULL;
	return rc;
}

/* A size in bytes: a decimal number, or with k, m or g after it (KiB, MiB, GiB). */
static int
parse_size(const char *name, const char *s, size_t *out)
{
	char num[32];
	size_t n = strlen(s), shift = 0;
	uint64_t v;
	int rc;

	if (n && strchr("kKmMgG", s[n - 1])) {
		shift = strchr("kK", s[n - 1]) ? 10 : strchr("mM", s[n - 1]) ? 20 : 30;
		n--;
	}
	if (n >= sizeof(num))
		return proto_parse_u64(name, s, 0, &v); /* says it is not a number */
	memcpy(num, s, n);
	num[n] = 0;
	if ((rc = proto_parse_u64(name, num, (1ull << 40) >> shift, &v)) < 0)
		return rc;
	*out = (size_t)(v << shift);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *listen = "127.0.0.1:8080", *keydir = "/var/lib/vigil/keys", *cert = NULL,
		   *key = NULL, *users = NULL;
	char host[128], path[4096], *colon;
	int opt, workers = 1, check = 0, i, n;
	struct sigaction sa;

	streamer.data_dir = "/var/lib/vigil/data";
	streamer.player_dir = "/usr/local/share/vigil/player";
	streamer.queue_bytes = 1024 * 1024;
	streamer.table_bytes = STREAMER_TABLE_BYTES;
	streamer.audit_fd = -1;
	while ((opt = getopt(argc, argv, "l:D:d:P:u:a:w:q:t:C:K:nh")) != -1) {
		int bad = 0;
		long kb;

		switch (opt) {
		case 'l': listen = optarg; break;
		case 'D': streamer.data_dir = optarg; break;
		case 'd': keydir = optarg; break;
		case 'P': streamer.player_dir = optarg; break;
		case 'u': users = optarg; break;
		case 'a': streamer.audit_path = optarg; break;
		case 'w': bad = proto_parse_int("-w", optarg, 1, 64, &workers); break;
		case 'q':
			if ((bad = proto_parse_long("-q", optarg, 16, 1L << 30, &kb)) == 0)
				streamer.queue_bytes = (size_t)kb * 1024;
			break;
		case 't': bad = parse_size("-t", optarg, &streamer.table_bytes); break;
		case 'C': cert = optarg; break;
		case 'K': key = optarg; break;
		case 'n': check = 1; break;
		case 'h':
			printf("usage: vigil-streamer [-l HOST:PORT] [-D DATA_DIR] [-d KEYDIR] "
			       "[-P PLAYER_DIR] [-u USERS] [-a AUDIT_LOG] [-w WORKERS] [-q QUEUE_KB] "
			       "[-t TABLE_SIZE] [-C CERT -K KEY] [-n]\n");
			return 0;
		default: return 2;
		}
		if (bad < 0) {
			fprintf(stderr, "vigil-streamer: %s\n", proto_errmsg());
			return 2;
		}
	}
	snprintf(host, sizeof(host), "%s", listen);
	int port;
	if ((colon = strrchr(host, ':')) == NULL || (!cert != !key)) {
		fprintf(stderr, "vigil-streamer: bad options (see -h)\n");
		return 2;
	}
	if (proto_parse_int("-l port", colon + 1, 0, 65535, &port) < 0) {
		fprintf(stderr, "vigil-streamer: %s\n", proto_errmsg());
		return 2;
	}
	*colon = '\0';
	char *iface = host[0] == '[' ? host + 1 : host;
	if (iface[0] && iface[strlen(iface) - 1] == ']')
		iface[strlen(iface) - 1] = '\0';
	static char users_path[4096];
	snprintf(users_path, sizeof(users_path), "%s", users ? users : "");
	if (!users)
		snprintf(users_path, sizeof(users_path), "%s/users", keydir);
	streamer.users_path = users_path;
	snprintf(path, sizeof(path), "%s/server.key", keydir);
	if ((streamer.server_key = proto_key_load_private(path)) == NULL)
		streamer_log("%s: %s; viewers get no frame keys", path, proto_errmsg());
	snprintf(path, sizeof(path), "%s/streamer.token", keydir);
	if ((n = auth_key_load(path, streamer.token_key)) < 0) {
		streamer_log("token key %s: %s", path, strerror(-n));
		return 1;
	}
	if (check) {
		printf("vigil-streamer: options ok\n");
		return 0;
	}
	if ((streamer.prefix = getenv("VIGIL_SHM_PREFIX")) == NULL) {
		fprintf(stderr, "vigil-streamer: runs under vigild (VIGIL_SHM_PREFIX is not set)\n");
		return 2;
	}
	if ((n = idx_attach(streamer.prefix, &streamer.idx)) < 0) {
		streamer_log("index %s-index: %s", streamer.prefix, strerror(-n));
		return 1;
	}
	idx_set_patience(streamer.idx, STREAMER_INDEX_PATIENCE_MS);
	if (streamer.audit_path &&
	    (streamer.audit_fd = open(streamer.audit_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
				      0600)) < 0)
		streamer_log("audit log %s: %s", streamer.audit_path, strerror(errno));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	pid_t parent = getpid(), kids[64];
	int nkids = 0;
	for (i = 1; i < workers; i++) {
		pid_t pid = fork();
		if (pid < 0) {
			streamer_log("fork: %s", strerror(errno));
			break;
		}
		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL); /* die with the first worker */
			if (getppid() != parent)
				_exit(1);
			return serve(iface, port, cert, key, i);
		}
		kids[nkids++] = pid;
	}
	if (workers > 1)
		sigaction(SIGCHLD, &sa, NULL);
	n = serve(iface, port, cert, key, 0);
	signal(SIGCHLD, SIG_DFL);
	for (i = 0; i < nkids; i++)
		kill(kids[i], SIGTERM);
	for (i = 0; i < nkids; i++)
		waitpid(kids[i], NULL, 0);
	return n;
}
