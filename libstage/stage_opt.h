/*
 * NAME
 *	stage_opt.h - typed options: one table per stage, for argv and
 *	vigil.conf alike
 *
 * DESCRIPTION
 *	Each stage (and vigild) has one table of options (stage_schema.c).
 *	An option has a vigil.conf key, the getopt letter of the daemon, a
 *	type with its range, a default and a line of help. From the table
 *	come the daemon's argv parsing (every stage also takes -n: check
 *	and exit, and -h: usage), its usage text, the checks of vigil.conf
 *	and the argv vigild starts a stage with. An error names the flag or
 *	the key, the value, and what is allowed:
 *
 *		-w 12o: not a number (0..4294967295)
 *		writers = 0: must be 1..32
 *
 *	The values of one stage are a stage_opts_t, indexed by that stage's
 *	key enum (STAGE_WRITER_SYNC_MS ...). It is plain memory owned by
 *	the caller; values are copied in, nothing points into argv or the
 *	file. A value is either unset (no default, not given), the default,
 *	or given.
 */
#ifndef VIGIL_STAGE_OPT_H
#define VIGIL_STAGE_OPT_H

#include <stddef.h>
#include <stdint.h>

typedef enum stage_kind {
	STAGE_VIGILD,   /* the master: vigil.conf's keys outside any block */
	STAGE_LISTENER, /* vigil-listener */
	STAGE_WRITER,
	STAGE_INDEXER,
	STAGE_STREAMER,
	STAGE_SYNCD,
	STAGE_NKINDS
} stage_kind_t;

typedef enum stage_opt_type {
	STAGE_T_INT,    /* decimal integer, min..max */
	STAGE_T_U64,    /* the same, up to 2^64-1 */
	STAGE_T_MS,     /* a duration, integer milliseconds, min..max */
	STAGE_T_SIZE,   /* bytes: a number with k, m or g for KiB, MiB, GiB; min..max bytes */
	STAGE_T_DOUBLE, /* a decimal number, dmin..dmax */
	STAGE_T_PATH,   /* a file or folder name */
	STAGE_T_STRING, /* text of at most max bytes without the characters in words */
	STAGE_T_ENUM,   /* one of the words "a|b|c"; u is its position */
	STAGE_T_ADDR,   /* HOST:PORT: IPv4 a.b.c.d, [IPv6], a host name or nothing; port 0..65535 */
	STAGE_T_FLAG,   /* argv: the letter alone; vigil.conf: yes/no, true/false, on/off, 1/0 */
	STAGE_T_SHARDS, /* "all", "none" or shard numbers and ranges below 32: "0,2-3"; u is the mask */
} stage_opt_type_t;

#define STAGE_OPT_CMDLINE 0x01u  /* argv only, not a vigil.conf key */
#define STAGE_OPT_POW2 0x02u     /* a power of two */
#define STAGE_OPT_REQUIRED 0x04u /* the daemon refuses to run without it */
#define STAGE_OPT_EMPTY 0x08u    /* an empty value is allowed (metrics_listen: none) */

typedef struct stage_opt {
	const char *key; /* in vigil.conf: [a-z0-9_]+ */
	char flag;       /* the daemon's getopt letter; 0: vigil.conf only */
	stage_opt_type_t type;
	unsigned flags;    /* STAGE_OPT_* */
	uint64_t min, max; /* integers, MS and SIZE: the range; STRING: max is the longest */
	double dmin, dmax; /* DOUBLE */
	const char *words; /* ENUM: "periodic|durable"; STRING: characters refused */
	const char *def;   /* the default as written in vigil.conf; NULL: unset */
	const char *arg;   /* the argument's name in usage: "SYNC_MS" */
	const char *help;  /* one line */
} stage_opt_t;

#define STAGE_STR_MAX 1024 /* the longest value, terminator included */
#define STAGE_OPTS_MAX 24  /* options of one stage, at most */

#define STAGE_UNSET 0
#define STAGE_DEFAULT 1
#define STAGE_GIVEN 2

typedef struct stage_val {
	int set;    /* STAGE_UNSET, STAGE_DEFAULT, STAGE_GIVEN */
	uint64_t u; /* INT, U64, MS, SIZE (bytes), FLAG 0/1, ENUM position, SHARDS mask */
	double d;   /* DOUBLE */
	char s[STAGE_STR_MAX]; /* the value as written, for every type */
} stage_val_t;

typedef struct stage_opts {
	stage_kind_t kind;
	int n;     /* options in the kind's table */
	int check; /* -n was given */
	stage_val_t v[STAGE_OPTS_MAX];
} stage_opts_t;

/*
 * The keys of each table, in table order. The values of a parsed
 * stage are o.v[KEY]: o.v[STAGE_WRITER_SYNC_MS].u.
 */
enum stage_vigild_key {
	STAGE_VIGILD_CONFIG,     /* -c FILE (argv only) */
	STAGE_VIGILD_FOREGROUND, /* -f (argv only) */
	STAGE_VIGILD_DUMP,       /* -D: print every key with its default (argv only) */
	STAGE_VIGILD_SHM_PREFIX,
	STAGE_VIGILD_WRITERS,
	STAGE_VIGILD_WRITER_SHARDS,
	STAGE_VIGILD_TRANSPORT, /* u: 0 shm, 1 nats */
	STAGE_VIGILD_NATS_URL,
	STAGE_VIGILD_NATS_STREAM,
	STAGE_VIGILD_NATS_ACK_WAIT_MS,
	STAGE_VIGILD_NATS_REPLICAS,
	STAGE_VIGILD_NATS_LEASE_MS,
	STAGE_VIGILD_RING_SLOTS,
	STAGE_VIGILD_RESTART_MIN_MS,
	STAGE_VIGILD_RESTART_MAX_MS,
	STAGE_VIGILD_STABLE_MS,
	STAGE_VIGILD_DRAIN_TIMEOUT_MS,
	STAGE_VIGILD_METRICS_LISTEN,
	STAGE_VIGILD_INDEX_DAYS,
	STAGE_VIGILD_INDEX_ARENA_MB,
	STAGE_VIGILD_NKEYS
};

enum stage_listener_key {
	STAGE_LISTENER_KEYDIR,          /* -d */
	STAGE_LISTENER_LISTEN,          /* -l */
	STAGE_LISTENER_VERBOSE,         /* -v */
	STAGE_LISTENER_EXIT_AFTER,      /* -c COUNT (argv only; the listener's -n today) */
	STAGE_LISTENER_HELLO_WINDOW_MS, /* -w */
	STAGE_LISTENER_HELLO_RATE,      /* -r, DOUBLE */
	STAGE_LISTENER_HELLO_COOKIE,    /* -k, u: 0 auto, 1 always, 2 off */
	STAGE_LISTENER_HELLO_LOAD,      /* -L */
	STAGE_LISTENER_COOKIE_RATE,     /* -K, DOUBLE */
	STAGE_LISTENER_NO_REVOKE_WATCH, /* -W */
	STAGE_LISTENER_NKEYS
};

enum stage_writer_key {
	STAGE_WRITER_DATA_DIR,   /* -D */
	STAGE_WRITER_SYNC,       /* -s, u: 0 periodic, 1 durable */
	STAGE_WRITER_SYNC_MS,    /* -i */
	STAGE_WRITER_SYNC_BYTES, /* -b */
	STAGE_WRITER_MAX_OPEN,   /* -o */
	STAGE_WRITER_GROUP_MS,   /* -g; unset: 50, 100 on FUSE */
	STAGE_WRITER_NKEYS
};

enum stage_indexer_key {
	STAGE_INDEXER_DATA_DIR,           /* -D */
	STAGE_INDEXER_KEYDIR,             /* -d; unset: no telemetry nor reports */
	STAGE_INDEXER_RESCAN_MS,          /* -r */
	STAGE_INDEXER_MAX_OPEN,           /* -o */
	STAGE_INDEXER_CHECKPOINT_IDLE_MS, /* -c */
	STAGE_INDEXER_NKEYS
};

enum stage_streamer_key {
	STAGE_STREAMER_LISTEN,        /* -l */
	STAGE_STREAMER_DATA_DIR,      /* -D */
	STAGE_STREAMER_KEYDIR,        /* -d */
	STAGE_STREAMER_PLAYER_DIR,    /* -P */
	STAGE_STREAMER_USERS,         /* -u; unset: KEYDIR/users */
	STAGE_STREAMER_AUDIT_LOG,     /* -a; unset: none */
	STAGE_STREAMER_WORKERS,       /* -w */
	STAGE_STREAMER_QUEUE_KB,      /* -q */
	STAGE_STREAMER_TABLE_SIZE,    /* -t */
	STAGE_STREAMER_TLS_CERT,      /* -C */
	STAGE_STREAMER_TLS_KEY,       /* -K */
	STAGE_STREAMER_TOKEN_LIFE_MS, /* -T */
	STAGE_STREAMER_USER_STREAMS,  /* -s */
	STAGE_STREAMER_NKEYS
};

enum stage_syncd_key {
	STAGE_SYNCD_DATA_DIR,   /* -D, required */
	STAGE_SYNCD_RATE,       /* -r */
	STAGE_SYNCD_RATE_ALL,   /* -R */
	STAGE_SYNCD_SETTLE_MS,  /* -s */
	STAGE_SYNCD_RTO_MS,     /* -t */
	STAGE_SYNCD_RTO_MAX_MS, /* -T */
	STAGE_SYNCD_MAX_TRIES,  /* -m */
	STAGE_SYNCD_VERBOSE,    /* -v */
	STAGE_SYNCD_NKEYS
};

/* stage_schema.c: the tables. n gets the number of options. Static memory. */
const stage_opt_t *stage_schema(stage_kind_t kind, int *n);
const char *stage_kind_name(stage_kind_t kind);    /* "writer"; "vigild" */
const char *stage_kind_program(stage_kind_t kind); /* "vigil-writer"; "vigild" */
/* The stage named name ("writer"); -ENOENT for another name. */
int stage_kind_find(const char *name, stage_kind_t *kind);

/* stage_opt.c */

/* The position of key in kind's table, or -ENOENT. */
int stage_opt_find(stage_kind_t kind, const char *key);
/* Every value to its default (or unset); check cleared. */
void stage_opts_defaults(stage_kind_t kind, stage_opts_t *o);
/*
 * Check value for option i and store it as given. -EINVAL: the message
 * reads "KEY = VALUE: what is allowed". The kind's value is not touched
 * on failure.
 */
int stage_opts_set(stage_opts_t *o, int i, const char *value);

#define STAGE_OPTS_RUN 0
#define STAGE_OPTS_CHECK 1 /* -n: check the options (and what they name), exit 0 or 1 */
#define STAGE_OPTS_HELP 2  /* -h: print the usage, exit 0 */
/*
 * Parse a daemon's argv (argv[0] is the program) over the defaults:
 * letters may be grouped (-vW), a value follows its letter or is the
 * next argument, "--" ends the options; an argument that is not an
 * option is an error, and so is a STAGE_OPT_REQUIRED option missing
 * (unless -h). Returns STAGE_OPTS_RUN, STAGE_OPTS_CHECK or
 * STAGE_OPTS_HELP, or -EINVAL with the message "-w 12o: not a number
 * (0..4294967295)". Does not touch getopt's state.
 */
int stage_opts_parse(stage_kind_t kind, int argc, char *const argv[], stage_opts_t *o);
/*
 * The daemon's side of stage_opts_parse: -h prints the usage on stdout
 * and exits 0; an error is logged (log_warnx) and exits 2. Returns
 * STAGE_OPTS_RUN or STAGE_OPTS_CHECK.
 */
int stage_opts_getopt(stage_kind_t kind, int argc, char *const argv[], stage_opts_t *o);
/*
 * The usage text: a synopsis line, then a line per option with its
 * letter, argument, key, range and default. Written into buf (cap
 * bytes, terminated); returns the length it needs, like snprintf.
 */
size_t stage_opts_usage(stage_kind_t kind, char *buf, size_t cap);
/* The getopt string of the kind ("nhD:s:i:b:o:g:"), static memory. */
const char *stage_opts_getopt_string(stage_kind_t kind);
/*
 * The arguments that give a stage the values o holds as given (letter
 * and value each, in table order; argv-only options left out), with
 * "%i" in a value replaced by index. The strings are written into buf
 * (cap bytes) and argv[0..] point into it; at most max pointers, the
 * last one NULL. Returns the number of arguments or -E2BIG.
 */
int stage_opts_argv(const stage_opts_t *o, int index, char *buf, size_t cap, char **argv, int max);
/*
 * What no single value can break: a required option missing, and the
 * rules between options of one stage: syncd's rto_max_ms at least its rto_ms, the streamer's
 * tls_cert and tls_key together. 0, or -EINVAL with the message.
 * stage_opts_parse() applies it; vigild_conf.c too, to each block.
 */
int stage_opts_check(const stage_opts_t *o);
/* Text of an option's range ("1..32", "auto|always|off"), for messages. */
void stage_opt_range(const stage_opt_t *opt, char *buf, size_t cap);

#endif
