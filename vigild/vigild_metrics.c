/*
 * NAME
 *	vigild_metrics.c - a small /metrics endpoint (Prometheus text)
 *
 * DESCRIPTION
 *	Serves GET /metrics on the configured loopback address: vigild's own
 *	figures (stage up, restarts, ring depth, published, dropped) and the
 *	counters of every stage's metrics segment. One request per
 *	connection, answered at once and closed; the request is read with a
 *	bound on size and time, so a slow or hostile client cannot hold the
 *	master. The streamer takes this over once it serves HTTP.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "shm_metrics.h"
#include "vigild.h"

#define BODY_MAX (768 * 1024)

int
vigild_metrics_listen(const char *spec)
{
	char host[128], *port;
	struct addrinfo hints = {0}, *ai;
	int fd, one = 1, rc;

	snprintf(host, sizeof(host), "%s", spec);
	if ((port = strrchr(host, ':')) == NULL)
		return -1;
	*port++ = '\0';
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, port, &hints, &ai)) != 0) {
		log_warnx("metrics_listen %s: %s", spec, gai_strerror(rc));
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 16) != 0) {
			log_warn("metrics_listen %s: bind/listen", spec);
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(ai);
	return fd;
}

static size_t
render(const vigild_conf_t *c, const shm_status_t *st, char *buf, size_t cap)
{
	size_t len = 0;
	uint32_t i;
	int k;

#define OUT(...)                                                                                   \
	do {                                                                                       \
		k = snprintf(buf + len, len < cap ? cap - len : 0, __VA_ARGS__);                   \
		if (k > 0 && len + (size_t)k < cap)                                                \
			len += (size_t)k;                                                          \
	} while (0)
	OUT("# TYPE vigil_stage_up gauge\n# TYPE vigil_stage_restarts_total counter\n");
	for (i = 0; i < st->nstages && i < SHM_STATUS_MAX; i++) {
		const shm_stage_status_t *s = &st->stage[i];
		OUT("vigil_stage_up{stage=\"%s\",index=\"%u\"} %d\n", s->name, s->index,
		    s->pid > 0);
		OUT("vigil_stage_restarts_total{stage=\"%s\",index=\"%u\"} %u\n", s->name, s->index,
		    s->restarts);
	}
	for (k = 0; k < c->writers; k++) {
		shm_seg_t seg;
		shm_ring_t *r;
		int w = k;
		if (shm_ring_attach(c->shm_prefix, SHM_KIND_RING, (uint32_t)w, &seg, &r) < 0)
			continue;
		OUT("vigil_ring_depth{ring=\"listener-writer\",index=\"%d\"} %llu\n", w,
		    (unsigned long long)shm_ring_depth(r));
		OUT("vigil_ring_published_total{ring=\"listener-writer\",index=\"%d\"} %llu\n", w,
		    (unsigned long long)r->tail);
		OUT("vigil_ring_dropped_total{ring=\"listener-writer\",index=\"%d\"} %llu\n", w,
		    (unsigned long long)r->dropped);
		shm_seg_detach(&seg);
	}
	for (i = 0; i < st->nstages && i < SHM_STATUS_MAX; i++) {
		const shm_stage_status_t *s = &st->stage[i];
		shm_seg_t seg;
		if (shm_kind_attach(c->shm_prefix, SHM_KIND_METRICS, s->name, s->index,
				    sizeof(shm_metrics_t), &seg) < 0)
			continue;
		size_t n = shm_metrics_render(shm_seg_body(&seg), buf + len, cap - len);
		if (len + n < cap)
			len += n;
		shm_seg_detach(&seg);
		/* a stage's labelled series (syncd: one per camera), as it rendered them */
		if (shm_kind_attach(c->shm_prefix, SHM_KIND_TEXT, s->name, s->index,
				    sizeof(shm_text_t), &seg) < 0)
			continue;
		len += shm_text_read(shm_seg_body(&seg), buf + len, cap - len);
		shm_seg_detach(&seg);
	}
#undef OUT
	return len;
}

void
vigild_metrics_serve(int lfd, const vigild_conf_t *c, const shm_status_t *st)
{
	static char body[BODY_MAX];
	char req[2048], head[256];
	size_t got = 0, blen;
	int fd, ok;

	while ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		/* read the request line within 200 ms and 2 KiB */
		for (;;) {
			struct pollfd p = {fd, POLLIN, 0};
			ssize_t n;
			if (poll(&p, 1, 200) <= 0)
				break;
			if ((n = read(fd, req + got, sizeof(req) - 1 - got)) <= 0)
				break;
			got += (size_t)n;
			req[got] = '\0';
			if (strstr(req, "\r\n\r\n") || strstr(req, "\n\n") ||
			    got == sizeof(req) - 1)
				break;
		}
		req[got] = '\0';
		ok = !strncmp(req, "GET /metrics ", 13) || !strncmp(req, "GET /metrics?", 13);
		blen = ok ? render(c, st, body, sizeof(body)) : 0;
		snprintf(head, sizeof(head),
			 "HTTP/1.0 %s\r\nContent-Type: text/plain; version=0.0.4\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n",
			 ok ? "200 OK" : "404 Not Found", blen);
		if (write(fd, head, strlen(head)) > 0 && blen)
			(void)!write(fd, body, blen);
		close(fd);
		got = 0;
	}
}
