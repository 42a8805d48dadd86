/*
 * NAME
 *	bench_ingest.c - the highest rate stored without loss: vigil against
 *	a bare recvmmsg + writev receiver, same sender, same run
 *
 * DESCRIPTION
 *	Seals, once, the datagrams of CAMERAS cameras streaming at 2 Mbps
 *	(1400-byte payloads, frames of 10 fragments, real per-frame keys,
 *	one hello per camera), then sweeps the offered rate upwards. At each
 *	rate a paced sendmmsg sender (in this process, so its CPU is nobody's;
 *	it sleeps between batches of 32, never spins)
 *	replays SECONDS seconds of those datagrams over loopback into:
 *	  vigil: vigild with the listener and two writers (programs from
 *	         $BINDIR, default bin), a fresh data folder each time;
 *	         stored = the writers' appended_total less the hellos;
 *	  ref:   one process doing recvmmsg(64) + writev to a file, with the
 *	         same 32 MiB receive buffer as the listener;
 *	  gst:   gst-launch-1.0 udpsrc ! filesink, when installed;
 *	  srt:   srt-live-transmit udp -> srt -> file (200 ms latency), when
 *	         installed.
 *	A receiver's sweep ends at its first rate with any loss. Prints, per
 *	receiver, the highest lossless rate and its CPU cost (user + system
 *	ms of the receiver's processes per MB stored, at that rate):
 *	  BENCH ingest lossless_dgrams_per_s=... ref=... ratio=... cpu_ms_per_mb=... ref_cpu_ms_per_mb=... cameras_2mbps=...
 *	  BENCH ingest_gst lossless_dgrams_per_s=... ref=... ratio=...
 *	Environment: BENCH_SECONDS (default 10; the full figure wants 30 and
 *	about 13 GB of memory for the sealed datagrams at the top rate),
 *	BENCH_CAMERAS (default 1000), BENCH_RATES (comma list, datagrams/s).
 *	Nothing is asserted.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
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
#include "testutil.h"
#include "shm_metrics.h"

#define MAX_RATES 16
#define FRAGS 10             /* datagrams per frame */
#define CAM_DGRAMS_PER_S 178 /* 2 Mbps of 1400-byte payloads */
#define DATA_LEN (PROTO_DATA_HDR_LEN + 1400 + PROTO_TAG_LEN)

static uint8_t (*pool)[DATA_LEN]; /* data datagrams, cameras interleaved */
static uint8_t (*hellos)[PROTO_MAX_DGRAM];
static size_t *hello_len;
static size_t pool_n;
static int cameras = 1000, seconds = 10;
static const char *bindir;

static double
children_cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_CHILDREN, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

/* Send n datagrams (hellos when hello, else the pool's first n) paced at rate. */
static void
blast(int port, int hello, size_t n, double rate)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	struct mmsghdr m[32];
	struct iovec v[32];
	int fd = socket(AF_INET, SOCK_DGRAM, 0), sndbuf = 4 << 20;
	double t0 = tu_now_s();
	size_t i, k;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	connect(fd, (struct sockaddr *)&a, sizeof(a));
	for (i = 0; i < n;) {
		for (k = 0; k < 32 && i + k < n; k++) {
			v[k] = hello ? (struct iovec){hellos[i + k], hello_len[i + k]}
				     : (struct iovec){pool[i + k], DATA_LEN};
			m[k] = (struct mmsghdr){.msg_hdr = {.msg_iov = &v[k], .msg_iovlen = 1}};
		}
		int r = sendmmsg(fd, m, (unsigned)k, 0);
		double ahead;

		if (r > 0)
			i += (size_t)r;
		/*
		 * Sleep while ahead, never spin: the sender must not take a core
		 * from the receivers on a two-core machine (spinning the last
		 * 100 us of each wait cost it a third of a core at 150,000/s).
		 * The pace is the count sent against the clock, so a late wake-up
		 * only makes the next batch go at once; the timer slack is 1 us.
		 */
		if ((ahead = (double)i / rate - (tu_now_s() - t0)) > 0) {
			struct timespec ts = {(time_t)ahead,
					      (long)((ahead - (double)(time_t)ahead) * 1e9)};
			nanosleep(&ts, NULL);
		}
	}
	close(fd);
}

static int
seal_all(const char *keydir, size_t n)
{
	char path[700];
	EVP_PKEY *cam = proto_key_generate(2048), *srv = proto_key_generate(2048);
	proto_session_t **s = calloc((size_t)cameras, sizeof(*s));
	uint8_t(*uuid)[16] = calloc((size_t)cameras, 16), secret[32], payload[1400];
	uint64_t ms = proto_now_ms();
	uint32_t date = proto_date_from_ms(ms);
	size_t j;
	int c, i;

	if (cam == NULL || srv == NULL || s == NULL || uuid == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/server.key", keydir);
	if (proto_key_save_private(srv, path) < 0)
		return -1;
	memset(payload, 0x5a, sizeof(payload));
	for (c = 0; c < cameras; c++) {
		proto_hello_t h;
		int len;

		if ((len = tu_fleet_camera(cam, srv, keydir, date, ms, &h, secret, hellos[c],
					   PROTO_MAX_DGRAM, &s[c])) < 0)
			return -1;
		memcpy(uuid[c], h.uuid, 16);
		hello_len[c] = (size_t)len;
	}
	for (j = 0; j < n; j++) {
		proto_data_hdr_t d = {0};
		uint32_t k = (uint32_t)(j / (size_t)cameras); /* the camera's k-th datagram */

		c = (int)(j % (size_t)cameras);
		memcpy(d.uuid, uuid[c], 16);
		d.date = date;
		d.counter = k + 1;
		d.stream = PROTO_S_VIDEO;
		d.codec = PROTO_C_H264;
		d.flags = k % (30 * FRAGS) < FRAGS ? PROTO_F_KEYFRAME : 0;
		d.frame = k / FRAGS;
		d.frag_index = (uint16_t)(k % FRAGS);
		d.frag_count = FRAGS;
		d.capture_ms = ms + k * 1000 / CAM_DGRAMS_PER_S;
		d.payload_len = sizeof(payload);
		if (proto_data_seal(s[c], &d, payload, pool[j], DATA_LEN) != DATA_LEN)
			return -1;
	}
	for (i = 0; i < cameras; i++)
		proto_session_free(s[i]);
	free(s);
	free(uuid);
	EVP_PKEY_free(cam);
	EVP_PKEY_free(srv);
	return 0;
}

static uint64_t
metric_sum(const char *prefix, const char *stage, int instances, const char *name)
{
	uint64_t sum = 0;
	int i;

	for (i = 0; i < instances; i++) {
		shm_seg_t seg;
		shm_metrics_t *m;
		uint64_t *c;

		if (shm_metrics_open(prefix, stage, (uint32_t)i, &seg, &m) != 0)
			continue;
		if ((c = shm_metrics_counter(m, name)) != NULL)
			sum += __atomic_load_n(c, __ATOMIC_RELAXED);
		shm_seg_detach(&seg);
	}
	return sum;
}

/* Poll f until its value stops changing for quiet_s; returns the last value. */
static uint64_t
settle(uint64_t (*f)(void *), void *arg, double quiet_s, double max_s)
{
	double t0 = tu_now_s(), tl = t0;
	uint64_t last = f(arg), v;

	while (tu_now_s() - t0 < max_s) {
		usleep(20 * 1000);
		if ((v = f(arg)) != last) {
			last = v;
			tl = tu_now_s();
		} else if (tu_now_s() - tl > quiet_s) {
			break;
		}
	}
	return last;
}

static uint64_t
vigil_stored(void *prefix)
{
	return metric_sum(prefix, "writer", 2, "appended_total");
}

static uint64_t
vigil_hellos(void *prefix)
{
	return metric_sum(prefix, "listener", 1, "hello");
}

/* One step: datagrams stored by vigil out of n sent at rate; *cpu in seconds. */
static uint64_t
step_vigil(const char *tmp, int port, size_t n, double rate, double *cpu)
{
	char conf[600], cmd[1024], prefix[64];
	double c0 = children_cpu_s();
	uint64_t stored;
	FILE *f;
	pid_t pid;

	snprintf(prefix, sizeof(prefix), "vigilbench%d-%d", (int)getpid(), port);
	snprintf(conf, sizeof(conf), "%s/vigil.conf", tmp);
	snprintf(cmd, sizeof(cmd), "rm -rf %s/data", tmp);
	if (system(cmd) != 0 || (f = fopen(conf, "w")) == NULL)
		return 0;
	/*
	 * hello_load above the hellos' pace: the simulated cameras open their
	 * sessions in one burst and answer no hello cookie (vigil-cam does);
	 * the data path is what is measured here.
	 */
	fprintf(f,
		"shm_prefix = %s\nmetrics_listen =\nwriters = 2\nring_slots = 16384\n"
		"hello_load = 1000000\n"
		"stage listener = %s/vigil-listener -d %s/keys -l 127.0.0.1:%d -r 100000\n"
		"stage writer = %s/vigil-writer -D %s/data\n",
		prefix, bindir, tmp, port, bindir, tmp);
	fclose(f);
	if ((pid = fork()) == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		dup2(devnull, 2);
		dup2(devnull, 1);
		snprintf(cmd, sizeof(cmd), "%s/vigild", bindir);
		execl(cmd, "vigild", "-f", "-c", conf, (char *)NULL);
		_exit(127);
	}
	usleep(500 * 1000);
	blast(port, 1, (size_t)cameras, 1000); /* hellos: RSA work, well under its limit */
	settle(vigil_hellos, prefix, 0.3, 10);
	blast(port, 0, n, rate);
	stored = settle(vigil_stored, prefix, 0.5, 30);
	fprintf(
	    stderr,
	    "bench_ingest: listener accepted %llu, hellos %llu, no session %llu, ring full %llu\n",
	    (unsigned long long)metric_sum(prefix, "listener", 1, "accepted"),
	    (unsigned long long)metric_sum(prefix, "listener", 1, "hello"),
	    (unsigned long long)metric_sum(prefix, "listener", 1, "no_session"),
	    (unsigned long long)metric_sum(prefix, "listener", 1, "ring_full"));
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	*cpu = children_cpu_s() - c0;
	snprintf(cmd, sizeof(cmd), "rm -f /dev/shm/%s-*", prefix);
	if (system(cmd) != 0)
		return 0;
	return stored > (uint64_t)cameras ? stored - (uint64_t)cameras : 0;
}

/* The reference: recvmmsg + writev into a file until 0.5 s of silence. */
static uint64_t
step_ref(const char *tmp, int port, size_t n, double rate, double *cpu)
{
	double c0 = children_cpu_s();
	int pfd[2];
	long got = 0;
	char c;
	pid_t pid;

	if (pipe(pfd) != 0)
		return 0;
	if ((pid = fork()) == 0) {
		static uint8_t buf[64][PROTO_MAX_DGRAM + 1];
		struct mmsghdr m[64];
		struct iovec v[64];
		struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
		char path[600];
		int fd = socket(AF_INET, SOCK_DGRAM, 0), rcv = 32 << 20, out, k;
		struct timeval tv = {0, 500000};
		long cnt = 0;

		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv));
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		bind(fd, (struct sockaddr *)&a, sizeof(a));
		snprintf(path, sizeof(path), "%s/ref.out", tmp);
		out = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (write(pfd[1], "r", 1) != 1)
			_exit(1);
		for (;;) {
			for (k = 0; k < 64; k++) {
				v[k] = (struct iovec){buf[k], sizeof(buf[k])};
				m[k] = (struct mmsghdr){
				    .msg_hdr = {.msg_iov = &v[k], .msg_iovlen = 1}};
			}
			int r = recvmmsg(fd, m, 64, MSG_WAITFORONE, NULL);
			if (r <= 0)
				break;
			for (k = 0; k < r; k++)
				v[k].iov_len = m[k].msg_len;
			if (writev(out, v, r) < 0)
				break;
			cnt += r;
		}
		fdatasync(out);
		if (write(pfd[1], &cnt, sizeof(cnt)) != sizeof(cnt))
			_exit(1);
		_exit(0);
	}
	close(pfd[1]);
	if (read(pfd[0], &c, 1) != 1)
		return 0;
	blast(port, 0, n, rate);
	if (read(pfd[0], &got, sizeof(got)) != sizeof(got))
		got = 0;
	close(pfd[0]);
	waitpid(pid, NULL, 0);
	*cpu = children_cpu_s() - c0;
	return (uint64_t)got;
}

/* The shell command of an outside receiver listening on port, writing out. */
static void
outside_cmd(const char *name, int port, const char *out, char *cmd, size_t cap)
{
	if (!strcmp(name, "gst"))
		snprintf(cmd, cap,
			 "exec gst-launch-1.0 -q -e udpsrc port=%d buffer-size=33554432 ! "
			 "filesink location=%s",
			 port, out);
	else /* srt: udp -> srt relay, then srt -> file, 200 ms latency */
		snprintf(cmd, cap,
			 "srt-live-transmit -q udp://127.0.0.1:%d?rcvbuf=33554432 "
			 "'srt://127.0.0.1:%d?mode=listener&latency=200' & sleep 0.3; "
			 "exec srt-live-transmit -q 'srt://127.0.0.1:%d?mode=caller&latency=200' "
			 "file://con > %s",
			 port, port + 1, port + 1, out);
}

/* An outside receiver run by sh -c; stored = bytes of its file / DATA_LEN. */
static uint64_t
step_cmd(const char *tmp, const char *name, int port, size_t n, double rate, double *cpu)
{
	char cmd[1024], out[600];
	double c0 = children_cpu_s();
	struct stat st;
	off_t last = -1;
	pid_t pid;
	int i;

	snprintf(out, sizeof(out), "%s/cmd.out", tmp);
	unlink(out);
	outside_cmd(name, port, out, cmd, sizeof(cmd));
	if ((pid = fork()) == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		setpgid(0, 0);
		dup2(devnull, 2);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	usleep(1500 * 1000);
	blast(port, 0, n, rate);
	for (i = 0; i < 100; i++) { /* until the file stops growing for 0.5 s */
		usleep(500 * 1000);
		if (stat(out, &st) == 0 && st.st_size == last)
			break;
		last = stat(out, &st) == 0 ? st.st_size : -1;
	}
	kill(-pid, SIGINT);
	usleep(300 * 1000);
	kill(-pid, SIGKILL);
	waitpid(pid, NULL, 0);
	*cpu = children_cpu_s() - c0;
	return stat(out, &st) == 0 ? (uint64_t)st.st_size / DATA_LEN : 0;
}

typedef struct receiver {
	const char *name;
	double best, cpu_ms_per_mb;
	int done, ran;
} receiver_t;

static int
installed(const char *prog)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", prog);
	return system(cmd) == 0;
}

int
main(void)
{
	char *tmp = tu_tmpdir(), keys[600], cmd[700];
	double rates[MAX_RATES] = {50000, 100000, 150000, 200000, 250000, 300000, 350000};
	int nrates = 7, port = 30000 + getpid() % 20000, r, k;
	receiver_t rx[] = {{.name = "vigil"}, {.name = "ref"}, {.name = "gst"}, {.name = "srt"}};
	size_t maxn;

	bindir = getenv("BINDIR") ? getenv("BINDIR") : "bin";
	seconds = tu_env_int("BENCH_SECONDS", seconds, 1, 3600);
	cameras = tu_env_int("BENCH_CAMERAS", cameras, 1, 1 << 20);
	if (getenv("BENCH_RATES")) {
		char *list = strdup(getenv("BENCH_RATES")), *t, *save = NULL;

		for (nrates = 0, t = strtok_r(list, ",", &save); t && nrates < MAX_RATES;
		     t = strtok_r(NULL, ",", &save))
			if (proto_parse_double("BENCH_RATES", t, 1, 1e9, &rates[nrates++]) < 0) {
				fprintf(stderr, "%s\n", proto_errmsg());
				return 2;
			}
	}
	if (seconds < 1 || cameras < 1 || nrates < 1)
		return 2;
	maxn = (size_t)(rates[nrates - 1] * seconds);
	pool_n = maxn;
	pool = malloc(pool_n * DATA_LEN);
	hellos = malloc((size_t)cameras * PROTO_MAX_DGRAM);
	hello_len = calloc((size_t)cameras, sizeof(*hello_len));
	if (tmp == NULL || pool == NULL || hellos == NULL || hello_len == NULL) {
		fprintf(stderr, "bench_ingest: no memory for %zu datagrams\n", pool_n);
		return 1;
	}
	snprintf(keys, sizeof(keys), "%s/keys", tmp);
	mkdir(keys, 0700);
	if (seal_all(keys, pool_n) < 0) {
		fprintf(stderr, "bench_ingest: sealing failed: %s\n", proto_errmsg());
		return 1;
	}
	rx[2].done = !installed("gst-launch-1.0");
	rx[3].done = !installed("srt-live-transmit");
	for (r = 0; r < nrates; r++) {
		size_t n = (size_t)(rates[r] * seconds);

		for (k = 0; k < 4; k++) {
			double cpu = 0;
			uint64_t got;

			if (rx[k].done)
				continue;
			port += 2;
			got = k == 0   ? step_vigil(tmp, port, n, rates[r], &cpu)
			      : k == 1 ? step_ref(tmp, port, n, rates[r], &cpu)
				       : step_cmd(tmp, rx[k].name, port, n, rates[r], &cpu);
			rx[k].ran = 1;
			fprintf(
			    stderr,
			    "bench_ingest: %-5s %6.0f/s for %d s: stored %llu of %zu, cpu %.2f s\n",
			    rx[k].name, rates[r], seconds, (unsigned long long)got, n, cpu);
			if (got < n) {
				rx[k].done = 1;
				continue;
			}
			rx[k].best = rates[r];
			rx[k].cpu_ms_per_mb = cpu * 1000 / ((double)n * DATA_LEN / 1e6);
		}
	}
	printf("BENCH ingest lossless_dgrams_per_s=%.0f ref=%.0f ratio=%.2f cpu_ms_per_mb=%.2f "
	       "ref_cpu_ms_per_mb=%.2f cameras_2mbps=%.0f seconds=%d\n",
	       rx[0].best, rx[1].best, rx[1].best > 0 ? rx[0].best / rx[1].best : 0,
	       rx[0].cpu_ms_per_mb, rx[1].cpu_ms_per_mb, rx[0].best / CAM_DGRAMS_PER_S, seconds);
	for (k = 2; k < 4; k++) {
		if (!rx[k].ran)
			printf("BENCH ingest_%s skipped=not-installed\n", rx[k].name);
		else
			printf("BENCH ingest_%s lossless_dgrams_per_s=%.0f ref=%.0f ratio=%.2f "
			       "cpu_ms_per_mb=%.2f\n",
			       rx[k].name, rx[k].best, rx[1].best,
			       rx[1].best > 0 ? rx[k].best / rx[1].best : 0, rx[k].cpu_ms_per_mb);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	return system(cmd) != 0;
}
