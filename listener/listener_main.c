/*
 * NAME
 *	listener_main.c - vigil-listener: receive and authenticate datagrams
 *
 * DESCRIPTION
 *	vigil-listener [-n] [-h] [-d KEYDIR] [-l ADDR:PORT] [-v] [-c COUNT] [-w MS] [-r RATE]
 *		       [-k auto|always|off] [-L HELLOS] [-K COOKIES] [-W]
 *
 *	The options are the listener's table in libstage (stage_schema.c;
 *	-h lists them with their ranges and defaults); without -d the keys
 *	are in $VIGIL_KEYDIR, else /var/lib/vigil/keys. -n loads the
 *	server's key and exits: 0 when the configuration is ok, 1 if not.
 *
 *	Listens on one UDP socket (listener_sock.c) and authenticates
 *	every datagram (listener_dgram.c). On SIGINT or SIGTERM, or after
 *	COUNT accepted datagrams (-c), it prints its counters as name=value
 *	lines on stdout and exits 0. -w sets how far (ms) a hello's camera
 *	time may be from ours. -r sets how many hellos per second one
 *	source address (IPv4 /32, IPv6 /64) may send (bursts of 4 seconds'
 *	worth): raise it when many cameras share one address, behind a
 *	carrier NAT or in a test. -k and -L: when hellos must first answer
 *	a cookie (listener_cookie.c): auto when more than HELLOS arrived in
 *	this second or the last, always, or off; -K caps the cookies sent a
 *	second, all sources together (beyond it a hello gets no answer,
 *	counted hello_cookie_capped). A revocation ends the camera's live
 *	sessions (listener_revoke.c): the registry folder is watched with
 *	inotify, and swept; -W leaves the sweep alone, as for a registry
 *	changed from another machine. -v logs every datagram's verdict.
 *
 *	Under vigild (VIGIL_SHM_PREFIX) the counters are also kept in the
 *	stage's metrics segment, the sessions in a shared segment that
 *	outlives a restart, and authenticated datagrams go to the ring of
 *	each of VIGIL_WRITERS writers, or to NATS (VIGIL_TRANSPORT=nats).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "idx.h"
#include "listener.h"

int
main(int argc, char **argv)
{
	static listener_t l;
	static stage_opts_t o;
	static shm_seg_t mseg, sseg, rseg[32];
	const char *addr;
	uint32_t index;
	int check, k, rc;

	log_init("vigil-listener", -1, STAGE_LOG_STDERR);
	check = stage_opts_getopt(STAGE_LISTENER, argc, argv, &o) == STAGE_OPTS_CHECK;
	if (stage_env_index(0, &index) < 0 ||
	    ((l.prefix = stage_shm_prefix()) != NULL && (rc = stage_env_writers(&l.nrings)) < 0 &&
	     rc != -ENOENT)) {
		log_warnx("%s", stage_errmsg());
		return 2;
	}
	if (l.prefix != NULL) /* under vigild: lines name the instance */
		log_set_index((int)index);
	l.verbose = (int)o.v[STAGE_LISTENER_VERBOSE].u;
	log_verbose(l.verbose);
	addr = o.v[STAGE_LISTENER_LISTEN].s;
	l.keydir = o.v[STAGE_LISTENER_KEYDIR].set == STAGE_GIVEN
		       ? o.v[STAGE_LISTENER_KEYDIR].s
		       : stage_env_keydir(o.v[STAGE_LISTENER_KEYDIR].s);
	l.hello_rate_src = o.v[STAGE_LISTENER_HELLO_RATE].d;
	l.cookie_mode = (int)o.v[STAGE_LISTENER_HELLO_COOKIE].u;
	l.hello_load = (uint32_t)o.v[STAGE_LISTENER_HELLO_LOAD].u;
	l.cookie_rate = o.v[STAGE_LISTENER_COOKIE_RATE].d;
	if (listener_keys_load_server(&l) < 0)
		fatalx("%s", stage_errmsg());
	if (check) {
		printf("vigil-listener: configuration ok (keys in %s, address %s)\n", l.keydir,
		       addr);
		return 0;
	}
	l.replay = proto_replay_new(65536, (uint32_t)o.v[STAGE_LISTENER_HELLO_WINDOW_MS].u);
	if (l.replay == NULL || listener_sess_init(&l) < 0 || listener_keys_init(&l) < 0 ||
	    listener_rr_init(&l) < 0)
		fatalx("out of memory");
	if ((l.fd = listener_sock_open(addr)) < 0)
		fatalx("%s", stage_errmsg());
	if ((rc = listener_metrics_open(&l, index, &mseg)) < 0 && rc != -ENOENT)
		log_warnx("%s", stage_errmsg());
	if ((rc = listener_sess_attach(&l, index, &sseg)) < 0)
		log_warnx("session table: %s; sessions are not kept over a restart", strerror(-rc));
	else if (rc > 0)
		log_info("%d camera sessions restored", rc);
	listener_revoke_open(&l, !o.v[STAGE_LISTENER_NO_REVOKE_WATCH].u);
	for (k = 0; k < l.nrings; k++)
		if ((rc = shm_ring_attach(l.prefix, SHM_KIND_RING, (uint32_t)k, &rseg[k],
					  &l.ring[k])) < 0)
			fatalx("ring %s: %s", rseg[k].name, strerror(-rc));
	/* blocked before NATS starts its threads: only the loop's wait takes them */
	if (stage_signals_init(STAGE_SIG_STOP, NULL) < 0 || stage_signals_block() < 0)
		fatalx("%s", stage_errmsg());
	if (listener_nats_open(&l) < 0)
		fatalx("%s", stage_errmsg());
	listener_sync_open(&l);
	log_info("listening on %s", addr);

	listener_loop(&l, o.v[STAGE_LISTENER_EXIT_AFTER].u);

	listener_nats_close(&l);
	listener_revoke_close(&l);
	if (l.idx)
		idx_close(l.idx);
	listener_stats_print(&l);
	listener_sess_free(&l);
	listener_keys_free(&l);
	listener_rr_free(&l);
	proto_replay_free(l.replay);
	return 0;
}
