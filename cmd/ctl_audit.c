/* ctl_audit.c: vaultctl audit, receipt, ropa and dpia: what the vault can show about itself. */
#include "ctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../audit/audit.h"
#include "../policy/policy.h"
#include "ctl_reports.h"

/* ---- audit, receipts, keys ---- */

/* A public key given as base64 (as `vaultctl keys` prints it) or as 64 hex digits. */
static int parse_public_key(const char *s, unsigned char pk[32])
{
	size_t n = 0;

	if (strlen(s) == 64 && util_hex_decode(pk, 32, s) == 0)
		return 0;
	if (sodium_base642bin(pk, 32, s, strlen(s), NULL, &n, NULL, sodium_base64_VARIANT_ORIGINAL) == 0 && n == 32)
		return 0;
	fprintf(stderr, "vaultctl: --public-key takes 32 bytes as base64 or hex\n");
	return -1;
}

static int print_report(const audit_report *r)
{
	json_t *o = json_pack("{s:b, s:I, s:I, s:I}", "ok", r->ok, "entries", (json_int_t)r->entries, "checkpoints",
	    (json_int_t)r->checkpoints, "head", (json_int_t)r->head_size);

	if (!r->ok) {
		json_object_set_new(o, "problem", json_string(r->problem));
		if (r->first_bad >= 0)
			json_object_set_new(o, "first_bad_entry", json_integer(r->first_bad));
		if (r->bad_from >= 0)
			json_object_set_new(o, "bad_after_entry", json_integer(r->bad_from - 1));
	}
	ctl_print_json(o);
	json_decref(o);
	return r->ok ? EX_OK : EX_CORRUPT;
}

int cmd_audit(ctl *c, args *a)
{
	vault *v = NULL;
	audit_report r;
	util_err err;
	int lockfd = -1, rc;

	if (a->help || a->npos != 1 || (strcmp(a->pos[0], "verify") != 0 && strcmp(a->pos[0], "export") != 0)) {
		fputs("vaultctl audit verify                  recompute the log's tree, check every checkpoint\n"
		      "vaultctl audit export > FILE           the log as JSON Lines, with its checkpoints\n"
		      "vaultctl audit verify --export FILE --public-key KEY\n"
		      "                                       check an export with nothing but the public key\n"
		      "verify exits 8 and names the first bad entry when the log was edited, cut or reordered.\n",
		    a->help ? stdout : stderr);
		return a->help ? EX_OK : EX_USAGE;
	}
	if (strcmp(a->pos[0], "verify") == 0 && a->export_file != NULL) {
		unsigned char pk[32];
		FILE *in;

		if (a->public_key == NULL || parse_public_key(a->public_key, pk) != 0)
			return ctl_usage("verify --export needs --public-key");
		if ((in = fopen(a->export_file, "r")) == NULL) {
			fprintf(stderr, "vaultctl: cannot open %s\n", a->export_file);
			return EX_NOTFOUND;
		}
		rc = audit_verify_export(in, pk, &r, &err);
		fclose(in);
		return rc == 0 ? print_report(&r) : ctl_fail(&err);
	}
	if ((rc = ctl_open_vault(c, &v, &lockfd)) != EX_OK)
		return rc;
	if (strcmp(a->pos[0], "verify") == 0) {
		rc = audit_verify(v, &r, &err) == 0 ? print_report(&r) : ctl_fail(&err);
	} else {
		audit_entry ae = {.actor = "operator", .action = "audit.export"};

		/* the export itself is on the log, sealed into a checkpoint it carries */
		if (audit_record(v, &ae, NULL, &err) != 0 || audit_seal(v, 1, &err) != 0 || audit_export(v, stdout, &err) != 0)
			rc = ctl_fail(&err);
	}
	vault_close(v);
	close(lockfd);
	return rc;
}

int cmd_receipt(ctl *c, args *a)
{
	char *buf = NULL;
	unsigned char pk[32];
	size_t n;
	util_err err;
	int rc = EX_OK;

	if (a->help || a->npos != 2 || strcmp(a->pos[0], "verify") != 0) {
		fputs("vaultctl receipt verify FILE [--public-key KEY]\n"
		      "Checks a consent receipt's Ed25519 signature, offline. KEY is the vault's public key\n"
		      "(`vaultctl keys`, or GET /v1/keys); without it the key of the vault in --data is used.\n",
		    a->help ? stdout : stderr);
		return a->help ? EX_OK : EX_USAGE;
	}
	if (a->public_key != NULL) {
		if (parse_public_key(a->public_key, pk) != 0)
			return EX_USAGE;
	} else {
		vault *v = NULL;
		int lockfd = -1;

		if ((rc = ctl_open_vault(c, &v, &lockfd)) != EX_OK)
			return rc;
		vault_public_key(v, pk);
		vault_close(v);
		close(lockfd);
	}
	if ((buf = malloc(65536)) == NULL)
		return EX_FAIL;
	if (util_read_bounded(a->pos[1], buf, 65536, &n, &err) != 0) {
		rc = ctl_fail(&err);
	} else if (policy_receipt_verify(buf, n, pk, &err) != 0) {
		rc = ctl_fail(&err);
	} else {
		printf("{\"valid\": true}\n");
	}
	free(buf);
	return rc;
}

/* ---- privacy reports (cmd/ctl_reports.c) ---- */

int cmd_ropa(ctl *c, args *a)
{
	vault *v = NULL;
	util_err err;
	int lockfd = -1, rc;

	if (a->npos != 0)
		return ctl_usage("ropa takes no arguments");
	if (a->from > a->to)
		return ctl_usage("--from must not be after --to");
	if ((rc = ctl_open_vault(c, &v, &lockfd)) != EX_OK)
		return rc;
	if (ctl_ropa(v, a->json, a->from, a->to, stdout, &err) != 0)
		rc = ctl_fail(&err);
	vault_close(v);
	close(lockfd);
	return rc;
}

int cmd_dpia(ctl *c, args *a)
{
	vault *v = NULL;
	util_err err;
	int lockfd = -1, rc;

	if (a->npos != 0 || a->json)
		return ctl_usage("dpia takes no arguments and prints Markdown only");
	if (a->from > a->to)
		return ctl_usage("--from must not be after --to");
	if ((rc = ctl_open_vault(c, &v, &lockfd)) != EX_OK)
		return rc;
	if (ctl_dpia(v, c->unlock.passphrase != NULL, a->from, a->to, stdout, &err) != 0)
		rc = ctl_fail(&err);
	vault_close(v);
	close(lockfd);
	return rc;
}
