/*
 * NAME
 *	streamer_serve.c - the workers: their listening sockets, their
 *	libwebsockets loops, and the first worker watching the others
 *
 * DESCRIPTION
 *	streamer_serve_run() forks WORKERS-1 more processes; each runs its
 *	own libwebsockets loop on the same port (SO_REUSEPORT: the kernel
 *	spreads connections) and dies with the first (PR_SET_PDEATHSIG).
 *	The first exits when a worker dies (SIGCHLD), so that vigild
 *	restarts the whole streamer; on SIGTERM it stops the others and
 *	waits for them. Signals only set flags (libstage); the wake
 *	callback interrupts lws_service so that the loop sees them.
 *
 *	Each worker has its own metrics segment, streamer-<worker>, and
 *	logs as vigil-streamer[<worker>]. The HTTP side of a connection is
 *	streamer_http.c, the WebSocket side streamer_view.c.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "stage.h"
#include "streamer.h"

#define STREAMER_WORKERS_MAX 64

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

static lws_sorted_usec_list_t poll_sul;
static int listen_fd = -1, use_tls, poll_ticks;

static const stage_metric_t metrics[] = {
    {"viewers_total", &streamer.m_viewers},
    {"datagrams_sent_total", &streamer.m_sent},
    {"slow_viewer_skips_total", &streamer.m_skips},
    {"logins_total", &streamer.m_logins},
    {"refused_total", &streamer.m_refused},
    {"logins_limited_total", &streamer.m_limited},
    {"viewers_revoked_total", &streamer.m_revoked},
    {"order_table_bytes", &streamer.m_table_bytes},
    {"order_tables", &streamer.m_tables},
    {"order_table_viewers", &streamer.m_table_viewers},
};

void
streamer_serve_wake(void)
{
	if (streamer.ctx)
		lws_cancel_service(streamer.ctx);
}

/*
 * The safety poll, every 200 ms; every fifth, the viewers' tokens and
 * permissions (token lifetimes end; a missed change of the users file).
 */
static void
on_poll(lws_sorted_usec_list_t *sul)
{
	streamer_watch_poll();
	if (++poll_ticks % 5 == 0)
		streamer_view_recheck_all();
	lws_sul_schedule(streamer.ctx, 0, sul, on_poll, 200 * LWS_US_PER_MS);
}

static int
cb_main(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	pss_t *p = user;
	char uri[256];

	switch (reason) {
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		streamer_login_done(); /* a hashing thread finished, or a signal */
		return 0;
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: {
		const auth_user_t *u;
		if (lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI) <= 0 ||
		    strcmp(uri, "/ws") ||
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
				streamer_view_command(&p->u.view, "",
						      0); /* answered with an error */
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
		log_warnx("listen %s:%d: %s", iface, port, gai_strerror(rc));
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 1024) < 0) {
		log_warn("listen %s:%d", iface, port);
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

/* One worker's loop, until SIGTERM (0) or a worker's death or a failure (1). */
static int
serve(const streamer_listen_t *l, int worker)
{
	struct lws_context_creation_info info;
	lws_sock_file_fd_type lfd;
	shm_seg_t mseg;
	int rc = 0;

	log_set_index(worker);
	if (stage_metrics_open("streamer", (uint32_t)worker, metrics,
			       sizeof(metrics) / sizeof(metrics[0]), &mseg) == 0) {
		streamer_gauge(streamer.m_table_bytes, 0); /* held by the worker before a restart */
		streamer_gauge(streamer.m_tables, 0);
		streamer_gauge(streamer.m_table_viewers, 0);
	}
	if ((listen_fd = listen_on(l->host, l->port)) < 0)
		return 1;
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN_SERVER;
	info.protocols = protocols;
	use_tls = l->cert != NULL;
	if (l->cert) {
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
		info.ssl_cert_filepath = l->cert;
		info.ssl_private_key_filepath = l->key;
	}
	lws_set_log_level(LLL_ERR, NULL);
	if ((streamer.ctx = lws_create_context(&info)) == NULL) {
		log_warnx("cannot serve on %s:%d", l->host[0] ? l->host : "*", l->port);
		return 1;
	}
	streamer.vh = lws_get_vhost_by_name(streamer.ctx, "default");
	lfd.filefd = listen_fd;
	if (streamer.vh == NULL || lws_adopt_descriptor_vhost(streamer.vh, LWS_ADOPT_RAW_FILE_DESC,
							      lfd, "vigil-listen", NULL) == NULL) {
		log_warnx("cannot add the listening socket to the loop");
		lws_context_destroy(streamer.ctx);
		return 1;
	}
	if (streamer_watch_init(streamer.vh) < 0)
		log_warnx("inotify unavailable: live viewers follow files by polling");
	else if (streamer_watch_users(streamer.users_path) < 0)
		log_warnx("%s: not watched; viewers are rechecked every second",
			  streamer.users_path);
	if ((rc = streamer_login_init()) < 0) {
		log_warnx("login threads: %s", strerror(-rc));
		lws_context_destroy(streamer.ctx);
		return 1;
	}
	lws_sul_schedule(streamer.ctx, 0, &poll_sul, on_poll, 200 * LWS_US_PER_MS);
	while (!stage_stop_requested()) {
		if (stage_take_chld()) {
			log_warnx("a worker died; exiting so that the streamer is restarted whole");
			rc = 1;
			break;
		}
		if (lws_service(streamer.ctx, 0) < 0) {
			log_warnx("the event loop failed; exiting");
			rc = 1;
			break;
		}
	}
	streamer_login_stop();
	lws_context_destroy(streamer.ctx);
	streamer.ctx = NULL;
	return rc;
}

int
streamer_serve_run(const streamer_listen_t *l, int workers)
{
	pid_t parent = getpid(), kids[STREAMER_WORKERS_MAX];
	int i, nkids = 0, rc;

	for (i = 1; i < workers && i < STREAMER_WORKERS_MAX; i++) {
		pid_t pid = fork();
		if (pid < 0) {
			log_warn("fork");
			break;
		}
		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL); /* die with the first worker */
			if (getppid() != parent)
				_exit(1);
			exit(serve(l, i));
		}
		kids[nkids++] = pid;
	}
	if (workers > 1 && stage_signals_init(STAGE_SIG_CHLD, streamer_serve_wake) < 0)
		log_warnx("%s", stage_errmsg());
	rc = serve(l, 0);
	stage_signals_default(STAGE_SIG_CHLD);
	for (i = 0; i < nkids; i++)
		kill(kids[i], SIGTERM);
	for (i = 0; i < nkids; i++)
		waitpid(kids[i], NULL, 0);
	return rc;
}
