/* ctl.h: what vaultctl's files share: its options, exit codes, and the helpers every command uses. */
#ifndef VAULTD_CTL_H
#define VAULTD_CTL_H

#include <stdint.h>

#include "../vault/vault.h"

/*
 * Exit codes (documented in README and `vaultctl --help`):
 *   0 done, 1 failed (I/O, database, internal), 2 usage, 3 invalid input,
 *   4 wrong key or passphrase, 5 not found, 6 already exists, 7 vault busy, 8 integrity failure.
 */
enum { EX_OK = 0, EX_FAIL = 1, EX_USAGE = 2, EX_INPUT = 3, EX_KEY = 4, EX_NOTFOUND = 5, EX_EXISTS = 6,
	EX_BUSY = 7, EX_CORRUPT = 8 };

/* The options every command shares. */
typedef struct ctl {
	const char *data;
	char key_file[1100];
	const char *passphrase_env;
	char *passphrase; /* secret memory */
	vault_unlock unlock;
	uint64_t kdf_ops, kdf_mem;
} ctl;

/* The options and arguments of one command. */
typedef struct args {
	const char *schema, *enrolments, *citizen, *new_key_file, *new_pass_env, *export_file, *public_key;
	long batch;
	int64_t from, to; /* ropa, dpia: the period of the access counts, unix seconds */
	int nid_stdin, help, json;
	int npos;
	const char *pos[4];
} args;

/* The exit code for an error code. */
int ctl_exit_code(util_code c);
/* Prints err as "vaultctl: msg (code)" on stderr; returns its exit code. */
int ctl_fail(const util_err *err);
/* With msg: that one line and where to read more (the command's help); without: the whole usage.
 * Returns EX_USAGE. (vaultctl.c) */
int ctl_usage(const char *msg);

/*
 * Copies the passphrase out of environment variable name into secret memory (*out, freed by the
 * caller with keys_secret_free) and wipes the original. 0, or -1 with the reason on stderr.
 */
int ctl_take_passphrase(const char *name, char **out, size_t *len);
/* Fills c->unlock from the options: a passphrase (taken as above) or the key file. 0 or -1. */
int ctl_unlock(ctl *c);
/*
 * Locks and opens the vault of c, then settles the audit entries a stop left behind. Returns
 * EX_OK with *v open and *lockfd held (the caller closes both), or an exit code.
 */
int ctl_open_vault(ctl *c, vault **v, int *lockfd);
/* A citizen id of 32 hex digits; 0, or -1 with the reason on stderr. */
int ctl_parse_cid(const char *hex, unsigned char cid[KEYS_CID_BYTES]);
/* Prints o, indented, keys sorted, and wipes the text after: it may hold personal data. */
void ctl_print_json(json_t *o);

/* The commands: each takes the shared options and its own, and returns an exit code. */
int cmd_init(ctl *c, args *a);
int cmd_import(ctl *c, args *a);
int cmd_get(ctl *c, args *a);
int cmd_erase(ctl *c, args *a);
int cmd_rotate(ctl *c, args *a);
int cmd_rekey(ctl *c, args *a);
int cmd_backup(ctl *c, args *a);
int cmd_restore(ctl *c, args *a);
int cmd_stats(ctl *c, args *a);
int cmd_audit(ctl *c, args *a);
int cmd_receipt(ctl *c, args *a);
int cmd_keys(ctl *c, args *a);
int cmd_ropa(ctl *c, args *a);
int cmd_dpia(ctl *c, args *a);
int cmd_admin_token(ctl *c, args *a);

#endif
