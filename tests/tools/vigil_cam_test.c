/*
 * NAME
 *	vigil_cam_test - vigil-cam with test aids that misbehave on purpose
 *
 * SYNOPSIS
 *	vigil_cam_test [--tamper N] [--dup N] [--garbage] [--replay-hello[=N]]
 *	               [any vigil-cam option]...
 *
 * DESCRIPTION
 *	The camera program itself (firmware/, its main() built under another
 *	name), with a send filter (cam_send_filter, firmware/cam.h) that
 *	gives the server what a broken or hostile camera would:
 *
 *	  --tamper N          flip the last byte (the GCM tag's) of every Nth
 *	                      datagram; the store keeps the datagram as sealed
 *	  --dup N             send every Nth datagram twice, as a resend would
 *	  --garbage           follow each datagram with malformed variants of
 *	                      it: random bytes, a truncated copy, a copy with
 *	                      one bit flipped, an oversized copy, a wrong
 *	                      version, another camera's (not counted in sent)
 *	  --replay-hello[=N]  send each new hello again N times (default 1),
 *	                      counted in sent: the server must refuse copies
 *
 *	These options are taken out of the command line (wherever they stand
 *	before a `--`) and the rest goes to vigil-cam's main(). After it
 *	returns, one more line: `aids: tampered=N dups=N garbage=N
 *	replayed=N`. The shipped bin/vigil-cam has none of this and refuses
 *	these options as unknown.
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/rand.h>

#include "firmware/cam.h"

/* firmware/cam_main.c's main(), compiled again under this name (Makefile) */
int cam_main_program(int argc, char **argv);

static struct {
	uint32_t tamper_every, dup_every;
	int garbage, replay_hello;
	uint64_t tampered, dups, garbage_sent, replayed;
} aids;

/* Before the send: the tag of every Nth datagram no longer matches. */
static void
aid_before(cam_t *c, uint8_t *dg, size_t len)
{
	if (aids.tamper_every && c->sent % aids.tamper_every == 0) {
		dg[len - 1] ^= 0x01;
		aids.tampered++;
	}
}

/* Bad variants of a datagram just sent, none of which may reach the server's disk. */
static void
send_garbage(cam_t *c, const uint8_t *dg, size_t len)
{
	uint8_t b[1600];
	size_t n;

	RAND_bytes((uint8_t *)&n, sizeof(n));
	n = 1 + n % PROTO_MAX_DGRAM;
	RAND_bytes(b, (int)n);
	aids.garbage_sent += send(c->fd, b, n, 0) > 0;
	aids.garbage_sent += send(c->fd, dg, len / 2, 0) > 0;
	memcpy(b, dg, len);
	RAND_bytes((uint8_t *)&n, sizeof(n));
	b[n % len] ^= (uint8_t)(1u << (n / len % 8));
	aids.garbage_sent += send(c->fd, b, len, 0) > 0;
	memcpy(b, dg, len);
	memset(b + len, 0, sizeof(b) - len);
	aids.garbage_sent += send(c->fd, b, sizeof(b), 0) > 0;
	memcpy(b, dg, len);
	b[2] = PROTO_VERSION + 1;
	aids.garbage_sent += send(c->fd, b, len, 0) > 0;
	b[2] = PROTO_VERSION;
	b[10] ^= 0x40;
	aids.garbage_sent += send(c->fd, b, len, 0) > 0;
}

/* After the send: garbage, a byte-identical copy, a new hello's replays. */
static void
aid_after(cam_t *c, const uint8_t *dg, size_t len, int sent)
{
	if (sent && aids.garbage)
		send_garbage(c, dg, len);
	if (sent && aids.dup_every && c->sent % aids.dup_every == 0 &&
	    send(c->fd, dg, len, 0) == (ssize_t)len)
		aids.dups++;
	if (dg[3] != PROTO_T_HELLO)
		return;
	for (int k = 0; k < aids.replay_hello; k++) {
		c->sent++;
		aids.replayed++;
		if (cam_cookie_send(c, dg, len) == 0)
			c->sent_bytes += len;
	}
}

static const cam_filter_t aid_filter = {aid_before, aid_after};

/*
 * One of this tool's options at argv[*i] (moving *i past its value):
 * 1 taken, 0 not one of them, -1 a bad value.
 */
static int
aid_take(int argc, char **argv, int *i)
{
	const char *a = argv[*i], *v;
	size_t n;

	if (strcmp(a, "--garbage") == 0) {
		aids.garbage = 1;
		return 1;
	}
	if (strcmp(a, "--replay-hello") == 0) {
		aids.replay_hello = 1;
		return 1;
	}
	if (strncmp(a, "--replay-hello=", 15) == 0)
		return proto_parse_int("--replay-hello", a + 15, 0, 1000, &aids.replay_hello) < 0
			   ? -1
			   : 1;
	for (n = 0; n < 2; n++) {
		const char *name = n == 0 ? "--tamper" : "--dup";
		uint32_t *out = n == 0 ? &aids.tamper_every : &aids.dup_every;
		size_t l = strlen(name);
		if (strncmp(a, name, l) != 0 || (a[l] != '\0' && a[l] != '='))
			continue;
		if (a[l] == '=')
			v = a + l + 1;
		else if (*i + 1 < argc)
			v = argv[++*i];
		else
			v = NULL;
		return proto_parse_u32(name, v, UINT32_MAX, out) < 0 ? -1 : 1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	int i, n = 1, rc;

	/* take this tool's options out; vigil-cam gets the rest, in order */
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			while (i < argc)
				argv[n++] = argv[i++];
			break;
		}
		switch (aid_take(argc, argv, &i)) {
		case -1: fprintf(stderr, "vigil-cam: %s\n", proto_errmsg()); return 2;
		case 0: argv[n++] = argv[i]; break;
		}
	}
	argv[n] = NULL;
	cam_send_filter = &aid_filter;
	rc = cam_main_program(n, argv);
	printf("aids: tampered=%llu dups=%llu garbage=%llu replayed=%llu\n",
	       (unsigned long long)aids.tampered, (unsigned long long)aids.dups,
	       (unsigned long long)aids.garbage_sent, (unsigned long long)aids.replayed);
	return rc;
}
