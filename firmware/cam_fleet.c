/*
 * NAME
 *	cam_fleet.c - many simulated cameras in one process
 *
 * DESCRIPTION
 *	vigil-cam --fleet N -d KEYDIR [-o CAMDIR] [--server HOST:PORT] ...
 *
 *	Runs N cameras, each a full camera of its own: its UUID and RSA key,
 *	its session secret and per-frame keys, its counter state file, its
 *	UDP socket (so the server sees one source port per camera, as
 *	behind a carrier NAT), its telemetry on its own stretch of the
 *	track. The camera folders are the first N in CAMDIR (default
 *	KEYDIR/fleet); missing ones are provisioned there and registered in
 *	KEYDIR exactly as `vigilctl provision` does (proto_provision()).
 *
 *	What makes hundreds of cameras cheap: the picture is drawn and
 *	encoded once per frame, and every camera seals and sends the same
 *	coded bytes. A camera's cost is then a key derivation per frame, AES
 *	per datagram, a send and an append to its store. The bitrate ladder
 *	(--abr) needs an encoder per camera and is not available here.
 *
 *	Each camera keeps the store a single camera keeps (cam_sync.c), in
 *	"<state>.store" of its folder, bounded by --store-max per camera
 *	(CAM_FLEET_STORE_DEFAULT when not given): its socket brings it the
 *	server's MISSING and CONFIRM, answered from its store after the
 *	turn's live datagrams (cam_resend.c); its store is synced once a
 *	second, the cameras' syncs spread over the second. With --linger
 *	each camera goes on reporting and answering after the last frame
 *	until what it sent is confirmed, all within the linger time.
 *
 *	All cameras open their sessions at once from one address: the
 *	listener's per-source hello rate (vigil-listener -r) must allow N
 *	hellos, or the cameras it refuses retry every second until accepted.
 *
 *	At exit, two lines per camera (its UUID and counters; its store and
 *	resends) and a total.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "cam.h"
#include "cam_media.h"
#include "cam_store.h"

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The first n camera folders of camdir, sorted; fewer when there are fewer. */
static int
list_cameras(const char *camdir, char **names, int n)
{
	char path[4200];
	struct dirent *e;
	int have = 0, cap = 0, i;
	char **all = NULL;
	DIR *d;

	if ((d = opendir(camdir)) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		snprintf(path, sizeof(path), "%.3900s/%.255s/camera.conf", camdir, e->d_name);
		if (e->d_name[0] == '.' || access(path, R_OK) != 0)
			continue;
		if (have == cap) {
			char **na = realloc(all, (size_t)(cap = cap ? cap * 2 : 64) * sizeof(*all));
			if (na == NULL)
				break;
			all = na;
		}
		if ((all[have] = strdup(e->d_name)) != NULL)
			have++;
	}
	closedir(d);
	if (have)
		qsort(all, (size_t)have, sizeof(*all), cmp_str);
	for (i = 0; i < have; i++) {
		if (i < n)
			names[i] = all[i];
		else
			free(all[i]);
	}
	free(all);
	return have < n ? have : n;
}

static void
camera_close(cam_t *c)
{
	cam_sync_close(c);
	cam_state_close(&c->state);
	cam_past_close(c);
	proto_session_free(c->session);
	EVP_PKEY_free(c->key);
	EVP_PKEY_free(c->server_pub);
	if (c->fd >= 0)
		close(c->fd);
}

static int
camera_open(cam_t *c, const char *camdir, const char *name, const cam_opts_t *o, const char *server,
	    uint64_t now)
{
	char path[4200];
	int rc;

	memset(c, 0, sizeof(*c));
	c->fd = c->state.fd = c->past_fd = -1;
	snprintf(path, sizeof(path), "%.3900s/%.255s/camera.conf", camdir, name);
	if (cam_conf_load(path, &c->conf) < 0)
		return -1;
	snprintf(c->conf.server, sizeof(c->conf.server), "%s", server);
	if ((c->key = proto_key_load_private(c->conf.camera_key)) == NULL ||
	    (c->server_pub = proto_key_load_public(c->conf.server_key)) == NULL) {
		fprintf(stderr, "vigil-cam: %s: %s\n", name, proto_errmsg());
		return -1;
	}
	if (cam_state_open(&c->state, c->conf.state, proto_date_from_ms(now)) < 0 ||
	    cam_past_open(c) < 0 || cam_connect(c) < 0) {
		camera_close(c);
		return -1;
	}
	snprintf(path, sizeof(path), "%.4000s.store", c->conf.state);
	if ((rc = cam_sync_open(c, path, o->store_max ? o->store_max : CAM_FLEET_STORE_DEFAULT,
				o->resend_rate)) < 0) {
		fprintf(stderr, "vigil-cam: store %s: %s\n", path, strerror(-rc));
		camera_close(c);
		return -1;
	}
	return 0;
}

/*
 * Each camera holds a socket, its state files and its store's files:
 * a fleet of hundreds needs more descriptors than a shell's usual soft
 * limit, and the hard limit is there to be asked for.
 */
static void
fds_raise(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			fprintf(stderr, "vigil-cam: open files limit: %s\n", strerror(errno));
	}
}

/* After the last frame: each camera reports and answers until it is confirmed. */
static void
fleet_linger(cam_t *cams, int n, uint64_t ms, volatile int *stop)
{
	uint64_t start = proto_mono_ms(), now;
	struct timespec ts = {0, 10 * 1000000L};
	cam_linger_t *l;
	int i, waiting = 1;

	if (ms == 0 || (l = calloc((size_t)n, sizeof(*l))) == NULL)
		return;
	for (i = 0; i < n; i++)
		cam_run_linger_start(&cams[i], &l[i]);
	while (waiting && !*stop && (now = proto_mono_ms()) < start + ms) {
		for (i = waiting = 0; i < n; i++)
			waiting |= cam_run_linger_turn(&cams[i], &l[i], now);
		nanosleep(&ts, NULL);
	}
	free(l);
}

static int
fleet_loop(cam_t *cams, cam_tele_t *tele, int n, const cam_opts_t *o, cam_feed_t *feed,
	   volatile int *stop)
{
	struct timespec next;
	uint64_t start = proto_mono_ms(); /* the schedule; capture times on the wall clock */
	uint64_t next_tele = start, next_report = start;
	long video = 0, records = 0;
	long tick_ns = o->tele_only ? (long)(1e9 / o->tele_hz) : 1000000000L / o->feed.fps;
	int i, signal;

	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!*stop) {
		uint64_t now = proto_now_ms() + (uint64_t)o->clock_offset, mono = proto_mono_ms();
		int tele_due = o->tele_only || mono >= next_tele, report_due = mono >= next_report;
		cam_coded_t cf;

		if (o->frames >= 0 && (o->tele_only ? records : video) >= o->frames)
			break;
		if (!o->tele_only) {
			if (cam_feed_next(feed, (uint32_t)video, now, &cf) < 0) {
				fprintf(stderr, "vigil-cam: source %s: no frame\n", o->feed.source);
				return -1;
			}
			video++;
		}
		for (i = 0; i < n; i++) {
			cam_t *c = &cams[i];
			if (!o->tele_only && cam_send_frame(c, PROTO_S_VIDEO, cf.codec, cf.keyframe,
							    now, cf.data, cf.len) < 0)
				return -1;
			if (tele_due && cam_tele_send(c, &tele[i], now, NULL, &signal) < 0)
				return -1;
			if (report_due && cam_send_report(c) < 0)
				return -1;
			cam_poll_replies(c);
			c->rr_fresh = 0;
			cam_hello_retry(c, mono);
			cam_resend_tick(c, mono); /* after the turn's live datagrams */
		}
		if (tele_due) {
			records++;
			next_tele += (uint64_t)(1000 / o->tele_hz);
		}
		if (report_due)
			next_report += 1000;
		cam_sleep_until(&next, tick_ns);
	}
	return 0;
}

int
cam_fleet_run(const cam_opts_t *o, volatile int *stop)
{
	const char *server = o->server ? o->server : "127.0.0.1:7400";
	char camdir[4096], **names = NULL, u[37];
	uint64_t now = proto_now_ms() + (uint64_t)o->clock_offset, sent = 0, bytes = 0, acked = 0;
	cam_t *cams = NULL;
	cam_tele_t *tele = NULL;
	cam_feed_t feed;
	int n = o->fleet, have, i, opened = 0, teles = 0, have_feed = 0, rc = 1;

	if (o->keydir == NULL) {
		fprintf(stderr, "vigil-cam: --fleet needs -d KEYDIR, the server's key directory\n");
		return 2;
	}
	if (o->abr)
		fprintf(stderr, "vigil-cam: --abr is ignored with --fleet (one encoder for all)\n");
	snprintf(camdir, sizeof(camdir), "%s", o->camdir ? o->camdir : "");
	if (o->camdir == NULL)
		snprintf(camdir, sizeof(camdir), "%.4000s/fleet", o->keydir);
	if ((names = calloc((size_t)n, sizeof(*names))) == NULL ||
	    (cams = calloc((size_t)n, sizeof(*cams))) == NULL ||
	    (tele = calloc((size_t)n, sizeof(*tele))) == NULL)
		goto out;
	have = list_cameras(camdir, names, n);
	for (i = have; i < n; i++) {
		uint8_t uuid[PROTO_UUID_LEN];
		if (proto_provision(o->keydir, server, camdir, 2048, uuid) < 0) {
			fprintf(stderr, "vigil-cam: provision in %s: %s\n", camdir, proto_errmsg());
			goto out;
		}
		proto_uuid_fmt(uuid, u);
		if ((names[i] = strdup(u)) == NULL)
			goto out;
	}
	if (n > have)
		printf("vigil-cam: provisioned %d cameras in %s\n", n - have, camdir);
	if (!o->tele_only) {
		if (cam_feed_open(&feed, &o->feed) < 0)
			goto out;
		have_feed = 1;
	}
	fds_raise();
	for (opened = 0; opened < n; opened++) {
		if (camera_open(&cams[opened], camdir, names[opened], o, server, now) < 0)
			goto out;
		/* the stores' once-a-second syncs, spread over the second */
		cams[opened].sync->store.last_sync_ms =
		    proto_mono_ms() + (uint64_t)opened * 1000 / (uint64_t)n;
	}
	/* each camera on its own stretch of the track */
	for (teles = 0; teles < n; teles++)
		if (cam_tele_open(&tele[teles], o->gpx, teles == 0 ? o->gpsd : NULL, o->signal,
				  now - (uint64_t)teles * 7000) < 0)
			goto out;
	if (fleet_loop(cams, tele, n, o, &feed, stop) < 0)
		goto out;
	fleet_linger(cams, n, o->linger_ms, stop);
	for (i = 0; i < n; i++) {
		cam_send_report(
		    &cams[i]); /* the last counters, so the server knows the day's end */
		cam_send_bye(&cams[i], 0);
	}
	usleep(100 * 1000);
	rc = 0;
out:
	for (i = 0; i < opened; i++) {
		cam_poll_replies(&cams[i]);
		proto_uuid_fmt(cams[i].conf.uuid, u);
		printf("camera %s sent=%llu bytes=%llu acks=%llu rr=%llu hello_resent=%llu "
		       "s2c_earlier=%llu cookies=%llu cookies_dropped=%llu\n",
		       u, (unsigned long long)cams[i].sent, (unsigned long long)cams[i].sent_bytes,
		       (unsigned long long)cams[i].acks, (unsigned long long)cams[i].rr,
		       (unsigned long long)cams[i].hello_resent,
		       (unsigned long long)cams[i].s2c_earlier,
		       (unsigned long long)cams[i].cookie.accepted,
		       (unsigned long long)cams[i].cookie.dropped);
		if (cams[i].sync) {
			const cam_sync_t *y = cams[i].sync;
			printf("store %s stored=%llu unconfirmed=%llu confirmed=%llu "
			       "dropped_unconfirmed=%llu missing=%llu resent=%llu not_held=%llu\n",
			       u, (unsigned long long)y->store.stored,
			       (unsigned long long)cam_store_unconfirmed(&y->store),
			       (unsigned long long)y->store.confirmed,
			       (unsigned long long)y->store.dropped_unconfirmed,
			       (unsigned long long)cams[i].missing, (unsigned long long)y->resent,
			       (unsigned long long)y->not_held);
		}
		sent += cams[i].sent;
		bytes += cams[i].sent_bytes;
		acked += cams[i].acked;
		camera_close(&cams[i]);
	}
	printf("fleet cameras=%d acked=%llu sent=%llu bytes=%llu\n", opened,
	       (unsigned long long)acked, (unsigned long long)sent, (unsigned long long)bytes);
	for (i = 0; i < teles; i++)
		cam_tele_close(&tele[i]);
	if (have_feed)
		cam_feed_close(&feed);
	for (i = 0; names && i < n; i++)
		free(names[i]);
	free(names);
	free(cams);
	free(tele);
	return rc;
}
