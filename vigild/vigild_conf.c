/*
 * NAME
 *	vigild_conf.c - read vigil.conf
 *
 * DESCRIPTION
 *	vigild's own keys outside any block, and a block per stage:
 *
 *		writers = 2
 *		writer {
 *			program = /usr/local/bin/vigil-writer
 *			data_dir = /var/lib/vigil/data
 *		}
 *
 *	Every key and value is checked against the tables of libstage
 *	(stage_schema.c): an unknown stage or key, a value out of its
 *	range, a key given twice are errors naming the file, the line, the
 *	key and what is allowed, so `vigild -n` catches them before a
 *	restart does. The older form "stage NAME = PROGRAM ARGUMENTS" still
 *	works: when PROGRAM is the stage's own, its arguments are checked
 *	against the same table; another program (a stand-in) gets its
 *	arguments as written. hello_cookie and hello_load, keys of the
 *	listener block, are still taken outside it, as they used to be.
 *	writer_shards picks the shards whose writers run on this machine
 *	(with transport = nats the others run elsewhere). Defaults are the
 *	tables', listed in etc/vigil.conf (vigild -D prints them).
 *	vigild_conf_check_programs() warns, at start and with -n, of a
 *	stage whose program is not installed: it is retried with backoff.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vigild.h"

typedef struct conf_ctx {
	vigild_conf_t *c;
	stage_opts_t g;           /* vigild's keys */
	stage_opts_t hello;       /* hello_cookie, hello_load outside the listener block */
	vigild_stage_conf_t *cur; /* the block being read */
	int program_given;
} conf_ctx_t;

/* The tables bound each value's length below the field's. */
static void
copy(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

static const char stage_list[] = "listener, writer, indexer, streamer, syncd";

static vigild_stage_conf_t *
stage_add(conf_ctx_t *x, const char *name)
{
	vigild_conf_t *c = x->c;
	vigild_stage_conf_t *s;
	stage_kind_t kind;
	int i;

	if (stage_kind_find(name, &kind) < 0) {
		stage_set_errmsg("stage %s: unknown stage (the stages: %s)", name, stage_list);
		return NULL;
	}
	for (i = 0; i < c->nstage; i++)
		if (c->stage[i].kind == kind) {
			stage_set_errmsg("stage %s: configured twice", name);
			return NULL;
		}
	s = &c->stage[c->nstage++];
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	snprintf(s->name, sizeof(s->name), "%s", name);
	snprintf(s->program, sizeof(s->program), "%s/%s", VIGILD_PROGRAM_DIR,
		 stage_kind_program(kind));
	stage_opts_defaults(kind, &s->opts);
	return s;
}

/* "stage NAME = PROGRAM ARGUMENTS" */
static int
stage_line(conf_ctx_t *x, const char *name, const char *value)
{
	char line[STAGE_CONF_LINE], *argv[VIGILD_MAX_ARGS], *tok, *save = NULL;
	vigild_stage_conf_t *s;
	const char *base;
	int argc = 0, rc;

	if ((s = stage_add(x, name)) == NULL)
		return -EINVAL;
	snprintf(line, sizeof(line), "%s", value);
	for (tok = strtok_r(line, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		if (argc == VIGILD_MAX_ARGS - 1) {
			stage_set_errmsg("stage %s: more than %d arguments", name,
					 VIGILD_MAX_ARGS - 2);
			return -EINVAL;
		}
		argv[argc++] = tok;
	}
	argv[argc] = NULL;
	if (argc == 0) {
		stage_set_errmsg("stage %s: no program", name);
		return -EINVAL;
	}
	snprintf(s->program, sizeof(s->program), "%s", argv[0]);
	base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	if (strcmp(base, stage_kind_program(s->kind))) {
		/* a stand-in: its arguments are its own business */
		s->standin = 1;
		snprintf(s->args, sizeof(s->args), "%s", value + strcspn(value, " \t"));
		return 0;
	}
	rc = stage_opts_parse(s->kind, argc, argv, &s->opts);
	if (rc == STAGE_OPTS_CHECK || rc == STAGE_OPTS_HELP) {
		stage_set_errmsg("stage %s: -n and -h are not for a stage vigild runs", name);
		return -EINVAL;
	}
	if (rc < 0) {
		stage_set_errmsg("stage %s: %s", name, stage_errmsg());
		return rc;
	}
	for (int i = 0; i < s->opts.n; i++)
		if (s->opts.v[i].set == STAGE_GIVEN &&
		    (stage_schema(s->kind, &argc)[i].flags & STAGE_OPT_CMDLINE)) {
			stage_set_errmsg("stage %s: -%c is for a %s started by hand", name,
					 stage_schema(s->kind, &argc)[i].flag,
					 stage_kind_program(s->kind));
			return -EINVAL;
		}
	return 0;
}

/* key = value in opts, once, a key of its table and of vigil.conf */
static int
key_set(stage_opts_t *o, const char *key, const char *value, const char *where)
{
	const stage_opt_t *t;
	int i, n;

	t = stage_schema(o->kind, &n);
	if ((i = stage_opt_find(o->kind, key)) < 0 || (t[i].flags & STAGE_OPT_CMDLINE)) {
		stage_set_errmsg("%s = %s: no such key %s", key, value, where);
		return -EINVAL;
	}
	if (o->v[i].set == STAGE_GIVEN) {
		stage_set_errmsg("%s = %s: given twice", key, value);
		return -EINVAL;
	}
	return stage_opts_set(o, i, value);
}

static int
conf_line(void *arg, const char *block, const char *key, const char *value)
{
	conf_ctx_t *x = arg;
	char where[64];

	if (block && key == NULL) { /* NAME { */
		x->program_given = 0;
		return (x->cur = stage_add(x, block)) == NULL ? -EINVAL : 0;
	}
	if (block) {
		if (!strcmp(key, "program")) {
			if (x->program_given) {
				stage_set_errmsg("program = %s: program given twice", value);
				return -EINVAL;
			}
			if (*value == '\0' || strlen(value) >= sizeof(x->cur->program)) {
				stage_set_errmsg("program = %s: must be a program's path", value);
				return -EINVAL;
			}
			x->program_given = 1;
			snprintf(x->cur->program, sizeof(x->cur->program), "%s", value);
			return 0;
		}
		snprintf(where, sizeof(where), "in %s { } (see %s -h)", block,
			 stage_kind_program(x->cur->kind));
		return key_set(&x->cur->opts, key, value, where);
	}
	if (!strncmp(key, "stage", 5) && (key[5] == ' ' || key[5] == '\t')) {
		const char *name = key + 6;
		while (*name == ' ' || *name == '\t')
			name++;
		return stage_line(x, name, value);
	}
	if (!strcmp(key, "hello_cookie") || !strcmp(key, "hello_load"))
		return key_set(&x->hello, key, value, "");
	return key_set(&x->g, key, value, "(see vigild -h)");
}

/* The listener's hello_* given outside its block, as vigil.conf used to have them. */
static void
hello_compat(conf_ctx_t *x)
{
	static const int keys[] = {STAGE_LISTENER_HELLO_COOKIE, STAGE_LISTENER_HELLO_LOAD};
	int i, k;

	for (i = 0; i < x->c->nstage; i++) {
		vigild_stage_conf_t *s = &x->c->stage[i];
		if (s->kind != STAGE_LISTENER || s->standin)
			continue;
		for (k = 0; k < 2; k++)
			if (x->hello.v[keys[k]].set == STAGE_GIVEN &&
			    s->opts.v[keys[k]].set != STAGE_GIVEN)
				s->opts.v[keys[k]] = x->hello.v[keys[k]];
	}
}

int
vigild_conf_load(const char *path, vigild_conf_t *c)
{
	static conf_ctx_t x;
	const stage_val_t *v;
	int i, rc;

	memset(c, 0, sizeof(*c));
	memset(&x, 0, sizeof(x));
	x.c = c;
	stage_opts_defaults(STAGE_VIGILD, &x.g);
	stage_opts_defaults(STAGE_LISTENER, &x.hello);
	if ((rc = stage_conf_read(path, conf_line, &x)) < 0)
		return rc;
	if (c->nstage == 0) {
		stage_set_errmsg("%s: no stage configured (a block such as writer { ... })", path);
		return -EINVAL;
	}
	for (i = 0; i < c->nstage; i++)
		if (!c->stage[i].standin && stage_opts_check(&c->stage[i].opts) < 0) {
			stage_set_errmsg("%s: %s: %s", path, c->stage[i].name, stage_errmsg());
			return -EINVAL;
		}
	hello_compat(&x);
	v = x.g.v;
	copy(c->shm_prefix, sizeof(c->shm_prefix), v[STAGE_VIGILD_SHM_PREFIX].s);
	c->writers = (int)v[STAGE_VIGILD_WRITERS].u;
	c->writer_shards = (uint32_t)v[STAGE_VIGILD_WRITER_SHARDS].u;
	c->nats = v[STAGE_VIGILD_TRANSPORT].u == 1;
	copy(c->nats_url, sizeof(c->nats_url), v[STAGE_VIGILD_NATS_URL].s);
	copy(c->nats_stream, sizeof(c->nats_stream), v[STAGE_VIGILD_NATS_STREAM].s);
	c->nats_ack_wait_ms = (int)v[STAGE_VIGILD_NATS_ACK_WAIT_MS].u;
	c->nats_replicas = (int)v[STAGE_VIGILD_NATS_REPLICAS].u;
	c->nats_lease_ms = (int)v[STAGE_VIGILD_NATS_LEASE_MS].u;
	c->ring_slots = (uint32_t)v[STAGE_VIGILD_RING_SLOTS].u;
	c->restart_min_ms = (int)v[STAGE_VIGILD_RESTART_MIN_MS].u;
	c->restart_max_ms = (int)v[STAGE_VIGILD_RESTART_MAX_MS].u;
	c->stable_ms = (int)v[STAGE_VIGILD_STABLE_MS].u;
	c->drain_timeout_ms = (int)v[STAGE_VIGILD_DRAIN_TIMEOUT_MS].u;
	copy(c->metrics_listen, sizeof(c->metrics_listen), v[STAGE_VIGILD_METRICS_LISTEN].s);
	c->index_days = (uint32_t)v[STAGE_VIGILD_INDEX_DAYS].u;
	c->index_arena_mb = (uint32_t)v[STAGE_VIGILD_INDEX_ARENA_MB].u;
	if (c->restart_max_ms < c->restart_min_ms) {
		stage_set_errmsg("%s: restart_max_ms %d is below restart_min_ms %d", path,
				 c->restart_max_ms, c->restart_min_ms);
		return -EINVAL;
	}
	if (c->writers < 32)
		c->writer_shards &= (1u << c->writers) - 1;
	if (c->writer_shards == 0)
		log_warnx("%s: no writer runs on this machine (writer_shards)", path);
	for (i = 0; i < c->nstage; i++)
		c->stage[i].instances =
		    c->stage[i].kind == STAGE_WRITER ? __builtin_popcount(c->writer_shards) : 1;
	return 0;
}

void
vigild_conf_dump(FILE *f)
{
	const stage_opt_t *t;
	int k, i, n;

	fprintf(f, "# vigil.conf: every key with its default (vigild -D)\n");
	t = stage_schema(STAGE_VIGILD, &n);
	for (i = 0; i < n; i++)
		if (!(t[i].flags & STAGE_OPT_CMDLINE))
			fprintf(f, "%s = %s\n", t[i].key, t[i].def ? t[i].def : "");
	for (k = STAGE_LISTENER; k < STAGE_NKINDS; k++) {
		fprintf(f, "\n%s {\n\tprogram = %s/%s\n", stage_kind_name((stage_kind_t)k),
			VIGILD_PROGRAM_DIR, stage_kind_program((stage_kind_t)k));
		t = stage_schema((stage_kind_t)k, &n);
		for (i = 0; i < n; i++) {
			if (t[i].flags & STAGE_OPT_CMDLINE)
				continue;
			if (t[i].def)
				fprintf(f, "\t%s = %s\n", t[i].key, t[i].def);
			else
				fprintf(f, "\t# %s = (unset)\n", t[i].key);
		}
		fprintf(f, "}\n");
	}
}

/* Every stage's program is checked at start: a missing one is retried with backoff. */
void
vigild_conf_check_programs(const vigild_conf_t *c)
{
	int k;

	for (k = 0; k < c->nstage; k++)
		if (strchr(c->stage[k].program, '/') && access(c->stage[k].program, X_OK) != 0)
			log_warnx("stage %s: %s is not installed; it will be retried with backoff",
				  c->stage[k].name, c->stage[k].program);
}
