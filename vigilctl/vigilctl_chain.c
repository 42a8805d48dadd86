/*
 * NAME
 *	vigilctl_chain.c - extend and check the signed hash chain of day files
 *
 * DESCRIPTION
 *	chain [-d KEYDIR] [-c] FILE...: extends each day file's chain
 *	(<day>.chain) with the records it gained and signs a checkpoint with
 *	the server key; -c marks the day closed. vigil-indexer does this
 *	itself every few seconds; the command serves a data folder without
 *	a running indexer. A chain being extended by another process is
 *	locked and left to it.
 *
 *	vigilctl_chain_report() is the chain part of vigilctl verify: it
 *	recomputes the chain and prints the first record that differs from
 *	what was signed.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "proto_chain.h"
#include "proto_crypto.h"
#include "vigilctl.h"

int
vigilctl_chain_report(const char *dayfile, EVP_PKEY *server, int required)
{
	proto_chain_report_t rep;
	int rc = proto_chain_check(dayfile, NULL, server, &rep);

	if (rc < 0) {
		printf("chain: none (%s)\n", proto_errmsg());
		return required;
	}
	printf("chain: %llu checkpoints over %llu records%s, %llu records after the last\n",
	       (unsigned long long)rep.checkpoints, (unsigned long long)rep.records,
	       rep.closed ? " (day closed)" : "", (unsigned long long)rep.unchained);
	if (!rep.ok)
		printf("chain: BROKEN: %s\n", rep.where);
	return !rep.ok;
}

int
vigilctl_chain(int argc, char **argv)
{
	const char *keydir = NULL;
	char path[4200];
	EVP_PKEY *key;
	struct timespec ts;
	int c, closed = 0, i, rc, bad = 0;

	while ((c = getopt(argc, argv, "d:ch")) != -1) {
		switch (c) {
		case 'd': keydir = optarg; break;
		case 'c': closed = 1; break;
		case 'h': printf("usage: vigilctl chain [-d KEYDIR] [-c] FILE...\n"); return 0;
		default: return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: vigilctl chain [-d KEYDIR] [-c] FILE...\n");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/server.key", vigilctl_keydir(keydir));
	if ((key = proto_key_load_private(path)) == NULL) {
		fprintf(stderr, "vigilctl: %s: %s\n", path, proto_errmsg());
		return 1;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	for (i = optind; i < argc; i++) {
		rc = proto_chain_update(argv[i], key,
					(uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000,
					closed, 0);
		if (rc < 0) {
			fprintf(stderr, "vigilctl: %s: %s (%s)\n", argv[i], proto_strerror(rc),
				proto_errmsg());
			bad = 1;
		} else
			printf("%s: %d records chained\n", argv[i], rc);
	}
	EVP_PKEY_free(key);
	return bad;
}
