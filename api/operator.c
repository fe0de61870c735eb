/* operator.c: the operator's routes (admin token): agencies, purposes, officers. */
#include "api_private.h"

#include <string.h>

#include "../vault/vault_sql.h"

void api_h_agency_create(api_req *r)
{
	const char *name;
	json_t *roles, *e;
	unsigned bits = 0;
	char id[POLICY_ID_MAX + 1], token[AUTH_TOKEN_MAX], subject[POLICY_ID_MAX + 8];
	util_err err;
	size_t i;
	int mine, ok;

	if (api_unpack(r, "{s:s, s:o}", "name", &name, "roles", &roles) != 0)
		return;
	if (!json_is_array(roles) || json_array_size(roles) == 0 || json_array_size(roles) > 3) {
		api_problem(r, 400, "invalid_input", "roles must list registrar, consumer and/or emergency");
		return;
	}
	json_array_foreach(roles, i, e) {
		const char *s = json_string_value(e);

		unsigned bit = s == NULL                     ? 0
		               : strcmp(s, "registrar") == 0 ? POLICY_ROLE_REGISTRAR
		               : strcmp(s, "consumer") == 0  ? POLICY_ROLE_CONSUMER
		               : strcmp(s, "emergency") == 0 ? POLICY_ROLE_EMERGENCY
		                                             : 0;

		if (bit == 0 || (bits & bit) != 0) {
			api_problem(r, 400, "invalid_input", "roles must list registrar, consumer and/or emergency, once each");
			return;
		}
		bits |= bit;
	}
	if (vault_sql_begin(r->v, &mine, &err) != 0) {
		api_reply_err(r, &err);
		return;
	}
	ok = policy_agency_create(r->v, name, bits, id, &err) == 0;
	if (ok) {
		snprintf(subject, sizeof subject, "agency:%s", id);
		ok = auth_token_new(r->v, "agency", subject, 0, token, NULL, &err) == 0;
	}
	if (vault_sql_end(r->v, mine, ok, &err) != 0) {
		api_reply_err(r, &err);
		return;
	}
	api_reply(r, 201, json_pack("{s:s, s:s, s:O, s:s}", "id", id, "name", name, "roles", roles, "token", token));
	sodium_memzero(token, sizeof token);
}

void api_h_agency_suspend(api_req *r)
{
	util_err err;

	if (policy_agency_suspend(r->v, r->params[0], &err) != 0) {
		api_reply_err(r, &err);
		return;
	}
	api_reply(r, 200, json_pack("{s:s, s:s}", "id", r->params[0], "status", "suspended"));
}

void api_h_purpose_create(api_req *r)
{
	const char *agency, *code, *basis, *ref = NULL, *vi = NULL, *en = NULL;
	json_t *desc, *fields, *e;
	json_int_t max_days, retention;
	policy_field f[POLICY_MAX_FIELDS];
	policy_purpose_def d;
	char id[POLICY_ID_MAX + 1];
	util_err err;
	size_t i;

	if (api_unpack(r, "{s:s, s:s, s:o, s:s, s?s, s:o, s:I, s:I}", "agency_id", &agency, "code", &code,
	        "description", &desc, "legal_basis", &basis, "legal_reference", &ref, "fields", &fields, "max_days",
	        &max_days, "retention_days", &retention) != 0)
		return;
	if (json_unpack_ex(desc, NULL, JSON_STRICT, "{s:s, s:s}", "vi", &vi, "en", &en) != 0) {
		api_problem(r, 400, "invalid_input", "description must be {\"vi\": ..., \"en\": ...}");
		return;
	}
	if (!json_is_array(fields) || json_array_size(fields) == 0 || json_array_size(fields) > POLICY_MAX_FIELDS) {
		api_problem(r, 400, "invalid_input", "fields must list 1..64 fields");
		return;
	}
	json_array_foreach(fields, i, e) {
		const char *name = json_string_value(e);
		int masked = 0;

		if (name == NULL && json_unpack_ex(e, NULL, JSON_STRICT, "{s:s, s?b}", "name", &name, "masked", &masked) != 0)
			name = NULL;
		if (name == NULL || strlen(name) > POLICY_FIELD_MAX) {
			api_problem(r, 400, "invalid_input", "each field is a name or {\"name\": ..., \"masked\": true}");
			return;
		}
		strcpy(f[i].name, name);
		f[i].masked = masked;
	}
	if (max_days < 0 || max_days > 100000 || retention < 0 || retention > 100000) {
		api_problem(r, 400, "invalid_input", "max_days must be 1..3650 and retention_days 0..36500");
		return;
	}
	d = (policy_purpose_def){.agency_id = agency, .code = code, .desc_vi = vi, .desc_en = en,
		.basis = policy_basis_parse(basis), .legal_reference = ref, .fields = f,
		.nfields = json_array_size(fields), .max_days = (int)max_days, .retention_days = (int)retention};
	if (policy_purpose_create(r->v, &d, id, &err) != 0) {
		if (err.code == UTIL_ENOTFOUND)
			api_problem(r, 400, "invalid_input", "no such agency");
		else
			api_reply_err(r, &err);
		return;
	}
	api_reply(r, 201, json_pack("{s:s, s:s, s:s, s:s, s:O, s:I, s:I}", "id", id, "agency_id", agency, "code", code,
	                     "legal_basis", basis, "fields", fields, "max_days", max_days, "retention_days", retention));
}

void api_h_officer_create(api_req *r)
{
	const char *name;
	unsigned char secret[VAULT_TOTP_SECRET_BYTES];
	char id[POLICY_ID_MAX + 1], uri[256];
	audit_entry e = {.actor = "operator", .action = "officer.create", .note = id};
	util_err err;
	int mine, ok;

	if (api_unpack(r, "{s:s}", "name", &name) != 0)
		return;
	if (strlen(name) == 0 || strlen(name) > POLICY_NAME_MAX) {
		api_problem(r, 400, "invalid_input", "name must be 1..200 bytes");
		return;
	}
	if (vault_sql_begin(r->v, &mine, &err) != 0) {
		api_reply_err(r, &err);
		return;
	}
	ok = auth_officer_create(r->v, name, id, secret, &err) == 0 && audit_record(r->v, &e, NULL, &err) == 0;
	if (vault_sql_end(r->v, mine, ok, &err) != 0) {
		sodium_memzero(secret, sizeof secret);
		api_reply_err(r, &err);
		return;
	}
	auth_totp_uri(id, secret, sizeof secret, uri);
	sodium_memzero(secret, sizeof secret);
	api_reply(r, 201, json_pack("{s:s, s:s, s:s}", "id", id, "name", name, "totp_uri", uri));
	sodium_memzero(uri, sizeof uri);
}
