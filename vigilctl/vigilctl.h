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

#include <openssl/evp.h>

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
int vigilctl_chain(int argc, char **argv);
int vigilctl_bundle(int argc, char **argv);
int vigilctl_retention(int argc, char **argv);
int vigilctl_hold(int argc, char **argv);
int vigilctl_expire(int argc, char **argv);
int vigilctl_audit(int argc, char **argv);

/* vigilctl_chain.c: print the chain check of a day file; 1 when broken (or absent and required). */
int vigilctl_chain_report(const char *dayfile, EVP_PKEY *server, int required);

/* The key directory: -d, else $VIGIL_KEYDIR, else the default. */
const char *vigilctl_keydir(const char *opt);

#endif
