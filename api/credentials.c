/* credentials.c: officers deactivated and reactivated; a registrar finding any enrolled citizen by national ID. */
#include "api_private.h"

#include <string.h>

#include "../vault/vault_sql.h"

/* Sets an officer's active flag, audited (auth_officer_set_active says what deactivating ends). */
static void officer_active(api_req *r, int active)
{
	audit_entry e = {.actor = "operator", .action = active ? "officer.reactivate" : "officer.deactivate",
		.note = r->params[0]};
	util_err err;
	int mine, ok;

	if (strlen(r->params[0]) > POLICY_ID_MAX) {
		api_problem(r, 404, "not_found", "no such officer");
		return;
	}
	if (vault_sql_begin(r->v, &mine, &err) != 0) {
		api_reply_err(r, &err);
		return;
	}
	ok = auth_officer_set_active(r->v, r->params[0], active, &err) == 0 && audit_record(r->v, &e, NULL, &err) == 0;
	if (vault_sql_end(r->v, mine, ok, &err) != 0) {
		api_reply_err(r, &err);
		return;
	}
	api_reply(r, 200, json_pack("{s:s, s:s}", "id", r->params[0], "status", active ? "active" : "deactivated"));
}

void api_h_officer_deactivate(api_req *r)
{
	officer_active(r, 0);
}

void api_h_officer_reactivate(api_req *r)
{
	officer_active(r, 1);
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
void api_h_citizen_search(api_req *r)
{
	const char *nid;
	unsigned char cid[KEYS_CID_BYTES];
	char pseudonym[33], actor[POLICY_ID_MAX + 8];
	audit_entry e = {.actor = actor, .action = "record.search", .agency_id = r->caller.agency.id};
	util_err err;
	int mine, found, ok;

	if (api_unpack(r, "{s:s}", "national_id", &nid) != 0)
		return;
	if (vault_nid_check(nid, strlen(nid), &err) != 0) {
		api_problem(r, 400, "invalid_input", err.msg);
		return;
	}
	snprintf(actor, sizeof actor, "agency:%s", r->caller.agency.id);
	if (vault_sql_begin(r->v, &mine, &err) != 0) {
		api_reply_err(r, &err);
		return;
	}
	found = vault_citizen_find(r->v, nid, cid, &err) == 0;
	ok = found || err.code == UTIL_ENOTFOUND;
	if (found) {
		e.cid = cid;
		policy_pseudonym(r->v, r->caller.agency.id, cid, pseudonym);
		ok = auth_pseudonym_remember(r->v, r->caller.agency.id, cid, pseudonym, 0, &err) == 0;
	} else {
		e.note = "not found";
	}
	ok = ok && audit_record(r->v, &e, NULL, &err) == 0;
	if (vault_sql_end(r->v, mine, ok, &err) != 0) {
		api_reply_err(r, &err);
		return;
	}
	if (!found) {
		api_problem(r, 404, "not_found", "no enrolled citizen has this national ID");
		return;
	}
	api_reply(r, 200, json_pack("{s:s}", "citizen_id", pseudonym));
}
