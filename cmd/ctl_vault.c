/* ctl_vault.c: vaultctl init, rotate-kek, rekey, backup, restore, stats, keys, admin-token: the vault itself. */
#include "ctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../audit/audit.h"
#include "../auth/auth.h"

/* ---- init ---- */

int cmd_init(ctl *c, args *a)
{
	static char catalog[VAULT_CATALOG_MAX + 1];
	const char *cat = NULL;
	char id[VAULT_ID_HEX], token[AUTH_ADMIN_TOKEN_MAX];
	util_err err;
	json_t *o;

	if (a->npos != 0)
		return ctl_usage("init takes no arguments");
	if (a->schema != NULL) {
		size_t n;

		if (util_read_bounded(a->schema, catalog, VAULT_CATALOG_MAX, &n, &err) != 0)
			return ctl_fail(&err);
		catalog[n] = '\0';
		cat = catalog;
	}
	if (ctl_unlock(c) != 0)
		return EX_USAGE;
	if (vault_create(c->data, &c->unlock, cat, id, &err) != 0)
		return ctl_fail(&err);
	{
		vault *v = NULL;

		/* the operator's token for the HTTP API: shown here once, stored only as a keyed hash */
		if (vault_open(&v, c->data, &c->unlock, &err) != 0 || auth_admin_token(v, token, &err) != 0) {
			vault_close(v);
			return ctl_fail(&err);
		}
		vault_close(v);
	}
	if (c->unlock.key_file != NULL)
		fprintf(stderr, "vaultctl: root key written to %s. In production keep it off the data disk and back it up "
		                "apart from the vault's backups.\n",
		    c->unlock.key_file);
	o = json_pack("{s:s, s:s}", "vault_id", id, "admin_token", token);
	sodium_memzero(token, sizeof token);
	ctl_print_json(o);
	json_decref(o);
	return EX_OK;
}

/* ---- keys ---- */

int cmd_rotate(ctl *c, args *a)
{
	vault *v = NULL;
	util_err err;
	uint32_t ver;
	uint64_t n;
	int lockfd = -1, rc;

	if (a->npos != 0)
		return ctl_usage("rotate-kek takes no arguments");
	if ((rc = ctl_open_vault(c, &v, &lockfd)) != EX_OK)
		return rc;
	if (vault_rotate_kek(v, &ver, &n, &err) == 0) {
		audit_entry ae = {.actor = "operator", .action = "key.rotate", .note = "kek rotated, data keys rewrapped"};

		if (audit_record(v, &ae, NULL, &err) != 0)
			rc = ctl_fail(&err);
		else
			printf("{\"kek_version\": %u, \"rewrapped\": %llu}\n", (unsigned)ver, (unsigned long long)n);
	} else {
		rc = ctl_fail(&err);
	}
	vault_close(v);
	close(lockfd);
	return rc;
}

int cmd_rekey(ctl *c, args *a)
{
	vault_unlock nu = {0};
	char *newpass = NULL;
	util_err err;
	int rc = EX_OK;

	if ((a->new_key_file == NULL) == (a->new_pass_env == NULL) || a->npos != 0)
		return ctl_usage("rekey takes one of --new-key-file or --new-passphrase-env");
	if (ctl_unlock(c) != 0)
		return EX_USAGE;
	if (a->new_key_file != NULL) {
		nu.key_file = a->new_key_file;
	} else {
		if (ctl_take_passphrase(a->new_pass_env, &newpass, &nu.passphrase_len) != 0)
			return EX_USAGE;
		nu.passphrase = newpass;
		nu.kdf_ops = c->kdf_ops;
		nu.kdf_mem = c->kdf_mem;
	}
	if (vault_rekey(c->data, &c->unlock, &nu, &err) != 0) {
		rc = ctl_fail(&err);
	} else {
		vault *v = NULL;
		audit_entry ae = {.actor = "operator", .action = "key.rekey", .note = "root key changed"};

		if (vault_open(&v, c->data, &nu, &err) != 0 || audit_record(v, &ae, NULL, &err) != 0)
			rc = ctl_fail(&err);
		else
			printf("{\"rekeyed\": true}\n");
		vault_close(v);
	}
	keys_secret_free(newpass);
	return rc;
}

/* ---- backup, restore, stats ---- */

int cmd_backup(ctl *c, args *a)
{
	vault *v = NULL;
	util_err err;
	int lockfd = -1, rc;

	if (a->npos != 1)
		return ctl_usage("backup takes one DEST");
	if ((rc = ctl_open_vault(c, &v, &lockfd)) != EX_OK)
		return rc;
	{
		audit_entry ae = {.actor = "operator", .action = "vault.backup"};

		if (audit_record(v, &ae, NULL, &err) == 0 && vault_backup(v, a->pos[0], &err) == 0)
			printf("{\"backup\": \"%s\"}\n", a->pos[0]);
		else
			rc = ctl_fail(&err);
	}
	vault_close(v);
	close(lockfd);
	return rc;
}

int cmd_restore(ctl *c, args *a)
{
	util_err err;

	if (a->npos != 1)
		return ctl_usage("restore takes one SRC");
	if (ctl_unlock(c) != 0)
		return EX_USAGE;
	if (vault_restore(a->pos[0], c->data, &c->unlock, &err) != 0)
		return ctl_fail(&err);
	printf("{\"restored\": \"%s\"}\n", c->data);
	return EX_OK;
}

int cmd_stats(ctl *c, args *a)
{
	vault *v = NULL;
	vault_stats st;
	util_err err;
	int lockfd = -1, rc;

	if (a->npos != 0)
		return ctl_usage("stats takes no arguments");
	if ((rc = ctl_open_vault(c, &v, &lockfd)) != EX_OK)
		return rc;
	if (vault_stats_get(v, &st, &err) == 0) {
		json_t *o = json_pack("{s:s, s:I, s:i, s:i, s:i, s:I, s:I}", "vault_id", vault_id(v), "citizens",
		    (json_int_t)st.citizens, "kek_current", (int)st.kek_current, "kek_versions", (int)st.kek_versions,
		    "schema_version", st.schema_version, "db_bytes", (json_int_t)st.db_bytes, "wal_bytes",
		    (json_int_t)st.wal_bytes);

		ctl_print_json(o);
		json_decref(o);
	} else {
		rc = ctl_fail(&err);
	}
	vault_close(v);
	close(lockfd);
	return rc;
}

int cmd_keys(ctl *c, args *a)
{
	char b64[64], hex[65], note[AUDIT_CHECKPOINT_MAX];
	unsigned char pk[32];
	audit_checkpoint cp;
	vault *v = NULL;
	util_err err;
	json_t *o;
	int lockfd = -1, rc;

	(void)a; /* no options of its own; --help is answered from the command table */

	if ((rc = ctl_open_vault(c, &v, &lockfd)) != EX_OK)
		return rc;
	vault_public_key(v, pk);
	sodium_bin2base64(b64, sizeof b64, pk, sizeof pk, sodium_base64_VARIANT_ORIGINAL);
	util_hex_encode(hex, pk, sizeof pk);
	o = json_pack("{s:s, s:s, s:s}", "public_key", b64, "public_key_hex", hex, "vault_id", vault_id(v));
	if (audit_latest_checkpoint(v, note, &cp, &err) == 0)
		json_object_set_new(o, "checkpoint", json_string(note));
	ctl_print_json(o);
	json_decref(o);
	vault_close(v);
	close(lockfd);
	return EX_OK;
}

/* ---- the operator's token ---- */

int cmd_admin_token(ctl *c, args *a)
{
	char token[AUTH_ADMIN_TOKEN_MAX];
	vault *v = NULL;
	util_err err;
	int lockfd = -1, rc;

	if (a->npos != 1 || strcmp(a->pos[0], "rotate") != 0)
		return ctl_usage("admin-token takes rotate");
	if ((rc = ctl_open_vault(c, &v, &lockfd)) != EX_OK)
		return rc;
	if (auth_admin_token_rotate(v, token, &err) == 0)
		printf("{\"admin_token\": \"%s\"}\n", token);
	else
		rc = ctl_fail(&err);
	sodium_memzero(token, sizeof token);
	vault_close(v);
	close(lockfd);
	return rc;
}
