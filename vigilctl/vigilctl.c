/*
 * NAME
 *	vigilctl.c - the operator's command line
 *
 * DESCRIPTION
 *	vigilctl SUBCOMMAND [options]. One table maps each subcommand to its
 *	handler and a line of help; the handlers live in one file per
 *	concern (vigilctl_keys.c: server keys and cameras; vigilctl_ops.c:
 *	status and restart of the running system; vigilctl_file.c: day files).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigilctl.h"

static const struct cmd {
	const char *name;
	int (*fn)(int, char **);
	const char *usage;
} cmds[] = {
    {"keygen", vigilctl_keygen, "keygen [-d KEYDIR] [-b BITS] [-f]   make the server key pair"},
    {"provision", vigilctl_provision,
     "provision [-d KEYDIR] [-s HOST:PORT] [-b BITS] -o OUTDIR   create and register a camera"},
    {"revoke", vigilctl_revoke, "revoke [-d KEYDIR] UUID [REASON]   revoke a camera"},
    {"export", vigilctl_export,
     "export -d KEYDIR [-s video|telemetry] [-c h264|jpeg] [-o OUT] [-l] [-k] FILE...   decrypt frames"},
    {"export-bundle", vigilctl_bundle,
     "export-bundle [-d KEYDIR] [-D DATA_DIR] -r RECIPIENT_PUB UUID DAY [FROM TO] OUT   "
     "evidence folder for vigil-verify"},
    {"retention", vigilctl_retention,
     "retention [-D DATA_DIR] [-d KEYDIR] UUID DAYS   keep a camera's days DAYS days (0: forever)"},
    {"hold", vigilctl_hold,
     "hold [-D DATA_DIR] [-d KEYDIR] [-r] UUID DAY|all [REASON]   legal hold (-r: release)"},
    {"expire", vigilctl_expire,
     "expire [-D DATA_DIR] [-d KEYDIR] [-R DAYS] [-t TODAY] [-n]   delete expired, unheld days"},
    {"audit", vigilctl_audit, "audit [-D DATA_DIR] [-d KEYDIR]   verify the signed audit log"},
    {"dump", vigilctl_dump, "dump FILE [--json]   print the records of a day file"},
    {"verify", vigilctl_verify,
     "verify [-d KEYDIR] [-c] FILE   checksums, counters, missing ranges; signatures, tags "
     "and the signed chain (-c: required)"},
    {"chain", vigilctl_chain,
     "chain [-d KEYDIR] [-c] FILE...   extend the signed hash chain (-c: close the day)"},
    {"status", vigilctl_status, "status [-p SHM_PREFIX]   stages, pids, restarts, ring depths"},
    {"restart", vigilctl_restart,
     "restart [-p SHM_PREFIX] STAGE [N]   restart one stage while the others run"},
    {"user", vigilctl_user,
     "user add|del|list [-d KEYDIR] [-f USERS] [NAME --cameras UUID,...|all]   viewer accounts"},
    {"index", vigilctl_index,
     "index [-p SHM_PREFIX] UUID [YYYY-MM-DD]   stored days, or a day's ranges and gaps"},
    {"completeness", vigilctl_completeness,
     "completeness [-D DATA_DIR] UUID YYYY-MM-DD   present, missing and backfilled ranges"},
};

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: vigilctl SUBCOMMAND [options]\n\n");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  vigilctl %s\n", cmds[i].usage);
	fprintf(f, "\nKEYDIR defaults to $VIGIL_KEYDIR, else %s.\n", VIGILCTL_DEFAULT_KEYDIR);
}

const char *
vigilctl_keydir(const char *opt)
{
	const char *env = getenv("VIGIL_KEYDIR");

	if (opt)
		return opt;
	return env && *env ? env : VIGILCTL_DEFAULT_KEYDIR;
}

int
main(int argc, char **argv)
{
	size_t i;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "vigilctl: unknown subcommand \"%s\"\n", argv[1]);
	usage(stderr);
	return 2;
}
