/*
 * NAME
 *	bench_ingest.c - datagrams stored per second: vigil against a bare
 *	recvmmsg + writev receiver, same sender, same run
 *
 * DESCRIPTION
 *	Seals DGRAMS datagrams of one camera (1400-byte payloads, real keys),
 *	then for each receiver sends them over loopback with sendmmsg at a
 *	fixed pace and measures what reached the disk:
 *	  vigil: vigild with one listener and one writer (programs from
 *	         $BINDIR, default bin), stored = the writer's appended_total;
 *	  ref:   one process doing recvmmsg(64) + writev to a file.
 *	Prints
 *	  BENCH ingest dgrams_per_s=... ref=... ratio=... loss_pct=... ref_loss_pct=...
 *	where the rate is datagrams stored divided by the time from the first
 *	send to the last datagram stored. Nothing is asserted.
 */
#include <errno.h>
#include <fcntl.h>
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

#include "proto_crypto.h"
#include "shm_metrics.h"

#define DGRAMS 100000
#define RATE 200000 /* datagrams per second offered */

static uint8_t (*dg)[PROTO_MAX_DGRAM];
static size_t dlen[DGRAMS + 1];

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Send datagrams [from, to) paced at RATE; returns the start time. */
static double
blast(int port, int from, int to)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	struct mmsghdr m[32];
	struct iovec v[32];
	int fd = socket(AF_INET, SOCK_DGRAM, 0), i, k;
	double t0 = now_s();

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	connect(fd, (struct sockaddr *)&a, sizeof(a));
	for (i = from; i < to;) {
		for (k = 0; k < 32 && i + k < to; k++) {
			v[k] = (struct iovec){dg[i + k], dlen[i + k]};
			m[k] = (struct mmsghdr){.msg_hdr = {.msg_iov = &v[k], .msg_iovlen = 1}};
		}
		int n = sendmmsg(fd, m, (unsigned)k, 0);
		if (n > 0)
			i += n;
		while (now_s() - t0 < (double)(i - from) / RATE)
			;
	}
	close(fd);
	return t0;
}

static int
seal_all(const char *keydir, EVP_PKEY **spub_out)
{
	char path[700];
	EVP_PKEY *cam = proto_key_generate(2048), *srv = proto_key_generate(2048);
	uint8_t secret[32], payload[1400];
	proto_hello_t h = {0};
	proto_session_t *s;
	int i, n;

	snprintf(path, sizeof(path), "%s/server.key", keydir);
	proto_key_save_private(srv, path);
	proto_uuid_v4(h.uuid);
	proto_registry_add(keydir, h.uuid, cam);
	h.camera_ms = proto_now_ms();
	h.date = proto_date_from_ms(h.camera_ms);
	for (i = 0; i < 32; i++)
		secret[i] = (uint8_t)i;
	memset(payload, 0x5a, sizeof(payload));
	if ((n = proto_hello_seal(cam, srv, &h, secret, dg[0], PROTO_MAX_DGRAM)) < 0)
		return -1;
	dlen[0] = (size_t)n;
	s = proto_session_new(h.uuid, h.date, 0, secret);
	for (i = 1; i <= DGRAMS; i++) {
		proto_data_hdr_t d = {0};
		memcpy(d.uuid, h.uuid, 16);
		d.date = h.date;
		d.counter = (uint32_t)i;
		d.stream = PROTO_S_VIDEO;
		d.codec = PROTO_C_H264;
		d.frame = (uint32_t)(i - 1) / 10;
		d.frag_index = (uint16_t)((i - 1) % 10);
		d.frag_count = 10;
		d.capture_ms = h.camera_ms;
		d.payload_len = sizeof(payload);
		dlen[i] = (size_t)proto_data_seal(s, &d, payload, dg[i], PROTO_MAX_DGRAM);
	}
	proto_session_free(s);
	EVP_PKEY_free(cam);
	*spub_out = srv;
	return 0;
}

static double
run_vigil(const char *tmp, int port, double *loss)
{
	char conf[600], cmd[2048], name[64];
	const char *bindir = getenv("BINDIR") ? getenv("BINDIR") : "bin";
	shm_seg_t seg;
	shm_metrics_t *m;
	uint64_t *app = NULL, last = 0;
	double t0, tlast = 0;
	FILE *f;
	pid_t pid;
	int i;

	snprintf(conf, sizeof(conf), "%s/vigil.conf", tmp);
	f = fopen(conf, "w");
	fprintf(f, "shm_prefix = vigilbench%d\nmetrics_listen =\nwriters = 1\nring_slots = 16384\n"
		   "stage listener = %s/vigil-listener -d %s/keys -l 127.0.0.1:%d\n"
		   "stage writer = %s/vigil-writer -D %s/data\n",
		(int)getpid(), bindir, tmp, port, bindir, tmp);
	fclose(f);
	if ((pid = fork()) == 0) {
		snprintf(cmd, sizeof(cmd), "%s/vigild", bindir);
		int devnull = open("/dev/null", O_WRONLY);
		dup2(devnull, 2);
		dup2(devnull, 1);
		execl(cmd, "vigild", "-f", "-c", conf, (char *)NULL);
		_exit(127);
	}
	usleep(500 * 1000);
	blast(port, 0, 1); /* the hello */
	usleep(50 * 1000);
	snprintf(name, sizeof(name), "vigilbench%d", (int)getpid());
	t0 = blast(port, 1, DGRAMS + 1);
	for (i = 0; i < 400; i++) { /* until nothing more arrives for 0.5 s */
		if (app == NULL && shm_metrics_open(name, "writer", 0, &seg, &m) == 0)
			app = shm_metrics_counter(m, "appended_total");
		uint64_t v = app ? __atomic_load_n(app, __ATOMIC_RELAXED) : 0;
		if (v != last) {
			last = v;
			tlast = now_s();
		} else if (tlast && now_s() - tlast > 0.5)
			break;
		usleep(10 * 1000);
	}
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	last = last ? last - 1 : 0; /* the hello */
	*loss = 100.0 * (DGRAMS - (double)last) / DGRAMS;
	return last / (tlast - t0);
}

static double
run_ref(const char *tmp, int port, double *loss)
{
	int pfd[2];
	pid_t pid;
	double t0, tlast;
	long got = 0;

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
		long n = 0;

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
				m[k] = (struct mmsghdr){.msg_hdr = {.msg_iov = &v[k], .msg_iovlen = 1}};
			}
			int r = recvmmsg(fd, m, 64, MSG_WAITFORONE, NULL);
			if (r <= 0)
				break;
			for (k = 0; k < r; k++)
				v[k].iov_len = m[k].msg_len;
			if (writev(out, v, r) < 0)
				break;
			n += r;
		}
		fdatasync(out);
		if (write(pfd[1], &n, sizeof(n)) != sizeof(n))
			_exit(1);
		_exit(0);
	}
	char c;
	if (read(pfd[0], &c, 1) != 1)
		return 0;
	t0 = blast(port, 1, DGRAMS + 1);
	if (read(pfd[0], &got, sizeof(got)) != sizeof(got))
		got = 0;
	tlast = now_s() - 0.5; /* the receiver stopped after 0.5 s of silence */
	waitpid(pid, NULL, 0);
	*loss = 100.0 * (DGRAMS - (double)got) / DGRAMS;
	return got / (tlast - t0);
}

int
main(void)
{
	char tmp[] = "/tmp/vigil-bench-ingest.XXXXXX", keys[600], cmd[700];
	double rate, ref, loss = 0, rloss = 0;
	EVP_PKEY *srv;
	int port = 30000 + getpid() % 20000;

	if (mkdtemp(tmp) == NULL || (dg = malloc((size_t)(DGRAMS + 1) * PROTO_MAX_DGRAM)) == NULL)
		return 1;
	snprintf(keys, sizeof(keys), "%s/keys", tmp);
	mkdir(keys, 0700);
	if (seal_all(keys, &srv) < 0)
		return 1;
	ref = run_ref(tmp, port, &rloss);
	rate = run_vigil(tmp, port + 1, &loss);
	printf("BENCH ingest dgrams_per_s=%.0f ref=%.0f ratio=%.2f loss_pct=%.2f ref_loss_pct=%.2f\n",
	       rate, ref, ref > 0 ? rate / ref : 0, loss, rloss);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	if (system(cmd) != 0)
		return 1;
	EVP_PKEY_free(srv);
	return 0;
}
