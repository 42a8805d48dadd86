/*
 * NAME
 *	cam_main.c - vigil-cam: the body camera program
 *
 * DESCRIPTION
 *	vigil-cam -c CAMERA_DIR/camera.conf [-n FRAMES] [--fps N]
 *	          [--source testsrc|file:PATH|v4l2:DEVICE] [--codec h264|jpeg]
 *	          [--size WxH] [--kbps N] [--keyint N] [--quality N]
 *	          [--telemetry-hz R] [--telemetry-only] [--gpx FILE]
 *	          [--gpsd HOST:PORT] [--no-gpsd]
 *	          [--signal PCT] [--telemetry-log FILE]
 *	          [--abr] [--jpeg-below KBPS] [--jpeg-fps N]
 *	          [--server HOST:PORT] [--clock-offset MS]
 *	vigil-cam --fleet N -d KEYDIR [-o CAMDIR] [same media and store options]
 *
 *	Opens a session with the server and streams video from its source
 *	(default testsrc, 320x240, H.264 at 500 kbps, a keyframe every 30
 *	frames; cam_feed.c), telemetry (cam_tele.c; once a second by
 *	default) and once a second a report of what it holds, then says
 *	bye. --telemetry-only sends no video (-n then counts telemetry
 *	records). --abr follows the server's receiver reports down and up a
 *	ladder of bitrates and sizes, to JPEG at --jpeg-fps (default 2)
 *	when what gets through falls under --jpeg-below kbps (default 150),
 *	printing a line per report. --fleet runs N cameras in one process
 *	(cam_fleet.c). At exit it prints `sent=N` and its other counters.
 *	--dump-yuv FILE also writes every source picture there as raw I420
 *	(the camera benchmark encodes it with ffmpeg for reference).
 *
 *	--clock-offset MS runs the camera on a clock MS milliseconds off the
 *	system's (a camera whose clock is off; a test crosses a UTC midnight
 *	with it). The camera's misbehaviours on purpose (tampered, copied,
 *	malformed datagrams, replayed hellos) are in its test build only,
 *	tests/tools/vigil_cam_test.c.
 *
 *	Every datagram sent stays in the store (--store DIR, default the
 *	state file's path + ".store"; --store-max BYTES, default 2 GiB)
 *	until the server confirms it; MISSING requests are answered from it
 *	at up to --resend-rate datagrams a second (default 1000) behind the
 *	live ones (cam_resend.c). --linger MS: after the last frame, go on
 *	reporting and answering until everything sent is confirmed or MS
 *	pass. A fleet camera keeps its store beside its state too, bounded
 *	by --store-max per camera, 64 MiB by default (--store is not taken),
 *	and lingers alike.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cam.h"
#include "cam_media.h"
#include "cam_store.h"

#define CAM_YEAR_MS (366L * 86400000L)

static volatile int cam_stop;

static void
on_signal(int sig)
{
	(void)sig;
	cam_stop = 1;
}

static void
usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: vigil-cam -c camera.conf [-n FRAMES] [--fps N] [--server HOST:PORT]\n"
	    "                 [--source testsrc|file:PATH|v4l2:DEVICE] [--codec h264|jpeg]\n"
	    "                 [--size WxH] [--kbps N] [--keyint N] [--quality N]\n"
	    "                 [--telemetry-hz R] [--telemetry-only] [--gpx FILE]\n"
	    "                 [--gpsd HOST:PORT] [--no-gpsd]\n"
	    "                 [--signal PCT] [--telemetry-log FILE]\n"
	    "                 [--abr] [--jpeg-below KBPS] [--jpeg-fps N]\n"
	    "                 [--clock-offset MS]\n"
	    "                 [--store DIR] [--store-max BYTES] [--resend-rate N] [--linger MS]\n"
	    "       vigil-cam --fleet N -d KEYDIR [-o CAMDIR] [--server HOST:PORT] [options]\n"
	    "                 (each camera's store beside its state; --store-max per camera,\n"
	    "                 64 MiB by default)\n");
}

/* --codec h264|jpeg */
static int
codec_parse(const char *s, uint8_t *codec)
{
	if (s != NULL && strcmp(s, "h264") == 0)
		*codec = PROTO_C_H264;
	else if (s != NULL && strcmp(s, "jpeg") == 0)
		*codec = PROTO_C_JPEG;
	else {
		proto_set_errmsg("--codec: \"%.40s\" is neither h264 nor jpeg", s ? s : "");
		return -EINVAL;
	}
	return 0;
}

/* --size WxH: two whole numbers; a source may allow fewer sizes (cam_src_open). */
static int
size_parse(const char *s, int *w, int *h)
{
	const char *x = s != NULL ? strchr(s, 'x') : NULL;
	char wbuf[16];

	if (x != NULL && (size_t)(x - s) < sizeof(wbuf)) {
		memcpy(wbuf, s, (size_t)(x - s));
		wbuf[x - s] = '\0';
		if (proto_parse_int("width", wbuf, 2, 16384, w) == 0 &&
		    proto_parse_int("height", x + 1, 2, 16384, h) == 0)
			return 0;
	}
	proto_set_errmsg("--size: \"%.40s\" is not WIDTHxHEIGHT (2..16384 each)", s ? s : "");
	return -EINVAL;
}

int
main(int argc, char **argv)
{
	static const struct option lopts[] = {
	    {"fps", required_argument, NULL, 'F'},
	    {"server", required_argument, NULL, 'S'},
	    {"clock-offset", required_argument, NULL, 'O'},
	    {"source", required_argument, NULL, 's'},
	    {"codec", required_argument, NULL, 'C'},
	    {"size", required_argument, NULL, 'W'},
	    {"kbps", required_argument, NULL, 'K'},
	    {"keyint", required_argument, NULL, 'I'},
	    {"quality", required_argument, NULL, 'Q'},
	    {"telemetry-hz", required_argument, NULL, 'H'},
	    {"telemetry-only", no_argument, NULL, 'Y'},
	    {"gpx", required_argument, NULL, 'X'},
	    {"no-gpsd", no_argument, NULL, 'g'},
	    {"gpsd", required_argument, NULL, 'p'},
	    {"signal", required_argument, NULL, 'P'},
	    {"telemetry-log", required_argument, NULL, 'L'},
	    {"abr", no_argument, NULL, 'A'},
	    {"jpeg-below", required_argument, NULL, 'J'},
	    {"jpeg-fps", required_argument, NULL, 'j'},
	    {"fleet", required_argument, NULL, 'N'},
	    {"dump-yuv", required_argument, NULL, 'U'},
	    {"store", required_argument, NULL, 'B'},
	    {"store-max", required_argument, NULL, 'M'},
	    {"resend-rate", required_argument, NULL, 'E'},
	    {"linger", required_argument, NULL, 'Z'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	cam_opts_t o = {
	    .frames = -1,
	    .feed = {"testsrc", PROTO_C_H264, 320, 240, 10, 500, 30, 75},
	    .tele_hz = 1,
	    .gpsd = "localhost:2947",
	    .signal = -1,
	    .jpeg_below = 150,
	    .jpeg_fps = 2,
	    .resend_rate = 1000,
	};
	cam_feed_t feed = {0};
	cam_tele_t tele = {0};
	FILE *log = NULL;
	int have_feed = 0, have_tele = 0;
	const char *conf = NULL, *store = NULL;
	char store_dir[4200];
	cam_t c;
	int opt, rc = 1;

	memset(&c, 0, sizeof(c));
	c.fd = -1;
	c.state.fd = -1;
	c.past_fd = -1;
	while ((opt = getopt_long(argc, argv, "c:n:d:o:h", lopts, NULL)) != -1) {
		int bad = 0;
		long off;

		switch (opt) {
		case 'c': conf = optarg; break;
		case 'n': bad = proto_parse_long("-n", optarg, -1, LONG_MAX, &o.frames); break;
		case 'F': bad = proto_parse_int("--fps", optarg, 1, 1000, &o.feed.fps); break;
		case 'S': o.server = optarg; break;
		case 'O':
			/* a year either way */
			if ((bad = proto_parse_long("--clock-offset", optarg, -CAM_YEAR_MS,
						    CAM_YEAR_MS, &off)) == 0)
				o.clock_offset = off;
			break;
		case 's': o.feed.source = optarg; break;
		case 'C': bad = codec_parse(optarg, &o.feed.codec); break;
		case 'W': bad = size_parse(optarg, &o.feed.w, &o.feed.h); break;
		case 'K': bad = proto_parse_int("--kbps", optarg, 16, 1000000, &o.feed.kbps); break;
		case 'I':
			bad = proto_parse_int("--keyint", optarg, 1, 100000, &o.feed.keyint);
			break;
		case 'Q':
			bad = proto_parse_int("--quality", optarg, 1, 100, &o.feed.quality);
			break;
		case 'H':
			bad = proto_parse_double("--telemetry-hz", optarg, 0.01, 1000, &o.tele_hz);
			break;
		case 'Y': o.tele_only = 1; break;
		case 'X': o.gpx = optarg; break;
		case 'g': o.gpsd = NULL; break;
		case 'p': o.gpsd = optarg; break;
		case 'P': bad = proto_parse_int("--signal", optarg, -1, 100, &o.signal); break;
		case 'L': o.tele_log = optarg; break;
		case 'A': o.abr = 1; break;
		case 'J':
			bad = proto_parse_int("--jpeg-below", optarg, 0, 1000000, &o.jpeg_below);
			break;
		case 'j': bad = proto_parse_int("--jpeg-fps", optarg, 1, 1000, &o.jpeg_fps); break;
		case 'N': bad = proto_parse_int("--fleet", optarg, 1, 1000000, &o.fleet); break;
		case 'U': o.feed.dump_yuv = optarg; break;
		case 'B': store = optarg; break;
		case 'M':
			bad = proto_parse_u64("--store-max", optarg, UINT64_MAX, &o.store_max);
			break;
		case 'E':
			bad = proto_parse_u32("--resend-rate", optarg, UINT32_MAX, &o.resend_rate);
			break;
		case 'Z':
			bad = proto_parse_u64("--linger", optarg, UINT64_MAX, &o.linger_ms);
			break;
		case 'd': o.keydir = optarg; break;
		case 'o': o.camdir = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
		if (bad < 0) {
			fprintf(stderr, "vigil-cam: %s\n", proto_errmsg());
			return 2;
		}
	}
	if ((conf == NULL && o.fleet < 1) || o.feed.fps < 1 || o.feed.fps > 1000 ||
	    o.feed.kbps < 16 || o.feed.keyint < 1 || o.tele_hz < 0.01 || o.tele_hz > 1000 ||
	    o.signal > 100 || o.jpeg_fps < 1) {
		usage(stderr);
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (o.fleet > 0) {
		if (store)
			fprintf(stderr, "vigil-cam: --store is ignored with --fleet (each camera's "
					"store is beside its counter state)\n");
		return cam_fleet_run(&o, &cam_stop);
	}

	if (cam_conf_load(conf, &c.conf) < 0)
		return 1;
	if (o.server)
		snprintf(c.conf.server, sizeof(c.conf.server), "%s", o.server);
	if ((c.key = proto_key_load_private(c.conf.camera_key)) == NULL ||
	    (c.server_pub = proto_key_load_public(c.conf.server_key)) == NULL) {
		fprintf(stderr, "vigil-cam: %s\n", proto_errmsg());
		goto out;
	}
	if (!o.tele_only) {
		if (cam_feed_open(&feed, &o.feed) < 0)
			goto out;
		have_feed = 1;
	}
	if (cam_tele_open(&tele, o.gpx, o.gpsd, o.signal,
			  proto_now_ms() + (uint64_t)o.clock_offset) < 0)
		goto out;
	have_tele = 1;
	if (o.tele_log && (log = fopen(o.tele_log, "w")) == NULL) {
		perror(o.tele_log);
		goto out;
	}
	if (log != NULL) /* line by line: tests read it while the camera runs */
		setvbuf(log, NULL, _IOLBF, 0);
	if (cam_state_open(&c.state, c.conf.state,
			   proto_date_from_ms(proto_now_ms() + (uint64_t)o.clock_offset)) < 0 ||
	    cam_past_open(&c) < 0 || cam_connect(&c) < 0)
		goto out;
	/* the store of sent datagrams: by default beside the counter state */
	snprintf(store_dir, sizeof(store_dir), "%s.store", c.conf.state);
	if ((rc = cam_sync_open(&c, store ? store : store_dir, o.store_max, o.resend_rate)) < 0) {
		fprintf(stderr, "vigil-cam: store %s: %s\n", store ? store : store_dir,
			strerror(-rc));
		rc = 1;
		goto out;
	}
	rc = 1;
	if (cam_run_capture(&c, &o, &feed, &tele, log, &cam_stop) < 0)
		goto out;
	cam_run_linger(&c, o.linger_ms);
	cam_send_report(&c); /* the last counters, so the server knows the day's end */
	cam_send_bye(&c, 0);
	usleep(100 * 1000);
	cam_poll_replies(&c);
	rc = 0;
out:
	printf("sent=%llu bytes=%llu acks=%llu missing=%llu rr=%llu hello_resent=%llu "
	       "s2c_earlier=%llu cookies=%llu cookies_dropped=%llu\n",
	       (unsigned long long)c.sent, (unsigned long long)c.sent_bytes,
	       (unsigned long long)c.acks, (unsigned long long)c.missing, (unsigned long long)c.rr,
	       (unsigned long long)c.hello_resent, (unsigned long long)c.s2c_earlier,
	       (unsigned long long)c.cookie.accepted, (unsigned long long)c.cookie.dropped);
	if (c.reopened)
		printf("counter: reopened=%llu\n", (unsigned long long)c.reopened);
	cam_sync_print(&c);
	cam_sync_close(&c);
	if (log && fclose(log) != 0)
		rc = 1;
	cam_state_close(&c.state);
	cam_past_close(&c);
	if (have_feed)
		cam_feed_close(&feed);
	if (have_tele)
		cam_tele_close(&tele);
	proto_session_free(c.session);
	EVP_PKEY_free(c.key);
	EVP_PKEY_free(c.server_pub);
	if (c.fd >= 0)
		close(c.fd);
	return rc;
}
