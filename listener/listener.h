/*
 * NAME
 *	listener.h - vigil-listener: shared types
 *
 * DESCRIPTION
 *	listener_main.c starts the stage from its options (libstage) and
 *	stops it, listener_loop.c runs the receive loop, listener_sock.c
 *	opens the UDP socket, listener_metrics.c keeps the counters in the
 *	stage's metrics segment, listener_sess.c keeps the
 *	bounded table of camera sessions, listener_dgram.c authenticates one
 *	datagram and counts every drop by cause, listener_rate.c limits the
 *	rate of hellos per source and overall, listener_rr.c sends each
 *	camera a receiver report about every second, listener_sync.c joins
 *	vigil-syncd (reports to it, its MISSING and CONFIRM to cameras),
 *	listener_nats.c publishes to NATS JetStream instead of the rings,
 *	listener_cookie.c answers hellos with a cookie while under load.
 */
#ifndef VIGIL_LISTENER_H
#define VIGIL_LISTENER_H

#include <netinet/in.h>
#include <stdint.h>

#include "proto_crypto.h"
#include "shm.h"
#include "stage.h"

#define LISTENER_MAX_SESSIONS 16384 /* cameras with a live session */
#define LISTENER_PAST 8             /* earlier sessions kept per camera, for resent datagrams */
#define LISTENER_WINDOW 4096        /* counters below the newest whose acceptance is remembered */
#define LISTENER_SUM_LEN 16         /* bytes kept of a verified hello's SHA-256 */

typedef struct listener_sess {
	uint8_t uuid[PROTO_UUID_LEN];
	int used;
	proto_session_t *s;
	/* earlier sessions (of today or past days) made known by a resent hello */
	proto_session_t *past[LISTENER_PAST];
	uint32_t past_next; /* slot the next one replaces */
	/*
	 * What each session's hello was, as verified: its signed bytes'
	 * SHA-256, cut to LISTENER_SUM_LEN (all zero: not known, as for a
	 * session restored from shared memory). A copy of those very bytes
	 * is known without RSA work.
	 */
	uint8_t sum[LISTENER_SUM_LEN];
	uint8_t past_sum[LISTENER_PAST][LISTENER_SUM_LEN];
	struct sockaddr_storage peer; /* where the camera's datagrams come from */
	socklen_t peer_len;
	/* a copy of the current hello came from another address: its ack waits */
	int ack_owed;
	/* replay window (listener_window.c): counters of win_date handed to a ring */
	uint32_t win_date, win_top; /* counters < win_top seen; 0: none */
	uint64_t win[LISTENER_WINDOW / 64];
} listener_sess_t;

/*
 * A session as kept in shared memory, so that a restarted listener (one
 * killed, or restarted by the operator) still knows every camera's
 * session. Same index as the in-process table. Written only by the
 * listener: valid is cleared first and set last, so a slot torn by a
 * crash is simply not restored (that camera's next hello recreates it).
 */
typedef struct listener_saved {
	uint32_t valid;
	uint32_t date;
	uint32_t session;
	uint32_t peer_len;
	uint8_t uuid[PROTO_UUID_LEN];
	uint8_t secret[PROTO_SECRET_LEN];
	struct sockaddr_storage peer;
} listener_saved_t;

/* Every outcome has its own counter. */
/* One counter a line, as written: */
/* clang-format off */
#define LISTENER_COUNTERS(X) \
	X(accepted) \
	X(hello) \
	X(data) \
	X(report) \
	X(bye) \
	X(malformed) \
	X(oversize) \
	X(unknown_camera) \
	X(revoked) \
	X(bad_tag) \
	X(bad_signature) \
	X(unwrap) \
	X(replay) \
	X(stale) \
	X(no_session) \
	X(sessions_full) \
	X(unexpected_type) \
	X(ring_full) \
	X(hello_rate_limited) \
	X(rr_sent) \
	X(hello_past) \
	X(past_session) \
	X(sync_reports) \
	X(sync_full) \
	X(sync_sent) \
	X(sync_no_session) \
	X(publish_refused) \
	X(hello_cookie_sent) \
	X(hello_cookie_capped) \
	X(hello_cookie_bad) \
	X(hello_verify) \
	X(revoked_live) \
	X(replay_data) \
	X(hello_date) \
	X(hello_future) \
	X(hello_replay)
/* clang-format on */

typedef struct listener_stats {
#define X(n) uint64_t n;
	LISTENER_COUNTERS(X)
#undef X
} listener_stats_t;

/* Where each counter is published under vigild (listener_metrics.c); NULL: nowhere. */
typedef struct listener_metrics {
#define X(n) uint64_t *n;
	LISTENER_COUNTERS(X)
#undef X
} listener_metrics_t;

/* Hello rate limits (listener_rate.c). */
#define LISTENER_RATE_SOURCES 4096  /* buckets, hashed by source /32 or /64 */
#define LISTENER_HELLO_RATE_SRC 2.0 /* hellos per second per source */
#define LISTENER_HELLO_BURST_SRC 8.0
#define LISTENER_HELLO_RATE_ALL 1000.0 /* all sources: well under the RSA budget */
#define LISTENER_HELLO_BURST_ALL 2000.0

typedef struct listener_bucket {
	double tokens;
	uint64_t last_ms;
} listener_bucket_t;

/*
 * The hello cookie (listener_cookie.c, docs/PROTOCOL.md "COOKIE"). The
 * modes are in the order of hello_cookie's words (-k, stage_schema.c).
 */
enum listener_cookie_mode {
	LISTENER_COOKIE_AUTO = 0, /* under load: more than hello_load hellos a second */
	LISTENER_COOKIE_ALWAYS,
	LISTENER_COOKIE_OFF,
};
#define LISTENER_COOKIE_QUEUE 64 /* cookies sent together after a receive batch */

typedef struct listener_cookie_out {
	uint8_t dg[PROTO_COOKIE_LEN];
	struct sockaddr_storage peer;
	socklen_t peer_len;
} listener_cookie_out_t;

typedef struct listener {
	const char *keydir;
	const char *prefix; /* VIGIL_SHM_PREFIX, or NULL outside vigild */
	EVP_PKEY *server_key;
	proto_replay_t *replay;
	listener_sess_t *sess;   /* LISTENER_MAX_SESSIONS, open addressing */
	void *keys;              /* listener_keys.c: registry answers, cached */
	listener_saved_t *saved; /* same slots in shared memory, or NULL */
	listener_stats_t st;
	listener_metrics_t metric; /* st's slots in the metrics segment */
	int fd;
	int verbose;
	shm_ring_t *ring[32]; /* to writer k = proto_partition(uuid, nrings) */
	int nrings;           /* 0: verify only, store nothing */
	listener_bucket_t src_bucket[LISTENER_RATE_SOURCES];
	listener_bucket_t all_bucket;
	double hello_rate_src;  /* hellos per second per source, -r */
	struct listener_rr *rr; /* receiver-report accounting (listener_rr.c) */
	/*
	 * When the current receive batch arrived (set after each recvmmsg):
	 * every datagram of the batch takes it as its arrival time, one
	 * clock read per batch instead of two per datagram. 0: read the
	 * clock per datagram.
	 */
	uint64_t rx_ns, rx_mono_ms;
	shm_ring_t *sync_in;  /* to vigil-syncd: reports; NULL without syncd */
	shm_ring_t *sync_out; /* from vigil-syncd: messages for cameras */
	struct bus *bus;      /* transport = nats: publish here, not to rings */
	int nshards;          /* with bus: partition shards (writers) */
	/* hello cookie: key from the server key, mode, load in this and the last second */
	uint8_t cookie_key[32];
	int cookie_mode;     /* enum listener_cookie_mode, -k */
	uint32_t hello_load; /* -L */
	uint64_t load_sec;   /* the second load_cur counts */
	uint32_t load_cur, load_prev;
	listener_bucket_t cookie_bucket;
	double cookie_rate; /* cookies a second, all sources: -K */
	listener_cookie_out_t cookie_out[LISTENER_COOKIE_QUEUE];
	int cookie_n;        /* queued in cookie_out */
	struct idx *idx;     /* the indexer's shared index, once there (listener_window.c) */
	uint64_t idx_try_ms; /* when attaching was last tried */
	/* revocation (listener_revoke.c): inotify on the registry, and the sweep */
	int revoke_fd;
	uint32_t revoke_cursor;   /* the sweep's next slot */
	uint64_t revoke_sweep_ms; /* last tick */
} listener_t;

/* The UDP socket bound to spec (HOST:PORT), or -1 and stage_errmsg() (listener_sock.c). */
int listener_sock_open(const char *spec);

/* Read and authenticate datagrams until a stop is asked or exit_after accepted (0: never). */
void listener_loop(listener_t *l, uint64_t exit_after);

/*
 * Under vigild: point l->metric at the stage's metrics segment, held in
 * seg, and resume the totals from it; -ENOENT outside vigild, or -errno
 * and stage_errmsg(). Publish copies the counters there (listener_metrics.c).
 */
int listener_metrics_open(listener_t *l, uint32_t index, shm_seg_t *seg);
void listener_metrics_publish(const listener_t *l);

/* The session table, allocated empty (0 or -1), and freed with every session. */
int listener_sess_init(listener_t *l);
void listener_sess_free(listener_t *l);
/*
 * Under vigild: keep the sessions in the shared segment held in seg too,
 * and rebuild the table from it after a restart; returns the sessions
 * restored (0 outside vigild) or -errno.
 */
int listener_sess_attach(listener_t *l, uint32_t index, shm_seg_t *seg);
listener_sess_t *listener_sess_find(listener_t *l, const uint8_t uuid[PROTO_UUID_LEN]);
/* Find or claim the slot of a camera; NULL when the table is full. */
listener_sess_t *listener_sess_slot(listener_t *l, const uint8_t uuid[PROTO_UUID_LEN]);
/*
 * Record a new session in the slot (and in shared memory), sum being its
 * hello's (listener_sess_sum); 0 or -1.
 */
int listener_sess_set(listener_t *l, listener_sess_t *ls, uint32_t date, uint32_t session,
		      const uint8_t secret[PROTO_SECRET_LEN], const uint8_t sum[LISTENER_SUM_LEN],
		      const struct sockaddr_storage *peer, socklen_t peer_len);
/* The camera's session (current or past) named by (date, session), or NULL. */
proto_session_t *listener_sess_lookup(listener_sess_t *ls, uint32_t date, uint32_t session);
/* Keep an earlier session, made from a resent hello whose sum is given; 0 or -1. */
int listener_sess_add_past(listener_sess_t *ls, uint32_t date, uint32_t session,
			   const uint8_t secret[PROTO_SECRET_LEN],
			   const uint8_t sum[LISTENER_SUM_LEN]);
/* The sum of a signed hello (without its cookie trailer): its SHA-256, cut. */
void listener_sess_sum(const uint8_t *hello, size_t len, uint8_t sum[LISTENER_SUM_LEN]);
/* Was sum the hello of s, a session of ls, when it verified? 1 or 0. */
int listener_sess_verified(const listener_sess_t *ls, const proto_session_t *s,
			   const uint8_t sum[LISTENER_SUM_LEN]);
/* Remember sum as the verified hello of s, a session of ls. */
void listener_sess_note(listener_sess_t *ls, const proto_session_t *s,
			const uint8_t sum[LISTENER_SUM_LEN]);
/* Have the session's authenticated datagrams come from peer last? 1 or 0. */
int listener_sess_proven(const listener_sess_t *ls, const struct sockaddr_storage *peer,
			 socklen_t peer_len);
/* Where the camera's authenticated datagrams now come from; 1 when that moved. */
int listener_sess_peer(listener_t *l, listener_sess_t *ls, const struct sockaddr_storage *peer,
		       socklen_t peer_len);

/* Registry answers cached for a few seconds (listener_keys.c). */
#define LISTENER_KEY_SLOTS 16384
#define LISTENER_KEY_TTL_MS 5000
/* KEYDIR/server.key and the cookie key from it: 0, or -1 and stage_errmsg(). */
int listener_keys_load_server(listener_t *l);
int listener_keys_init(listener_t *l);
/* 0 and a key reference the caller frees, or the registry's error. */
int listener_key_lookup(listener_t *l, const uint8_t uuid[PROTO_UUID_LEN], uint64_t now_ms,
			EVP_PKEY **pub);
/* Frees the cache and the server's key. */
void listener_keys_free(listener_t *l);
/* Drop the cached answer for a camera (its registry entry changed). */
void listener_key_forget(listener_t *l, const uint8_t uuid[PROTO_UUID_LEN]);

/* Replay window of a camera's newest counters (listener_window.c). */
int listener_window_seen(const listener_sess_t *ls, uint32_t date, uint32_t counter);
/* Older than the window: is it stored already, by the shared index? */
int listener_window_stored(listener_t *l, const listener_sess_t *ls, uint32_t date,
			   uint32_t counter, uint64_t now_ms);
void listener_window_mark(listener_sess_t *ls, uint32_t date, uint32_t counter);
/* The indexer's shared index, attached at most once a second until it is there; or NULL. */
struct idx *listener_window_idx(listener_t *l, uint64_t now_ms);

/*
 * A revocation ends the camera's sessions (listener_revoke.c). Without
 * watch (or when the folder cannot be watched) the sweep alone finds them.
 */
int listener_revoke_open(listener_t *l, int watch);
void listener_revoke_tick(listener_t *l, uint64_t now_ms);
void listener_revoke_close(listener_t *l);

/*
 * 1 when a hello from peer may be processed now, 0 when over its rate.
 * Bucket times are monotonic, as are the key cache's and the ticks'.
 */
int listener_rate_hello(listener_t *l, const struct sockaddr_storage *peer, uint64_t now_ms);
/* Take a token from bucket b refilled at rate a second up to burst; 1 or 0. */
int listener_rate_take(listener_bucket_t *b, double rate, double burst, uint64_t now_ms);

/* Count a hello received (now_ms: monotonic); 1 when hellos must now carry a valid cookie. */
int listener_cookie_load(listener_t *l, uint64_t now_ms);
/* 1 when the trailer is valid for this hello's source and camera. */
int listener_cookie_valid(listener_t *l, uint32_t issued, const uint8_t mac[PROTO_COOKIE_MAC_LEN],
			  const struct sockaddr_storage *peer, const uint8_t uuid[PROTO_UUID_LEN],
			  uint64_t now_ms);
/*
 * Answer hello h from peer with a fresh cookie (queued, issued at now_ms,
 * the wall clock), or count it capped (the cap's bucket runs on mono_ms).
 */
void listener_cookie_answer(listener_t *l, const proto_hello_t *h,
			    const struct sockaddr_storage *peer, socklen_t peer_len,
			    uint64_t now_ms, uint64_t mono_ms);
/* Send the queued cookies (after each receive batch). */
void listener_cookie_flush(listener_t *l);

/* Authenticate one datagram from peer; returns 1 accepted, 0 dropped. */
int listener_dgram(listener_t *l, const uint8_t *dg, size_t len,
		   const struct sockaddr_storage *peer, socklen_t peer_len);
void listener_stats_print(const listener_t *l);

/* Receiver reports: count an accepted datagram; send the due reports. */
int listener_rr_init(listener_t *l);
void listener_rr_note(listener_t *l, listener_sess_t *ls, const uint8_t *dg, size_t len);
void listener_rr_tick(listener_t *l, uint64_t now_ms);
void listener_rr_free(listener_t *l);

/* vigil-syncd (l->prefix): attach the rings, forward a report, send its requests. */
void listener_sync_open(listener_t *l);
void listener_sync_report(listener_t *l, const proto_c2s_hdr_t *h, const uint8_t *body, size_t len);
/* Send up to max queued requests; returns how many were handled. */
int listener_sync_send(listener_t *l, int max);

/*
 * transport = nats (listener_nats.c): open (0, also for another
 * transport, or -1 and stage_errmsg()), publish one, wait for the acks.
 */
int listener_nats_open(listener_t *l);
int listener_nats_route(listener_t *l, const shm_msg_meta_t *m, const uint8_t *dg, size_t len);
void listener_nats_flush(listener_t *l, int all);
void listener_nats_close(listener_t *l);

#endif
