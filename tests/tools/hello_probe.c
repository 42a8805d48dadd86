/*
 * NAME
 *	hello_probe - open a session through the hello cookie, or flood a
 *	server with forged hellos from many sources
 *
 * SYNOPSIS
 *	hello_probe -s ADDR:PORT -C CAMDIR [-b SRC_ADDR[:PORT]] [-c COUNTER] [-n DATA] [-x]
 *		    [-r] [-t SECONDS] [-a AGE_MS] [-D DAYS] [-w FILE | -H FILE] [-f FIRST] [-e | -m]
 *	hello_probe -s ADDR:PORT -C CAMDIR -F COUNT [-R RATE] [-S SOURCES]
 *
 * DESCRIPTION
 *	Stands for a camera that speaks the hello cookie (docs/PROTOCOL.md,
 *	"COOKIE (type 9)"), on IPv4 loopback, with the camera directory
 *	CAMDIR that `vigilctl provision` wrote. It sends a signed hello of
 *	counter COUNTER (default 0) without a trailer and waits for the
 *	answer: a COOKIE must be 60 bytes and echo the camera's UUID, date
 *	and the hello's id. With -x it then sends the hello with that
 *	cookie's trailer with one bit of the MAC flipped, and must get no
 *	HELLO_ACK for it. Then it sends the hello with the cookie's trailer
 *	until a HELLO_ACK of its session arrives (a new COOKIE on the way is
 *	taken), and last DATA datagrams (default 0) of that session, counters
 *	COUNTER+1 on. -r: a HELLO_ACK to a hello without a trailer is an
 *	error (the server must ask for a cookie). Every step prints one line
 *	of name=value pairs; exit 0 when the session was acknowledged (and,
 *	with -x, the bad trailer was not), 1 otherwise, 2 for bad usage.
 *
 *	-b binds the probe to SRC_ADDR (and PORT, else any). The hello's
 *	camera time is now minus AGE_MS (-a; negative: ahead of the clock),
 *	its date the UTC day of that time plus DAYS (-D; not 0: a date the
 *	signed time does not bear out). -w FILE keeps the hello
 *	made (the 32-byte secret, then the signed hello) and -H FILE sends
 *	that hello again, byte for byte, instead of a new one. DATA
 *	datagrams take counters FIRST on (-f, default COUNTER+1). -e: the
 *	hello must get no HELLO_ACK: it is sent every second for SECONDS
 *	and any HELLO_ACK that reaches the probe's address, whatever it is
 *	sealed for, fails it:
 *	  no_ack_expected tries=N acks=A
 *	-m: the camera behind a NAT mapping that moved: the hello once, no
 *	HELLO_ACK expected for it; then the DATA, after which the HELLO_ACK
 *	of the session must come:
 *	  moved hello_reply=none|ack data_reply=none|ack
 *
 *	-F COUNT: instead, send COUNT forged hellos for the camera (valid
 *	layout, current time, random hello id, random bytes for the wrapped
 *	secret and the signature) at RATE a second (default 10000), each from
 *	one of SOURCES (default 4096) source addresses 127.2.0.1 up (IP_PKTINFO
 *	on one socket: the loopback /8 needs no setup on Linux), until COUNT
 *	are sent or SIGTERM. It reads whatever comes back to those addresses
 *	(an attacker with forged sources would never see it) and prints the
 *	bytes sent and received:
 *	  flood sent=N sent_bytes=B replies=R received_bytes=B cookies=K seconds=S
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <openssl/rand.h>

#include "proto_crypto.h"

static struct sockaddr_in server;
static uint64_t sent_bytes, received_bytes;
static volatile sig_atomic_t stop;
static int any_ack; /* -e: any HELLO_ACK counts, whatever it is sealed for */

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int
parse_server(const char *spec)
{
	char host[64], *port;

	snprintf(host, sizeof(host), "%s", spec);
	if ((port = strrchr(host, ':')) == NULL)
		return -1;
	*port++ = '\0';
	server.sin_family = AF_INET;
	server.sin_port = htons((uint16_t)atoi(port));
	return inet_pton(AF_INET, host, &server.sin_addr) == 1 ? 0 : -1;
}

/* uuid, camera key and server key of a provisioned camera directory */
static int
load_camera(const char *dir, uint8_t uuid[16], EVP_PKEY **cam, EVP_PKEY **srv)
{
	char path[4200], line[256], val[128];
	FILE *f;
	int have = 0;

	snprintf(path, sizeof(path), "%s/camera.conf", dir);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "uuid = %127s", val) == 1 && proto_uuid_parse(val, uuid) == 0)
			have = 1;
	fclose(f);
	snprintf(path, sizeof(path), "%s/camera.key", dir);
	*cam = proto_key_load_private(path);
	snprintf(path, sizeof(path), "%s/server.pub", dir);
	*srv = proto_key_load_public(path);
	return have && *cam && *srv ? 0 : -1;
}

static int
udp_socket(uint32_t src, uint16_t sport)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(src);
	a.sin_port = htons(sport);
	if (fd >= 0 && src && bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		perror("hello_probe: bind");
		close(fd);
		return -1;
	}
	return fd;
}

static void
send_to_server(int fd, const uint8_t *dg, size_t len)
{
	if (sendto(fd, dg, len, 0, (const struct sockaddr *)&server, sizeof(server)) ==
	    (ssize_t)len)
		sent_bytes += len;
}

enum reply { R_NONE, R_COOKIE, R_ACK };

/*
 * Wait up to ms for a COOKIE for this hello or the session's HELLO_ACK;
 * anything else (another camera's cookie, a receiver report) is skipped.
 */
static enum reply
wait_reply(int fd, int ms, const proto_hello_t *h, proto_session_t *s, proto_cookie_t *c)
{
	uint8_t dg[PROTO_MAX_DGRAM + 1], body[PROTO_MAX_DGRAM];
	uint64_t end = proto_mono_ms() + (uint64_t)ms;
	proto_s2c_hdr_t sh;
	proto_hello_ack_t ack;
	ssize_t n;
	int left, bl;

	while ((left = (int)(end - proto_mono_ms())) > 0) {
		struct pollfd p = {fd, POLLIN, 0};
		if (poll(&p, 1, left) <= 0)
			continue;
		if ((n = recv(fd, dg, sizeof(dg), 0)) <= 0)
			continue;
		received_bytes += (uint64_t)n;
		if (n >= 4 && proto_dgram_type(dg) == PROTO_T_COOKIE) {
			int rc = proto_cookie_decode(dg, (size_t)n, c);
			printf("cookie len=%zd decode=%s uuid=%s date=%s hello_id=%s issued=%u\n",
			       n, rc == 0 ? "ok" : proto_strerror(rc),
			       rc == 0 && !memcmp(c->uuid, h->uuid, 16) ? "ok" : "bad",
			       rc == 0 && c->date == h->date ? "ok" : "bad",
			       rc == 0 && !memcmp(c->hello_id, h->hello_id, 16) ? "ok" : "bad",
			       rc == 0 ? c->issued : 0);
			if (rc == 0 && n == PROTO_COOKIE_LEN && !memcmp(c->uuid, h->uuid, 16) &&
			    c->date == h->date && !memcmp(c->hello_id, h->hello_id, 16))
				return R_COOKIE;
			continue;
		}
		if (any_ack && n >= 4 && proto_dgram_type(dg) == PROTO_T_HELLO_ACK)
			return R_ACK;
		if ((bl = proto_s2c_open(s, dg, (size_t)n, &sh, body, sizeof(body))) >= 0 &&
		    sh.type == PROTO_T_HELLO_ACK && sh.session == h->counter &&
		    proto_hello_ack_decode(body, (size_t)bl, &ack) == 0)
			return R_ACK;
	}
	return R_NONE;
}

static void
with_trailer(uint8_t *dg, size_t len, const proto_cookie_t *c, int flip)
{
	proto_put32(dg + len, c->issued);
	memcpy(dg + len + 4, c->mac, PROTO_COOKIE_MAC_LEN);
	if (flip)
		dg[len + 4 + flip % PROTO_COOKIE_MAC_LEN] ^= (uint8_t)(1u << (flip % 8));
}

static int
send_data(int fd, proto_session_t *s, const proto_hello_t *h, uint32_t first, int n)
{
	uint8_t payload[200], dg[PROTO_MAX_DGRAM];
	int i, len;

	memset(payload, 0x5a, sizeof(payload));
	for (i = 0; i < n; i++) {
		proto_data_hdr_t d = {0};

		memcpy(d.uuid, h->uuid, 16);
		d.date = h->date;
		d.counter = first + (uint32_t)i;
		d.session = h->counter;
		d.stream = PROTO_S_VIDEO;
		d.codec = PROTO_C_H264;
		d.flags = i == 0 ? PROTO_F_KEYFRAME : 0;
		d.frame = (uint32_t)i;
		d.frag_count = 1;
		d.capture_ms = proto_now_ms();
		d.payload_len = sizeof(payload);
		if ((len = proto_data_seal(s, &d, payload, dg, sizeof(dg))) < 0)
			return -1;
		send_to_server(fd, dg, (size_t)len);
		usleep(1000);
	}
	return 0;
}

/* What the probe sends, and how (the options). */
typedef struct probe_opt {
	uint32_t src, counter, first;
	uint16_t sport; /* 0: any */
	int ndata, bad, require, secs, none, moved, have_first;
	long long age_ms;
	int days;
	const char *save, *load;
} probe_opt_t;

/* A new hello as the options say, or the one kept in o->load; its length or -1. */
static int
make_hello(EVP_PKEY *cam, EVP_PKEY *srv, const uint8_t uuid[16], const probe_opt_t *o, uint8_t *dg,
	   proto_hello_t *h, uint8_t secret[32])
{
	uint8_t buf[32 + PROTO_MAX_DGRAM];
	FILE *f;
	size_t n;
	int len;

	if (o->load) {
		if ((f = fopen(o->load, "rb")) == NULL)
			return -1;
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		if (n <= 32 || proto_hello_decode(buf + 32, n - 32, h) < 0)
			return -1;
		memcpy(secret, buf, 32);
		memcpy(dg, buf + 32, n - 32);
		return (int)(n - 32);
	}
	memset(h, 0, sizeof(*h));
	memcpy(h->uuid, uuid, 16);
	h->camera_ms = (uint64_t)((long long)proto_now_ms() - o->age_ms);
	h->date = (uint32_t)((int)proto_date_from_ms(h->camera_ms) + o->days);
	h->counter = o->counter;
	RAND_bytes(h->hello_id, sizeof(h->hello_id));
	RAND_bytes(secret, 32);
	if ((len = proto_hello_seal(cam, srv, h, secret, dg, PROTO_MAX_DGRAM)) < 0)
		return -1;
	if (o->save) {
		memcpy(buf, secret, 32);
		memcpy(buf + 32, dg, (size_t)len);
		if ((f = fopen(o->save, "wb")) == NULL)
			return -1;
		n = fwrite(buf, 1, 32 + (size_t)len, f);
		if (fclose(f) != 0 || n != 32 + (size_t)len)
			return -1;
	}
	return len;
}

static int
probe(EVP_PKEY *cam, EVP_PKEY *srv, const uint8_t uuid[16], const probe_opt_t *o)
{
	uint8_t dg[PROTO_MAX_DGRAM + PROTO_COOKIE_TRAILER], secret[32];
	uint64_t t0 = proto_mono_ms(), end = t0 + (uint64_t)o->secs * 1000;
	proto_hello_t h;
	proto_session_t *s = NULL;
	proto_cookie_t c;
	enum reply r = R_NONE, r2;
	uint32_t counter, first;
	int fd, len, tries = 0, acks = 0, ok = 0, ndata = o->ndata, bad = o->bad;
	int require = o->require;

	if ((fd = udp_socket(o->src, o->sport)) < 0)
		return 1;
	if ((len = make_hello(cam, srv, uuid, o, dg, &h, secret)) < 0 ||
	    (s = proto_session_new(uuid, h.date, h.counter, secret)) == NULL) {
		fprintf(stderr, "hello_probe: no hello: %s\n", proto_errmsg());
		close(fd);
		return 1;
	}
	counter = h.counter;
	first = o->have_first ? o->first : counter + 1;
	if (o->none) {
		/* every second a copy; any HELLO_ACK at all is a failure */
		any_ack = 1;
		while (proto_mono_ms() < end) {
			send_to_server(fd, dg, (size_t)len);
			tries++;
			acks += wait_reply(fd, 1000, &h, s, &c) == R_ACK;
		}
		printf("no_ack_expected tries=%d acks=%d\n", tries, acks);
		ok = acks == 0;
		goto out;
	}
	if (o->moved) {
		send_to_server(fd, dg, (size_t)len);
		r = wait_reply(fd, 1000, &h, s, &c);
		r2 = R_NONE;
		if (send_data(fd, s, &h, first, ndata) == 0)
			r2 = wait_reply(fd, 2000, &h, s, &c);
		printf("moved hello_reply=%s data_reply=%s\n", r == R_ACK ? "ack" : "none",
		       r2 == R_ACK ? "ack" : "none");
		ok = r != R_ACK && r2 == R_ACK;
		goto out;
	}
	/* a hello without a trailer: under load a COOKIE comes back, else the ack */
	while (r == R_NONE && proto_mono_ms() < end) {
		send_to_server(fd, dg, (size_t)len);
		tries++;
		r = wait_reply(fd, 1000, &h, s, &c);
	}
	if (r == R_ACK) {
		printf("ack_without_cookie session=%u tries=%d ms=%llu\n", counter, tries,
		       (unsigned long long)(proto_mono_ms() - t0));
		ok = !require && !bad;
		goto data;
	}
	if (r == R_NONE) {
		printf("no_reply tries=%d\n", tries);
		goto out;
	}
	if (bad) {
		/* one bit of the MAC flipped: a new cookie at most, never an ack */
		with_trailer(dg, (size_t)len, &c, 1 + (int)(proto_mono_ms() % 120));
		send_to_server(fd, dg, (size_t)len + PROTO_COOKIE_TRAILER);
		r = wait_reply(fd, 1000, &h, s, &c);
		printf("bad_trailer reply=%s\n", r == R_ACK      ? "ack"
						 : r == R_COOKIE ? "cookie"
								 : "none");
		if (r == R_ACK)
			goto out;
	}
	r = R_NONE;
	tries = 0;
	while (r != R_ACK && proto_mono_ms() < end) {
		with_trailer(dg, (size_t)len, &c, 0);
		send_to_server(fd, dg, (size_t)len + PROTO_COOKIE_TRAILER);
		tries++;
		r = wait_reply(fd, 1000, &h, s, &c); /* a new cookie replaces c */
	}
	if (r != R_ACK) {
		printf("no_ack tries=%d\n", tries);
		goto out;
	}
	printf("ack session=%u tries=%d ms=%llu\n", counter, tries,
	       (unsigned long long)(proto_mono_ms() - t0));
	ok = 1;
data:
	if (ok && ndata > 0) {
		if (send_data(fd, s, &h, first, ndata) < 0)
			ok = 0;
		printf("data sent=%d\n", ndata);
	}
out:
	printf("probe sent_bytes=%llu received_bytes=%llu\n", (unsigned long long)sent_bytes,
	       (unsigned long long)received_bytes);
	proto_session_free(s);
	close(fd);
	return ok ? 0 : 1;
}

/* Read what came back to the flood's addresses; returns cookies among it. */
static uint64_t
drain(int fd, uint64_t *replies)
{
	uint8_t dg[PROTO_MAX_DGRAM + 1];
	uint64_t cookies = 0;
	ssize_t n;

	while ((n = recv(fd, dg, sizeof(dg), MSG_DONTWAIT)) > 0) {
		received_bytes += (uint64_t)n;
		(*replies)++;
		cookies += n == PROTO_COOKIE_LEN && proto_dgram_type(dg) == PROTO_T_COOKIE;
	}
	return cookies;
}

static int
flood(const uint8_t uuid[16], long count, double rate, uint32_t sources)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} ctl;
	uint8_t dg[576];
	uint64_t t0 = proto_mono_ms(), replies = 0, cookies = 0, end;
	proto_hello_t h = {0};
	struct in_pktinfo pi = {0};
	struct iovec v = {dg, sizeof(dg)};
	struct msghdr m = {.msg_name = &server,
			   .msg_namelen = sizeof(server),
			   .msg_iov = &v,
			   .msg_iovlen = 1,
			   .msg_control = ctl.buf,
			   .msg_controllen = sizeof(ctl.buf)};
	struct cmsghdr *c;
	long sent = 0;
	int fd;

	if ((fd = udp_socket(0, 0)) < 0)
		return 1;
	memcpy(h.uuid, uuid, 16);
	h.wrapped_len = h.sig_len = 256;
	c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = IPPROTO_IP;
	c->cmsg_type = IP_PKTINFO;
	c->cmsg_len = CMSG_LEN(sizeof(pi));
	RAND_bytes(dg + 64, sizeof(dg) - 64);
	while (sent < count && !stop) {
		/* paced: sleep until the next hello is due */
		double due = (double)(proto_mono_ms() - t0) * rate / 1000.0;
		if ((double)sent >= due) {
			usleep(1000);
			cookies += drain(fd, &replies);
			continue;
		}
		h.camera_ms = proto_now_ms();
		h.date = proto_date_from_ms(h.camera_ms);
		h.counter = 1000000 + (uint32_t)sent;
		RAND_bytes(h.hello_id, sizeof(h.hello_id));
		dg[64 + (sent % 512)] ^= 0x01; /* another "signature" each time */
		proto_hello_hdr_encode(&h, dg);
		pi.ipi_spec_dst.s_addr = htonl(0x7f020001u + (uint32_t)sent % sources);
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		if (sendmsg(fd, &m, 0) == (ssize_t)sizeof(dg))
			sent_bytes += sizeof(dg);
		sent++;
		if (sent % 64 == 0)
			cookies += drain(fd, &replies);
	}
	/* what the server still sends after the last hello */
	for (end = proto_mono_ms() + 500; proto_mono_ms() < end;) {
		usleep(10000);
		cookies += drain(fd, &replies);
	}
	printf("flood sent=%ld sent_bytes=%llu replies=%llu received_bytes=%llu cookies=%llu "
	       "seconds=%.1f\n",
	       sent, (unsigned long long)sent_bytes, (unsigned long long)replies,
	       (unsigned long long)received_bytes, (unsigned long long)cookies,
	       (double)(proto_mono_ms() - t0) / 1000.0);
	close(fd);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *camdir = NULL;
	uint8_t uuid[16];
	EVP_PKEY *cam = NULL, *srv = NULL;
	uint32_t sources = 4096;
	long nflood = 0;
	double rate = 10000;
	probe_opt_t o = {.secs = 10};
	char *port;
	int opt, rc;
	struct in_addr a;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((opt = getopt(argc, argv, "s:C:b:c:n:xrt:F:R:S:a:D:w:H:f:em")) != -1) {
		switch (opt) {
		case 's':
			if (parse_server(optarg) < 0)
				return 2;
			break;
		case 'C': camdir = optarg; break;
		case 'b':
			if ((port = strchr(optarg, ':')) != NULL) {
				*port++ = '\0';
				o.sport = (uint16_t)atoi(port);
			}
			if (inet_pton(AF_INET, optarg, &a) != 1)
				return 2;
			o.src = ntohl(a.s_addr);
			break;
		case 'c': o.counter = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'n': o.ndata = atoi(optarg); break;
		case 'x': o.bad = 1; break;
		case 'r': o.require = 1; break;
		case 't': o.secs = atoi(optarg); break;
		case 'a': o.age_ms = strtoll(optarg, NULL, 10); break;
		case 'D': o.days = atoi(optarg); break;
		case 'w': o.save = optarg; break;
		case 'H': o.load = optarg; break;
		case 'f':
			o.first = (uint32_t)strtoul(optarg, NULL, 10);
			o.have_first = 1;
			break;
		case 'e': o.none = 1; break;
		case 'm': o.moved = 1; break;
		case 'F': nflood = atol(optarg); break;
		case 'R': rate = atof(optarg); break;
		case 'S': sources = (uint32_t)strtoul(optarg, NULL, 10); break;
		default: return 2;
		}
	}
	if (camdir == NULL || server.sin_family != AF_INET || rate <= 0 || sources < 1 ||
	    sources > 1u << 20 || o.secs < 1 || (o.save && o.load) || (o.none && o.moved)) {
		fprintf(stderr,
			"usage: hello_probe -s ADDR:PORT -C CAMDIR [-b SRC[:PORT]] [-c COUNTER] "
			"[-n DATA] [-x] [-r] [-t SECONDS] [-a AGE_MS] [-D DAYS] "
			"[-w FILE | -H FILE] [-f FIRST] [-e | -m] "
			"| -F COUNT [-R RATE] [-S SOURCES]\n");
		return 2;
	}
	if (load_camera(camdir, uuid, &cam, &srv) < 0) {
		fprintf(stderr, "hello_probe: %s: cannot load the camera\n", camdir);
		return 1;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	rc = nflood > 0 ? flood(uuid, nflood, rate, sources) : probe(cam, srv, uuid, &o);
	EVP_PKEY_free(cam);
	EVP_PKEY_free(srv);
	return rc;
}
