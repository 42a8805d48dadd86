/*
 * NAME
 *	test_stage_schema.c - the option tables (stage_schema.c) and
 *	etc/vigil.conf against them
 *
 * DESCRIPTION
 *	Every table's defaults pass their own checks, keys and letters are
 *	unique within a table; etc/vigil.conf has every key of every
 *	table, in its block, with the table's default (a key without a
 *	default: any value, or commented out as "# key ="), each block its
 *	program, and nothing else.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stage.h"

#define CONF "etc/vigil.conf"

static void
test_tables(void **state)
{
	const stage_opt_t *t;
	stage_opts_t o;
	int k, i, j, n;

	(void)state;
	for (k = 0; k < STAGE_NKINDS; k++) {
		t = stage_schema((stage_kind_t)k, &n);
		assert_true(n > 0 && n <= STAGE_OPTS_MAX);
		stage_opts_defaults((stage_kind_t)k, &o);
		for (i = 0; i < n; i++) {
			assert_non_null(t[i].key);
			assert_non_null(t[i].help);
			if (t[i].def && o.v[i].set != STAGE_DEFAULT)
				fail_msg("%s: default %s of %s fails its own check",
					 stage_kind_name((stage_kind_t)k), t[i].def, t[i].key);
			assert_true(t[i].flag != 'n' && t[i].flag != 'h');
			if (t[i].flag && t[i].type != STAGE_T_FLAG)
				assert_non_null(t[i].arg);
			for (j = 0; j < i; j++) {
				assert_string_not_equal(t[i].key, t[j].key);
				if (t[i].flag)
					assert_int_not_equal(t[i].flag, t[j].flag);
			}
		}
	}
}

static struct seen {
	int kind; /* -1: outside the stage blocks: vigild */
	int line;
	char key[64], value[STAGE_STR_MAX];
	int commented;
} seen[256];
static int nseen;

/* Every "key = value" of the file, and "# key =" lines, with their block. */
static void
read_conf(void)
{
	char line[STAGE_CONF_LINE + 2], *p, *eq, *e;
	stage_kind_t kind;
	int block = -1, lineno = 0;
	FILE *f = fopen(CONF, "r");

	if (f == NULL)
		fail_msg("%s: cannot open (run from the top folder)", CONF);
	while (fgets(line, sizeof(line), f)) {
		struct seen *s = &seen[nseen];
		int commented = 0;

		lineno++;
		for (p = line; *p == ' ' || *p == '\t'; p++)
			;
		if (*p == '#') {
			/* "# key = value" is a commented key; prose has no "word = " */
			commented = 1;
			for (p++; *p == ' '; p++)
				;
			if (strspn(p, "abcdefghijklmnopqrstuvwxyz_") == 0 ||
			    strncmp(p + strspn(p, "abcdefghijklmnopqrstuvwxyz_"), " = ", 3))
				continue;
		}
		if ((e = strchr(p, '#')) != NULL)
			*e = '\0';
		for (e = p + strlen(p); e > p && strchr(" \t\n", e[-1]);)
			*--e = '\0';
		if (*p == '\0')
			continue;
		if (!strcmp(p, "}")) {
			block = -1;
			continue;
		}
		if ((eq = strstr(p, " {")) != NULL && eq[2] == '\0') {
			*eq = '\0';
			assert_int_equal(stage_kind_find(p, &kind), 0);
			block = (int)kind;
			continue;
		}
		if ((eq = strchr(p, '=')) == NULL)
			fail_msg("%s:%d: not a key", CONF, lineno);
		*eq = '\0';
		for (e = eq; e > p && (e[-1] == ' ' || e[-1] == '\t');)
			*--e = '\0';
		for (eq++; *eq == ' ' || *eq == '\t'; eq++)
			;
		s->kind = block;
		s->line = lineno;
		s->commented = commented;
		snprintf(s->key, sizeof(s->key), "%s", p);
		snprintf(s->value, sizeof(s->value), "%s", eq);
		nseen++;
	}
	fclose(f);
}

static const struct seen *
find(int kind, const char *key)
{
	const struct seen *found = NULL;
	int i;

	for (i = 0; i < nseen; i++)
		if (seen[i].kind == kind && !strcmp(seen[i].key, key)) {
			if (found)
				fail_msg("%s:%d: %s again (line %d)", CONF, seen[i].line, key,
					 found->line);
			found = &seen[i];
		}
	return found;
}

static void
test_etc_conf(void **state)
{
	const stage_opt_t *t;
	const struct seen *s;
	int k, i, n, kind;
	char want[128];

	(void)state;
	read_conf();
	for (k = 0; k < STAGE_NKINDS; k++) {
		kind = k == STAGE_VIGILD ? -1 : k;
		t = stage_schema((stage_kind_t)k, &n);
		for (i = 0; i < n; i++) {
			if (t[i].flags & STAGE_OPT_CMDLINE)
				continue;
			if ((s = find(kind, t[i].key)) == NULL)
				fail_msg("%s: %s (%s) is missing", CONF, t[i].key,
					 stage_kind_name((stage_kind_t)k));
			if (t[i].def && (s->commented || strcmp(s->value, t[i].def)))
				fail_msg("%s:%d: %s = %s, the default is %s", CONF, s->line,
					 t[i].key, s->value, t[i].def);
		}
		if (k == STAGE_VIGILD)
			continue;
		snprintf(want, sizeof(want), "/usr/local/bin/%s",
			 stage_kind_program((stage_kind_t)k));
		if ((s = find(kind, "program")) == NULL || strcmp(s->value, want))
			fail_msg("%s: %s { } has no program = %s", CONF,
				 stage_kind_name((stage_kind_t)k), want);
	}
	/* nothing else */
	for (i = 0; i < nseen; i++) {
		k = seen[i].kind < 0 ? STAGE_VIGILD : seen[i].kind;
		if (strcmp(seen[i].key, "program") &&
		    stage_opt_find((stage_kind_t)k, seen[i].key) < 0)
			fail_msg("%s:%d: %s is no key of %s", CONF, seen[i].line, seen[i].key,
				 stage_kind_name((stage_kind_t)k));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tables),
	    cmocka_unit_test(test_etc_conf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
