/*
 * NAME
 *	vigilctl.h - the operator's command line: subcommand handlers
 *
 * DESCRIPTION
 *	Each subcommand is one handler taking its own argc/argv (argv[0] is
 *	the subcommand's name) and returning the process exit status.
 */
#ifndef VIGILCTL_H
#define VIGILCTL_H

#define VIGILCTL_DEFAULT_KEYDIR "/var/lib/vigil/keys"

int vigilctl_keygen(int argc, char **argv);
int vigilctl_provision(int argc, char **argv);
int vigilctl_revoke(int argc, char **argv);
int vigilctl_status(int argc, char **argv);
int vigilctl_dump(int argc, char **argv);
int vigilctl_verify(int argc, char **argv);
int vigilctl_export(int argc, char **argv);
int vigilctl_restart(int argc, char **argv);
int vigilctl_index(int argc, char **argv);
int vigilctl_completeness(int argc, char **argv);
int vigilctl_user(int argc, char **argv);

/* The key directory: -d, else $VIGIL_KEYDIR, else the default. */
const char *vigilctl_keydir(const char *opt);

#endif
