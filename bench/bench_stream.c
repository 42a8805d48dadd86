/*
 * NAME
 *	bench_stream.c - the index and the streamer: seek, live latency,
 *	fan-out, index size, scan rate
 *
 * DESCRIPTION
 *	Runs vigil-indexer and vigil-streamer (from $BINDIR, default bin)
 *	against day files this program writes itself, as a writer would
 *	(sealed datagrams, a real hello, records with their CRCs), and
 *	watches with its own libwebsockets viewers. Prints:
 *
 *	  BENCH stream_scan mb_per_s=... ref=... ratio=... runs=...
 *	      the indexer's start-up scan of a 24-hour file (its own timing,
 *	      without process start); ref = cat FILE > /dev/null of the same
 *	      file in the same run, timed from fork to exit less the time of
 *	      /bin/true, no shell. Both read from the page cache; best of
 *	      BENCH_SCAN_RUNS (5) rounds of cat then a fresh indexer
 *	  BENCH stream_index bytes_per_dgram=... ref=... ratio=... entries_bytes_per_dgram=...
 *	      index arena bytes per stored datagram (what the segment holds,
 *	      the copies left by grown arrays included); ref = stored bytes
 *	      per datagram (record header + datagram); entries_... counts
 *	      only the live entries
 *	  BENCH stream_seek p50_ms=... p99_ms=... ref=20 ratio=...
 *	      play at a random time of the 24-hour day until its first
 *	      datagram arrives (ref: the goal)
 *	  BENCH stream_seek_backfill p50_ms=... p99_ms=... ref=... ratio=...
 *	      the same, into a 4-hour day whose second hour was lost and
 *	      resent during the third, one old frame after each live one,
 *	      so that playback in counter order leaves the file's order at
 *	      every frame: play at a random time of the second or third hour
 *	      until the first datagram; ref = stream_seek's p99; first_ms is
 *	      the first seek, which copies the day's points from the index
 *	      into the worker's table (shared by the viewers of the day,
 *	      kept while one of them plays it: the later seeks reuse it)
 *	  BENCH stream_live p50_ms=... p99_ms=... ref=... ratio=...
 *	      100 cameras, one live viewer each: from the append (write()
 *	      returned) to the viewer's receipt; ref = p99 of a bare
 *	      AF_UNIX socketpair wake-up in the same run
 *	  BENCH stream_fanout viewers=... ref=... ratio=...
 *	      viewers of one 2 Mbps camera that got every datagram for 5 s
 *	      without a skip, of ref viewers connected
 *
 *	The 24-hour day: 5 frames a second, a keyframe every 2 s (4
 *	fragments), other frames 2 fragments of 300 bytes (about 950,000
 *	datagrams, 400 MB). Environment: BENCH_FANOUT (500),
 *	BENCH_LIVE_CAMERAS (100), BENCH_SEEKS (200), BENCH_SCAN_RUNS (5);
 *	BENCH_STREAM_ONLY=scan stops after the scan and index figures;
 *	BENCH_NO_BACKFILL leaves out the backfilled day (the run then has
 *	the same phases as before it was added).
 *	Nothing is asserted.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libwebsockets.h>
#include <openssl/rand.h>

#include "auth.h"
#include "idx.h"
#include "proto_crypto.h"
#include "proto_record.h"
#include "testutil.h"
#include "view.h"

#define MAXCONN 4096
#define RING 65536
#define FANOUT_PROCS 4

typedef struct cam {
	uint8_t uuid[16];
	uint32_t date, counter, frame;
	int fd;
	uint64_t size;
	proto_session_t *s;
	uint64_t *t_write; /* ns of the write of counter c % RING */
	char path[512];
} cam_t;

typedef struct conn {
	struct lws *wsi;
	int cam, connected, state, closed;
	char cmd[512];
	int pending;
	uint64_t t_cmd, t_first, datagrams, skips, from;
	int64_t first_counter;
	uint64_t in_window; /* datagrams with counter >= window (fan-out) */
	uint8_t buf[2048];  /* the message being received */
	size_t blen;
} conn_t;

static char tmp[256], pfx[64], token[AUTH_TOKEN_MAX];
static const char *bindir = "bin";
static EVP_PKEY *campriv, *srvpub;
static struct lws_context *ctx;
static conn_t conns[MAXCONN];
static int hport;
static cam_t *cams;
static lws_sorted_usec_list_t tick;
static double *lat;
static size_t nlat, maxlat;
static pid_t pid_ix, pid_st;
static uint32_t window = UINT32_MAX;

static uint64_t
now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void
die(const char *what)
{
	fprintf(stderr, "bench_stream: %s\n", what);
	if (pid_ix > 0)
		kill(pid_ix, SIGKILL);
	if (pid_st > 0)
		kill(pid_st, SIGKILL);
	exit(1);
}

static int
cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double
pct(double *v, size_t n, double p)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmpd);
	return v[(size_t)(p * (double)(n - 1))];
}

/* --- writing day files, as a writer would ------------------------------ */

static void
cam_open(cam_t *c, uint32_t date, uint64_t hello_ms)
{
	uint8_t secret[32], hb[PROTO_MAX_DGRAM], fh[PROTO_FILE_HDR_LEN], rh[PROTO_REC_HDR_LEN];
	proto_file_hdr_t h = {{0}, date, hello_ms};
	proto_rec_meta_t m = {0};
	proto_hello_t hello = {0};
	char dir[512];
	int n;

	proto_uuid_v4(c->uuid);
	c->date = date;
	c->counter = 0;
	c->frame = 0;
	memcpy(h.uuid, c->uuid, 16);
	proto_uuid_fmt(c->uuid, dir + snprintf(dir, sizeof(dir), "%s/data/", tmp));
	mkdir(dir, 0755);
	snprintf(dir, sizeof(dir), "%s/data", tmp);
	proto_file_path(dir, c->uuid, date, c->path, sizeof(c->path));
	if ((c->fd = open(c->path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644)) < 0)
		die("open day file");
	proto_file_hdr_encode(&h, fh);
	if (write(c->fd, fh, sizeof(fh)) != sizeof(fh))
		die("write");
	RAND_bytes(secret, sizeof(secret));
	memcpy(hello.uuid, c->uuid, 16);
	hello.date = date;
	hello.counter = 0;
	hello.camera_ms = hello_ms;
	RAND_bytes(hello.hello_id, 16);
	if ((n = proto_hello_seal(campriv, srvpub, &hello, secret, hb, sizeof(hb))) < 0)
		die("hello");
	m.addr[10] = m.addr[11] = 0xff;
	m.addr[12] = 127;
	m.addr[15] = 1;
	m.arrival_ns = hello_ms * 1000000;
	proto_rec_encode(&m, hb, (size_t)n, rh);
	struct iovec iov[2] = {{rh, sizeof(rh)}, {hb, (size_t)n}};
	if (writev(c->fd, iov, 2) != (ssize_t)(sizeof(rh) + (size_t)n))
		die("write hello");
	c->size = sizeof(fh) + sizeof(rh) + (size_t)n;
	c->counter = 1;
	c->s = proto_session_new(c->uuid, date, 0, secret);
	c->t_write = calloc(RING, sizeof(uint64_t));
}

/* Seal one frame of nfrag fragments into buf as records; returns the bytes. */
static size_t
cam_frame(cam_t *c, int key, uint64_t cap_ms, size_t payload, int nfrag, uint8_t *buf)
{
	static uint8_t pay[1400];
	proto_rec_meta_t m = {0};
	size_t off = 0;
	int i, n;

	m.addr[10] = m.addr[11] = 0xff;
	m.addr[12] = 127;
	m.arrival_ns = cap_ms * 1000000;
	for (i = 0; i < nfrag; i++) {
		proto_data_hdr_t h = {0};
		memcpy(h.uuid, c->uuid, 16);
		h.date = c->date;
		h.counter = c->counter++;
		h.session = 0;
		h.stream = PROTO_S_VIDEO;
		h.codec = PROTO_C_H264;
		h.flags = key ? PROTO_F_KEYFRAME : 0;
		h.frame = c->frame;
		h.frag_index = (uint16_t)i;
		h.frag_count = (uint16_t)nfrag;
		h.capture_ms = cap_ms;
		h.payload_len = (uint16_t)payload;
		if ((n = proto_data_seal(c->s, &h, pay, buf + off + PROTO_REC_HDR_LEN,
					 PROTO_MAX_DGRAM)) < 0)
			die("seal");
		proto_rec_encode(&m, buf + off + PROTO_REC_HDR_LEN, (size_t)n, buf + off);
		off += PROTO_REC_HDR_LEN + (size_t)n;
	}
	c->frame++;
	return off;
}

/*
 * A frame of the 5-frames-a-second day by its number: a keyframe (4
 * fragments) every 10 frames, else 2 fragments; counters from 1 (the
 * hello is 0), in frame order whatever the order of writing.
 */
static size_t
day_frame(cam_t *c, uint64_t t0, uint32_t f, uint8_t *buf)
{
	c->frame = f;
	c->counter = 1 + 2 * f + 2 * ((f + 9) / 10);
	return cam_frame(c, f % 10 == 0, t0 + (uint64_t)f * 200, 300, f % 10 == 0 ? 4 : 2, buf);
}

/* Write what buf holds of a day file being made. */
static void
day_flush(cam_t *c, const uint8_t *buf, size_t *len)
{
	if (write(c->fd, buf, *len) != (ssize_t)*len)
		die("write day");
	c->size += *len;
	*len = 0;
}

/* Append one frame now, noting the write time of each counter. */
static void
cam_append(cam_t *c, int key, size_t payload, int nfrag)
{
	static uint8_t buf[16 * PROTO_REC_MAX_LEN];
	struct timespec ts;
	uint32_t first = c->counter;
	uint32_t k;

	clock_gettime(CLOCK_REALTIME, &ts);
	size_t len = cam_frame(c, key, (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000,
			       payload, nfrag, buf);
	if (write(c->fd, buf, len) != (ssize_t)len)
		die("append");
	uint64_t t = now_ns();
	for (k = first; k < c->counter; k++)
		c->t_write[k % RING] = t;
	c->size += len;
}

/* --- processes ---------------------------------------------------------- */

static pid_t
spawn(char *const argv[], const char *log)
{
	pid_t p = fork();

	if (p == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fd, 2);
		dup2(fd, 1);
		setenv("VIGIL_SHM_PREFIX", pfx, 1);
		execv(argv[0], argv);
		_exit(127);
	}
	return p;
}

/* --- viewers ------------------------------------------------------------- */

static void
on_msg(conn_t *c, const uint8_t *m, size_t len, int binary)
{
	uint64_t t = now_ns();

	if (!binary) {
		if (strstr((const char *)m, "\"state\""))
			c->state++;
		if (strstr((const char *)m, "\"skip\""))
			c->skips++;
		return;
	}
	if (len < VIEW_DATAGRAM_HDR_LEN + PROTO_DATA_HDR_LEN || m[0] != VIEW_KIND_DATAGRAM)
		return;
	uint32_t counter = proto_dgram_counter(m + VIEW_DATAGRAM_HDR_LEN);
	if (c->pending && c->state) {
		c->t_first = t;
		c->pending = 0;
	}
	c->datagrams++;
	if (counter >= window)
		c->in_window++;
	if (c->first_counter < 0)
		c->first_counter = counter;
	if (cams && c->cam >= 0 && (m[1] & VIEW_F_LIVE) && cams[c->cam].t_write[counter % RING] &&
	    nlat < maxlat)
		lat[nlat++] = (double)(t - cams[c->cam].t_write[counter % RING]) / 1e6;
}

static int
cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	conn_t *c = user;

	switch (reason) {
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		c->connected = 1;
		lws_callback_on_writable(wsi);
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		if (lws_is_first_fragment(wsi))
			c->blen = 0;
		if (c->blen + len < sizeof(c->buf)) {
			memcpy(c->buf + c->blen, in, len);
			c->blen += len;
		}
		if (lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0) {
			c->buf[c->blen] = 0;
			on_msg(c, c->buf, c->blen, lws_frame_is_binary(wsi));
		}
		break;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		if (c->cmd[0]) {
			uint8_t b[LWS_PRE + 512];
			size_t n = strlen(c->cmd);
			memcpy(b + LWS_PRE, c->cmd, n);
			c->cmd[0] = 0;
			c->t_cmd = now_ns();
			if (lws_write(wsi, b + LWS_PRE, n, LWS_WRITE_TEXT) < (int)n)
				return -1;
		}
		break;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
	case LWS_CALLBACK_CLIENT_CLOSED:
		c->closed = 1;
		c->wsi = NULL;
		break;
	default: break;
	}
	return 0;
}

static struct lws_protocols protocols[] = {
    {"vigil-bench", cb, 0, 4096, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void
on_tick(lws_sorted_usec_list_t *sul)
{
	/* lws 4.1 ignores lws_service's timeout: this timer bounds each wait */
	lws_sul_schedule(ctx, 0, sul, on_tick, 1000);
}

static void
connect_viewer(conn_t *c, int cam)
{
	struct lws_client_connect_info ci;
	static char path[512];

	memset(c, 0, sizeof(*c));
	c->cam = cam;
	c->first_counter = -1;
	snprintf(path, sizeof(path), "/ws?token=%s", token);
	memset(&ci, 0, sizeof(ci));
	ci.context = ctx;
	ci.address = "127.0.0.1";
	ci.port = hport;
	ci.path = path;
	ci.host = ci.origin = "127.0.0.1";
	ci.userdata = c;
	ci.pwsi = &c->wsi;
	lws_client_connect_via_info(&ci);
}

static void
send_cmd(conn_t *c, const char *json)
{
	snprintf(c->cmd, sizeof(c->cmd), "%s", json);
	c->pending = 1;
	c->state = 0;
	if (c->wsi)
		lws_callback_on_writable(c->wsi);
}

static void
service_until(uint64_t deadline_ns, int (*done)(void))
{
	while (now_ns() < deadline_ns && !(done && done()))
		lws_service(ctx, 0);
}

/*
 * n plays by viewer 0 of camera us, day ds, at random times of [from,
 * from + span): ms from each command to its first datagram into out.
 */
static int
play_at(const char *us, const char *ds, uint64_t from, uint64_t span, int n, double *out)
{
	char cmd[512];
	int i, got = 0;

	for (i = 0; i < n && i < 4096 && conns[0].connected; i++) {
		uint64_t t = from + (uint64_t)rand() % span;
		snprintf(cmd, sizeof(cmd),
			 "{\"op\":\"play\",\"camera\":\"%s\",\"date\":\"%s\",\"from_ms\":%llu}", us,
			 ds, (unsigned long long)t);
		send_cmd(&conns[0], cmd);
		uint64_t end = now_ns() + 2000000000ull;
		while (conns[0].pending && now_ns() < end)
			lws_service(ctx, 0);
		if (!conns[0].pending)
			out[got++] = (double)(conns[0].t_first - conns[0].t_cmd) / 1e6;
	}
	return got;
}

static int all_n;
static int
all_state(void)
{
	int i;
	for (i = 0; i < all_n; i++)
		if (!conns[i].state && !conns[i].closed)
			return 0;
	return 1;
}

/* --- reference: an AF_UNIX socketpair wake-up ------------------------------ */

static int sp[2];
static void *
pinger(void *arg)
{
	int i;
	(void)arg;
	for (i = 0; i < 2000; i++) {
		uint64_t t = now_ns();
		if (write(sp[0], &t, sizeof(t)) != sizeof(t))
			break;
		usleep(1000);
	}
	return NULL;
}

static double
ref_wakeup_p99(void)
{
	static double v[2000];
	pthread_t th;
	uint64_t t;
	int n = 0;

	socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
	pthread_create(&th, NULL, pinger, NULL);
	while (n < 2000 && read(sp[1], &t, sizeof(t)) == sizeof(t))
		v[n++] = (double)(now_ns() - t) / 1e6;
	pthread_join(th, NULL);
	close(sp[0]);
	close(sp[1]);
	return pct(v, (size_t)n, 0.99);
}

int
main(void)
{
	struct lws_context_creation_info info;
	char path[1024], log[1024], hp[32], rs[8];
	struct rlimit rl;
	idx_t *idx;
	int i, k, n;

	if (getenv("BINDIR"))
		bindir = getenv("BINDIR");
	int fanout = tu_env_int("BENCH_FANOUT", 500, 1, MAXCONN - 8);
	int ncams = tu_env_int("BENCH_LIVE_CAMERAS", 100, 1, MAXCONN - 8);
	int nseeks = tu_env_int("BENCH_SEEKS", 200, 1, 1 << 20);
	const char *only = getenv("BENCH_STREAM_ONLY");
	int scan_runs = tu_env_int("BENCH_SCAN_RUNS", 5, 1, 1000);
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	signal(SIGPIPE, SIG_IGN);

	snprintf(tmp, sizeof(tmp), "/tmp/vigil-bench-stream.%d", (int)getpid());
	snprintf(pfx, sizeof(pfx), "vigilbs%d", (int)getpid());
	snprintf(path, sizeof(path), "%s/keys", tmp);
	mkdir(tmp, 0755);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/data", tmp);
	mkdir(path, 0755);
	if ((campriv = proto_key_load_private("tests/vectors/camera.pem")) == NULL ||
	    (srvpub = proto_key_load_public("tests/vectors/server.pub")) == NULL)
		die("test keys (run from the source tree)");
	snprintf(path, sizeof(path), "cp tests/vectors/server.pem %s/keys/server.key", tmp);
	if (system(path) != 0)
		die("copy server key");
	/* a viewer with a token, as a login would give */
	auth_user_t u = {0};
	snprintf(u.name, sizeof(u.name), "bench");
	u.all = 1;
	auth_password_set(&u, "bench");
	n = auth_user_format(&u, log, sizeof(log));
	snprintf(path, sizeof(path), "%s/keys/users", tmp);
	FILE *uf = fopen(path, "w");
	fwrite(log, 1, (size_t)n, uf);
	fclose(uf);
	uint8_t tk[AUTH_KEY_LEN];
	snprintf(path, sizeof(path), "%s/keys/streamer.token", tmp);
	auth_key_load(path, tk);
	auth_token_make(tk, &u, (uint64_t)time(NULL) + 3600, token, sizeof(token));
	if (idx_create(pfx, 4096, 256ull << 20, &idx) < 0)
		die("index segment");

	/* a 24-hour day, yesterday */
	uint32_t yday = proto_date_from_ms(proto_now_ms()) - 1;
	uint64_t t0 = (uint64_t)yday * 86400000;
	cam_t day;
	static uint8_t wbuf[4 << 20];
	size_t wlen = 0;
	uint64_t ndg = 0;
	cam_open(&day, yday, t0);
	for (uint64_t f = 0; f < 86400ull * 5; f++) {
		int key = f % 10 == 0;
		int nf = key ? 4 : 2;
		wlen += cam_frame(&day, key, t0 + f * 200, 300, nf, wbuf + wlen);
		ndg += (uint64_t)nf;
		if (wlen > sizeof(wbuf) - 8 * PROTO_REC_MAX_LEN)
			day_flush(&day, wbuf, &wlen);
	}
	day_flush(&day, wbuf, &wlen);
	fsync(day.fd);

	/*
	 * scan: rounds of cat then the indexer's start-up scan, both of the
	 * same file, warm in the page cache (it was just written and read);
	 * best of each. cat runs without a shell, timed from fork to exit
	 * less the best time of /bin/true (its process start); the indexer's
	 * figure is its own, from the clearing of the index to ready, without
	 * its process start. The last indexer stays.
	 */
	snprintf(path, sizeof(path), "%s/vigil-indexer", bindir);
	snprintf(log, sizeof(log), "%s/indexer.log", tmp);
	char dd[512], kd[512];
	snprintf(dd, sizeof(dd), "%s/data", tmp);
	snprintf(kd, sizeof(kd), "%s/keys", tmp);
	snprintf(rs, sizeof(rs), "100");
	char *iargv[] = {path, "-D", dd, "-d", kd, "-r", rs, NULL};
	char *cargv[] = {"/bin/cat", day.path, NULL}, *targv[] = {"/bin/true", NULL};
	double cat_s = 1e9, true_s = 1e9, ix_ms = 1e9;
	unsigned long long recs = 0;
	for (k = 0; k < scan_runs; k++) {
		if (pid_ix > 0) { /* its rescans and chain would compete with cat */
			kill(pid_ix, SIGTERM);
			waitpid(pid_ix, NULL, 0);
		}
		for (n = 0; n < 2; n++) { /* true: the process start, taken off cat's time */
			uint64_t a = now_ns();
			pid_t cp = spawn(n ? cargv : targv, "/dev/null");
			int ws;
			if (cp < 0 || waitpid(cp, &ws, 0) != cp || !WIFEXITED(ws) ||
			    WEXITSTATUS(ws) != 0)
				die(n ? "cat" : "true");
			double s = (double)(now_ns() - a) / 1e9;
			if (n && s < cat_s)
				cat_s = s;
			if (!n && s < true_s)
				true_s = s;
		}
		idx_set_ready(idx, 0);
		pid_ix = spawn(iargv, log);
		for (i = 0; i < 600 && !idx_ready(idx); i++)
			usleep(20000);
		if (!idx_ready(idx))
			die("indexer did not finish its scan");
		usleep(100000);
		FILE *lf = fopen(log, "r");
		double ms = 0;
		char line[512];
		while (lf && fgets(line, sizeof(line), lf)) {
			/* after the log line's time and stage: "indexed N records of ..." */
			const char *m = strstr(line, ": indexed ");
			if (m)
				sscanf(m, ": indexed %llu records of %*d files in %lf ms", &recs,
				       &ms);
		}
		if (lf)
			fclose(lf);
		if (ms > 0 && ms < ix_ms)
			ix_ms = ms;
	}
	double mb = (double)day.size / 1e6;
	if (true_s < cat_s / 2)
		cat_s -= true_s;
	double scan = ix_ms < 1e9 ? mb / (ix_ms / 1000) : 0, catr = mb / cat_s;
	printf("BENCH stream_scan mb_per_s=%.0f ref=%.0f ratio=%.2f runs=%d records=%llu\n", scan,
	       catr, catr > 0 ? scan / catr : 0, scan_runs, recs);
	uint64_t used, size;
	idx_arena_usage(idx, &used, &size);
	idx_day_info_t di;
	idx_day_info(idx, day.uuid, yday, &di);
	double bpd = (double)used / (double)(ndg + 1), rpd = (double)day.size / (double)(ndg + 1);
	double live = (double)(((uint64_t)di.nkeyframes + di.npoints) * sizeof(idx_point_t) +
			       (uint64_t)di.nranges * sizeof(idx_range_t)) /
		      (double)(ndg + 1);
	printf(
	    "BENCH stream_index bytes_per_dgram=%.2f ref=%.0f ratio=%.4f entries_bytes_per_dgram=%.2f\n",
	    bpd, rpd, bpd / rpd, live);
	fflush(stdout);
	if (only && strcmp(only, "scan") == 0)
		goto out;

	/* the streamer */
	hport = 30000 + getpid() % 20000;
	snprintf(hp, sizeof(hp), "127.0.0.1:%d", hport);
	char spath[1024], alog[512];
	snprintf(spath, sizeof(spath), "%s/vigil-streamer", bindir);
	snprintf(log, sizeof(log), "%s/streamer.log", tmp);
	snprintf(alog, sizeof(alog), "%s/audit.log", tmp);
	char *sargv[] = {spath, "-l", hp,   "-D",   dd,   "-d", kd,
			 "-P",  tmp,  "-q", "1024", "-w", "2",  NULL};
	pid_st = spawn(sargv, log);
	usleep(500000);

	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	info.fd_limit_per_thread = MAXCONN + 64;
	lws_set_log_level(LLL_ERR, NULL);
	if ((ctx = lws_create_context(&info)) == NULL)
		die("lws");
	lws_sul_schedule(ctx, 0, &tick, on_tick, 1000);

	/* seek */
	static double seek[4096];
	int nseek = 0;
	char us[37], ds[11], cmd[512];
	proto_uuid_fmt(day.uuid, us);
	proto_date_fmt(yday, ds);
	connect_viewer(&conns[0], -1);
	all_n = 1;
	service_until(now_ns() + 3000000000ull, NULL);
	srand(1);
	nseek = play_at(us, ds, t0, 86400000, nseeks, seek);
	double s50 = pct(seek, (size_t)nseek, 0.5), s99 = pct(seek, (size_t)nseek, 0.99);
	printf("BENCH stream_seek p50_ms=%.2f p99_ms=%.2f ref=20 ratio=%.2f seeks=%d\n", s50, s99,
	       s99 / 20, nseek);
	fflush(stdout);
	send_cmd(&conns[0], "{\"op\":\"stop\"}");
	service_until(now_ns() + 100000000ull, NULL);

	/*
	 * seek into a backfilled day: frames of hour 1 were lost and come
	 * in hour 2, one after each live frame, as a camera resends its
	 * store beside live. Written after the scan, indexed by a rescan.
	 */
	cam_t bday;
	uint32_t bf, bo1 = 3600 * 5, bo2 = 7200 * 5, bend = 4 * 3600 * 5, bb = bo1;
	if (getenv("BENCH_NO_BACKFILL"))
		goto live;
	cam_open(&bday, yday, t0);
	wlen = 0;
	for (bf = 0; bf < bend; bf++) {
		if (bf >= bo1 && bf < bo2)
			continue;
		wlen += day_frame(&bday, t0, bf, wbuf + wlen);
		if (bf >= bo2 && bb < bo2)
			wlen += day_frame(&bday, t0, bb++, wbuf + wlen);
		if (wlen > sizeof(wbuf) - 16 * PROTO_REC_MAX_LEN)
			day_flush(&bday, wbuf, &wlen);
	}
	day_flush(&bday, wbuf, &wlen);
	fsync(bday.fd);
	for (i = 0;
	     i < 1500 && (idx_day_info(idx, bday.uuid, yday, &di) < 0 || di.indexed_to < bday.size);
	     i++)
		usleep(20000);
	if (di.indexed_to < bday.size)
		die("the indexer did not index the backfilled day");
	proto_uuid_fmt(bday.uuid, us);
	nseek = play_at(us, ds, t0 + 3600000, 7200000, nseeks, seek);
	double bfirst = nseek ? seek[0] : 0;
	double b50 = pct(seek, (size_t)nseek, 0.5), b99 = pct(seek, (size_t)nseek, 0.99);
	printf(
	    "BENCH stream_seek_backfill p50_ms=%.2f p99_ms=%.2f ref=%.2f ratio=%.2f first_ms=%.2f "
	    "seeks=%d points=%u\n",
	    b50, b99, s99, s99 > 0 ? b99 / s99 : 0, bfirst, nseek, di.npoints);
	fflush(stdout);
	send_cmd(&conns[0], "{\"op\":\"stop\"}");
	service_until(now_ns() + 100000000ull, NULL);
live:
	/* live: ncams cameras, one viewer each */
	uint32_t today = proto_date_from_ms(proto_now_ms());
	cams = calloc((size_t)ncams + 1, sizeof(cam_t));
	for (k = 0; k < ncams + 1; k++) {
		cam_open(&cams[k], today, proto_now_ms());
		cam_append(&cams[k], 1, 1000, 2);
	}
	usleep(400000); /* the indexer's rescan sees the new files */
	maxlat = 1 << 20;
	lat = calloc(maxlat, sizeof(double));
	for (k = 0; k < ncams; k++) {
		connect_viewer(&conns[1 + k], k);
	}
	service_until(now_ns() + 2000000000ull, NULL);
	for (k = 0; k < ncams; k++) {
		proto_uuid_fmt(cams[k].uuid, us);
		snprintf(cmd, sizeof(cmd), "{\"op\":\"live\",\"camera\":\"%s\"}", us);
		send_cmd(&conns[1 + k], cmd);
	}
	all_n = ncams + 1;
	conns[0].state = 1;
	service_until(now_ns() + 3000000000ull, all_state);
	nlat = 0;
	uint64_t end = now_ns() + 5000000000ull, next = now_ns();
	int f = 0;
	while (now_ns() < end) { /* 30 frames a second per camera, one datagram each, spread */
		while (now_ns() >= next) {
			k = f % ncams;
			cam_append(&cams[k], (f / ncams) % 30 == 0, 1000, 1);
			f++;
			next += 1000000000ull / 30 / (uint64_t)ncams;
		}
		lws_service(ctx, 0);
	}
	service_until(now_ns() + 300000000ull, NULL);
	double l50 = pct(lat, nlat, 0.5), l99 = pct(lat, nlat, 0.99), r99 = ref_wakeup_p99();
	printf(
	    "BENCH stream_live p50_ms=%.2f p99_ms=%.2f ref=%.3f ratio=%.1f samples=%zu cameras=%d\n",
	    l50, l99, r99, r99 > 0 ? l99 / r99 : 0, nlat, ncams);
	fflush(stdout);
	for (k = 0; k < ncams + 1; k++)
		if (conns[k].wsi)
			lws_set_timeout(conns[k].wsi, PENDING_TIMEOUT_CLOSE_SEND,
					LWS_TO_KILL_ASYNC);
	service_until(now_ns() + 300000000ull, NULL);

	/*
	 * fan-out: viewers of one 2 Mbps camera (30 frames/s of 6 x 1400
	 * bytes), spread over FANOUT_PROCS client processes: one process
	 * cannot read 90,000 messages a second on a busy machine.
	 */
	cam_t *fc = &cams[ncams];
	int base = ncams + 1, per = (fanout + FANOUT_PROCS - 1) / FANOUT_PROCS, ready = 0;
	int go[FANOUT_PROCS][2], res[FANOUT_PROCS][2];
	proto_uuid_fmt(fc->uuid, us);
	snprintf(cmd, sizeof(cmd), "{\"op\":\"live\",\"camera\":\"%s\"}", us);
	for (i = 0; i < FANOUT_PROCS; i++) {
		if (pipe(go[i]) < 0 || pipe(res[i]) < 0)
			die("pipe");
		if (fork() == 0) {
			int lo = base + i * per,
			    hi = lo + per > base + fanout ? base + fanout : lo + per;
			int connected = 0, ok = 0, r[2];
			uint32_t msg[2];
			fcntl(go[i][0], F_SETFL, O_NONBLOCK);
			ctx = lws_create_context(&info); /* the parent's is not ours to use */
			lws_sul_schedule(ctx, 0, &tick, on_tick, 1000);
			for (k = lo; k < hi; k++)
				connect_viewer(&conns[k], -1);
			service_until(now_ns() + 5000000000ull, NULL);
			for (k = lo; k < hi; k++)
				if (conns[k].connected) {
					send_cmd(&conns[k], cmd);
					connected++;
				}
			for (k = 0; k < lo; k++)
				conns[k].state = 1;
			all_n = hi;
			service_until(now_ns() + 5000000000ull, all_state);
			if (write(res[i][1], &connected, sizeof(connected)) < 0)
				_exit(1);
			while (read(go[i][0], msg, sizeof(uint32_t)) != sizeof(uint32_t))
				lws_service(ctx, 0);
			window = msg[0];
			for (k = lo; k < hi; k++)
				conns[k].skips = 0;
			while (read(go[i][0], msg + 1, sizeof(uint32_t)) != sizeof(uint32_t))
				lws_service(ctx, 0);
			service_until(now_ns() + 2000000000ull, NULL);
			for (k = lo; k < hi; k++)
				if (conns[k].connected && !conns[k].closed && conns[k].skips == 0 &&
				    conns[k].in_window == msg[1])
					ok++;
				else if (getenv("BENCH_DEBUG"))
					fprintf(
					    stderr,
					    "viewer %d: connected %d closed %d skips %llu got %llu of %u\n",
					    k, conns[k].connected, conns[k].closed,
					    (unsigned long long)conns[k].skips,
					    (unsigned long long)conns[k].in_window, msg[1]);
			r[0] = connected;
			r[1] = ok;
			if (write(res[i][1], r, sizeof(r)) < 0)
				_exit(1);
			_exit(0);
		}
	}
	int connected = 0, ok = 0;
	for (i = 0; i < FANOUT_PROCS; i++) {
		int c = 0, r[2] = {0, 0};
		if (read(res[i][0], &c, sizeof(c)) == sizeof(c))
			ready++;
		(void)r;
	}
	usleep(500000);
	uint32_t c0 = fc->counter;
	for (i = 0; i < FANOUT_PROCS; i++)
		if (write(go[i][1], &c0, sizeof(c0)) < 0)
			die("go");
	end = now_ns() + 5000000000ull;
	next = now_ns();
	f = 0;
	while (now_ns() < end) {
		if (now_ns() >= next) {
			cam_append(fc, f % 30 == 0, 1400, 6);
			f++;
			next += 1000000000ull / 30;
		}
		usleep(1000);
	}
	uint32_t sent = fc->counter - c0;
	for (i = 0; i < FANOUT_PROCS; i++)
		if (write(go[i][1], &sent, sizeof(sent)) < 0)
			die("stop");
	for (i = 0; i < FANOUT_PROCS; i++) {
		int r[2] = {0, 0};
		if (read(res[i][0], r, sizeof(r)) == sizeof(r)) {
			connected += r[0];
			ok += r[1];
		}
		wait(NULL);
	}
	printf("BENCH stream_fanout viewers=%d ref=%d ratio=%.2f datagrams=%u procs=%d\n", ok,
	       connected, connected ? (double)ok / connected : 0, sent, FANOUT_PROCS);
	fflush(stdout);

	kill(pid_st, SIGTERM);
	waitpid(pid_st, NULL, 0);
out:
	kill(pid_ix, SIGTERM);
	waitpid(pid_ix, NULL, 0);
	idx_close(idx);
	shm_kind_unlink(pfx, SHM_KIND_INDEX, NULL, 0);
	snprintf(path, sizeof(path), "rm -rf '%s' /dev/shm/%s-*", tmp, pfx);
	if (system(path) != 0)
		return 1;
	_exit(0);
}
