/* operator.c: the operator's routes (admin token): agencies, purposes, officers (created, deactivated, reactivated). */
#include "api_private.h"

#include <string.h>


int api_h_agency_create(api_req *r, api_err *err)
{
	const char *name;
	json_t *roles, *e;
	unsigned bits = 0;
	char id[POLICY_ID_MAX + 1], token[AUTH_TOKEN_MAX], subject[AUTH_SUBJECT_MAX];
	size_t i;
	int mine, ok;

	if (api_unpack(r, err, "{s:s, s:o}", "name", &name, "roles", &roles) != 0)
		return -1;
	if (!json_is_array(roles) || json_array_size(roles) == 0 || json_array_size(roles) > 3)
		return api_fail(err, API_P_INVALID_INPUT, "roles must list registrar, consumer and/or emergency");
	json_array_foreach(roles, i, e) {
		const char *s = json_string_value(e);

		unsigned bit = s == NULL                     ? 0
		               : strcmp(s, "registrar") == 0 ? POLICY_ROLE_REGISTRAR
		               : strcmp(s, "consumer") == 0  ? POLICY_ROLE_CONSUMER
		               : strcmp(s, "emergency") == 0 ? POLICY_ROLE_EMERGENCY
		                                             : 0;

		if (bit == 0 || (bits & bit) != 0)
			return api_fail(err, API_P_INVALID_INPUT, "roles must list registrar, consumer and/or emergency, once each");
		bits |= bit;
	}
	if (vault_tx_begin(r->v, &mine, &err->u) != 0)
		return -1;
	ok = policy_agency_create(r->v, name, bits, id, &err->u) == 0;
	if (ok) {
		auth_subject_agency(id, subject);
		ok = auth_token_new(r->v, "agency", subject, 0, token, NULL, &err->u) == 0;
	}
	if (vault_tx_end(r->v, mine, ok, &err->u) != 0)
		return -1;
	api_reply(r, 201, json_pack("{s:s, s:s, s:O, s:s}", "id", id, "name", name, "roles", roles, "token", token));
	sodium_memzero(token, sizeof token);
	return 0;
}

int api_h_agency_suspend(api_req *r, api_err *err)
{
	if (policy_agency_suspend(r->v, r->params[0], &err->u) != 0)
		return -1;
	api_reply(r, 200, json_pack("{s:s, s:s}", "id", r->params[0], "status", "suspended"));
	return 0;
}

int api_h_purpose_create(api_req *r, api_err *err)
{
	const char *agency, *code, *basis, *ref = NULL, *vi = NULL, *en = NULL;
	json_t *desc, *fields, *e;
	json_int_t max_days, retention;
	policy_field f[POLICY_MAX_FIELDS];
	policy_purpose_def d;
	char id[POLICY_ID_MAX + 1];
	size_t i;

	if (api_unpack(r, err, "{s:s, s:s, s:o, s:s, s?s, s:o, s:I, s:I}", "agency_id", &agency, "code", &code,
	        "description", &desc, "legal_basis", &basis, "legal_reference", &ref, "fields", &fields, "max_days",
	        &max_days, "retention_days", &retention) != 0)
		return -1;
	if (json_unpack_ex(desc, NULL, JSON_STRICT, "{s:s, s:s}", "vi", &vi, "en", &en) != 0)
		return api_fail(err, API_P_INVALID_INPUT, "description must be {\"vi\": ..., \"en\": ...}");
	if (!json_is_array(fields) || json_array_size(fields) == 0 || json_array_size(fields) > POLICY_MAX_FIELDS)
		return api_fail(err, API_P_INVALID_INPUT, "fields must list 1..64 fields");
	json_array_foreach(fields, i, e) {
		const char *name = json_string_value(e);
		int masked = 0;

		if (name == NULL && json_unpack_ex(e, NULL, JSON_STRICT, "{s:s, s?b}", "name", &name, "masked", &masked) != 0)
			name = NULL;
		if (name == NULL || strlen(name) > POLICY_FIELD_MAX)
			return api_fail(err, API_P_INVALID_INPUT, "each field is a name or {\"name\": ..., \"masked\": true}");
		strcpy(f[i].name, name);
		f[i].masked = masked;
	}
	if (max_days < 0 || max_days > 100000 || retention < 0 || retention > 100000)
		return api_fail(err, API_P_INVALID_INPUT, "max_days must be 1..3650 and retention_days 0..36500");
	d = (policy_purpose_def){.agency_id = agency, .code = code, .desc_vi = vi, .desc_en = en,
		.basis = policy_basis_parse(basis), .legal_reference = ref, .fields = f,
		.nfields = json_array_size(fields), .max_days = (int)max_days, .retention_days = (int)retention};
	if (policy_purpose_create(r->v, &d, id, &err->u) != 0) {
		if (err->u.code == UTIL_ENOTFOUND)
			return api_fail(err, API_P_INVALID_INPUT, "no such agency");
		return -1;
	}
	api_reply(r, 201, json_pack("{s:s, s:s, s:s, s:s, s:O, s:I, s:I}", "id", id, "agency_id", agency, "code", code,
	                     "legal_basis", basis, "fields", fields, "max_days", max_days, "retention_days", retention));
	return 0;
}

int api_h_officer_create(api_req *r, api_err *err)
{
	const char *name;
	unsigned char secret[VAULT_TOTP_SECRET_BYTES];
	char id[POLICY_ID_MAX + 1], uri[256];
	audit_entry e = {.actor = "operator", .action = "officer.create", .note = id};
	int mine, ok;

	if (api_unpack(r, err, "{s:s}", "name", &name) != 0)
		return -1;
	if (strlen(name) == 0 || strlen(name) > POLICY_NAME_MAX)
		return api_fail(err, API_P_INVALID_INPUT, "name must be 1..200 bytes");
	if (vault_tx_begin(r->v, &mine, &err->u) != 0)
		return -1;
	ok = auth_officer_create(r->v, name, id, secret, &err->u) == 0 && audit_record(r->v, &e, NULL, &err->u) == 0;
	if (vault_tx_end(r->v, mine, ok, &err->u) != 0) {
		sodium_memzero(secret, sizeof secret);
		return -1;
	}
	auth_totp_uri(id, secret, sizeof secret, uri);
	sodium_memzero(secret, sizeof secret);
	api_reply(r, 201, json_pack("{s:s, s:s, s:s}", "id", id, "name", name, "totp_uri", uri));
	sodium_memzero(uri, sizeof uri);
	return 0;
}

/* Sets an officer's active flag, audited (auth_officer_set_active says what deactivating ends). */
static int officer_active(api_req *r, int active, api_err *err)
{
	audit_entry e = {.actor = "operator", .action = active ? "officer.reactivate" : "officer.deactivate",
		.note = r->params[0]};
	int mine, ok;

	if (strlen(r->params[0]) > POLICY_ID_MAX)
		return api_fail(err, API_P_NOT_FOUND, "no such officer");
	if (vault_tx_begin(r->v, &mine, &err->u) != 0)
		return -1;
	ok = auth_officer_set_active(r->v, r->params[0], active, &err->u) == 0 &&
	     audit_record(r->v, &e, NULL, &err->u) == 0;
	if (vault_tx_end(r->v, mine, ok, &err->u) != 0)
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
