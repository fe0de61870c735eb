/* registrar.c: a registrar agency's routes: enrol, find, correct and erase a citizen, reset their authenticator. */
#include "api_private.h"

#include <string.h>


/* The citizen behind a registrar's pseudonym (enrolled_only: one it enrolled, not found by a search); 0, or -1 with err 404. */
static int resolve(api_req *r, unsigned char cid[KEYS_CID_BYTES], int enrolled_only, api_err *err)
{
	if (auth_pseudonym_find(r->v, r->caller.agency.id, r->params[0], enrolled_only, cid) == 0)
		return 0;
	return api_fail(err, API_P_NOT_FOUND, "no such citizen for this agency");
}

int api_h_citizen_create(api_req *r, api_err *err)
{
	const char *nid;
	json_t *fields;
	unsigned char cid[KEYS_CID_BYTES], *totp;
	char pseudonym[33], uri[256], actor[POLICY_ID_MAX + 8];
	audit_entry e = {.action = "record.create"};
	int mine, ok;

	if (api_unpack(r, err, "{s:s, s:o}", "national_id", &nid, "fields", &fields) != 0)
		return -1;
	if ((totp = keys_secret_alloc(VAULT_TOTP_SECRET_BYTES)) == NULL)
		return api_fail(err, API_P_INTERNAL, "out of memory");
	e.actor = api_agency_actor(r, actor);
	e.agency_id = r->caller.agency.id;
	e.cid = cid;
	if (vault_tx_begin(r->v, &mine, &err->u) != 0) {
		keys_secret_free(totp);
		return -1;
	}
	ok = vault_citizen_create(r->v, nid, fields, cid, totp, &err->u) == 0;
	if (ok) {
		policy_pseudonym(r->v, r->caller.agency.id, cid, pseudonym);
		ok = auth_pseudonym_remember(r->v, r->caller.agency.id, cid, pseudonym, 1, &err->u) == 0 &&
		     audit_record(r->v, &e, NULL, &err->u) == 0;
	}
	if (vault_tx_end(r->v, mine, ok, &err->u) != 0) {
		keys_secret_free(totp);
		return -1;
	}
	auth_totp_uri(pseudonym, totp, VAULT_TOTP_SECRET_BYTES, uri);
	keys_secret_free(totp);
	api_reply(r, 201, json_pack("{s:s, s:s}", "citizen_id", pseudonym, "totp_uri", uri));
	sodium_memzero(uri, sizeof uri);
	return 0;
}

int api_h_citizen_patch(api_req *r, api_err *err)
{
	unsigned char cid[KEYS_CID_BYTES];
	const char *names[POLICY_MAX_FIELDS], *k;
	char actor[POLICY_ID_MAX + 8];
	json_t *fields, *val;
	audit_entry e = {.action = "record.update"};
	size_t n = 0;
	int mine, ok;

	if (api_unpack(r, err, "{s:o}", "fields", &fields) != 0 || resolve(r, cid, 0, err) != 0)
		return -1;
	if (!json_is_object(fields) || json_object_size(fields) == 0 || json_object_size(fields) > POLICY_MAX_FIELDS)
		return api_fail(err, API_P_INVALID_INPUT, "fields must be an object of 1..64 fields");
	json_object_foreach(fields, k, val)
		names[n++] = k;
	e.actor = api_agency_actor(r, actor);
	e.agency_id = r->caller.agency.id;
	e.cid = cid;
	e.fields = names;
	e.nfields = n;
	if (vault_tx_begin(r->v, &mine, &err->u) != 0)
		return -1;
	ok = vault_citizen_update(r->v, cid, fields, &err->u) == 0 && audit_record(r->v, &e, NULL, &err->u) == 0;
	if (vault_tx_end(r->v, mine, ok, &err->u) != 0)
		return -1;
	api_reply(r, 200, json_pack("{s:s}", "citizen_id", r->params[0]));
	return 0;
}

int api_h_citizen_delete(api_req *r, api_err *err)
{
	unsigned char cid[KEYS_CID_BYTES];
	char actor[POLICY_ID_MAX + 8], subject[AUTH_SUBJECT_MAX];
	int mine, ok;

	if (resolve(r, cid, 1, err) != 0)
		return -1;
	auth_subject_citizen(cid, subject);
	if (vault_tx_begin(r->v, &mine, &err->u) != 0)
		return -1;
	ok = policy_citizen_erase(r->v, cid, api_agency_actor(r, actor), &err->u) == 0 &&
	     auth_tokens_revoke(r->v, subject, &err->u) == 0 && auth_pseudonyms_forget(r->v, cid, &err->u) == 0;
	if (vault_tx_end(r->v, mine, ok, &err->u) != 0)
		return -1;
	api_reply(r, 200, json_pack("{s:s, s:b}", "citizen_id", r->params[0], "erased", 1));
	return 0;
}

int api_h_citizen_totp(api_req *r, api_err *err)
{
	unsigned char cid[KEYS_CID_BYTES], *secret;
	char actor[POLICY_ID_MAX + 8], subject[AUTH_SUBJECT_MAX], uri[256];
	audit_entry e = {.action = "totp.reset"};
	int mine, ok;

	if (resolve(r, cid, 0, err) != 0)
		return -1;
	if ((secret = keys_secret_alloc(VAULT_TOTP_SECRET_BYTES)) == NULL)
		return api_fail(err, API_P_INTERNAL, "out of memory");
	auth_subject_citizen(cid, subject);
	e.actor = api_agency_actor(r, actor);
	e.agency_id = r->caller.agency.id;
	e.cid = cid;
	if (vault_tx_begin(r->v, &mine, &err->u) != 0) {
		keys_secret_free(secret);
		return -1;
	}
	/* the old secret stops working, and so does every open session */
	ok = vault_citizen_totp_reset(r->v, cid, secret, &err->u) == 0 && auth_tokens_revoke(r->v, subject, &err->u) == 0 &&
	     audit_record(r->v, &e, NULL, &err->u) == 0;
	if (vault_tx_end(r->v, mine, ok, &err->u) != 0) {
		keys_secret_free(secret);
		return -1;
	}
	auth_totp_clear(r->srv->lockout, r->v, cid); /* a new authenticator: no failure of the old one counts */
	auth_totp_uri(r->params[0], secret, VAULT_TOTP_SECRET_BYTES, uri);
	keys_secret_free(secret);
	api_reply(r, 201, json_pack("{s:s}", "totp_uri", uri));
	sodium_memzero(uri, sizeof uri);
	return 0;
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
	if (vault_tx_begin(r->v, &mine, &err->u) != 0)
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
	if (vault_tx_end(r->v, mine, ok, &err->u) != 0)
		return -1;
	if (!found)
		return api_fail(err, API_P_NOT_FOUND, "no enrolled citizen has this national ID");
	api_reply(r, 200, json_pack("{s:s}", "citizen_id", pseudonym));
	return 0;
}
