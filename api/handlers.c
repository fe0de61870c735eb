/* handlers.c: the routes: operators, registrars, consumers, citizens, officers, and the public. */
#include "api_private.h"

#include <stdlib.h>
#include <string.h>

#include "../vault/vault_sql.h"

/* ---- small helpers ---- */

/*
 * A list of field names from a JSON array (NULL: none given). 0, or -1 after replying 400. An
 * empty array is 400 fields_empty (with the detail empty), never a shorthand for every field:
 * that is what leaving fields out says, where it says anything.
 */
static int name_list(api_req *r, json_t *a, const char **names, size_t *n, const char *empty)
{
	size_t i;
	json_t *e;

	*n = 0;
	if (a == NULL)
		return 0;
	if (!json_is_array(a) || json_array_size(a) > POLICY_MAX_FIELDS) {
		api_problem(r, 400, "invalid_input", "fields must be an array of at most 64 field names");
		return -1;
	}
	if (json_array_size(a) == 0) {
		api_problem(r, 400, "fields_empty", empty);
		return -1;
	}
	json_array_foreach(a, i, e) {
		if (!json_is_string(e) || json_string_length(e) == 0 || json_string_length(e) > POLICY_FIELD_MAX) {
			api_problem(r, 400, "invalid_input", "fields must be an array of field names");
			return -1;
		}
		names[(*n)++] = json_string_value(e);
	}
	return 0;
}

/* Maps a library error to a problem reply. Messages name fields and rules, never values. */
static void reply_err(api_req *r, const util_err *err)
{
	switch (err->code) {
	case UTIL_EINVAL:
		api_problem(r, 400, "invalid_input", err->msg);
		break;
	case UTIL_ENOTFOUND:
		api_problem(r, 404, "not_found", "no such object");
		break;
	case UTIL_EEXISTS:
		api_problem(r, 409, "conflict", err->msg);
		break;
	case UTIL_EDENIED:
		api_problem(r, 403, "forbidden", "this caller may not do that");
		break;
	case UTIL_ENOSPC:
		api_problem(r, 503, "storage_full", "the vault's disk is full: nothing was written");
		break;
	case UTIL_EIO:
		api_problem(r, 503, "storage_unavailable", "the vault's storage cannot be written: nothing was written");
		break;
	case UTIL_EBUSY:
		api_problem(r, 503, "busy", "the vault is busy: try again");
		break;
	default:
		fprintf(stderr, "{\"level\":\"error\",\"msg\":\"request failed\",\"code\":\"%s\"}\n", util_code_name(err->code));
		api_problem(r, 500, "internal", "the request could not be completed");
	}
}

void api_reply_err(api_req *r, const util_err *err)
{
	reply_err(r, err);
}

static const char *agency_actor(const api_req *r, char buf[POLICY_ID_MAX + 8])
{
	snprintf(buf, POLICY_ID_MAX + 8, "agency:%s", r->caller.agency.id);
	return buf;
}

/* An unsigned integer query argument; def when absent; -1 (after replying) when malformed. */
static int64_t query_int(api_req *r, const char *name, int64_t def, int64_t min, int64_t max)
{
	const char *s = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
	char *end;
	long long v;

	if (s == NULL || *s == '\0')
		return def;
	v = strtoll(s, &end, 10);
	if (*end != '\0' || v < min || v > max || s[0] == '-' || s[0] == '+') {
		char detail[96];

		snprintf(detail, sizeof detail, "query argument %s must be an integer %lld..%lld", name, (long long)min,
		    (long long)max);
		api_problem(r, 400, "invalid_input", detail);
		return -1;
	}
	return v;
}

static json_t *b64_hashes(const audit_hash *h, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && i < n; i++) {
		char b64[sodium_base64_ENCODED_LEN(AUDIT_HASH_BYTES, sodium_base64_VARIANT_ORIGINAL)];

		sodium_bin2base64(b64, sizeof b64, h[i].b, AUDIT_HASH_BYTES, sodium_base64_VARIANT_ORIGINAL);
		json_array_append_new(a, json_string(b64));
	}
	return a;
}

/* ---- public ---- */

static void h_healthz(api_req *r)
{
	api_reply(r, 200, json_pack("{s:s}", "status", "ok"));
}

static void h_metrics(api_req *r)
{
	char *buf = malloc(64 * 1024);
	size_t n;

	if (buf == NULL) {
		api_problem(r, 500, "internal", "out of memory");
		return;
	}
	api_metrics_text(r->srv, buf, 64 * 1024, &n);
	api_reply_text(r, 200, "text/plain; version=0.0.4", buf, n);
	free(buf);
}

static void h_keys(api_req *r)
{
	char b64[64], origin[AUDIT_ORIGIN_MAX + 1];
	unsigned char pk[32];

	vault_public_key(r->v, pk);
	sodium_bin2base64(b64, sizeof b64, pk, sizeof pk, sodium_base64_VARIANT_ORIGINAL);
	audit_origin(r->v, origin);
	api_reply(r, 200, json_pack("{s:s, s:s, s:s}", "public_key", b64, "key_name", origin, "alg", "Ed25519"));
}

static void h_checkpoint(api_req *r)
{
	char note[AUDIT_CHECKPOINT_MAX];
	audit_checkpoint c;
	util_err err;

	if (audit_latest_checkpoint(r->v, note, &c, &err) != 0) {
		reply_err(r, &err);
		return;
	}
	api_reply(r, 200, json_pack("{s:s, s:I}", "checkpoint", note, "size", (json_int_t)c.size));
}

static void h_consistency(api_req *r)
{
	audit_hash proof[AUDIT_MAX_PROOF];
	int64_t from = query_int(r, "from", -2, 1, INT64_MAX), to;
	size_t len;
	util_err err;

	if (from == -1 || (to = query_int(r, "to", -2, 1, INT64_MAX)) == -1)
		return;
	if (from == -2 || to == -2) {
		api_problem(r, 400, "invalid_input", "give from and to, tree sizes");
		return;
	}
	if (audit_consistency(r->v, from, to, proof, &len, &err) != 0) {
		api_problem(r, 400, "invalid_input", err.msg);
		return;
	}
	api_reply(r, 200, json_pack("{s:I, s:I, s:o}", "from", (json_int_t)from, "to", (json_int_t)to, "proof",
	                     b64_hashes(proof, len)));
}

/* ---- sessions ---- */

/* Who logs in, and whether the code is good: 0 (subject, e filled), or -1 after replying. */
static int login_check(api_req *r, const char *nid, const char *officer, const char *code,
    char subject[POLICY_ID_MAX + 16], unsigned char cid[KEYS_CID_BYTES], audit_entry *e)
{
	char label[64];
	util_err err;

	if (nid != NULL) {
		if (vault_nid_check(nid, strlen(nid), &err) != 0) {
			api_problem(r, 400, "invalid_input", err.msg);
			return -1;
		}
		if (vault_citizen_find(r->v, nid, cid, &err) != 0) {
			if (err.code != UTIL_ENOTFOUND) {
				reply_err(r, &err);
				return -1;
			}
			snprintf(label, sizeof label, "nid:%s", nid);
			return api_totp_unknown(r, label, code);
		}
		if (api_totp_citizen(r, cid, code) != 0)
			return -1;
		util_hex_encode(subject, cid, KEYS_CID_BYTES);
		memmove(subject + 8, subject, 2 * KEYS_CID_BYTES + 1);
		memcpy(subject, "citizen:", 8);
		e->actor = "citizen";
		e->cid = cid;
	} else {
		sqlite3_stmt *s = vault_sql_stmt(r->v, "SELECT 1 FROM officers WHERE id = ?1 AND active = 1", NULL);
		int known;

		if (s == NULL) {
			api_problem(r, 500, "internal", "database");
			return -1;
		}
		sqlite3_bind_text(s, 1, officer, -1, SQLITE_STATIC);
		known = strlen(officer) <= POLICY_ID_MAX && sqlite3_step(s) == SQLITE_ROW;
		sqlite3_reset(s);
		if (!known) {
			snprintf(label, sizeof label, "officer?:%.40s", officer);
			return api_totp_unknown(r, label, code);
		}
		if (api_totp_officer(r, officer, code) != 0)
			return -1;
		snprintf(subject, POLICY_ID_MAX + 16, "officer:%s", officer);
		e->actor = subject;
	}
	return 0;
}

static void h_sessions(api_req *r)
{
	const char *nid = NULL, *officer = NULL, *code = NULL;
	char token[API_TOKEN_MAX], subject[POLICY_ID_MAX + 16], expires[21];
	unsigned char cid[KEYS_CID_BYTES];
	audit_entry e = {.action = "auth.login"};
	util_err err;
	int mine, ok, issued;

	if (api_unpack(r, "{s?s, s?s, s:s}", "national_id", &nid, "officer_id", &officer, "totp", &code) != 0)
		return;
	if ((nid == NULL) == (officer == NULL)) {
		api_problem(r, 400, "invalid_input", "give national_id (a citizen) or officer_id (an officer)");
		return;
	}
	/* one transaction, known or not: a code is spent only with the session it opens */
	if (vault_sql_begin(r->v, &mine, &err) != 0) {
		reply_err(r, &err);
		return;
	}
	ok = login_check(r, nid, officer, code, subject, cid, &e) == 0;
	issued = ok && api_token_issue(r->v, "session", subject, API_SESSION_TTL, token, &err) == 0 &&
	         audit_record(r->v, &e, NULL, &err) == 0;
	if (vault_sql_end(r->v, mine, issued, &err) != 0) {
		if (ok)
			reply_err(r, &err);
		return;
	}
	util_iso8601(util_now() + API_SESSION_TTL, expires);
	api_reply(r, 201, json_pack("{s:s, s:s}", "token", token, "expires_at", expires));
	sodium_memzero(token, sizeof token);
}

/* ---- operators ---- */

static void h_agency_create(api_req *r)
{
	const char *name;
	json_t *roles, *e;
	unsigned bits = 0;
	char id[POLICY_ID_MAX + 1], token[API_TOKEN_MAX], subject[POLICY_ID_MAX + 8];
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
		reply_err(r, &err);
		return;
	}
	ok = policy_agency_create(r->v, name, bits, id, &err) == 0;
	if (ok) {
		snprintf(subject, sizeof subject, "agency:%s", id);
		ok = api_token_issue(r->v, "agency", subject, 0, token, &err) == 0;
	}
	if (vault_sql_end(r->v, mine, ok, &err) != 0) {
		reply_err(r, &err);
		return;
	}
	api_reply(r, 201, json_pack("{s:s, s:s, s:O, s:s}", "id", id, "name", name, "roles", roles, "token", token));
	sodium_memzero(token, sizeof token);
}

static void h_agency_suspend(api_req *r)
{
	util_err err;

	if (policy_agency_suspend(r->v, r->params[0], &err) != 0) {
		reply_err(r, &err);
		return;
	}
	api_reply(r, 200, json_pack("{s:s, s:s}", "id", r->params[0], "status", "suspended"));
}

static void h_purpose_create(api_req *r)
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
			reply_err(r, &err);
		return;
	}
	api_reply(r, 201, json_pack("{s:s, s:s, s:s, s:s, s:O, s:I, s:I}", "id", id, "agency_id", agency, "code", code,
	                     "legal_basis", basis, "fields", fields, "max_days", max_days, "retention_days", retention));
}

static void h_officer_create(api_req *r)
{
	const char *name;
	unsigned char secret[VAULT_TOTP_SECRET_BYTES], sealed[VAULT_TOTP_SECRET_BYTES + VAULT_BOX_OVERHEAD], rnd[8];
	char id[POLICY_ID_MAX + 1], hex[17], box[POLICY_ID_MAX + 24], uri[256];
	audit_entry e = {.actor = "operator", .action = "officer.create"};
	sqlite3_stmt *s;
	util_err err;
	int mine, ok = 0;

	if (api_unpack(r, "{s:s}", "name", &name) != 0)
		return;
	if (strlen(name) == 0 || strlen(name) > POLICY_NAME_MAX) {
		api_problem(r, 400, "invalid_input", "name must be 1..200 bytes");
		return;
	}
	randombytes_buf(rnd, sizeof rnd);
	util_hex_encode(hex, rnd, sizeof rnd);
	snprintf(id, sizeof id, "of_%s", hex);
	snprintf(box, sizeof box, "vaultd/officer-totp/%s", id);
	randombytes_buf(secret, sizeof secret);
	vault_box_seal(r->v, box, secret, sizeof secret, sealed);
	e.note = id;
	if (vault_sql_begin(r->v, &mine, &err) != 0) {
		reply_err(r, &err);
		return;
	}
	if ((s = vault_sql_stmt(r->v, "INSERT INTO officers(id, name, totp, created_at) VALUES (?1, ?2, ?3, ?4)", &err)) !=
	    NULL) {
		sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
		sqlite3_bind_blob(s, 3, sealed, sizeof sealed, SQLITE_STATIC);
		sqlite3_bind_int64(s, 4, util_now());
		ok = sqlite3_step(s) == SQLITE_DONE;
		sqlite3_reset(s);
		if (!ok)
			util_fail(&err, UTIL_EIO, "cannot store the officer");
	}
	ok = ok && audit_record(r->v, &e, NULL, &err) == 0;
	if (vault_sql_end(r->v, mine, ok, &err) != 0) {
		sodium_memzero(secret, sizeof secret);
		reply_err(r, &err);
		return;
	}
	api_totp_uri(id, secret, sizeof secret, uri);
	sodium_memzero(secret, sizeof secret);
	api_reply(r, 201, json_pack("{s:s, s:s, s:s}", "id", id, "name", name, "totp_uri", uri));
	sodium_memzero(uri, sizeof uri);
}

/* ---- registrars ---- */

/* The citizen behind a registrar's pseudonym (enrolled_only: one it enrolled, not found by a search); 0, or -1 after replying 404. */
static int resolve(api_req *r, unsigned char cid[KEYS_CID_BYTES], int enrolled_only)
{
	unsigned char pid[16];
	sqlite3_stmt *s;
	int rc = -1;

	if (strlen(r->params[0]) == 32 && util_hex_decode(pid, sizeof pid, r->params[0]) == 0 &&
	    (s = vault_sql_stmt(r->v, "SELECT cid FROM pseudonyms WHERE agency_id = ?1 AND pid = ?2 AND enrolled >= ?3", NULL)) != NULL) {
		sqlite3_bind_text(s, 1, r->caller.agency.id, -1, SQLITE_STATIC);
		sqlite3_bind_int(s, 3, enrolled_only);
		sqlite3_bind_blob(s, 2, pid, sizeof pid, SQLITE_STATIC);
		if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_bytes(s, 0) == KEYS_CID_BYTES) {
			memcpy(cid, sqlite3_column_blob(s, 0), KEYS_CID_BYTES);
			rc = 0;
		}
		sqlite3_reset(s);
	}
	if (rc != 0)
		api_problem(r, 404, "not_found", "no such citizen for this agency");
	return rc;
}

/*
 * Remembers the caller's pseudonym for cid so that it can address the record by it later:
 * enrolled 1 for the registrar that enrolled the citizen, 0 for one that found them. A
 * pseudonym already known keeps what it was.
 */
int api_pseudonym_remember(api_req *r, const unsigned char cid[KEYS_CID_BYTES], const char pseudonym[33], int enrolled,
    util_err *err)
{
	unsigned char pid[16];
	sqlite3_stmt *s;
	int rc;

	if (util_hex_decode(pid, sizeof pid, pseudonym) != 0)
		return util_fail(err, UTIL_ESTATE, "pseudonym");
	if ((s = vault_sql_stmt(r->v,
	         "INSERT OR IGNORE INTO pseudonyms(agency_id, pid, cid, enrolled) VALUES (?1, ?2, ?3, ?4)", err)) == NULL)
		return -1;
	sqlite3_bind_text(s, 1, r->caller.agency.id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, pid, sizeof pid, SQLITE_STATIC);
	sqlite3_bind_blob(s, 3, cid, KEYS_CID_BYTES, SQLITE_STATIC);
	sqlite3_bind_int(s, 4, enrolled != 0);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : vault_sql_error(r->v, rc, err, "pseudonym");
}

static void h_citizen_create(api_req *r)
{
	const char *nid;
	json_t *fields;
	unsigned char cid[KEYS_CID_BYTES], *totp;
	char pseudonym[33], uri[256], actor[POLICY_ID_MAX + 8];
	audit_entry e = {.action = "record.create"};
	util_err err;
	int mine, ok;

	if (api_unpack(r, "{s:s, s:o}", "national_id", &nid, "fields", &fields) != 0)
		return;
	if ((totp = keys_secret_alloc(VAULT_TOTP_SECRET_BYTES)) == NULL) {
		api_problem(r, 500, "internal", "out of memory");
		return;
	}
	e.actor = agency_actor(r, actor);
	e.agency_id = r->caller.agency.id;
	e.cid = cid;
	if (vault_sql_begin(r->v, &mine, &err) != 0) {
		keys_secret_free(totp);
		reply_err(r, &err);
		return;
	}
	ok = vault_citizen_create(r->v, nid, fields, cid, totp, &err) == 0;
	if (ok) {
		policy_pseudonym(r->v, r->caller.agency.id, cid, pseudonym);
		ok = api_pseudonym_remember(r, cid, pseudonym, 1, &err) == 0 && audit_record(r->v, &e, NULL, &err) == 0;
	}
	if (vault_sql_end(r->v, mine, ok, &err) != 0) {
		keys_secret_free(totp);
		reply_err(r, &err);
		return;
	}
	api_totp_uri(pseudonym, totp, VAULT_TOTP_SECRET_BYTES, uri);
	keys_secret_free(totp);
	api_reply(r, 201, json_pack("{s:s, s:s}", "citizen_id", pseudonym, "totp_uri", uri));
	sodium_memzero(uri, sizeof uri);
}

static void h_citizen_patch(api_req *r)
{
	unsigned char cid[KEYS_CID_BYTES];
	const char *names[POLICY_MAX_FIELDS], *k;
	char actor[POLICY_ID_MAX + 8];
	json_t *fields, *val;
	audit_entry e = {.action = "record.update"};
	size_t n = 0;
	util_err err;
	int mine, ok;

	if (api_unpack(r, "{s:o}", "fields", &fields) != 0 || resolve(r, cid, 0) != 0)
		return;
	if (!json_is_object(fields) || json_object_size(fields) == 0 || json_object_size(fields) > POLICY_MAX_FIELDS) {
		api_problem(r, 400, "invalid_input", "fields must be an object of 1..64 fields");
		return;
	}
	json_object_foreach(fields, k, val)
		names[n++] = k;
	e.actor = agency_actor(r, actor);
	e.agency_id = r->caller.agency.id;
	e.cid = cid;
	e.fields = names;
	e.nfields = n;
	if (vault_sql_begin(r->v, &mine, &err) != 0) {
		reply_err(r, &err);
		return;
	}
	ok = vault_citizen_update(r->v, cid, fields, &err) == 0 && audit_record(r->v, &e, NULL, &err) == 0;
	if (vault_sql_end(r->v, mine, ok, &err) != 0) {
		reply_err(r, &err);
		return;
	}
	api_reply(r, 200, json_pack("{s:s}", "citizen_id", r->params[0]));
}

static void h_citizen_delete(api_req *r)
{
	unsigned char cid[KEYS_CID_BYTES];
	char actor[POLICY_ID_MAX + 8], subject[48], hex[33];
	sqlite3_stmt *s;
	util_err err;
	int mine, ok;

	if (resolve(r, cid, 1) != 0)
		return;
	util_hex_encode(hex, cid, sizeof cid);
	snprintf(subject, sizeof subject, "citizen:%s", hex);
	if (vault_sql_begin(r->v, &mine, &err) != 0) {
		reply_err(r, &err);
		return;
	}
	ok = policy_citizen_erase(r->v, cid, agency_actor(r, actor), &err) == 0 &&
	     api_tokens_revoke(r->v, subject, &err) == 0 &&
	     (s = vault_sql_stmt(r->v, "DELETE FROM pseudonyms WHERE cid = ?1", &err)) != NULL;
	if (ok) {
		sqlite3_bind_blob(s, 1, cid, sizeof cid, SQLITE_STATIC);
		ok = sqlite3_step(s) == SQLITE_DONE;
		sqlite3_reset(s);
	}
	if (vault_sql_end(r->v, mine, ok, &err) != 0) {
		reply_err(r, &err);
		return;
	}
	api_reply(r, 200, json_pack("{s:s, s:b}", "citizen_id", r->params[0], "erased", 1));
}

static void h_citizen_totp(api_req *r)
{
	unsigned char cid[KEYS_CID_BYTES], *secret;
	char actor[POLICY_ID_MAX + 8], subject[48], hex[33], uri[256];
	audit_entry e = {.action = "totp.reset"};
	util_err err;
	int mine, ok;

	if (resolve(r, cid, 0) != 0)
		return;
	if ((secret = keys_secret_alloc(VAULT_TOTP_SECRET_BYTES)) == NULL) {
		api_problem(r, 500, "internal", "out of memory");
		return;
	}
	util_hex_encode(hex, cid, sizeof cid);
	snprintf(subject, sizeof subject, "citizen:%s", hex);
	e.actor = agency_actor(r, actor);
	e.agency_id = r->caller.agency.id;
	e.cid = cid;
	if (vault_sql_begin(r->v, &mine, &err) != 0) {
		keys_secret_free(secret);
		reply_err(r, &err);
		return;
	}
	/* the old secret stops working, and so does every open session */
	ok = vault_citizen_totp_reset(r->v, cid, secret, &err) == 0 && api_tokens_revoke(r->v, subject, &err) == 0 &&
	     audit_record(r->v, &e, NULL, &err) == 0;
	if (vault_sql_end(r->v, mine, ok, &err) != 0) {
		keys_secret_free(secret);
		reply_err(r, &err);
		return;
	}
	api_totp_clear(r, cid); /* a new authenticator: no failure of the old one counts */
	api_totp_uri(r->params[0], secret, VAULT_TOTP_SECRET_BYTES, uri);
	keys_secret_free(secret);
	api_reply(r, 201, json_pack("{s:s}", "totp_uri", uri));
	sodium_memzero(uri, sizeof uri);
}

/* ---- consumers ---- */

static void h_request_create(api_req *r)
{
	const char *nid, *purpose, *names[POLICY_MAX_FIELDS];
	json_t *fields = NULL;
	json_int_t days;
	char id[POLICY_ID_MAX + 1];
	size_t n;
	util_err err;

	if (api_unpack(r, "{s:s, s:s, s?o, s:I}", "national_id", &nid, "purpose", &purpose, "fields", &fields, "days",
	        &days) != 0 ||
	    name_list(r, fields, names, &n, "fields is empty: name a field, or leave fields out for the purpose's") != 0)
		return;
	if (days < 1 || days > 3650) {
		api_problem(r, 400, "invalid_input", "days must be 1..the purpose's max_days");
		return;
	}
	if (policy_request_create(r->v, r->caller.agency.id, purpose, nid, names, n, (int)days, id, &err) != 0) {
		if (err.code == UTIL_ENOTFOUND)
			api_problem(r, 400, "invalid_input", "no such purpose for this agency");
		else if (err.code == UTIL_ESTATE) /* the cap: alike whoever the ID is */
			api_problem(r, 409, "too_many_pending_requests", err.msg);
		else
			reply_err(r, &err);
		return;
	}
	api_reply(r, 202, json_pack("{s:s, s:s}", "id", id, "status", "pending"));
}

static void h_request_get(api_req *r)
{
	char status[16];
	util_err err;

	if (policy_request_status(r->v, r->caller.agency.id, r->params[0], status, &err) != 0) {
		reply_err(r, &err);
		return;
	}
	api_reply(r, 200, json_pack("{s:s, s:s}", "id", r->params[0], "status", status));
}

/*
 * The second half of a lookup: its audit entry is durable (or failed). Now, and only now, send
 * what policy_lookup_prepare read; on every other path drop it unsent.
 */
static void lookup_finish(api_req *r)
{
	api_lookup_wait *w = r->wait;
	json_t *out, *withheld;
	char pseudonym[33];
	size_t i;

	if (w->rc != 0) {
		policy_lookup_clear(&w->l);
		reply_err(r, &w->err);
		return;
	}
	atomic_fetch_add(w->l.d.allow ? &r->srv->decisions_allow : &r->srv->decisions_deny, 1);
	if (!w->l.d.allow) {
		policy_lookup_clear(&w->l);
		api_problem(r, 403, "not_permitted", "not permitted");
		return;
	}
	out = w->l.fields; /* the reply takes it, and frees it (wiped) once serialized */
	w->l.fields = NULL;
	withheld = json_array();
	for (i = 0; i < w->l.d.nwithheld; i++)
		json_array_append_new(withheld, json_string(w->l.d.withheld[i]));
	policy_pseudonym(r->v, r->caller.agency.id, w->l.cid, pseudonym);
	api_reply(r, 200, json_pack("{s:s, s:o, s:o, s:s, s:s?, s:I}", "citizen_id", pseudonym, "fields", out, "withheld",
	                     withheld, "basis", policy_basis_name(w->l.d.basis), "consent_id",
	                     w->l.d.consent_id[0] ? w->l.d.consent_id : NULL, "access_id", (json_int_t)w->seq));
}

/*
 * A lookup: decide and read what is released, in one snapshot (policy_lookup_prepare), then
 * have the audit entry made durable by the group-commit writer while the connection is
 * suspended (no worker thread waits on the disk), then lookup_finish sends it. Nothing is
 * sent before the entry is durable; req_free drops what a request never sent.
 */
/*
 * A lookup that was understood but could not be decided or read (a storage error, a record
 * that does not decrypt) is still an access attempt: it is logged, as a denial with reason
 * "error" and the error's code as its note, before the error goes back. Nothing was released.
 */
static void log_failed_lookup(api_req *r, api_lookup_wait *w, size_t n, const char *just, const util_err *why)
{
	audit_entry e = {.actor = agency_actor(r, w->actor), .action = "lookup", .agency_id = r->caller.agency.id,
		.purpose_id = w->l.purpose_id[0] ? w->l.purpose_id : NULL, .cid = w->l.citizen_found ? w->l.cid : NULL,
		.fields = w->names, .nfields = n, .decision = "deny", .reason = "error",
		.justification = just && *just ? just : NULL, .note = util_code_name(why->code)};
	util_err err;

	if (audit_record(r->v, &e, NULL, &err) != 0)
		fprintf(stderr, "{\"level\":\"error\",\"msg\":\"a failed lookup could not be logged\",\"code\":\"%s\"}\n",
		    util_code_name(err.code));
}

static void h_lookup(api_req *r)
{
	const char *nid, *purpose, *just = NULL;
	json_t *fields = NULL;
	api_lookup_wait *w;
	size_t n, i;
	util_err err;

	if ((w = r->wait = calloc(1, sizeof *w)) == NULL) {
		api_problem(r, 500, "internal", "out of memory");
		return;
	}
	if (api_unpack(r, "{s:s, s:s, s?o, s?s}", "national_id", &nid, "purpose", &purpose, "fields", &fields,
	        "justification", &just) != 0 ||
	    name_list(r, fields, w->names, &n, "fields is empty: name a field, or leave fields out for the consented") != 0)
		return;
	if (just != NULL && strlen(just) > POLICY_JUSTIFICATION_MAX) {
		api_problem(r, 400, "invalid_input", "justification is at most 500 bytes");
		return;
	}
	/* refused before anything is decided or logged: free text reaches an access log only where the law asks for it */
	if (just != NULL && policy_justification_check(r->v, &r->caller.agency, purpose, just, &err) != 0) {
		if (err.code == UTIL_EINVAL)
			api_problem(r, 400, "justification_not_accepted", err.msg);
		else
			reply_err(r, &err);
		return;
	}
	if (policy_lookup_prepare(r->v, &r->caller.agency, purpose, nid, w->names, n, just, util_now(), &w->l, &err) !=
	    0) {
		if (err.code != UTIL_EINVAL)
			log_failed_lookup(r, w, n, just, &err);
		reply_err(r, &err);
		return;
	}
	/* the entry: the fields released when allowed, the fields asked for when denied; every
	 * string it points to lives in r (its body, its wait) until the request is finished */
	for (i = 0; i < w->l.d.nfields; i++)
		w->logged[i] = w->l.d.fields[i].name;
	w->e.actor = agency_actor(r, w->actor);
	w->e.action = "lookup";
	w->e.agency_id = r->caller.agency.id;
	w->e.purpose_id = w->l.purpose_id[0] ? w->l.purpose_id : NULL;
	w->e.cid = w->l.citizen_found ? w->l.cid : NULL;
	w->e.fields = w->l.d.allow ? w->logged : w->names;
	w->e.nfields = w->l.d.allow ? w->l.d.nfields : n;
	w->e.decision = w->l.d.allow ? "allow" : "deny";
	w->e.reason = policy_reason_name(w->l.d.reason);
	w->e.basis = w->l.d.basis ? policy_basis_name(w->l.d.basis) : NULL;
	w->e.justification = just && *just ? just : NULL;
	w->e.consent_id = w->l.d.consent_id[0] ? w->l.d.consent_id : NULL;
	w->e.note = w->l.purpose_id[0] ? NULL : "unknown purpose";
	api_suspend_for_audit(r, &w->e, lookup_finish);
}

/* ---- citizens ---- */

static void h_me(api_req *r)
{
	audit_entry e = {.actor = "citizen", .action = "record.read", .cid = r->caller.cid, .note = "right of access"};
	char hex[33];
	json_t *fields = NULL;
	util_err err;

	if (audit_record(r->v, &e, NULL, &err) != 0 || vault_citizen_read(r->v, r->caller.cid, NULL, 0, &fields, &err) != 0) {
		reply_err(r, &err);
		return;
	}
	util_hex_encode(hex, r->caller.cid, KEYS_CID_BYTES);
	api_reply(r, 200, json_pack("{s:s, s:o}", "citizen_id", hex, "fields", fields));
}

static void h_me_requests(api_req *r)
{
	policy_page pg;
	json_t *list = NULL;
	util_err err;

	if (api_page_args_id(r, &pg) != 0)
		return;
	if (policy_requests_pending(r->v, r->caller.cid, &pg, &list, &err) != 0) {
		reply_err(r, &err);
		return;
	}
	api_reply(r, 200, json_pack("{s:o, s:o}", "requests", list, "next", pg.next[0] ? json_string(pg.next) : json_null()));
}

/*
 * Opens the transaction that a step-up's change is written in and checks the citizen's code in
 * it: 0, or -1 after replying (rolled back: the code is not spent). The caller ends the
 * transaction with its change, so the code is spent only with what it allows.
 */
static int step_up_begin(api_req *r, const char *code, int *mine)
{
	util_err err;

	if (vault_sql_begin(r->v, mine, &err) != 0) {
		reply_err(r, &err);
		return -1;
	}
	if (api_totp_citizen(r, r->caller.cid, code) != 0) {
		(void)!vault_sql_end(r->v, *mine, 0, &err); /* a rollback: nothing was written */
		return -1;
	}
	return 0;
}

static void h_me_approve(api_req *r)
{
	const char *code, *names[POLICY_MAX_FIELDS];
	json_t *fields = NULL, *receipt = NULL;
	json_int_t limit = 0;
	char consent[POLICY_ID_MAX + 1];
	size_t n;
	util_err err;
	int mine, ok, all = 0;

	if (api_unpack(r, "{s:s, s?o, s?b, s?I}", "totp", &code, "fields", &fields, "all_fields", &all, "use_limit",
	        &limit) != 0 ||
	    name_list(r, fields, names, &n, "fields is empty: name a field, or set all_fields to true") != 0)
		return;
	/* every requested field only when asked for by name: an empty list is no shorthand for all */
	if (fields == NULL && !all) {
		api_problem(r, 400, "fields_required", "name the approved fields in fields, or set all_fields to true");
		return;
	}
	if (fields != NULL && all) {
		api_problem(r, 400, "invalid_input", "give fields or all_fields, not both");
		return;
	}
	if (limit < 0 || limit > 1000000) {
		api_problem(r, 400, "invalid_input", "use_limit must be 0..1000000");
		return;
	}
	/* one transaction: an approval that fails gives the code back (a wrong code is counted in memory) */
	if (step_up_begin(r, code, &mine) != 0)
		return;
	ok = policy_request_approve(r->v, r->caller.cid, r->params[0], all ? NULL : names, n, limit, consent, &receipt,
	         &err) == 0;
	if (vault_sql_end(r->v, mine, ok, &err) != 0) {
		if (ok)
			json_decref(receipt);
		reply_err(r, &err);
		return;
	}
	api_reply(r, 201, json_pack("{s:s, s:o}", "consent_id", consent, "receipt", receipt));
}

static void h_me_deny(api_req *r)
{
	util_err err;

	if (policy_request_deny(r->v, r->caller.cid, r->params[0], &err) != 0) {
		reply_err(r, &err);
		return;
	}
	api_reply(r, 200, json_pack("{s:s, s:s}", "id", r->params[0], "status", "denied"));
}

static void h_me_consents(api_req *r)
{
	policy_page pg;
	json_t *list = NULL;
	util_err err;

	if (api_page_args_id(r, &pg) != 0)
		return;
	if (policy_consents_list(r->v, r->caller.cid, &pg, &list, &err) != 0) {
		reply_err(r, &err);
		return;
	}
	api_reply(r, 200, json_pack("{s:o, s:o}", "consents", list, "next", pg.next[0] ? json_string(pg.next) : json_null()));
}

static void h_me_revoke(api_req *r)
{
	util_err err;

	if (policy_consent_revoke(r->v, r->caller.cid, r->params[0], &err) != 0) {
		reply_err(r, &err);
		return;
	}
	api_reply(r, 200, json_pack("{s:s, s:s}", "id", r->params[0], "status", "revoked"));
}

static void restriction(api_req *r, int on)
{
	const char *code;
	util_err err;
	int mine, ok;

	if (api_unpack(r, "{s:s}", "totp", &code) != 0)
		return;
	/* one transaction: the code is spent only with the change it allows */
	if (step_up_begin(r, code, &mine) != 0)
		return;
	ok = policy_restrict(r->v, r->caller.cid, on, &err) == 0;
	if (vault_sql_end(r->v, mine, ok, &err) != 0) {
		reply_err(r, &err);
		return;
	}
	api_reply(r, 200, json_pack("{s:b}", "restricted", on));
}

static void h_me_restrict(api_req *r)
{
	restriction(r, 1);
}

static void h_me_unrestrict(api_req *r)
{
	restriction(r, 0);
}

/* The public view of a stored entry: what, when, who, on which basis. */
static json_t *entry_view(const char *text, size_t n)
{
	json_t *e = json_loadb(text, n, 0, NULL), *o;
	char when[21];

	if (e == NULL)
		return NULL;
	util_iso8601(json_integer_value(json_object_get(e, "time")), when);
	json_object_set_new(e, "time", json_string(when));
	o = e;
	return o;
}

/* Adds who and why in words: the agency's name, the purpose's code and description. */
static void name_entry(vault *v, json_t *e)
{
	const char *agency = json_string_value(json_object_get(e, "agency"));
	const char *purpose = json_string_value(json_object_get(e, "purpose"));
	char name[POLICY_NAME_MAX + 1];
	policy_agency a;
	sqlite3_stmt *s;

	if (agency != NULL && policy_agency_get(v, agency, &a, name, NULL) == 0)
		json_object_set_new(e, "agency_name", json_string(name));
	if (purpose != NULL &&
	    (s = vault_sql_stmt(v, "SELECT code, desc_vi, desc_en FROM purposes WHERE id = ?1", NULL)) != NULL) {
		sqlite3_bind_text(s, 1, purpose, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(s) == SQLITE_ROW)
			json_object_set_new(e, "purpose_description",
			    json_pack("{s:s, s:s, s:s}", "code", sqlite3_column_text(s, 0), "vi", sqlite3_column_text(s, 1), "en",
			        sqlite3_column_text(s, 2)));
		sqlite3_reset(s);
	}
}

/* One page of it, newest first: entries before `after` (an entry's number; -1: from the newest). */
typedef struct access_log {
	api_req *r;
	json_t *list;
	int64_t after, limit, last;
	int more;
} access_log;

/* The entries a citizen sees in their access log: who read, changed or created their record. */
static int access_log_entry(void *arg, int64_t seq, const char *action, const void *entry, size_t len)
{
	access_log *a = arg;
	json_t *e;

	if ((a->after >= 0 && seq >= a->after) || action == NULL ||
	    (strcmp(action, "lookup") != 0 && strcmp(action, "record.read") != 0 && strcmp(action, "record.update") != 0 &&
	        strcmp(action, "record.create") != 0 && strcmp(action, "record.search") != 0 &&
	        strcmp(action, "totp.reset") != 0 && strcmp(action, "auth.login_failed") != 0 &&
	        strcmp(action, "auth.step_up_failed") != 0))
		return 0;
	if ((int64_t)json_array_size(a->list) >= a->limit)
		return a->more = 1;
	if ((e = entry_view(entry, len)) != NULL) {
		json_object_del(e, "citizen");
		name_entry(a->r->v, e);
		json_array_append_new(a->list, e);
	}
	a->last = seq;
	return 0;
}

static void h_me_access_log(api_req *r)
{
	access_log a = {.r = r};
	util_err err;

	if (api_page_args(r, -1, &a.after, &a.limit) != 0)
		return;
	if ((a.list = json_array()) == NULL) {
		api_problem(r, 500, "internal", "out of memory");
		return;
	}
	if (audit_history(r->v, r->caller.cid, access_log_entry, &a, &err) != 0) {
		json_decref(a.list);
		reply_err(r, &err);
		return;
	}
	api_reply(r, 200, json_pack("{s:o, s:o}", "entries", a.list, "next", api_page_next(a.more, a.last)));
}

static void h_me_proof(api_req *r)
{
	char note[AUDIT_CHECKPOINT_MAX], entry[AUDIT_ENTRY_MAX];
	audit_hash proof[AUDIT_MAX_PROOF];
	audit_checkpoint c;
	sqlite3_stmt *s;
	size_t len, elen;
	char *end;
	long long seq = strtoll(r->params[0], &end, 10);
	int mine = 0;
	util_err err;

	if (*end != '\0' || seq < 0 || (s = vault_sql_stmt(r->v, "SELECT 1 FROM audit_entries WHERE seq = ?1 AND cid = ?2",
	                                      NULL)) == NULL) {
		api_problem(r, 404, "not_found", "no such entry about you");
		return;
	}
	sqlite3_bind_int64(s, 1, seq);
	sqlite3_bind_blob(s, 2, r->caller.cid, KEYS_CID_BYTES, SQLITE_STATIC);
	mine = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_reset(s);
	if (!mine) {
		api_problem(r, 404, "not_found", "no such entry about you");
		return;
	}
	/* the latest stored checkpoint if it covers the entry, else the signed head: a read stores nothing */
	if ((audit_latest_checkpoint(r->v, note, &c, &err) != 0 || c.size <= seq) &&
	    audit_signed_head(r->v, note, &c, &err) != 0) {
		reply_err(r, &err);
		return;
	}
	if (audit_entry_get(r->v, seq, entry, &elen, &err) != 0 || audit_inclusion(r->v, seq, c.size, proof, &len, &err) != 0) {
		reply_err(r, &err);
		return;
	}
	api_reply(r, 200, json_pack("{s:I, s:s, s:o, s:I, s:s}", "seq", (json_int_t)seq, "entry", entry, "proof",
	                     b64_hashes(proof, len), "tree_size", (json_int_t)c.size, "checkpoint", note));
}

/* ---- officers ---- */

static void officer_audit(api_req *r, const char *action)
{
	char actor[POLICY_ID_MAX + 16];
	audit_entry e = {.actor = actor, .action = action};
	util_err err;

	snprintf(actor, sizeof actor, "officer:%s", r->caller.officer);
	if (audit_record(r->v, &e, NULL, &err) != 0)
		fprintf(stderr, "{\"level\":\"error\",\"msg\":\"audit\",\"code\":\"%s\"}\n", util_code_name(err.code));
}

/* A string query argument of 1..max bytes; *bad names the first one that is not. */
static const char *query_str(api_req *r, const char *name, size_t max, const char **bad)
{
	const char *s = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);

	if (s != NULL && (strlen(s) == 0 || strlen(s) > max) && *bad == NULL)
		*bad = name;
	return s;
}

static void h_audit(api_req *r)
{
	const char *bad = NULL;
	const char *agency = query_str(r, "agency_id", POLICY_ID_MAX, &bad);
	const char *decision = query_str(r, "decision", 5, &bad);
	const char *action = query_str(r, "action", 40, &bad);
	int64_t from, to, after, limit, last = -1, count = 0;
	sqlite3_stmt *s;
	json_t *list;
	int more = 0;

	if (bad != NULL || (decision && strcmp(decision, "allow") != 0 && strcmp(decision, "deny") != 0)) {
		char detail[96];

		snprintf(detail, sizeof detail, "query argument %s is empty, too long or not a value it takes",
		    bad != NULL ? bad : "decision");
		api_problem(r, 400, "invalid_input", detail);
		return;
	}
	/* query_int replies itself and returns -1 when an argument is malformed */
	if ((from = query_int(r, "from", 0, 0, INT64_MAX)) < 0 || (to = query_int(r, "to", INT64_MAX, 0, INT64_MAX)) < 0)
		return;
	if ((after = query_int(r, "after", -2, 0, INT64_MAX)) == -1 || (limit = query_int(r, "limit", 100, 1, 1000)) < 0)
		return;
	if (after == -2)
		after = -1; /* from the first entry */
	s = vault_sql_stmt(r->v, "SELECT seq, entry FROM audit_entries WHERE seq > ?1 AND time >= ?2 AND time <= ?3"
	                         " AND (?4 IS NULL OR agency_id = ?4) AND (?5 IS NULL OR decision = ?5)"
	                         " AND (?6 IS NULL OR action = ?6) ORDER BY seq LIMIT ?7",
	    NULL);
	if (s == NULL || (list = json_array()) == NULL) {
		api_problem(r, 500, "internal", "database");
		return;
	}
	sqlite3_bind_int64(s, 1, after);
	sqlite3_bind_int64(s, 2, from);
	sqlite3_bind_int64(s, 3, to);
	if (agency)
		sqlite3_bind_text(s, 4, agency, -1, SQLITE_STATIC);
	if (decision)
		sqlite3_bind_text(s, 5, decision, -1, SQLITE_STATIC);
	if (action)
		sqlite3_bind_text(s, 6, action, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 7, limit + 1);
	/* limit + 1 rows are asked for: the extra one only says whether there is a next page */
	while (sqlite3_step(s) == SQLITE_ROW) {
		json_t *e;

		if (count == limit) {
			more = 1;
			break;
		}
		e = entry_view(sqlite3_column_blob(s, 1), (size_t)sqlite3_column_bytes(s, 1));
		last = sqlite3_column_int64(s, 0);
		if (e != NULL)
			json_array_append_new(list, e);
		count++;
	}
	sqlite3_reset(s);
	officer_audit(r, "audit.query");
	api_reply(r, 200, json_pack("{s:o, s:o}", "entries", list, "next", more ? json_integer(last) : json_null()));
}

static void h_audit_verify(api_req *r)
{
	char note[AUDIT_CHECKPOINT_MAX] = "";
	audit_checkpoint c;
	audit_report rep;
	util_err err;
	json_t *o;

	officer_audit(r, "audit.verify");
	if (audit_verify(r->v, &rep, &err) != 0) {
		reply_err(r, &err);
		return;
	}
	if (audit_latest_checkpoint(r->v, note, &c, &err) != 0)
		note[0] = '\0';
	o = json_pack("{s:b, s:I, s:I, s:s}", "ok", rep.ok, "entries", (json_int_t)rep.entries, "head",
	    (json_int_t)rep.head_size, "checkpoint", note);
	if (!rep.ok) {
		json_object_set_new(o, "problem", json_string(rep.problem));
		json_object_set_new(o, "first_bad_entry", json_integer(rep.first_bad));
	}
	api_reply(r, 200, o);
}

static void h_report(api_req *r)
{
	int64_t from = query_int(r, "from", 0, 0, INT64_MAX), to, after, limit, next;
	sqlite3_stmt *s;
	json_t *rows, *index;

	/* its pages are runs of rows, in order of first appearance: the cursor is an offset */
	if (from < 0 || (to = query_int(r, "to", INT64_MAX, 0, INT64_MAX)) < 0 || api_page_args(r, 0, &after, &limit) != 0)
		return;
	s = vault_sql_stmt(r->v, "SELECT entry FROM audit_entries WHERE action = 'lookup' AND time >= ?1 AND time <= ?2"
	                         " ORDER BY seq",
	    NULL);
	rows = json_array();
	index = json_object(); /* "agency purpose" -> row */
	if (s == NULL || rows == NULL || index == NULL) {
		json_decref(rows);
		json_decref(index);
		api_problem(r, 500, "internal", "database");
		return;
	}
	sqlite3_bind_int64(s, 1, from);
	sqlite3_bind_int64(s, 2, to);
	while (sqlite3_step(s) == SQLITE_ROW) {
		json_t *e = json_loadb(sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0), 0, NULL), *row, *by;
		const char *agency, *purpose, *basis, *decision;
		char key[2 * POLICY_ID_MAX + 2];

		if (e == NULL)
			continue;
		agency = json_string_value(json_object_get(e, "agency"));
		purpose = json_string_value(json_object_get(e, "purpose"));
		basis = json_string_value(json_object_get(e, "basis"));
		decision = json_string_value(json_object_get(e, "decision"));
		snprintf(key, sizeof key, "%s %s", agency ? agency : "-", purpose ? purpose : "-");
		if ((row = json_object_get(index, key)) == NULL) {
			row = json_pack("{s:s?, s:s?, s:i, s:i, s:{}}", "agency_id", agency, "purpose_id", purpose, "allowed", 0,
			    "denied", 0, "by_basis");
			json_array_append_new(rows, row);
			json_object_set(index, key, row);
		}
		if (decision && strcmp(decision, "allow") == 0) {
			json_object_set_new(row, "allowed", json_integer(json_integer_value(json_object_get(row, "allowed")) + 1));
			by = json_object_get(row, "by_basis");
			if (basis)
				json_object_set_new(by, basis, json_integer(json_integer_value(json_object_get(by, basis)) + 1));
		} else {
			json_object_set_new(row, "denied", json_integer(json_integer_value(json_object_get(row, "denied")) + 1));
		}
		json_decref(e);
	}
	sqlite3_reset(s);
	json_decref(index);
	officer_audit(r, "report.access");
	index = api_page_slice(rows, after, limit, &next);
	json_decref(rows);
	api_reply(r, 200, json_pack("{s:I, s:I, s:o, s:o}", "from", (json_int_t)from, "to", (json_int_t)to, "rows", index,
	                     "next", api_page_next(next >= 0, next)));
}

static void h_reviews(api_req *r)
{
	sqlite3_stmt *s = vault_sql_stmt(r->v,
	    "SELECT e.seq, e.entry FROM audit_entries e LEFT JOIN reviews v ON v.seq = e.seq WHERE e.action = 'lookup'"
	    " AND e.decision = 'allow' AND CAST(e.entry AS TEXT) LIKE '%\"basis\":\"vital_interest\"%' AND v.seq IS NULL"
	    " AND e.seq > ?1 ORDER BY e.seq LIMIT ?2",
	    NULL);
	json_t *list = json_array();
	int64_t after, limit, last = -1, n = 0;
	int more = 0;

	if (s == NULL || list == NULL || api_page_args(r, -1, &after, &limit) != 0) {
		json_decref(list);
		if (!r->replied)
			api_problem(r, 500, "internal", "database");
		return;
	}
	sqlite3_bind_int64(s, 1, after);
	sqlite3_bind_int64(s, 2, limit + 1); /* one more: is there a next page? */
	while (sqlite3_step(s) == SQLITE_ROW && !(more = n++ >= limit)) {
		json_t *e = entry_view(sqlite3_column_blob(s, 1), (size_t)sqlite3_column_bytes(s, 1));

		if (e != NULL)
			json_array_append_new(list, json_pack("{s:I, s:o}", "access_id", (json_int_t)sqlite3_column_int64(s, 0),
			                                "entry", e));
		last = sqlite3_column_int64(s, 0);
	}
	sqlite3_reset(s);
	officer_audit(r, "review.list");
	api_reply(r, 200, json_pack("{s:o, s:o}", "reviews", list, "next", api_page_next(more, last)));
}

static void h_review(api_req *r)
{
	const char *outcome, *note = NULL;
	char actor[POLICY_ID_MAX + 16], agency[POLICY_ID_MAX + 1] = "", purpose[POLICY_ID_MAX + 1] = "";
	audit_entry e = {.actor = actor, .action = "review.record"};
	sqlite3_stmt *s;
	char *end;
	long long seq = strtoll(r->params[0], &end, 10);
	util_err err;
	int mine, ok = 0, found = 0;

	if (api_unpack(r, "{s:s, s?s}", "outcome", &outcome, "note", &note) != 0)
		return;
	if (strcmp(outcome, "justified") != 0 && strcmp(outcome, "unjustified") != 0) {
		api_problem(r, 400, "invalid_input", "outcome must be justified or unjustified");
		return;
	}
	if (note != NULL && strlen(note) > 1000) {
		api_problem(r, 400, "invalid_input", "note is at most 1000 bytes");
		return;
	}
	if (*end != '\0' || seq < 0 ||
	    (s = vault_sql_stmt(r->v, "SELECT entry FROM audit_entries WHERE seq = ?1 AND action = 'lookup' AND"
	                              " decision = 'allow' AND CAST(entry AS TEXT) LIKE '%\"basis\":\"vital_interest\"%'",
	         NULL)) == NULL) {
		api_problem(r, 404, "not_found", "no such emergency access");
		return;
	}
	sqlite3_bind_int64(s, 1, seq);
	if (sqlite3_step(s) == SQLITE_ROW) {
		json_t *j = json_loadb(sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0), 0, NULL);

		snprintf(agency, sizeof agency, "%s", json_string_value(json_object_get(j, "agency")) ?: "");
		snprintf(purpose, sizeof purpose, "%s", json_string_value(json_object_get(j, "purpose")) ?: "");
		json_decref(j);
		found = 1;
	}
	sqlite3_reset(s);
	if (!found) {
		api_problem(r, 404, "not_found", "no such emergency access");
		return;
	}
	snprintf(actor, sizeof actor, "officer:%s", r->caller.officer);
	e.agency_id = agency;
	e.purpose_id = purpose;
	e.note = outcome;
	if (vault_sql_begin(r->v, &mine, &err) != 0) {
		reply_err(r, &err);
		return;
	}
	if ((s = vault_sql_stmt(r->v, "INSERT INTO reviews(seq, agency_id, purpose_id, outcome, note, reviewed_by,"
	                              " reviewed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	         &err)) != NULL) {
		int rc;

		sqlite3_bind_int64(s, 1, seq);
		sqlite3_bind_text(s, 2, agency, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, purpose, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 4, outcome, -1, SQLITE_STATIC);
		if (note)
			sqlite3_bind_text(s, 5, note, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 6, r->caller.officer, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 7, util_now());
		rc = sqlite3_step(s);
		sqlite3_reset(s);
		if (rc == SQLITE_CONSTRAINT)
			util_fail(&err, UTIL_EEXISTS, "this access was already reviewed");
		else if (rc != SQLITE_DONE)
			util_fail(&err, UTIL_EIO, "cannot store the review");
		ok = rc == SQLITE_DONE;
	}
	ok = ok && audit_record(r->v, &e, NULL, &err) == 0;
	if (vault_sql_end(r->v, mine, ok, &err) != 0) {
		reply_err(r, &err);
		return;
	}
	api_reply(r, 200, json_pack("{s:I, s:s}", "access_id", (json_int_t)seq, "outcome", outcome));
}

/* ---- the table ---- */

#define CONSUMER API_R_CONSUMER
#define CITIZEN API_R_CITIZEN
#define OFFICER API_R_OFFICER
#define AGENCY (API_R_REGISTRAR | API_R_CONSUMER) /* any agency: every role is one of these */

static const api_route routes[] = {
	{"GET", "/healthz", API_PUBLIC, 0, h_healthz},
	{"GET", "/metrics", API_PUBLIC, 0, h_metrics},
	{"GET", "/v1/keys", API_PUBLIC, 0, h_keys},
	{"GET", "/v1/checkpoint", API_PUBLIC, 0, h_checkpoint},
	{"GET", "/v1/checkpoint/consistency", API_PUBLIC, 0, h_consistency},
	{"POST", "/v1/sessions", API_PUBLIC, 1, h_sessions},
	{"DELETE", "/v1/sessions/current", CITIZEN | OFFICER, 0, api_h_session_end},
	{"POST", "/v1/agencies", API_R_ADMIN, 1, h_agency_create},
	{"POST", "/v1/agencies/{id}/suspend", API_R_ADMIN, 0, h_agency_suspend},
	{"GET", "/v1/agencies/{id}/tokens", API_R_ADMIN | AGENCY, 0, api_h_tokens_list},
	{"POST", "/v1/agencies/{id}/tokens", API_R_ADMIN | AGENCY, 1, api_h_tokens_issue},
	{"DELETE", "/v1/agencies/{id}/tokens/{token_id}", API_R_ADMIN | AGENCY, 0, api_h_token_revoke},
	{"POST", "/v1/purposes", API_R_ADMIN, 1, h_purpose_create},
	{"POST", "/v1/officers", API_R_ADMIN, 1, h_officer_create},
	{"POST", "/v1/officers/{id}/deactivate", API_R_ADMIN, 0, api_h_officer_deactivate},
	{"POST", "/v1/officers/{id}/reactivate", API_R_ADMIN, 0, api_h_officer_reactivate},
	{"POST", "/v1/citizens", API_R_REGISTRAR, 1, h_citizen_create},
	{"POST", "/v1/citizens/search", API_R_REGISTRAR, 1, api_h_citizen_search},
	{"PATCH", "/v1/citizens/{citizen_id}", API_R_REGISTRAR, 1, h_citizen_patch},
	{"DELETE", "/v1/citizens/{citizen_id}", API_R_REGISTRAR, 0, h_citizen_delete},
	{"POST", "/v1/citizens/{citizen_id}/totp", API_R_REGISTRAR, 0, h_citizen_totp},
	{"POST", "/v1/consent-requests", CONSUMER, 1, h_request_create},
	{"GET", "/v1/consent-requests/{id}", CONSUMER, 0, h_request_get},
	{"POST", "/v1/lookup", CONSUMER, 1, h_lookup},
	{"GET", "/v1/me", CITIZEN, 0, h_me},
	{"GET", "/v1/me/consent-requests", CITIZEN, 0, h_me_requests},
	{"POST", "/v1/me/consent-requests/{id}/approve", CITIZEN, 1, h_me_approve},
	{"POST", "/v1/me/consent-requests/{id}/deny", CITIZEN, 0, h_me_deny},
	{"GET", "/v1/me/consents", CITIZEN, 0, h_me_consents},
	{"DELETE", "/v1/me/consents/{id}", CITIZEN, 0, h_me_revoke},
	{"PUT", "/v1/me/restriction", CITIZEN, 1, h_me_restrict},
	{"DELETE", "/v1/me/restriction", CITIZEN, 1, h_me_unrestrict},
	{"GET", "/v1/me/access-log", CITIZEN, 0, h_me_access_log},
	{"GET", "/v1/me/access-log/{seq}/proof", CITIZEN, 0, h_me_proof},
	{"GET", "/v1/audit", OFFICER, 0, h_audit},
	{"GET", "/v1/audit/verify", OFFICER, 0, h_audit_verify},
	{"GET", "/v1/reports/access", OFFICER, 0, h_report},
	{"GET", "/v1/reviews", OFFICER, 0, h_reviews},
	{"POST", "/v1/reviews/{access_id}", OFFICER, 1, h_review},
};

const api_route *api_route_table(size_t *n)
{
	*n = sizeof routes / sizeof routes[0];
	return routes;
}

const api_route_info *api_routes(size_t *n)
{
	static api_route_info info[sizeof routes / sizeof routes[0]];
	size_t i;

	*n = sizeof routes / sizeof routes[0];
	for (i = 0; i < *n; i++)
		info[i] = (api_route_info){routes[i].method, routes[i].path};
	return info;
}
