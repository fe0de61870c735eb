/* credentials.c: officers deactivated and reactivated; a registrar finding any enrolled citizen by national ID. */
#include "api_private.h"

#include <string.h>

#include "../vault/vault_sql.h"

/* Sets an officer's active flag, audited (auth_officer_set_active says what deactivating ends). */
static int officer_active(api_req *r, int active, api_err *err)
{
	audit_entry e = {.actor = "operator", .action = active ? "officer.reactivate" : "officer.deactivate",
		.note = r->params[0]};
	int mine, ok;

	if (strlen(r->params[0]) > POLICY_ID_MAX)
		return api_fail(err, API_P_NOT_FOUND, "no such officer");
	if (vault_sql_begin(r->v, &mine, &err->u) != 0)
		return -1;
	ok = auth_officer_set_active(r->v, r->params[0], active, &err->u) == 0 &&
	     audit_record(r->v, &e, NULL, &err->u) == 0;
	if (vault_sql_end(r->v, mine, ok, &err->u) != 0)
		return -1;
	api_reply(r, 200, json_pack("{s:s, s:s}", "id", r->params[0], "status", active ? "active" : "deactivated"));
	return 0;
}

int api_h_officer_deactivate(api_req *r, api_err *err)
{
	return officer_active(r, 0, err);
}

int api_h_officer_reactivate(api_req *r, api_err *err)
{
	return officer_active(r, 1, err);
}

/*
 * A registrar finds an enrolled citizen by national ID, whoever enrolled them (another
 * registrar, or `vaultctl import`), and gets its own pseudonym for them: with it, PATCH
 * /v1/citizens/{id} rectifies the record and POST /v1/citizens/{id}/totp resets the
 * authenticator. Erasure stays with the registrar that enrolled them.
 *
 * Registrars already learn whether an ID is enrolled (enrolling it again is 409), so a 404
 * here tells them nothing new; it is the same for an ID never enrolled and one erased. Every
 * search is audited, found or not, and a found citizen sees it in their access log.
 */
int api_h_citizen_search(api_req *r, api_err *err)
{
	const char *nid;
	unsigned char cid[KEYS_CID_BYTES];
	char pseudonym[33], actor[POLICY_ID_MAX + 8];
	audit_entry e = {.actor = actor, .action = "record.search", .agency_id = r->caller.agency.id};
	int mine, found, ok;

	if (api_unpack(r, err, "{s:s}", "national_id", &nid) != 0)
		return -1;
	if (vault_nid_check(nid, strlen(nid), &err->u) != 0)
		return api_fail(err, API_P_INVALID_INPUT, "%s", err->u.msg);
	snprintf(actor, sizeof actor, "agency:%s", r->caller.agency.id);
	if (vault_sql_begin(r->v, &mine, &err->u) != 0)
		return -1;
	found = vault_citizen_find(r->v, nid, cid, &err->u) == 0;
	ok = found || err->u.code == UTIL_ENOTFOUND;
	if (found) {
		e.cid = cid;
		policy_pseudonym(r->v, r->caller.agency.id, cid, pseudonym);
		ok = auth_pseudonym_remember(r->v, r->caller.agency.id, cid, pseudonym, 0, &err->u) == 0;
	} else {
		e.note = "not found";
	}
	ok = ok && audit_record(r->v, &e, NULL, &err->u) == 0;
	if (vault_sql_end(r->v, mine, ok, &err->u) != 0)
		return -1;
	if (!found)
		return api_fail(err, API_P_NOT_FOUND, "no enrolled citizen has this national ID");
	api_reply(r, 200, json_pack("{s:s}", "citizen_id", pseudonym));
	return 0;
}
