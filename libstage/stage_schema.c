/*
 * NAME
 *	stage_schema.c - the options of every stage and of vigild
 *
 * DESCRIPTION
 *	One table per program, indexed by its key enum (stage_opt.h): the
 *	vigil.conf key, the daemon's getopt letter, type, range, default
 *	and help, as each daemon enforces them. vigil.conf has a block per
 *	stage with these keys, and vigild's keys outside any block;
 *	etc/vigil.conf lists every one with its default (checked by
 *	tests/unit/libstage/test_stage_schema.c). A letter's meaning never
 *	changes: scripts and tests call the daemons with them. -n (check)
 *	and -h (usage) are every program's and are not in the tables.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "stage_opt.h"

#define KEYS "/var/lib/vigil/keys"
#define DATA "/var/lib/vigil/data"
#define U32 4294967295u

static const stage_opt_t vigild_opts[STAGE_VIGILD_NKEYS] = {
    [STAGE_VIGILD_CONFIG] = {"config", 'c', STAGE_T_PATH, STAGE_OPT_CMDLINE, 0, 0, 0, 0, NULL,
			     "/etc/vigil/vigil.conf", "FILE", "the configuration file"},
    [STAGE_VIGILD_FOREGROUND] = {"foreground", 'f', STAGE_T_FLAG, STAGE_OPT_CMDLINE, 0, 1, 0, 0,
				 NULL, "no", NULL, "stay in the foreground (systemd, tests)"},
    [STAGE_VIGILD_DUMP] = {"dump_defaults", 'D', STAGE_T_FLAG, STAGE_OPT_CMDLINE, 0, 1, 0, 0, NULL,
			   "no", NULL, "print every vigil.conf key with its default and exit"},
    [STAGE_VIGILD_SHM_PREFIX] = {"shm_prefix", 0, STAGE_T_STRING, 0, 0, 31, 0, 0, "/ \t", "vigil",
				 NULL, "prefix of the shared-memory segments (/dev/shm/PREFIX-*)"},
    [STAGE_VIGILD_WRITERS] = {"writers", 0, STAGE_T_INT, 0, 1, 32, 0, 0, NULL, "2", NULL,
			      "writers, one per partition: hash(camera) mod writers"},
    [STAGE_VIGILD_WRITER_SHARDS] = {"writer_shards", 0, STAGE_T_SHARDS, 0, 0, 31, 0, 0, NULL, "all",
				    NULL, "the writers that run on this machine"},
    [STAGE_VIGILD_TRANSPORT] = {"transport", 0, STAGE_T_ENUM, 0, 0, 0, 0, 0, "shm|nats", "shm",
				NULL, "listener to writers: shared-memory rings or NATS"},
    [STAGE_VIGILD_NATS_URL] = {"nats_url", 0, STAGE_T_STRING, 0, 0, 255, 0, 0, " \t",
			       "nats://127.0.0.1:4222", NULL, "the NATS server(s)"},
    [STAGE_VIGILD_NATS_STREAM] = {"nats_stream", 0, STAGE_T_STRING, 0, 0, 63, 0, 0, ".*> \t",
				  "vigil", NULL, "the JetStream stream (subjects STREAM.SHARD)"},
    [STAGE_VIGILD_NATS_ACK_WAIT_MS] = {"nats_ack_wait_ms", 0, STAGE_T_MS, 0, 100, 3600000, 0, 0,
				       NULL, "10000", NULL,
				       "an unacknowledged message is delivered again after"},
    [STAGE_VIGILD_NATS_REPLICAS] = {"nats_replicas", 0, STAGE_T_INT, 0, 1, 5, 0, 0, NULL, "1", NULL,
				    "the stream's replicas when vigil creates it"},
    [STAGE_VIGILD_NATS_LEASE_MS] = {"nats_lease_ms", 0, STAGE_T_MS, 0, 1500, 600000, 0, 0, NULL,
				    "6000", NULL,
				    "a writer's lease on its shard lasts this long unrenewed"},
    [STAGE_VIGILD_RING_SLOTS] = {"ring_slots", 0, STAGE_T_INT, STAGE_OPT_POW2, 64, 1048576, 0, 0,
				 NULL, "4096", NULL, "slots per ring, 1536 bytes each"},
    [STAGE_VIGILD_RESTART_MIN_MS] = {"restart_min_ms", 0, STAGE_T_MS, 0, 10, 600000, 0, 0, NULL,
				     "100", NULL, "first delay before a dead stage restarts"},
    [STAGE_VIGILD_RESTART_MAX_MS] = {"restart_max_ms", 0, STAGE_T_MS, 0, 10, 3600000, 0, 0, NULL,
				     "30000", NULL,
				     "the delay doubles up to this (at least restart_min_ms)"},
    [STAGE_VIGILD_STABLE_MS] = {"stable_ms", 0, STAGE_T_MS, 0, 100, 3600000, 0, 0, NULL, "10000",
				NULL, "a stage up this long has its delay reset"},
    [STAGE_VIGILD_DRAIN_TIMEOUT_MS] = {"drain_timeout_ms", 0, STAGE_T_MS, 0, 0, 600000, 0, 0, NULL,
				       "5000", NULL, "on stop, the wait for the rings to drain"},
    [STAGE_VIGILD_METRICS_LISTEN] = {"metrics_listen", 0, STAGE_T_ADDR, STAGE_OPT_EMPTY, 0, 63, 0,
				     0, NULL, "127.0.0.1:9740", NULL,
				     "HOST:PORT of the Prometheus endpoint; empty: none"},
    [STAGE_VIGILD_INDEX_DAYS] = {"index_days", 0, STAGE_T_INT, 0, 64, 16777216, 0, 0, NULL, "16384",
				 NULL, "(camera, day) partitions the shared index holds"},
    [STAGE_VIGILD_INDEX_ARENA_MB] = {"index_arena_mb", 0, STAGE_T_INT, 0, 1, 65536, 0, 0, NULL,
				     "256", NULL, "MiB of keyframes, points and ranges"},
};

static const stage_opt_t listener_opts[STAGE_LISTENER_NKEYS] = {
    [STAGE_LISTENER_KEYDIR] = {"keydir", 'd', STAGE_T_PATH, 0, 0, 0, 0, 0, NULL, KEYS, "KEYDIR",
			       "server key and camera registry"},
    [STAGE_LISTENER_LISTEN] = {"listen", 'l', STAGE_T_ADDR, 0, 0, 0, 0, 0, NULL, "[::]:7400",
			       "ADDR:PORT", "the UDP address"},
    [STAGE_LISTENER_VERBOSE] = {"verbose", 'v', STAGE_T_FLAG, 0, 0, 1, 0, 0, NULL, "no", NULL,
				"log every rejected datagram"},
    [STAGE_LISTENER_EXIT_AFTER] = {"exit_after", 'c', STAGE_T_U64, STAGE_OPT_CMDLINE, 0, INT64_MAX,
				   0, 0, NULL, "0", "COUNT",
				   "exit after COUNT accepted datagrams (0: never)"},
    [STAGE_LISTENER_HELLO_WINDOW_MS] = {"hello_window_ms", 'w', STAGE_T_MS, 0, 0, U32, 0, 0, NULL,
					"120000", "MS",
					"how far a hello's time may be from the server's"},
    [STAGE_LISTENER_HELLO_RATE] = {"hello_rate", 'r', STAGE_T_DOUBLE, 0, 0, 0, 1e-6, 1e9, NULL, "2",
				   "RATE", "hellos a second per source address"},
    [STAGE_LISTENER_HELLO_COOKIE] = {"hello_cookie", 'k', STAGE_T_ENUM, 0, 0, 0, 0, 0,
				     "auto|always|off", "auto", "MODE",
				     "when a hello must first answer a cookie"},
    [STAGE_LISTENER_HELLO_LOAD] = {"hello_load", 'L', STAGE_T_INT, 0, 0, 100000000, 0, 0, NULL,
				   "500", "HELLOS",
				   "hellos a second above which auto asks cookies"},
    [STAGE_LISTENER_COOKIE_RATE] = {"cookie_rate", 'K', STAGE_T_DOUBLE, 0, 0, 0, 1, 1e9, NULL,
				    "50000", "COOKIES", "cookies sent a second, all sources"},
    [STAGE_LISTENER_NO_REVOKE_WATCH] = {"no_revoke_watch", 'W', STAGE_T_FLAG, 0, 0, 1, 0, 0, NULL,
					"no", NULL,
					"find revocations by the sweep alone (no inotify)"},
};

static const stage_opt_t writer_opts[STAGE_WRITER_NKEYS] = {
    [STAGE_WRITER_DATA_DIR] = {"data_dir", 'D', STAGE_T_PATH, 0, 0, 0, 0, 0, NULL, DATA, "DATA_DIR",
			       "the day files"},
    [STAGE_WRITER_SYNC] = {"sync", 's', STAGE_T_ENUM, 0, 0, 0, 0, 0, "periodic|durable", "periodic",
			   "MODE", "durable: ring entries released only once synced"},
    [STAGE_WRITER_SYNC_MS] = {"sync_ms", 'i', STAGE_T_MS, 0, 0, 3600000, 0, 0, NULL, "100",
			      "SYNC_MS", "sync at most this often"},
    [STAGE_WRITER_SYNC_BYTES] = {"sync_bytes", 'b', STAGE_T_U64, 0, 0, UINT64_MAX, 0, 0, NULL,
				 "4194304", "SYNC_BYTES", "or once this much is unsynced"},
    [STAGE_WRITER_MAX_OPEN] = {"max_open", 'o', STAGE_T_INT, 0, 1, 1048576, 0, 0, NULL, "8192",
			       "MAX_OPEN", "day files kept open (8193 at least: a turn's files)"},
    [STAGE_WRITER_GROUP_MS] = {"group_ms", 'g', STAGE_T_MS, 0, 0, 3600000, 0, 0, NULL, NULL,
			       "GROUP_MS",
			       "a turn waits this long for more datagrams (unset: 50, FUSE 100)"},
};

static const stage_opt_t indexer_opts[STAGE_INDEXER_NKEYS] = {
    [STAGE_INDEXER_DATA_DIR] = {"data_dir", 'D', STAGE_T_PATH, 0, 0, 0, 0, 0, NULL, DATA,
				"DATA_DIR", "the writers' day files"},
    [STAGE_INDEXER_KEYDIR] = {"keydir", 'd', STAGE_T_PATH, 0, 0, 0, 0, 0, NULL, NULL, "KEYDIR",
			      "server key: telemetry and reports (unset: none)"},
    [STAGE_INDEXER_RESCAN_MS] = {"rescan_ms", 'r', STAGE_T_MS, 0, 0, 3600000, 0, 0, NULL, "1000",
				 "RESCAN_MS", "walk the data folder this often (10 at least)"},
    [STAGE_INDEXER_MAX_OPEN] = {"max_open", 'o', STAGE_T_INT, 0, 0, 1048576, 0, 0, NULL, "256",
				"MAX_OPEN", "day files kept open (4 at least)"},
    [STAGE_INDEXER_CHECKPOINT_IDLE_MS] = {"checkpoint_idle_ms", 'c', STAGE_T_MS, 0, 0, UINT64_MAX,
					  0, 0, NULL, "60000", "CHECKPOINT_IDLE_MS",
					  "checkpoint a file idle this long (0: never)"},
};

static const stage_opt_t streamer_opts[STAGE_STREAMER_NKEYS] = {
    [STAGE_STREAMER_LISTEN] = {"listen", 'l', STAGE_T_ADDR, 0, 0, 0, 0, 0, NULL, "127.0.0.1:8080",
			       "HOST:PORT", "player, API and streams"},
    [STAGE_STREAMER_DATA_DIR] = {"data_dir", 'D', STAGE_T_PATH, 0, 0, 0, 0, 0, NULL, DATA,
				 "DATA_DIR", "the day files"},
    [STAGE_STREAMER_KEYDIR] = {"keydir", 'd', STAGE_T_PATH, 0, 0, 0, 0, 0, NULL, KEYS, "KEYDIR",
			       "server key, token key, users"},
    [STAGE_STREAMER_PLAYER_DIR] = {"player_dir", 'P', STAGE_T_PATH, 0, 0, 0, 0, 0, NULL,
				   "/usr/local/share/vigil/player", "PLAYER_DIR",
				   "the player's files"},
    [STAGE_STREAMER_USERS] = {"users", 'u', STAGE_T_PATH, 0, 0, 0, 0, 0, NULL, NULL, "USERS",
			      "the viewers (unset: KEYDIR/users)"},
    [STAGE_STREAMER_AUDIT_LOG] = {"audit_log", 'a', STAGE_T_PATH, 0, 0, 0, 0, 0, NULL, NULL,
				  "AUDIT_LOG", "every stream opened is appended (unset: none)"},
    [STAGE_STREAMER_WORKERS] = {"workers", 'w', STAGE_T_INT, 0, 1, 64, 0, 0, NULL, "1", "WORKERS",
				"processes on the port"},
    [STAGE_STREAMER_QUEUE_KB] = {"queue_kb", 'q', STAGE_T_INT, 0, 16, 1073741824, 0, 0, NULL,
				 "1024", "QUEUE_KB", "KiB queued per viewer"},
    [STAGE_STREAMER_TABLE_SIZE] = {"table_size", 't', STAGE_T_SIZE, 0, 0, 1ull << 40, 0, 0, NULL,
				   "256m", "TABLE_SIZE",
				   "a worker's tables of index points (0: file order)"},
    [STAGE_STREAMER_TLS_CERT] = {"tls_cert", 'C', STAGE_T_PATH, 0, 0, 0, 0, 0, NULL, NULL, "CERT",
				 "TLS only, with tls_key (unset: plain HTTP)"},
    [STAGE_STREAMER_TLS_KEY] = {"tls_key", 'K', STAGE_T_PATH, 0, 0, 0, 0, 0, NULL, NULL, "KEY",
				"the certificate's private key"},
    [STAGE_STREAMER_TOKEN_LIFE_MS] = {"token_life_ms", 'T', STAGE_T_MS, 0, 1000, 30ull * 86400000,
				      0, 0, NULL, "43200000", "TOKEN_LIFE_MS",
				      "a login token lasts this long, open streams included"},
    [STAGE_STREAMER_USER_STREAMS] = {"user_streams", 's', STAGE_T_INT, 0, 1, 65536, 0, 0, NULL,
				     "32", "USER_STREAMS",
				     "streams one user may have open at once in a worker"},
};

static const stage_opt_t syncd_opts[STAGE_SYNCD_NKEYS] = {
    [STAGE_SYNCD_DATA_DIR] = {"data_dir", 'D', STAGE_T_PATH, STAGE_OPT_REQUIRED, 0, 0, 0, 0, NULL,
			      NULL, "DATA_DIR", "the writers' data folder"},
    [STAGE_SYNCD_RATE] = {"rate", 'r', STAGE_T_INT, 0, 1, U32, 0, 0, NULL, "500", "RATE",
			  "backfill datagrams a second per camera"},
    [STAGE_SYNCD_RATE_ALL] = {"rate_all", 'R', STAGE_T_INT, 0, 1, U32, 0, 0, NULL, "20000",
			      "RATE_ALL", "backfill datagrams a second, all cameras"},
    [STAGE_SYNCD_SETTLE_MS] = {"settle_ms", 's', STAGE_T_MS, 0, 0, U32, 0, 0, NULL, "500",
			       "SETTLE_MS", "ask for a counter this long after a report"},
    [STAGE_SYNCD_RTO_MS] = {"rto_ms", 't', STAGE_T_MS, 0, 10, U32, 0, 0, NULL, "1000", "RTO_MS",
			    "first wait for an answer"},
    [STAGE_SYNCD_RTO_MAX_MS] = {"rto_max_ms", 'T', STAGE_T_MS, 0, 10, U32, 0, 0, NULL, "30000",
				"RTO_MAX_MS", "the wait doubles up to this (at least rto_ms)"},
    [STAGE_SYNCD_MAX_TRIES] = {"max_tries", 'm', STAGE_T_INT, 0, 1, U32, 0, 0, NULL, "10",
			       "MAX_TRIES", "requests in vain before a range is lost"},
    [STAGE_SYNCD_VERBOSE] = {"verbose", 'v', STAGE_T_FLAG, 0, 0, 1, 0, 0, NULL, "no", NULL,
			     "log every request"},
};

static const struct {
	const char *name, *program;
	const stage_opt_t *opts;
	int n;
} stage_kinds[STAGE_NKINDS] = {
    [STAGE_VIGILD] = {"vigild", "vigild", vigild_opts, STAGE_VIGILD_NKEYS},
    [STAGE_LISTENER] = {"listener", "vigil-listener", listener_opts, STAGE_LISTENER_NKEYS},
    [STAGE_WRITER] = {"writer", "vigil-writer", writer_opts, STAGE_WRITER_NKEYS},
    [STAGE_INDEXER] = {"indexer", "vigil-indexer", indexer_opts, STAGE_INDEXER_NKEYS},
    [STAGE_STREAMER] = {"streamer", "vigil-streamer", streamer_opts, STAGE_STREAMER_NKEYS},
    [STAGE_SYNCD] = {"syncd", "vigil-syncd", syncd_opts, STAGE_SYNCD_NKEYS},
};

_Static_assert(STAGE_VIGILD_NKEYS <= STAGE_OPTS_MAX, "vigild's table fits stage_opts_t");
_Static_assert(STAGE_LISTENER_NKEYS <= STAGE_OPTS_MAX, "the listener's table fits");
_Static_assert(STAGE_STREAMER_NKEYS <= STAGE_OPTS_MAX, "the streamer's table fits");

const stage_opt_t *
stage_schema(stage_kind_t kind, int *n)
{
	*n = stage_kinds[kind].n;
	return stage_kinds[kind].opts;
}

const char *
stage_kind_name(stage_kind_t kind)
{
	return stage_kinds[kind].name;
}

const char *
stage_kind_program(stage_kind_t kind)
{
	return stage_kinds[kind].program;
}

int
stage_kind_find(const char *name, stage_kind_t *kind)
{
	int k;

	for (k = STAGE_LISTENER; k < STAGE_NKINDS; k++)
		if (!strcmp(stage_kinds[k].name, name)) {
			*kind = (stage_kind_t)k;
			return 0;
		}
	return -ENOENT;
}
