/*
 * NAME
 *	vigild_conf.c - read vigil.conf
 *
 * DESCRIPTION
 *	"key = value" lines, '#' comments; "stage NAME = COMMAND" lines name
 *	the program of each stage. Unknown keys and out-of-range values are
 *	errors that name the line, so `vigild -n` catches them before a
 *	restart does. Defaults are those written in etc/vigil.conf.
 *	writer_shards picks the shards whose writers run on this machine
 *	(with transport = nats the others run elsewhere). hello_cookie and
 *	hello_load go to the listener stage as -k and -L.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigild.h"

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	for (e = s + strlen(s); e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n'); e--)
		;
	*e = '\0';
	return s;
}

static int
num(const char *v, long lo, long hi, long *out)
{
	char *end;
	long n = strtol(v, &end, 10);

	if (*v == '\0' || *end != '\0' || n < lo || n > hi)
		return -1;
	*out = n;
	return 0;
}

/* "all", "none", or shard numbers and ranges: "0,2-3" */
static int
shards(const char *v, uint32_t *mask)
{
	long a, b;
	char *end;

	if (!strcmp(v, "all") || !strcmp(v, "none")) {
		*mask = !strcmp(v, "all") ? 0xffffffffu : 0;
		return 0;
	}
	*mask = 0;
	while (*v) {
		a = strtol(v, &end, 10);
		if (end == v || a < 0 || a > 31)
			return -1;
		b = a;
		if (*end == '-' && ((b = strtol(end + 1, &end, 10)) < a || b > 31))
			return -1;
		while (a <= b)
			*mask |= 1u << a++;
		if (*end == ',')
			end++;
		else if (*end != '\0')
			return -1;
		v = end;
	}
	return *mask ? 0 : -1;
}

int
vigild_conf_load(const char *path, vigild_conf_t *c)
{
	char line[2048], *k, *v, *hash;
	int lineno = 0, i;
	long n;
	FILE *f;

	memset(c, 0, sizeof(*c));
	snprintf(c->shm_prefix, sizeof(c->shm_prefix), "vigil");
	c->writers = 2;
	c->ring_slots = 4096;
	c->restart_min_ms = 100;
	c->restart_max_ms = 30000;
	c->stable_ms = 10000;
	c->drain_timeout_ms = 5000;
	c->index_days = 16384;
	c->index_arena_mb = 256;
	snprintf(c->metrics_listen, sizeof(c->metrics_listen), "127.0.0.1:9740");
	snprintf(c->nats_url, sizeof(c->nats_url), "nats://127.0.0.1:4222");
	snprintf(c->nats_stream, sizeof(c->nats_stream), "vigil");
	c->nats_ack_wait_ms = 10000;
	c->nats_replicas = 1;
	c->writer_shards = 0xffffffffu;
	snprintf(c->hello_cookie, sizeof(c->hello_cookie), "auto");
	c->hello_load = 500;
	if ((f = fopen(path, "r")) == NULL) {
		vigild_log("open %s: %m", path);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if ((hash = strchr(line, '#')) != NULL)
			*hash = '\0';
		k = trim(line);
		if (*k == '\0')
			continue;
		if ((v = strchr(k, '=')) == NULL)
			goto bad;
		*v++ = '\0';
		k = trim(k);
		v = trim(v);
		if (!strncmp(k, "stage ", 6)) {
			char *name = trim(k + 6);
			if (c->nstage == VIGILD_STAGE_KINDS || strlen(name) == 0 ||
			    strlen(name) >= sizeof(c->stage[0].name) || strlen(v) == 0 ||
			    strlen(v) >= sizeof(c->stage[0].cmd))
				goto bad;
			for (i = 0; i < c->nstage; i++)
				if (!strcmp(c->stage[i].name, name))
					goto bad;
			snprintf(c->stage[c->nstage].name, sizeof(c->stage[0].name), "%s", name);
			snprintf(c->stage[c->nstage].cmd, sizeof(c->stage[0].cmd), "%s", v);
			c->nstage++;
		} else if (!strcmp(k, "shm_prefix")) {
			if (strlen(v) == 0 || strlen(v) >= sizeof(c->shm_prefix) || strchr(v, '/'))
				goto bad;
			snprintf(c->shm_prefix, sizeof(c->shm_prefix), "%s", v);
		} else if (!strcmp(k, "writers")) {
			if (num(v, 1, 32, &n) < 0)
				goto bad;
			c->writers = (int)n;
		} else if (!strcmp(k, "ring_slots")) {
			if (num(v, 64, 1 << 20, &n) < 0 || (n & (n - 1)) != 0)
				goto bad;
			c->ring_slots = (uint32_t)n;
		} else if (!strcmp(k, "restart_min_ms")) {
			if (num(v, 10, 600000, &n) < 0)
				goto bad;
			c->restart_min_ms = (int)n;
		} else if (!strcmp(k, "restart_max_ms")) {
			if (num(v, 10, 3600000, &n) < 0)
				goto bad;
			c->restart_max_ms = (int)n;
		} else if (!strcmp(k, "stable_ms")) {
			if (num(v, 100, 3600000, &n) < 0)
				goto bad;
			c->stable_ms = (int)n;
		} else if (!strcmp(k, "metrics_listen")) {
			if (strlen(v) >= sizeof(c->metrics_listen) || (*v && !strchr(v, ':')))
				goto bad;
			snprintf(c->metrics_listen, sizeof(c->metrics_listen), "%s", v);
		} else if (!strcmp(k, "index_days")) {
			if (num(v, 64, 1 << 24, &n) < 0)
				goto bad;
			c->index_days = (uint32_t)n;
		} else if (!strcmp(k, "index_arena_mb")) {
			if (num(v, 1, 1 << 16, &n) < 0)
				goto bad;
			c->index_arena_mb = (uint32_t)n;
		} else if (!strcmp(k, "drain_timeout_ms")) {
			if (num(v, 0, 600000, &n) < 0)
				goto bad;
			c->drain_timeout_ms = (int)n;
		} else if (!strcmp(k, "transport")) {
			if (strcmp(v, "shm") && strcmp(v, "nats"))
				goto bad;
			c->nats = !strcmp(v, "nats");
		} else if (!strcmp(k, "nats_url")) {
			if (strlen(v) == 0 || strlen(v) >= sizeof(c->nats_url))
				goto bad;
			snprintf(c->nats_url, sizeof(c->nats_url), "%s", v);
		} else if (!strcmp(k, "nats_stream")) {
			if (strlen(v) == 0 || strlen(v) >= sizeof(c->nats_stream) ||
			    strpbrk(v, ".*> "))
				goto bad;
			snprintf(c->nats_stream, sizeof(c->nats_stream), "%s", v);
		} else if (!strcmp(k, "nats_ack_wait_ms")) {
			if (num(v, 100, 3600000, &n) < 0)
				goto bad;
			c->nats_ack_wait_ms = (int)n;
		} else if (!strcmp(k, "nats_replicas")) {
			if (num(v, 1, 5, &n) < 0)
				goto bad;
			c->nats_replicas = (int)n;
		} else if (!strcmp(k, "hello_cookie")) {
			if (strcmp(v, "auto") && strcmp(v, "always") && strcmp(v, "off"))
				goto bad;
			snprintf(c->hello_cookie, sizeof(c->hello_cookie), "%s", v);
		} else if (!strcmp(k, "hello_load")) {
			if (num(v, 0, 100000000, &n) < 0)
				goto bad;
			c->hello_load = (uint32_t)n;
		} else if (!strcmp(k, "writer_shards")) {
			if (shards(v, &c->writer_shards) < 0)
				goto bad;
		} else
			goto bad;
	}
	fclose(f);
	if (c->restart_max_ms < c->restart_min_ms) {
		vigild_log("%s: restart_max_ms is below restart_min_ms", path);
		return -1;
	}
	if (c->writers < 32)
		c->writer_shards &= (1u << c->writers) - 1;
	if (c->writer_shards == 0)
		vigild_log("%s: no writer runs on this machine (writer_shards)", path);
	for (i = 0; i < c->nstage; i++)
		c->stage[i].instances = !strcmp(c->stage[i].name, "writer")
						? __builtin_popcount(c->writer_shards)
						: 1;
	return 0;
bad:
	vigild_log("%s:%d: bad line", path, lineno);
	fclose(f);
	return -1;
}
