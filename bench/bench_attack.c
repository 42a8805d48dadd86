/*
 * NAME
 *	bench_attack.c - vigil under attack while good cameras stream: is
 *	anything good lost, does any stage die, is every bad datagram counted
 *
 * DESCRIPTION
 *	Runs vigild (listener with its default hello limits, two writers;
 *	programs from $BINDIR, default bin) in a temporary folder on
 *	loopback. CAMERAS good cameras (default 100, one shared key pair)
 *	send one hello each, each from its own source address 127.1.0.x,
 *	then stream pre-sealed 2 Mbps video (178 datagrams/s each, 1400-byte
 *	payloads) from 127.0.0.1 through every phase:
 *	  ref:    good stream alone for 3 s: the reference (stored/s and the
 *	          listener's CPU %);
 *	  class:  random bytes, truncated, one bit flipped, oversized (1473 to
 *	          2000 bytes), wrong version, unknown camera, replayed (good
 *	          datagrams already stored, sent again: stored once) and
 *	          forged hello (valid layout, signed with a key not the
 *	          camera's: above the listener's hello_load, 500 a second,
 *	          it is answered with a cookie and never reaches RSA),
 *	          BENCH_BAD of each (default 200000) at
 *	          BENCH_BAD_RATE (default 50000/s). BENCH_BAD=1000000 is the
 *	          full figure: a bit over 3 minutes on two cores and 1 GB of
 *	          memory, so not the default;
 *	  flood:  forged hellos at BENCH_HELLO_RATE (default 100000/s) for
 *	          BENCH_HELLO_SECONDS (default 5), each from one of
 *	          BENCH_HELLO_SOURCES (default 65536) source addresses from
 *	          127.2.0.0 up (IP_PKTINFO; the loopback /8 needs no setup on
 *	          Linux). What the server sends back to those addresses (its
 *	          cookies) is read and counted. One second in, a good camera
 *	          that has no session yet opens one (tests/tools/hello_probe
 *	          from $OUT: hello, cookie, hello with the cookie's trailer,
 *	          HELLO_ACK).
 *	BENCH_COOKIE sets the listener's hello_cookie (auto, the default;
 *	always; off: the buckets alone, for comparison).
 *	With the defaults the whole run takes about one minute.
 *	After each phase the stream settles and the writers' counters
 *	(appended_total, duplicates_total), the listener's counters and the
 *	stages' pids (status segment) are read. good_loss = good datagrams
 *	sent less those appended; crashes = stages whose pid changed or
 *	vigild gone; counted = the sum of the listener's drop counters that
 *	grew (for replays: the listener's replay_data and the writers'
 *	duplicates_total), which must equal
 *	what was sent. rsa_checks_per_s = signature checks the listener did
 *	(hello_verify grew), per second; cookies_per_s = cookies it sent;
 *	reply_bytes / flood_bytes = what the flood's addresses received
 *	against what they sent; new_session = 1 when the good camera got
 *	its HELLO_ACK during the flood, new_session_ms how long it took.
 *	One line per figure:
 *	  BENCH attack_<class> good_loss=... bad_rate=... ref=... ratio=... crashes=... counted=... sent=...
 *	  BENCH attack_hello_flood listener_cpu_pct=... ref=... ratio=... rsa_checks_per_s=...
 *	        cookies_per_s=... new_session=... new_session_ms=... good_loss=...
 *	Nothing is asserted: the figures are printed.
 */
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "proto_crypto.h"
#include "shm.h"
#include "testutil.h"
#include "shm_metrics.h"
#include "shm_status.h"

#define CAM_DGRAMS_PER_S 178 /* 2 Mbps of 1400-byte payloads */
#define DATA_LEN (PROTO_DATA_HDR_LEN + 1400 + PROTO_TAG_LEN)
#define FRAGS 10
#define VARIANTS 4096 /* distinct bad datagrams per class, sent in turn */
#define BATCH 32

enum { C_RANDOM, C_TRUNC, C_BITFLIP, C_OVERSIZE, C_VERSION, C_UNKNOWN, C_REPLAY, C_HELLO, NCLASS };
static const char *class_name[NCLASS] = {"random",  "truncated",      "bitflip", "oversize",
					 "version", "unknown_camera", "replay",  "forged_hello"};
/* the counter that should take each class (printed beside the total) */
static const char *class_counter[NCLASS] = {"malformed",        "malformed",        "bad_tag",
					    "oversize",         "malformed",        "no_session",
					    "duplicates_total", "hello_cookie_sent"};
static const char *drops[] = {"malformed",
			      "oversize",
			      "unknown_camera",
			      "revoked",
			      "bad_tag",
			      "bad_signature",
			      "unwrap",
			      "replay",
			      "stale",
			      "no_session",
			      "sessions_full",
			      "unexpected_type",
			      "hello_rate_limited",
			      "hello_cookie_sent",
			      "hello_cookie_capped",
			      "hello_cookie_bad",
			      "replay_data",
			      "hello_date",
			      "hello_future",
			      "hello_replay",
			      NULL};

static int cameras = 100, port, sources = 65536;
static double good_rate;
static proto_session_t **sess;
static uint8_t (*uuid)[16];
static uint32_t date;
static uint64_t t0_ms, good_next; /* the next good datagram to seal, fleet-wide */
static uint8_t (*good)[DATA_LEN], (*prev)[DATA_LEN]; /* this phase's and the last one's */
static size_t good_cap, prev_n;
static uint8_t (*bad)[2048];
static size_t bad_len[VARIANTS];
static uint8_t (*hellos)[PROTO_MAX_DGRAM], (*forged)[PROTO_MAX_DGRAM];
static size_t *hello_len, *forged_len;
static char prefix[64];
static uint64_t flood_rx_bytes; /* what came back to the flood's source addresses */

static uint64_t
metric(const char *stage, int instances, const char *name)
{
	uint64_t sum = 0, *c;
	shm_seg_t seg;
	shm_metrics_t *m;
	int i;

	for (i = 0; i < instances; i++) {
		if (shm_metrics_open(prefix, stage, (uint32_t)i, &seg, &m) != 0)
			continue;
		if ((c = shm_metrics_counter(m, name)) != NULL)
			sum += __atomic_load_n(c, __ATOMIC_RELAXED);
		shm_seg_detach(&seg);
	}
	return sum;
}

static uint64_t
drop_total(void)
{
	uint64_t s = 0;
	int i;

	for (i = 0; drops[i]; i++)
		s += metric("listener", 1, drops[i]);
	return s;
}

/* Appended, duplicates, listener drops, RSA checks and the class's own counter. */
static void
counters(int cls, uint64_t *app, uint64_t *dup, uint64_t *drop, uint64_t *sig, uint64_t *own)
{
	*app = metric("writer", 2, "appended_total");
	*dup = metric("writer", 2, "duplicates_total");
	*drop = drop_total();
	*sig = metric("listener", 1, "hello_verify");
	*own = cls >= 0 && cls < NCLASS
		   ? metric(cls == C_REPLAY ? "writer" : "listener", 2, class_counter[cls])
		   : 0;
}

/* Pids of the stages in the status segment, in order; returns how many. */
static int
stage_pids(int *pid, int cap, int *listener)
{
	shm_seg_t seg;
	shm_status_t *st;
	uint32_t i;

	if (shm_kind_attach(prefix, SHM_KIND_STATUS, NULL, 0, sizeof(shm_status_t), &seg) < 0)
		return 0;
	st = shm_seg_body(&seg);
	for (i = 0; i < st->nstages && i < SHM_STATUS_MAX && (int)i < cap; i++)
		if ((pid[i] = st->stage[i].pid) > 0 && !strcmp(st->stage[i].name, "listener"))
			*listener = pid[i];
	shm_seg_detach(&seg);
	return (int)i;
}

static double
proc_cpu_s(int pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut = 0, st = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')) != NULL)
		sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st);
	fclose(f);
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* Seal the next n datagrams of the fleet's stream into good[]. */
static int
seal_good(size_t n)
{
	static uint8_t payload[1400];
	size_t j;

	memset(payload, 0x5a, sizeof(payload));
	for (j = 0; j < n; j++, good_next++) {
		proto_data_hdr_t d = {0};
		uint32_t k = (uint32_t)(good_next / (uint64_t)cameras);
		int c = (int)(good_next % (uint64_t)cameras);

		memcpy(d.uuid, uuid[c], 16);
		d.date = date;
		d.counter = k + 1;
		d.stream = PROTO_S_VIDEO;
		d.codec = PROTO_C_H264;
		d.flags = k % (30 * FRAGS) < FRAGS ? PROTO_F_KEYFRAME : 0;
		d.frame = k / FRAGS;
		d.frag_index = (uint16_t)(k % FRAGS);
		d.frag_count = FRAGS;
		d.capture_ms = t0_ms + k * 1000 / CAM_DGRAMS_PER_S;
		d.payload_len = sizeof(payload);
		if (proto_data_seal(sess[c], &d, payload, good[j], DATA_LEN) != DATA_LEN)
			return -1;
	}
	return 0;
}

/* The bad datagrams of one class (replays come from the previous phase). */
static void
make_bad(int cls, proto_session_t *stranger, const uint8_t *stranger_uuid)
{
	uint8_t payload[1400] = {0};
	size_t i;

	for (i = 0; i < VARIANTS; i++) {
		uint8_t *b = bad[i], r[4];
		const uint8_t *g = good[i % good_cap];

		RAND_bytes(r, sizeof(r));
		memcpy(b, g, DATA_LEN);
		bad_len[i] = DATA_LEN;
		switch (cls) {
		case C_RANDOM:
			bad_len[i] = 1 + (r[0] | r[1] << 8) % PROTO_MAX_DGRAM;
			RAND_bytes(b, (int)bad_len[i]);
			break;
		case C_TRUNC: bad_len[i] = 1 + (r[0] | r[1] << 8) % (DATA_LEN - 1); break;
		case C_BITFLIP: /* in the sealed payload or the tag: GCM must refuse it */
			b[PROTO_DATA_HDR_LEN +
			  (r[0] | r[1] << 8) % (DATA_LEN - PROTO_DATA_HDR_LEN)] ^=
			    (uint8_t)(1 << (r[2] % 8));
			break;
		case C_OVERSIZE:
			bad_len[i] =
			    PROTO_MAX_DGRAM + 1 + (r[0] | r[1] << 8) % (2048 - PROTO_MAX_DGRAM - 1);
			break;
		case C_VERSION: b[2] = (uint8_t)(PROTO_VERSION + 1 + r[0] % 254); break;
		case C_UNKNOWN: {
			proto_data_hdr_t d = {0};

			memcpy(d.uuid, stranger_uuid, 16);
			d.date = date;
			d.counter = (uint32_t)i + 1;
			d.stream = PROTO_S_VIDEO;
			d.codec = PROTO_C_H264;
			d.frag_count = 1;
			d.payload_len = sizeof(payload);
			proto_data_seal(stranger, &d, payload, b, DATA_LEN);
			break;
		}
		case C_HELLO:
			bad_len[i] = forged_len[i % (size_t)cameras];
			memcpy(b, forged[i % (size_t)cameras], bad_len[i]);
			break;
		}
	}
}

static void
mm(struct mmsghdr *m, struct iovec *v, const void *p, size_t len, struct sockaddr_in *to)
{
	*v = (struct iovec){(void *)p, len};
	*m = (struct mmsghdr){.msg_hdr = {.msg_iov = v, .msg_iovlen = 1}};
	if (to) {
		m->msg_hdr.msg_name = to;
		m->msg_hdr.msg_namelen = sizeof(*to);
	}
}

/* Count what the server sent back to the flood's addresses. */
static void
drain_flood(int fd)
{
	static uint8_t buf[BATCH][256];
	struct mmsghdr m[BATCH];
	struct iovec v[BATCH];
	int i, n;

	do {
		for (i = 0; i < BATCH; i++)
			mm(&m[i], &v[i], buf[i], sizeof(buf[i]), NULL);
		if ((n = recvmmsg(fd, m, BATCH, MSG_DONTWAIT, NULL)) > 0)
			for (i = 0; i < n; i++)
				flood_rx_bytes += m[i].msg_len;
	} while (n == BATCH);
}

/*
 * Send ngood datagrams of good[] and nbad bad ones (class cls, or forged
 * hellos from many sources when flood) over the same seconds, paced by
 * sleeping. Good ones leave fd_good, bad ones fd_bad; a flood sets each
 * hello's source address with IP_PKTINFO.
 */
static void
stream(int fd_good, int fd_bad, size_t ngood, size_t nbad, int cls, int flood, double secs)
{
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	union {
		char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} ctl[BATCH];
	struct mmsghdr m[BATCH];
	struct iovec v[BATCH];
	size_t g = 0, b = 0, k;
	double t0 = tu_now_s(), t;

	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	while (g < ngood || b < nbad) {
		t = tu_now_s() - t0;
		size_t due_g = (size_t)(t / secs * (double)ngood) + 1,
		       due_b = (size_t)(t / secs * (double)nbad) + 1;

		if (due_g > ngood)
			due_g = ngood;
		if (due_b > nbad)
			due_b = nbad;
		for (k = 0; g + k < due_g && k < BATCH; k++)
			mm(&m[k], &v[k], good[g + k], DATA_LEN, &to);
		if (k > 0) {
			int r = sendmmsg(fd_good, m, (unsigned)k, 0);
			g += r > 0 ? (size_t)r : 0;
		}
		for (k = 0; b + k < due_b && k < BATCH; k++) {
			size_t i = (b + k) % VARIANTS;

			if (flood) {
				struct cmsghdr *c;
				struct in_pktinfo pi = {0};
				uint32_t n = (uint32_t)(b + k);

				i = n % (size_t)cameras;
				mm(&m[k], &v[k], forged[i], forged_len[i], &to);
				m[k].msg_hdr.msg_control = ctl[k].buf;
				m[k].msg_hdr.msg_controllen = sizeof(ctl[k].buf);
				c = CMSG_FIRSTHDR(&m[k].msg_hdr);
				c->cmsg_level = IPPROTO_IP;
				c->cmsg_type = IP_PKTINFO;
				c->cmsg_len = CMSG_LEN(sizeof(pi));
				pi.ipi_spec_dst.s_addr = htonl(0x7f020000u + n % (uint32_t)sources);
				memcpy(CMSG_DATA(c), &pi, sizeof(pi));
			} else if (cls == C_REPLAY) {
				mm(&m[k], &v[k], prev[(b + k) % prev_n], DATA_LEN, &to);
			} else {
				mm(&m[k], &v[k], bad[i], bad_len[i], &to);
			}
		}
		if (k > 0) {
			int r = sendmmsg(fd_bad, m, (unsigned)k, 0);
			b += r > 0 ? (size_t)r : 0;
		}
		if (flood)
			drain_flood(fd_bad);
		/* sleep to the next due datagram: the sender must leave the cores to vigil */
		double next = secs * (double)g / (double)(ngood ? ngood : 1);
		if (nbad && secs * (double)b / (double)nbad < next)
			next = secs * (double)b / (double)nbad;
		if ((t = next - (tu_now_s() - t0)) > 200e-6) {
			struct timespec ts = {0, (long)((t - 100e-6) * 1e9)};
			nanosleep(&ts, NULL);
		}
	}
}

/* Writers' appended + duplicates, until they stop moving for 0.5 s. */
static void
settle(void)
{
	uint64_t last = 0, v;
	double tl = tu_now_s(), t0 = tl;

	while (tu_now_s() - t0 < 30) {
		usleep(50 * 1000);
		v = metric("writer", 2, "appended_total") +
		    metric("writer", 2, "duplicates_total") + drop_total();
		if (v != last) {
			last = v;
			tl = tu_now_s();
		} else if (tu_now_s() - tl > 0.5) {
			break;
		}
	}
}

static int
sock(uint32_t addr)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_DGRAM, 0), sndbuf = 8 << 20;

	a.sin_addr.s_addr = htonl(addr);
	setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sndbuf, sizeof(sndbuf));
	if (addr)
		bind(fd, (struct sockaddr *)&a, sizeof(a));
	return fd;
}

/* A camera directory for hello_probe: one more camera with the fleet's key. */
static int
probe_camera(const char *dir, const char *keydir, EVP_PKEY *cam, EVP_PKEY *srv)
{
	uint8_t id[16];
	char path[800], u[37];
	FILE *f;

	proto_uuid_v4(id);
	proto_uuid_fmt(id, u);
	if (proto_mkdirs(dir) < 0 || proto_registry_add(keydir, id, cam) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/camera.key", dir);
	if (proto_key_save_private(cam, path) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/server.pub", dir);
	if (proto_key_save_public(srv, path) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/camera.conf", dir);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	fprintf(f, "uuid = %s\n", u);
	return fclose(f) == 0 ? 0 : -1;
}

/* Start hello_probe after delay_ms, its output in out; its pid or -1. */
static pid_t
probe_start(const char *camdir, const char *out, int delay_ms)
{
	const char *o = getenv("OUT") ? getenv("OUT") : "build/default";
	char tool[512], server[64];
	pid_t pid;

	snprintf(tool, sizeof(tool), "%s/tests/tools/hello_probe", o);
	snprintf(server, sizeof(server), "127.0.0.1:%d", port);
	if (access(tool, X_OK) != 0 || (pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		dup2(fd, 1);
		usleep((useconds_t)delay_ms * 1000);
		execl(tool, "hello_probe", "-s", server, "-C", camdir, "-b", "127.1.1.1", "-t",
		      "20", (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* From hello_probe's output: 1 when it got its HELLO_ACK, and how long it took. */
static int
probe_result(pid_t pid, const char *out, double *ms)
{
	char line[256];
	unsigned long long t;
	int got = 0;
	FILE *f;

	*ms = -1;
	if (pid < 0)
		return 0;
	waitpid(pid, NULL, 0);
	if ((f = fopen(out, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "ack session=%*u tries=%*d ms=%llu", &t) == 1 ||
		    sscanf(line, "ack_without_cookie session=%*u tries=%*d ms=%llu", &t) == 1) {
			*ms = (double)t;
			got = 1;
		}
	}
	fclose(f);
	return got;
}

static int
setup(const char *keydir, const char *probedir)
{
	char path[700];
	EVP_PKEY *cam = proto_key_generate(2048), *srv = proto_key_generate(2048),
		 *wrong = proto_key_generate(2048);
	uint8_t secret[32];
	int c;

	if (cam == NULL || srv == NULL || wrong == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/server.key", keydir);
	if (proto_key_save_private(srv, path) < 0)
		return -1;
	t0_ms = proto_now_ms();
	date = proto_date_from_ms(t0_ms);
	for (c = 0; c < cameras; c++) {
		proto_hello_t h;
		int len;

		if ((len = tu_fleet_camera(cam, srv, keydir, date, t0_ms, &h, secret, hellos[c],
					   PROTO_MAX_DGRAM, &sess[c])) < 0)
			return -1;
		memcpy(uuid[c], h.uuid, 16);
		hello_len[c] = (size_t)len;
		/* the same camera, a later session, signed with a key not its own */
		h.counter = 1000;
		RAND_bytes(h.hello_id, sizeof(h.hello_id));
		if ((len = proto_hello_seal(wrong, srv, &h, secret, forged[c], PROTO_MAX_DGRAM)) <
		    0)
			return -1;
		forged_len[c] = (size_t)len;
	}
	if (probe_camera(probedir, keydir, cam, srv) < 0)
		return -1;
	EVP_PKEY_free(cam);
	EVP_PKEY_free(srv);
	EVP_PKEY_free(wrong);
	return 0;
}

int
main(void)
{
	char *tmp = NULL, keys[600], conf[700], cmd[1024];
	char probedir[600], probeout[700];
	const char *bindir = getenv("BINDIR") ? getenv("BINDIR") : "bin", *cookie = "auto";
	size_t nbad = 200000, ngood, last_n = 1;
	double bad_rate = 50000, hello_rate = 100000, hello_secs = 5, ref_rate = 0, ref_cpu = 0;
	int pid0[16], pid[16], npid, i, cls, fd_good, fd_bad, fd_flood, lpid = 0, total_crashes = 0;
	uint64_t total_loss = 0;
	uint8_t stranger_uuid[16], stranger_secret[32];
	proto_session_t *stranger;
	FILE *f;
	pid_t vpid;

	nbad = (size_t)tu_env_int("BENCH_BAD", (int)nbad, 1, INT_MAX);
	bad_rate = tu_env_double("BENCH_BAD_RATE", bad_rate, 1, 1e9);
	hello_rate = tu_env_double("BENCH_HELLO_RATE", hello_rate, 1, 1e9);
	hello_secs = tu_env_double("BENCH_HELLO_SECONDS", hello_secs, 0.001, 3600);
	sources = tu_env_int("BENCH_HELLO_SOURCES", sources, 1, 1 << 20);
	cameras = tu_env_int("BENCH_CAMERAS", cameras, 1, INT_MAX);
	if (getenv("BENCH_COOKIE"))
		cookie = getenv("BENCH_COOKIE");
	if (strcmp(cookie, "auto") && strcmp(cookie, "always") && strcmp(cookie, "off"))
		return 2;
	if (nbad < 1 || bad_rate <= 0 || hello_rate <= 0 || hello_secs <= 0 || cameras < 1 ||
	    sources < 1 || sources > 1 << 20)
		return 2;
	good_rate = (double)cameras * CAM_DGRAMS_PER_S;
	good_cap = (size_t)(good_rate * ((double)nbad / bad_rate > hello_secs
					     ? (double)nbad / bad_rate
					     : (hello_secs > 3 ? hello_secs : 3))) +
		   1;
	good = malloc(good_cap * DATA_LEN);
	prev = malloc(good_cap * DATA_LEN);
	bad = malloc(VARIANTS * sizeof(*bad));
	sess = calloc((size_t)cameras, sizeof(*sess));
	uuid = calloc((size_t)cameras, 16);
	hellos = malloc((size_t)cameras * PROTO_MAX_DGRAM);
	forged = malloc((size_t)cameras * PROTO_MAX_DGRAM);
	hello_len = calloc((size_t)cameras, sizeof(size_t));
	forged_len = calloc((size_t)cameras, sizeof(size_t));
	if (!good || !prev || !bad || !sess || !uuid || !hellos || !forged || !hello_len ||
	    !forged_len || (tmp = tu_tmpdir()) == NULL)
		return 1;
	snprintf(keys, sizeof(keys), "%s/keys", tmp);
	mkdir(keys, 0700);
	snprintf(probedir, sizeof(probedir), "%s/probecam", tmp);
	snprintf(probeout, sizeof(probeout), "%s/probe.out", tmp);
	if (setup(keys, probedir) < 0) {
		fprintf(stderr, "bench_attack: setup failed: %s\n", proto_errmsg());
		return 1;
	}
	proto_uuid_v4(stranger_uuid);
	RAND_bytes(stranger_secret, sizeof(stranger_secret));
	stranger = proto_session_new(stranger_uuid, date, 0, stranger_secret);

	port = 30000 + getpid() % 20000;
	snprintf(prefix, sizeof(prefix), "vigilattack%d", (int)getpid());
	snprintf(conf, sizeof(conf), "%s/vigil.conf", tmp);
	if ((f = fopen(conf, "w")) == NULL)
		return 1;
	fprintf(f,
		"shm_prefix = %s\nmetrics_listen =\nwriters = 2\nring_slots = 16384\n"
		"hello_cookie = %s\n"
		"stage listener = %s/vigil-listener -d %s -l 127.0.0.1:%d\n"
		"stage writer = %s/vigil-writer -D %s/data\n",
		prefix, cookie, bindir, keys, port, bindir, tmp);
	fclose(f);
	if ((vpid = fork()) == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		dup2(devnull, 2);
		dup2(devnull, 1);
		snprintf(cmd, sizeof(cmd), "%s/vigild", bindir);
		execl(cmd, "vigild", "-f", "-c", conf, (char *)NULL);
		_exit(127);
	}
	usleep(700 * 1000);
	npid = stage_pids(pid0, 16, &lpid);
	fd_good = sock(INADDR_LOOPBACK);
	fd_bad = sock(INADDR_LOOPBACK);
	fd_flood = sock(0);
	{ /* one hello per camera, each from its own address: the default per-source limit holds */
		struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};

		to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		for (i = 0; i < cameras; i++) {
			int fd = sock(0x7f010000u + 1 + (uint32_t)i);

			sendto(fd, hellos[i], hello_len[i], 0, (struct sockaddr *)&to, sizeof(to));
			close(fd);
			usleep(1000);
		}
	}
	settle();
	fprintf(stderr,
		"bench_attack: %d stages, %llu of %d hellos accepted; bad %zu per class at %.0f/s, "
		"hello flood %.0f/s for %.0f s, %d cameras at %.0f datagrams/s\n",
		npid, (unsigned long long)metric("listener", 1, "hello"), cameras, nbad, bad_rate,
		hello_rate, hello_secs, cameras, good_rate);
	printf(
	    "BENCH attack_counts bad_per_class=%zu bad_rate=%.0f hello_rate=%.0f hello_seconds=%.0f "
	    "cameras=%d good_dgrams_per_s=%.0f\n",
	    nbad, bad_rate, hello_rate, hello_secs, cameras, good_rate);

	/* phases: -1 the reference, 0..NCLASS-1 the classes, NCLASS the hello flood */
	for (cls = -1; cls <= NCLASS; cls++) {
		double secs = cls < 0 ? 3 : cls == NCLASS ? hello_secs : (double)nbad / bad_rate;
		size_t n_bad = cls < 0         ? 0
			       : cls == NCLASS ? (size_t)(hello_rate * hello_secs)
					       : nbad;
		uint64_t a0, d0, dr0, sig0, cnt0, a1, d1, dr1, sig1, cnt1, loss, counted, ck0, ck1;
		double c0, c1, t0, t1, cpu_pct, probe_ms = -1;
		pid_t probe = -1;
		int crashes = 0, probe_ok = 0;

		ngood = (size_t)(good_rate * secs);
		memcpy(prev, good, good_cap * DATA_LEN);
		prev_n = last_n;
		last_n = ngood;
		if (seal_good(ngood) < 0)
			return 1;
		if (cls >= 0 && cls < NCLASS && cls != C_REPLAY)
			make_bad(cls, stranger, stranger_uuid);
		counters(cls, &a0, &d0, &dr0, &sig0, &cnt0);
		ck0 = metric("listener", 1, "hello_cookie_sent");
		flood_rx_bytes = 0;
		if (cls == NCLASS) /* a camera opens a session one second into the flood */
			probe = probe_start(probedir, probeout, 1000);
		c0 = proc_cpu_s(lpid);
		t0 = tu_now_s();
		stream(fd_good, cls == NCLASS ? fd_flood : fd_bad, ngood, n_bad, cls, cls == NCLASS,
		       secs);
		t1 = tu_now_s();
		c1 = proc_cpu_s(lpid);
		settle();
		if (cls == NCLASS) {
			drain_flood(fd_flood);
			probe_ok = probe_result(probe, probeout, &probe_ms);
		}
		counters(cls, &a1, &d1, &dr1, &sig1, &cnt1);
		ck1 = metric("listener", 1, "hello_cookie_sent");
		if (stage_pids(pid, 16, &i) != npid || waitpid(vpid, NULL, WNOHANG) != 0)
			crashes = npid ? npid : 1;
		else
			for (i = 0; i < npid; i++)
				crashes += pid[i] != pid0[i];
		total_crashes += crashes;
		loss = a1 - a0 < ngood ? ngood - (a1 - a0) : 0;
		total_loss += loss;
		/* replays: dropped by the listener's window or index, or kept once by a writer */
		counted = cls == C_REPLAY ? (d1 - d0) + (dr1 - dr0) : dr1 - dr0;
		cpu_pct = (c1 - c0) * 100 / (t1 - t0);
		fprintf(stderr,
			"bench_attack: %-14s %5.1f s: good sent %zu stored %llu, bad sent %zu, "
			"drops +%llu, duplicates +%llu, listener cpu %.0f%%, crashes %d\n",
			cls < 0         ? "ref"
			: cls == NCLASS ? "hello_flood"
					: class_name[cls],
			t1 - t0, ngood, (unsigned long long)(a1 - a0), n_bad,
			(unsigned long long)(dr1 - dr0), (unsigned long long)(d1 - d0), cpu_pct,
			crashes);
		if (cls < 0) {
			ref_rate = (double)(a1 - a0) / (t1 - t0);
			ref_cpu = cpu_pct;
			printf(
			    "BENCH attack_ref good_stored_per_s=%.0f listener_cpu_pct=%.1f good_loss=%llu "
			    "crashes=%d\n",
			    ref_rate, ref_cpu, (unsigned long long)loss, crashes);
		} else if (cls < NCLASS) {
			double rate = (double)(a1 - a0) / (t1 - t0);

			printf(
			    "BENCH attack_%s good_loss=%llu bad_rate=%.0f ref=%.0f ratio=%.2f crashes=%d "
			    "counted=%llu sent=%zu %s=+%llu\n",
			    class_name[cls], (unsigned long long)loss, (double)n_bad / (t1 - t0),
			    ref_rate, ref_rate > 0 ? rate / ref_rate : 0, crashes,
			    (unsigned long long)counted, n_bad, class_counter[cls],
			    (unsigned long long)(cnt1 - cnt0));
		} else {
			printf(
			    "BENCH attack_hello_flood listener_cpu_pct=%.1f ref=%.1f ratio=%.2f "
			    "rsa_checks_per_s=%.0f cookies_per_s=%.0f new_session=%d "
			    "new_session_ms=%.0f flood_bytes=%zu reply_bytes=%llu good_loss=%llu "
			    "crashes=%d hellos_sent=%zu hello_rate=%.0f counted=%llu sources=%d\n",
			    cpu_pct, ref_cpu, ref_cpu > 0 ? cpu_pct / ref_cpu : 0,
			    (double)(sig1 - sig0) / (t1 - t0), (double)(ck1 - ck0) / (t1 - t0),
			    probe_ok, probe_ms, n_bad * forged_len[0],
			    (unsigned long long)flood_rx_bytes, (unsigned long long)loss, crashes,
			    n_bad, (double)n_bad / (t1 - t0), (unsigned long long)(dr1 - dr0),
			    sources);
		}
		fflush(stdout);
	}
	printf("BENCH attack_total good_loss=%llu crashes=%d\n", (unsigned long long)total_loss,
	       total_crashes);
	kill(vpid, SIGTERM);
	waitpid(vpid, NULL, 0);
	proto_session_free(stranger);
	for (i = 0; i < cameras; i++)
		proto_session_free(sess[i]);
	snprintf(cmd, sizeof(cmd), "rm -rf %s; rm -f /dev/shm/%s-*", tmp, prefix);
	return system(cmd) != 0;
}
