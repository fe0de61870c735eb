/* ctl_common.c: what every vaultctl command does the same way: unlock, open, fail, print. */
#include "ctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../audit/audit.h"

int ctl_exit_code(util_code c)
{
	switch (c) {
	case UTIL_OK:
		return EX_OK;
	case UTIL_EINVAL:
		return EX_INPUT;
	case UTIL_EKEY:
		return EX_KEY;
	case UTIL_ENOTFOUND:
		return EX_NOTFOUND;
	case UTIL_EEXISTS:
		return EX_EXISTS;
	case UTIL_EBUSY:
		return EX_BUSY;
	case UTIL_ECORRUPT:
		return EX_CORRUPT;
	default:
		return EX_FAIL;
	}
}

int ctl_fail(const util_err *err)
{
	fprintf(stderr, "vaultctl: %s (%s)\n", err->msg, util_code_name(err->code));
	return ctl_exit_code(err->code);
}

/* Copies the passphrase out of the environment into secret memory and wipes the original. */
int ctl_take_passphrase(const char *name, char **out, size_t *len)
{
	char *v = getenv(name);
	size_t n;

	if (v == NULL || *v == '\0') {
		fprintf(stderr, "vaultctl: environment variable %s is not set\n", name);
		return -1;
	}
	n = strlen(v);
	if ((*out = keys_secret_alloc(n + 1)) == NULL) {
		fprintf(stderr, "vaultctl: out of secret memory\n");
		return -1;
	}
	memcpy(*out, v, n + 1);
	sodium_memzero(v, n);
	unsetenv(name);
	*len = n;
	return 0;
}

int ctl_unlock(ctl *c)
{
	memset(&c->unlock, 0, sizeof c->unlock);
	if (c->passphrase_env != NULL) {
		if (ctl_take_passphrase(c->passphrase_env, &c->passphrase, &c->unlock.passphrase_len) != 0)
			return -1;
		c->unlock.passphrase = c->passphrase;
		c->unlock.kdf_ops = c->kdf_ops;
		c->unlock.kdf_mem = c->kdf_mem;
		return 0;
	}
	if (c->key_file[0] == '\0' && util_path_join(c->key_file, sizeof c->key_file, c->data, "master.key") != 0) {
		fprintf(stderr, "vaultctl: data directory path too long\n");
		return -1;
	}
	c->unlock.key_file = c->key_file;
	return 0;
}

int ctl_open_vault(ctl *c, vault **v, int *lockfd)
{
	util_err err;
	int64_t appended, unreadable;

	if (ctl_unlock(c) != 0)
		return EX_USAGE;
	if (vault_lock(c->data, 0, lockfd, &err) != 0 || vault_open(v, c->data, &c->unlock, &err) != 0)
		return ctl_fail(&err);
	/* entries a stop left only as copies in vault.db go into the log before anything else */
	if (audit_settle(*v, &appended, &unreadable, &err) != 0) {
		vault_close(*v);
		*v = NULL;
		return ctl_fail(&err);
	}
	if (appended > 0)
		fprintf(stderr, "vaultctl: %lld audit entries a stop had kept out of the log were appended\n",
		    (long long)appended);
	if (unreadable > 0)
		fprintf(stderr, "vaultctl: warning: %lld copies in vault.db's audit_pending are not audit entries;"
		                " they are left in place\n",
		    (long long)unreadable);
	return EX_OK;
}

int ctl_parse_cid(const char *hex, unsigned char cid[KEYS_CID_BYTES])
{
	if (hex == NULL || strlen(hex) != 2 * KEYS_CID_BYTES || util_hex_decode(cid, KEYS_CID_BYTES, hex) != 0) {
		fprintf(stderr, "vaultctl: --citizen takes a 32-hex-digit citizen id\n");
		return -1;
	}
	return 0;
}

void ctl_print_json(json_t *o)
{
	char *s = json_dumps(o, JSON_SORT_KEYS | JSON_INDENT(2));

	if (s != NULL) {
		puts(s);
		vault_json_free(s); /* wipes: the record may hold personal data */
	}
}
