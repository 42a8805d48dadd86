/*
 * NAME
 *	wsview.c - a WebSocket viewer for the tests, on libwebsockets
 *
 * DESCRIPTION
 *	wsview -p PORT -t TOKEN [-n CONNECTIONS] [-c MS:JSON]... [-d MS]
 *	       [-S MS] [-o FILE] [-x PATH] [-q FILE] [-e N]
 *
 *	Opens CONNECTIONS (1) sockets to ws://127.0.0.1:PORT/ws?token=TOKEN
 *	(PATH replaces /ws), sends each command JSON at MS milliseconds
 *	after it connected, in the order given, and runs for -d MS (5000).
 *	-c @PATH:JSON sends JSON, in its turn, once the file PATH exists
 *	(the test decides when); -q PATH ends the run once PATH exists; -e N
 *	ends it once every connection received N datagrams. Every datagram is
 *	checked with the frame key received before it: AES-256-GCM, nonce
 *	date||counter||0, AAD the 56-byte clear header (docs/PROTOCOL.md).
 *	-S MS stops reading the first connection MS after it connected (a
 *	viewer that stops reading). -o FILE gets one line per message of
 *	the first connection: "D counter frame frag/count keyed live stream
 *	keyframe capture_ms received_ms" for a datagram, "K session stream frame" for a key, "T json" for text,
 *	"C code reason" when the server closes the socket (its close frame).
 *	At the end one line per connection on stdout:
 *	  conn I connected C datagrams N keys K verified V bad B skips S
 *	  text T first F last L backwards W
 *	Exit 0 once it ran, 1 when no connection opened.
 */
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#include <libwebsockets.h>
#include <openssl/evp.h>

#include "proto.h"
#include "proto_crypto.h"
#include "view.h"

#define MAXCMD 16
#define MAXCONN 2048

typedef struct conn {
	struct lws *wsi;
	int idx, connected, closed;
	uint64_t t0;
	int next_cmd;
	uint64_t datagrams, keys, verified, bad, skips, text, backwards;
	int64_t first, last;
	struct key {
		uint32_t session, frame;
		uint8_t k[32];
		int valid;
	} key[4];
	uint8_t buf[2048];
	size_t len;
	int stopped;
} conn_t;

static struct {
	uint64_t at;
	char when[256], json[512];
} cmds[MAXCMD];
static int ncmds, port, stop_ms = -1;
static uint64_t end_after; /* -e: datagrams on every connection, 0 never */
static const char *token, *path = "/ws", *quit_path;
static FILE *out;
static conn_t conns[MAXCONN];
static int nconn = 1;
static struct lws_context *ctx;

static lws_sorted_usec_list_t tick;

/* lws 4.1 ignores lws_service's timeout: a 10 ms timer keeps the loop turning */
static void
on_tick(lws_sorted_usec_list_t *sul)
{
	lws_sul_schedule(ctx, 0, sul, on_tick, 10 * LWS_US_PER_MS);
}

/* Is the next command of c due? */
static int
cmd_due(const conn_t *c)
{
	if (c->next_cmd >= ncmds || proto_mono_ms() < c->t0 + cmds[c->next_cmd].at)
		return 0;
	return cmds[c->next_cmd].when[0] == '\0' || access(cmds[c->next_cmd].when, F_OK) == 0;
}

static int
gcm_ok(const uint8_t key[32], const proto_data_hdr_t *h, const uint8_t *dg, size_t len)
{
	uint8_t nonce[PROTO_NONCE_LEN], plain[PROTO_MAX_DGRAM];
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n, ok = 0;
	size_t p = len - PROTO_DATA_HDR_LEN - PROTO_TAG_LEN;

	/* the player's check, apart from libproto's: AES-256-GCM, the clear header as AAD */
	proto_c2s_nonce(h->date, h->counter, nonce);
	if (c && EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, nonce) == 1 &&
	    EVP_DecryptUpdate(c, NULL, &n, dg, PROTO_DATA_HDR_LEN) == 1 &&
	    EVP_DecryptUpdate(c, plain, &n, dg + PROTO_DATA_HDR_LEN, (int)p) == 1 &&
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, PROTO_TAG_LEN,
				(void *)(dg + PROTO_DATA_HDR_LEN + p)) == 1 &&
	    EVP_DecryptFinal_ex(c, plain + n, &n) == 1)
		ok = 1;
	EVP_CIPHER_CTX_free(c);
	return ok;
}

static void
message(conn_t *c, const uint8_t *m, size_t len, int binary)
{
	if (!binary) {
		c->text++;
		if (strstr((const char *)m, "\"skip\""))
			c->skips++;
		if (out && c->idx == 0)
			fprintf(out, "T %.*s\n", (int)len, m);
		return;
	}
	if (len == VIEW_FRAME_KEY_LEN && m[0] == VIEW_KIND_FRAME_KEY) {
		view_frame_key_t k = {0};
		if (view_frame_key_decode(m, len, &k) == 0 && k.stream < 4) {
			c->key[k.stream].session = k.session;
			c->key[k.stream].frame = k.frame;
			memcpy(c->key[k.stream].k, k.key, 32);
			c->key[k.stream].valid = 1;
		}
		c->keys++;
		if (out && c->idx == 0)
			fprintf(out, "K %u %u %u\n", k.session, k.stream, k.frame);
		return;
	}
	if (len < VIEW_DATAGRAM_HDR_LEN + PROTO_DATA_HDR_LEN + PROTO_TAG_LEN ||
	    m[0] != VIEW_KIND_DATAGRAM)
		return;
	const uint8_t *dg = m + VIEW_DATAGRAM_HDR_LEN;
	size_t dl = len - VIEW_DATAGRAM_HDR_LEN;
	proto_data_hdr_t h;
	proto_dgram_peek(dg, dl, &h);
	uint32_t counter = h.counter, frame = h.frame;
	uint8_t stream = h.stream;
	int live = (m[1] & VIEW_F_LIVE) != 0;
	int keyed = stream < 4 && c->key[stream].valid && c->key[stream].session == h.session &&
		    c->key[stream].frame == frame;
	c->datagrams++;
	if (keyed && gcm_ok(c->key[stream].k, &h, dg, dl))
		c->verified++;
	else
		c->bad++;
	if (c->first < 0)
		c->first = counter;
	if (c->last >= 0 && (int64_t)counter <= c->last)
		c->backwards++;
	c->last = counter;
	if (out && c->idx == 0)
		fprintf(out, "D %u %u %u/%u %d %d %d %d %llu %llu\n", counter, frame, h.frag_index,
			h.frag_count, keyed, live, stream,
			(h.flags & PROTO_F_KEYFRAME) && stream == PROTO_S_VIDEO,
			(unsigned long long)h.capture_ms, (unsigned long long)proto_now_ms());
}

static int
cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	conn_t *c = user;

	switch (reason) {
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		if (c->idx == 0 && stop_ms >= 0) {
			/* the viewer that will stop reading: a small window, so the server sees it soon */
			int rb = 16 * 1024;
			setsockopt(lws_get_socket_fd(wsi), SOL_SOCKET, SO_RCVBUF, &rb, sizeof(rb));
		}
		c->connected = 1;
		c->t0 = proto_mono_ms();
		lws_callback_on_writable(wsi);
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		if (lws_is_first_fragment(wsi))
			c->len = 0;
		if (c->len + len <= sizeof(c->buf)) {
			memcpy(c->buf + c->len, in, len);
			c->len += len;
		}
		if (lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0) {
			c->buf[c->len < sizeof(c->buf) ? c->len : sizeof(c->buf) - 1] = 0;
			message(c, c->buf, c->len, lws_frame_is_binary(wsi));
		}
		break;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		if (cmd_due(c)) {
			uint8_t b[LWS_PRE + 512];
			size_t n = strlen(cmds[c->next_cmd].json);
			memcpy(b + LWS_PRE, cmds[c->next_cmd].json, n);
			c->next_cmd++;
			if (lws_write(wsi, b + LWS_PRE, n, LWS_WRITE_TEXT) < (int)n)
				return -1;
		}
		break;
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		if (out && c->idx == 0 && len >= 2) {
			const uint8_t *b = in;
			fprintf(out, "C %u %.*s\n", (unsigned)b[0] << 8 | b[1], (int)len - 2,
				(const char *)b + 2);
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
    {"vigil-test", cb, 0, 4096, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

int
main(int argc, char **argv)
{
	struct lws_context_creation_info info;
	int opt, i, dur = 5000, any = 0;
	char urlpath[1024];

	while ((opt = getopt(argc, argv, "p:t:n:c:d:S:o:x:q:e:")) != -1) {
		int bad = 0;

		switch (opt) {
		case 'p': bad = proto_parse_int("-p", optarg, 1, 65535, &port); break;
		case 't': token = optarg; break;
		case 'n': bad = proto_parse_int("-n", optarg, 1, MAXCONN, &nconn); break;
		case 'c': {
			char *colon = strchr(optarg, ':'), at[24];
			if (colon == NULL || ncmds == MAXCMD)
				return 2;
			if (optarg[0] == '@') {
				if ((size_t)(colon - optarg) > sizeof(cmds[0].when))
					return 2;
				memcpy(cmds[ncmds].when, optarg + 1, (size_t)(colon - optarg) - 1);
			} else {
				if ((size_t)(colon - optarg) >= sizeof(at))
					return 2;
				memcpy(at, optarg, (size_t)(colon - optarg));
				at[colon - optarg] = '\0';
				if ((bad = proto_parse_u64("-c", at, UINT64_MAX, &cmds[ncmds].at)) <
				    0)
					break;
			}
			snprintf(cmds[ncmds].json, sizeof(cmds[0].json), "%s", colon + 1);
			ncmds++;
			break;
		}
		case 'd': bad = proto_parse_int("-d", optarg, 0, INT_MAX, &dur); break;
		case 'S': bad = proto_parse_int("-S", optarg, -1, INT_MAX, &stop_ms); break;
		case 'o':
			if ((out = fopen(optarg, "w")) != NULL)
				setvbuf(out, NULL, _IOLBF, 0); /* the test reads it while it runs */
			break;
		case 'q': quit_path = optarg; break;
		case 'e': {
			long e;
			if ((bad = proto_parse_long("-e", optarg, 1, LONG_MAX, &e)) == 0)
				end_after = (uint64_t)e;
			break;
		}
		case 'x': path = optarg; break;
		default: return 2;
		}
		if (bad < 0) {
			fprintf(stderr, "wsview: %s\n", proto_errmsg());
			return 2;
		}
	}
	if (nconn < 1 || nconn > MAXCONN || port == 0)
		return 2;
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	info.fd_limit_per_thread = (unsigned)nconn + 64;
	lws_set_log_level(LLL_ERR, NULL);
	if ((ctx = lws_create_context(&info)) == NULL)
		return 1;
	if (token)
		snprintf(urlpath, sizeof(urlpath), "%s?token=%s", path, token);
	else
		snprintf(urlpath, sizeof(urlpath), "%s", path);
	for (i = 0; i < nconn; i++) {
		struct lws_client_connect_info ci;
		memset(&ci, 0, sizeof(ci));
		conns[i].idx = i;
		conns[i].first = conns[i].last = -1;
		ci.context = ctx;
		ci.address = "127.0.0.1";
		ci.port = port;
		ci.path = urlpath;
		ci.host = "127.0.0.1";
		ci.origin = "127.0.0.1";
		ci.protocol = NULL;
		ci.userdata = &conns[i];
		ci.pwsi = &conns[i].wsi;
		lws_client_connect_via_info(&ci);
	}
	lws_sul_schedule(ctx, 0, &tick, on_tick, 10 * LWS_US_PER_MS);
	uint64_t end = proto_mono_ms() + (uint64_t)dur;
	while (proto_mono_ms() < end && (quit_path == NULL || access(quit_path, F_OK) != 0)) {
		int done = end_after > 0;
		for (i = 0; i < nconn && done; i++)
			done = conns[i].datagrams >= end_after;
		if (done)
			break;
		lws_service(ctx, 10);
		for (i = 0; i < nconn; i++) {
			conn_t *c = &conns[i];
			if (!c->connected || c->closed || !c->wsi)
				continue;
			if (cmd_due(c))
				lws_callback_on_writable(c->wsi);
			if (i == 0 && stop_ms >= 0 && !c->stopped &&
			    proto_mono_ms() >= c->t0 + (uint64_t)stop_ms) {
				lws_rx_flow_control(c->wsi, 0);
				c->stopped = 1;
			}
		}
	}
	for (i = 0; i < nconn; i++) {
		conn_t *c = &conns[i];
		any |= c->connected;
		printf(
		    "conn %d connected %d datagrams %llu keys %llu verified %llu bad %llu skips %llu "
		    "text %llu first %lld last %lld backwards %llu\n",
		    i, c->connected, (unsigned long long)c->datagrams, (unsigned long long)c->keys,
		    (unsigned long long)c->verified, (unsigned long long)c->bad,
		    (unsigned long long)c->skips, (unsigned long long)c->text, (long long)c->first,
		    (long long)c->last, (unsigned long long)c->backwards);
	}
	if (out)
		fclose(out);
	fflush(stdout);
	/* no lws_context_destroy: it would wait for every close handshake */
	_exit(any ? 0 : 1);
}
