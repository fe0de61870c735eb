/* ctl_citizens.c: vaultctl get and erase: one citizen, read or erased, on the audit log. */
#include "ctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../audit/audit.h"
#include "../policy/policy.h"

static int read_nid_stdin(char *nid)
{
	char buf[64];
	size_t n;

	if (fgets(buf, sizeof buf, stdin) == NULL)
		return -1;
	n = strcspn(buf, "\r\n");
	buf[n] = '\0';
	if (n != VAULT_NID_LEN) {
		sodium_memzero(buf, sizeof buf);
		return -1;
	}
	memcpy(nid, buf, VAULT_NID_LEN + 1);
	sodium_memzero(buf, sizeof buf);
	return 0;
}

int cmd_get(ctl *c, args *a)
{
	unsigned char cid[KEYS_CID_BYTES];
	char *nid = NULL, hex[2 * KEYS_CID_BYTES + 1];
	vault *v = NULL;
	json_t *fields = NULL, *o;
	util_err err;
	int lockfd = -1, rc;

	if ((a->citizen == NULL) == (a->nid_stdin == 0) || a->npos != 0)
		return ctl_usage("get takes one of --citizen ID or --national-id-stdin");
	if (a->citizen != NULL && ctl_parse_cid(a->citizen, cid) != 0)
		return EX_USAGE;
	if ((rc = ctl_open_vault(c, &v, &lockfd)) != EX_OK)
		return rc;
	if (a->nid_stdin) {
		if ((nid = keys_secret_alloc(VAULT_NID_LEN + 1)) == NULL || read_nid_stdin(nid) != 0) {
			util_fail(&err, UTIL_EINVAL, "standard input must hold a 12-digit national ID");
			goto fail;
		}
		if (vault_citizen_find(v, nid, cid, &err) != 0)
			goto fail;
	}
	{
		audit_entry ae = {.actor = "operator", .action = "record.read", .cid = cid, .note = "vaultctl get"};

		/* the read is on the audit log, durably, before any value is printed */
		if (audit_record(v, &ae, NULL, &err) != 0)
			goto fail;
	}
	if (vault_citizen_read(v, cid, NULL, 0, &fields, &err) != 0)
		goto fail;
	util_hex_encode(hex, cid, sizeof cid);
	o = json_pack("{s:s, s:o}", "citizen_id", hex, "fields", fields);
	ctl_print_json(o);
	json_decref(o);
	rc = EX_OK;
	goto out;
fail:
	rc = ctl_fail(&err);
out:
	keys_secret_free(nid);
	vault_close(v);
	close(lockfd);
	return rc;
}

int cmd_erase(ctl *c, args *a)
{
	unsigned char cid[KEYS_CID_BYTES];
	vault *v = NULL;
	util_err err;
	int lockfd = -1, rc;

	if (a->citizen == NULL || a->npos != 0)
		return ctl_usage("erase takes --citizen ID");
	if (ctl_parse_cid(a->citizen, cid) != 0)
		return EX_USAGE;
	if ((rc = ctl_open_vault(c, &v, &lockfd)) != EX_OK)
		return rc;
	rc = policy_citizen_erase(v, cid, "operator", &err) == 0 ? EX_OK : ctl_fail(&err);
	if (rc == EX_OK)
		printf("{\"erased\": \"%s\"}\n", a->citizen);
	vault_close(v);
	close(lockfd);
	return rc;
}
