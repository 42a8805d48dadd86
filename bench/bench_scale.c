/*
 * NAME
 *	bench_scale.c - the listener-to-writer hop over NATS JetStream
 *	against the shared-memory ring, same run
 *
 * DESCRIPTION
 *	Starts a JetStream nats-server (file storage in a temporary folder,
 *	a loopback port) and moves 1432-byte messages (32 bytes of metadata
 *	and a 1400-byte datagram, as the listener sends them) from a
 *	producer thread to a consumer thread:
 *	  nats: through libbus as the listener and writer use it: publish
 *	        asynchronously with a message id, wait for the server's
 *	        acknowledgements every 2048 messages at full rate (the
 *	        listener's window while its socket has more) and after
 *	        each message when paced (its socket is empty in between);
 *	        the consumer fetches from its durable consumer and
 *	        acknowledges each message;
 *	  ref:  through an shm ring of 4096 slots (the default transport),
 *	        enqueue and peek/release.
 *	Two figures each: the highest rate (as fast as the producer can
 *	go, COUNT messages) and the added latency from enqueue or publish
 *	to the consumer's hand at a paced 20,000 messages/s (about 110
 *	cameras at 2 Mbps), median and 99th percentile. The writer's own
 *	sync interval (100 ms by default, before any acknowledgement) comes
 *	on top in both cases and is not measured here.
 *	  BENCH scale_rate msgs_per_s=... ref=... ratio=...
 *	  BENCH scale_latency_p50 us=... ref=... ratio=...
 *	  BENCH scale_latency_p99 us=... ref=... ratio=...
 *	Environment: BENCH_SECONDS (default 3: the paced phase's length;
 *	the rate phase moves 50,000 messages per second of it). Exits 77
 *	when nats-server is not installed. Nothing is asserted; the machine
 *	is shared, so run it more than once.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bus.h"
#include "shm.h"
#include "shm_msg.h"
#include "testutil.h"

#define MSG_LEN (SHM_MSG_HDR_LEN + 1400)
#define SLOTS 4096

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

typedef struct run {
	int nats;       /* 1: over libbus, 0: over a ring */
	uint64_t count; /* messages */
	uint64_t rate;  /* 0: as fast as possible, else messages/s */
	char url[64], stream[64];
	shm_ring_t *ring;
	uint64_t *lat;   /* ns per message, filled by the consumer */
	uint64_t t0, t1; /* first send, last receipt */
	int fail;
} run_t;

static void
pace(const run_t *r, uint64_t i, uint64_t start)
{
	uint64_t due;

	if (r->rate == 0)
		return;
	due = start + i * 1000000000ull / r->rate;
	while (now_ns() < due)
		;
}

static void
fill(uint8_t *msg, uint64_t i, uint64_t t)
{
	shm_msg_meta_t m = {0};

	m.arrival_ns = t;
	m.session = (uint32_t)i;
	shm_msg_encode(&m, msg);
	memcpy(msg + SHM_MSG_HDR_LEN + 24, &i, sizeof(i)); /* the counter's place */
}

static void *
produce(void *arg)
{
	run_t *r = arg;
	static __thread uint8_t msg[MSG_LEN];
	uint8_t uuid[16] = {0xbe, 0x4c};
	char id[BUS_MSGID_MAX];
	bus_conf_t c = {r->url, r->stream, 30000, 8192, 1};
	bus_t *b = NULL;
	uint64_t i, start;

	memset(msg, 0x5a, sizeof(msg));
	if (r->nats && bus_open(&c, &b) < 0) {
		fprintf(stderr, "bench_scale: %s\n", bus_errmsg());
		r->fail = 1;
		return NULL;
	}
	start = r->t0 = now_ns();
	for (i = 0; i < r->count; i++) {
		pace(r, i, start);
		fill(msg, i, now_ns());
		if (r->nats) {
			bus_msgid(uuid, (uint32_t)(r->rate & 0xffff), (uint32_t)i, id);
			if (bus_publish(b, 0, id, msg, sizeof(msg)) < 0 ||
			    ((r->rate || i % 2048 == 2047 || i + 1 == r->count) &&
			     bus_publish_wait(b, 10000) != 0)) {
				fprintf(stderr, "bench_scale: publish: %s\n", bus_errmsg());
				r->fail = 1;
				break;
			}
		} else {
			shm_msg_meta_t m = {0};
			m.arrival_ns = now_ns();
			shm_ring_enqueue_wait_spsc(r->ring, &m, msg + SHM_MSG_HDR_LEN, 1400, -1);
		}
	}
	bus_close(b);
	return NULL;
}

static void *
consume(void *arg)
{
	run_t *r = arg;
	bus_conf_t c = {r->url, r->stream, 30000, 8192, 1};
	bus_msg_t *msgs[256];
	shm_msg_meta_t m;
	bus_t *b = NULL;
	uint64_t got = 0, t;
	size_t len;
	int n, i;

	if (r->nats && (bus_open(&c, &b) < 0 || bus_consume(b, 0) < 0)) {
		fprintf(stderr, "bench_scale: %s\n", bus_errmsg());
		r->fail = 1;
		return NULL;
	}
	while (got < r->count && !r->fail) {
		if (r->nats) {
			if ((n = bus_fetch(b, msgs, 256, 200)) < 0) {
				fprintf(stderr, "bench_scale: fetch: %s\n", bus_errmsg());
				r->fail = 1;
				break;
			}
			t = now_ns();
			for (i = 0; i < n; i++) {
				const uint8_t *p = bus_msg_data(msgs[i], &len);
				if (shm_msg_decode(p, len, &m) == 0 && got < r->count)
					r->lat[got++] = t - m.arrival_ns;
				bus_msg_ack(msgs[i]);
			}
		} else {
			const shm_slot_t *s = shm_ring_peek_spsc(r->ring);
			if (s == NULL) {
				shm_ring_wait_spsc(r->ring, 100);
				continue;
			}
			r->lat[got++] = now_ns() - s->meta.arrival_ns;
			shm_ring_release_spsc(r->ring, 1);
		}
	}
	r->t1 = now_ns();
	bus_close(b);
	return NULL;
}

static int
cmp64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* One run; rate in messages/s, p50 and p99 in microseconds. */
static int
one(run_t *r, double *rate, double *p50, double *p99)
{
	pthread_t p, c;

	r->lat = calloc(r->count, sizeof(uint64_t));
	if (!r->nats) {
		r->ring = aligned_alloc(64, (shm_ring_size(SLOTS) + 63) / 64 * 64);
		memset(r->ring, 0, shm_ring_size(SLOTS));
		shm_ring_init(r->ring, SLOTS);
	}
	pthread_create(&c, NULL, consume, r);
	if (r->nats)
		usleep(300 * 1000); /* the consumer exists before the first publish */
	pthread_create(&p, NULL, produce, r);
	pthread_join(p, NULL);
	pthread_join(c, NULL);
	if (!r->fail) {
		*rate = (double)r->count * 1e9 / (double)(r->t1 - r->t0);
		qsort(r->lat, r->count, sizeof(uint64_t), cmp64);
		*p50 = (double)r->lat[r->count / 2] / 1000.0;
		*p99 = (double)r->lat[r->count * 99 / 100] / 1000.0;
	}
	free(r->lat);
	free(r->ring);
	return r->fail ? -1 : 0;
}

int
main(void)
{
	char *dir, port[16], log[4200], cmd[4300];
	const char *nats =
	    access("/usr/sbin/nats-server", X_OK) == 0 ? "/usr/sbin/nats-server" : "nats-server";
	int seconds = tu_env_int("BENCH_SECONDS", 3, 1, 3600), i, rc = 1;
	double rate[2], p50[2], p99[2];
	pid_t srv;

	if (system("command -v nats-server >/dev/null 2>&1 || test -x /usr/sbin/nats-server") !=
	    0) {
		printf("bench_scale: nats-server is not installed\n");
		return 77;
	}
	if ((dir = tu_tmpdir()) == NULL)
		return 1;
	snprintf(port, sizeof(port), "%d", 20000 + getpid() % 20000);
	snprintf(log, sizeof(log), "%s/nats.log", dir);
	if ((srv = fork()) == 0) {
		if (freopen(log, "w", stderr) == NULL)
			_exit(127);
		execlp(nats, nats, "-js", "-sd", dir, "-a", "127.0.0.1", "-p", port, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 50; i++) { /* until it is ready */
		snprintf(cmd, sizeof(cmd), "grep -q 'Server is ready' %s 2>/dev/null", log);
		if (system(cmd) == 0)
			break;
		usleep(100 * 1000);
	}
	for (i = 0; i < 2; i++) { /* i = 0: the rate, i = 1: latency at a paced rate */
		run_t n = {0}, r = {0};
		n.nats = 1;
		n.count = r.count = i == 0 ? (uint64_t)seconds * 50000 : (uint64_t)seconds * 20000;
		n.rate = r.rate = i == 0 ? 0 : 20000;
		snprintf(n.url, sizeof(n.url), "nats://127.0.0.1:%s", port);
		snprintf(n.stream, sizeof(n.stream), "bench%d", i);
		if (one(&r, &rate[0], &p50[0], &p99[0]) < 0 ||
		    one(&n, &rate[1], &p50[1], &p99[1]) < 0)
			goto out;
		if (i == 0) {
			printf("BENCH scale_rate msgs_per_s=%.0f ref=%.0f ratio=%.3f\n", rate[1],
			       rate[0], rate[1] / rate[0]);
			continue;
		}
		printf("BENCH scale_latency_p50 us=%.1f ref=%.1f ratio=%.1f\n", p50[1], p50[0],
		       p50[1] / (p50[0] > 0 ? p50[0] : 0.1));
		printf("BENCH scale_latency_p99 us=%.1f ref=%.1f ratio=%.1f\n", p99[1], p99[0],
		       p99[1] / (p99[0] > 0 ? p99[0] : 0.1));
	}
	rc = 0;
out:
	kill(srv, SIGTERM);
	waitpid(srv, NULL, 0);
	tu_rmtree(dir);
	free(dir);
	return rc;
}
