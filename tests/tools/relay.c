/*
 * NAME
 *	relay - a lossy, rate-limited UDP relay between test cameras and a server
 *
 * SYNOPSIS
 *	relay -l HOST:PORT -s HOST:PORT [-p MS:SPEC]... [-S SEED] [-o STATSFILE]
 *
 * DESCRIPTION
 *	Stands for a mobile network in the tests, on loopback only. Every
 *	datagram a camera sends to -l is forwarded to the server -s from an
 *	upstream socket of that camera's own (like a carrier NAT mapping), so
 *	the server sees one source per camera and its replies find their way
 *	back.
 *
 *	The link follows a plan of phases, each `-p MS:SPEC` lasting MS
 *	milliseconds (0: for ever); the last phase stays in force. SPEC is a
 *	comma list of:
 *	  loss=P      drop each datagram with probability P (0..1)
 *	  burst=N     losses come in bursts of mean length N (Gilbert model)
 *	  reorder=P   hold a datagram back delay=MS (default 20) ms, so later
 *	              ones overtake it
 *	  dup=P       send a datagram twice
 *	  rate=B      a link of B bytes per second; a datagram that finds the
 *	              100 ms queue of the link full is dropped
 *	  outage      drop everything
 *	  down        apply the phase to server-to-camera traffic too
 *	Without -p the link is perfect. SIGUSR1 writes the statistics, SIGTERM
 *	and SIGINT write them and end the relay. The statistics file has one
 *	`name value` line per counter (see stats_write).
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "proto.h"

#define MAX_PHASES 32
#define MAX_CLIENTS 1024
#define MAX_HELD 4096
#define DGRAM_MAX 65536

typedef struct phase {
	uint64_t ms;
	double loss, burst, reorder, dup, rate;
	int delay_ms, outage, down;
} phase_t;

typedef struct client {
	struct sockaddr_storage addr;
	socklen_t len;
	int fd; /* upstream socket, connected to the server */
} client_t;

typedef struct held { /* a datagram held back for reordering */
	uint64_t due_ms;
	int fd;                     /* send on this socket ... */
	struct sockaddr_storage to; /* ... to this address (to_len 0: connected) */
	socklen_t to_len;
	uint16_t len;
	uint8_t *data;
} held_t;

static phase_t phases[MAX_PHASES];
static int nphases;
static client_t clients[MAX_CLIENTS];
static int nclients;
static held_t held[MAX_HELD];
static int nheld;
static uint64_t rng = 88172645463325252ull;
static int bad_state; /* Gilbert model: in a loss burst */
static double tokens, last_tok_ms;
static volatile sig_atomic_t want_stats, want_exit;
static const char *stats_path;

static struct {
	uint64_t up_in, up_out, up_dropped, up_bytes_in, up_bytes_dropped, up_dup, up_reordered;
	uint64_t down_in, down_out, down_dropped;
} st;

static double
rnd(void) /* xorshift64, uniform in [0, 1) */
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (double)(rng >> 11) / 9007199254740992.0;
}

static void
on_signal(int sig)
{
	if (sig == SIGUSR1)
		want_stats = 1;
	else
		want_exit = 1;
}

static void
stats_write(void)
{
	FILE *f = stats_path ? fopen(stats_path, "w") : stderr;

	if (f == NULL) {
		perror(stats_path);
		return;
	}
	fprintf(f,
		"up_in %llu\nup_out %llu\nup_dropped %llu\nup_bytes_in %llu\n"
		"up_bytes_dropped %llu\nup_dup %llu\nup_reordered %llu\n"
		"down_in %llu\ndown_out %llu\ndown_dropped %llu\n",
		(unsigned long long)st.up_in, (unsigned long long)st.up_out,
		(unsigned long long)st.up_dropped, (unsigned long long)st.up_bytes_in,
		(unsigned long long)st.up_bytes_dropped, (unsigned long long)st.up_dup,
		(unsigned long long)st.up_reordered, (unsigned long long)st.down_in,
		(unsigned long long)st.down_out, (unsigned long long)st.down_dropped);
	if (f != stderr)
		fclose(f);
}

static int
parse_addr(const char *spec, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[256];
	const char *colon = strrchr(spec, ':');
	struct addrinfo hints = {0}, *ai;
	size_t hl;

	if (colon == NULL || (hl = (size_t)(colon - spec)) >= sizeof(host))
		return -1;
	memcpy(host, spec, hl);
	host[hl] = 0;
	if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = 0;
	}
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICHOST;
	if (getaddrinfo(host, colon + 1, &hints, &ai) != 0)
		return -1;
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

static int
parse_phase(const char *arg, phase_t *p)
{
	char buf[512], *tok, *save = NULL, *spec;

	memset(p, 0, sizeof(*p));
	p->burst = 1;
	p->delay_ms = 20;
	snprintf(buf, sizeof(buf), "%s", arg);
	if ((spec = strchr(buf, ':')) != NULL)
		*spec++ = '\0';
	if (proto_parse_u64("phase length", buf, UINT64_MAX, &p->ms) < 0)
		return -1;
	if (spec == NULL)
		return 0;
	for (tok = strtok_r(spec, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		double v = 0;

		if (eq) {
			*eq = 0;
			if (proto_parse_double(tok, eq + 1, 0, 1e12, &v) < 0)
				return -1;
		}
		if (!strcmp(tok, "loss"))
			p->loss = v;
		else if (!strcmp(tok, "burst"))
			p->burst = v < 1 ? 1 : v;
		else if (!strcmp(tok, "reorder"))
			p->reorder = v;
		else if (!strcmp(tok, "delay"))
			p->delay_ms = (int)v;
		else if (!strcmp(tok, "dup"))
			p->dup = v;
		else if (!strcmp(tok, "rate"))
			p->rate = v;
		else if (!strcmp(tok, "outage"))
			p->outage = 1;
		else if (!strcmp(tok, "down"))
			p->down = 1;
		else if (tok[0] != 0 && strcmp(tok, "good"))
			return -1;
	}
	return 0;
}

static const phase_t *
phase_now(uint64_t elapsed)
{
	static const phase_t perfect = {.burst = 1};
	uint64_t t = 0;
	int i;

	if (nphases == 0)
		return &perfect;
	for (i = 0; i < nphases - 1; i++) {
		if (phases[i].ms == 0 || elapsed < t + phases[i].ms)
			return &phases[i];
		t += phases[i].ms;
	}
	return &phases[nphases - 1];
}

/* Does the link lose this datagram? Gilbert model with mean burst length. */
static int
lost(const phase_t *p, size_t len, uint64_t now)
{
	if (p->outage)
		return 1;
	if (p->rate > 0) {
		double cap = p->rate / 10; /* a 100 ms queue */

		tokens += (double)(now - last_tok_ms) * p->rate / 1000;
		last_tok_ms = (double)now;
		if (tokens > cap)
			tokens = cap;
		if (tokens < (double)len)
			return 1;
		tokens -= (double)len;
	}
	if (p->loss <= 0)
		return 0;
	if (p->burst <= 1)
		return rnd() < p->loss;
	/* stationary loss = g2b / (g2b + b2g), with b2g = 1 / burst */
	if (bad_state) {
		if (rnd() < 1 / p->burst)
			bad_state = 0;
	} else {
		double b2g = 1 / p->burst, g2b = p->loss >= 1 ? 1 : p->loss * b2g / (1 - p->loss);

		if (rnd() < g2b)
			bad_state = 1;
	}
	return bad_state;
}

static void
emit(int fd, const struct sockaddr_storage *to, socklen_t to_len, const uint8_t *d, size_t len)
{
	if (to_len)
		sendto(fd, d, len, 0, (const struct sockaddr *)to, to_len);
	else
		send(fd, d, len, 0);
}

/* Forward one datagram through the current phase; returns 1 if sent. */
static int
forward(const phase_t *p, int up, int fd, const struct sockaddr_storage *to, socklen_t to_len,
	const uint8_t *d, size_t len, uint64_t now)
{
	int copies = 1, i;

	if (up || p->down) {
		if (lost(p, len, now))
			return 0;
		if (p->dup > 0 && rnd() < p->dup) {
			copies = 2;
			st.up_dup += up;
		}
		if (p->reorder > 0 && rnd() < p->reorder && nheld < MAX_HELD) {
			held_t *h = &held[nheld];

			if ((h->data = malloc(len)) != NULL) {
				memcpy(h->data, d, len);
				h->len = (uint16_t)len;
				h->fd = fd;
				h->to_len = to_len;
				if (to_len)
					memcpy(&h->to, to, to_len);
				h->due_ms = now + (uint64_t)p->delay_ms;
				nheld++;
				st.up_reordered += up;
				return 1;
			}
		}
	}
	for (i = 0; i < copies; i++)
		emit(fd, to, to_len, d, len);
	return 1;
}

static void
release_held(uint64_t now)
{
	int i = 0;

	while (i < nheld) {
		if (held[i].due_ms <= now) {
			emit(held[i].fd, &held[i].to, held[i].to_len, held[i].data, held[i].len);
			free(held[i].data);
			held[i] = held[--nheld];
		} else {
			i++;
		}
	}
}

/* 8 MiB receive buffers (beyond rmem_max when root): the relay loses only by plan */
static void
rcvbuf_big(int fd)
{
	int big = 8 << 20;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)) != 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
}

static client_t *
client_get(const struct sockaddr_storage *from, socklen_t len,
	   const struct sockaddr_storage *server, socklen_t server_len)
{
	int i, fd;

	for (i = 0; i < nclients; i++)
		if (clients[i].len == len && memcmp(&clients[i].addr, from, len) == 0)
			return &clients[i];
	if (nclients == MAX_CLIENTS)
		return NULL;
	fd = socket(server->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return NULL;
	rcvbuf_big(fd);
	if (connect(fd, (const struct sockaddr *)server, server_len) < 0) {
		close(fd);
		return NULL;
	}
	clients[nclients].fd = fd;
	clients[nclients].len = len;
	memcpy(&clients[nclients].addr, from, len);
	return &clients[nclients++];
}

static void
usage(void)
{
	fprintf(stderr, "usage: relay -l HOST:PORT -s HOST:PORT [-p MS:SPEC]... [-S SEED] "
			"[-o STATSFILE]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct sockaddr_storage laddr, saddr;
	socklen_t llen = 0, slen = 0;
	static uint8_t buf[DGRAM_MAX];
	struct pollfd pfd[1 + MAX_CLIENTS];
	uint64_t start;
	int c, lfd, i;

	while ((c = getopt(argc, argv, "l:s:p:S:o:h")) != -1) {
		switch (c) {
		case 'l':
			if (parse_addr(optarg, &laddr, &llen) < 0)
				usage();
			break;
		case 's':
			if (parse_addr(optarg, &saddr, &slen) < 0)
				usage();
			break;
		case 'p':
			if (nphases == MAX_PHASES || parse_phase(optarg, &phases[nphases++]) < 0) {
				fprintf(stderr, "relay: bad phase '%s': %s\n", optarg,
					proto_errmsg());
				return 2;
			}
			break;
		case 'S': {
			uint64_t seed;
			if (proto_parse_u64("-S", optarg, UINT64_MAX, &seed) < 0) {
				fprintf(stderr, "relay: %s\n", proto_errmsg());
				return 2;
			}
			rng = seed * 2654435761u + 1;
			break;
		}
		case 'o': stats_path = optarg; break;
		default: usage();
		}
	}
	if (!llen || !slen)
		usage();
	signal(SIGUSR1, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	lfd = socket(laddr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&laddr, llen) < 0) {
		perror("relay: bind");
		return 1;
	}
	rcvbuf_big(lfd);
	start = proto_mono_ms();
	last_tok_ms = (double)start;
	while (!want_exit) {
		uint64_t now = proto_mono_ms();
		const phase_t *p = phase_now(now - start);
		int timeout = nheld ? 1 : 100, npoll = nclients;

		if (want_stats) {
			want_stats = 0;
			stats_write();
		}
		pfd[0] = (struct pollfd){.fd = lfd, .events = POLLIN};
		for (i = 0; i < npoll; i++)
			pfd[1 + i] = (struct pollfd){.fd = clients[i].fd, .events = POLLIN};
		if (poll(pfd, (nfds_t)(1 + npoll), timeout) < 0 && errno != EINTR)
			break;
		now = proto_mono_ms();
		release_held(now);
		/* camera -> server: bounded per turn */
		for (i = 0; i < 256 && (pfd[0].revents & POLLIN); i++) {
			struct sockaddr_storage from;
			socklen_t flen = sizeof(from);
			ssize_t n =
			    recvfrom(lfd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
			client_t *cl;

			if (n < 0)
				break;
			st.up_in++;
			st.up_bytes_in += (uint64_t)n;
			cl = client_get(&from, flen, &saddr, slen);
			if (cl && forward(p, 1, cl->fd, NULL, 0, buf, (size_t)n, now)) {
				st.up_out++;
			} else {
				st.up_dropped++;
				st.up_bytes_dropped += (uint64_t)n;
			}
		}
		/* server -> camera (clients added this turn wait for the next poll) */
		for (i = 0; i < npoll; i++) {
			int k;

			if (!(pfd[1 + i].revents & POLLIN))
				continue;
			for (k = 0; k < 256; k++) {
				ssize_t n = recv(clients[i].fd, buf, sizeof(buf), 0);

				if (n < 0)
					break;
				st.down_in++;
				if (forward(p, 0, lfd, &clients[i].addr, clients[i].len, buf,
					    (size_t)n, now))
					st.down_out++;
				else
					st.down_dropped++;
			}
		}
	}
	stats_write();
	return 0;
}
