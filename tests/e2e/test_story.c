/* test_story.c: the whole story of issue #4 against a real vaultd over loopback HTTP, step by step. */
#include "harness.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "../../vault/sqlite.h"

/*
 * Known personal data. None of it may ever appear in the server's log, in any file of the
 * vault, in /metrics, in an audit entry or in a receipt.
 */
typedef struct person {
	const char *nid, *name, *dob, *gender, *phone, *phone_masked, *email, *blood, *chronic, *religion;
} person;

static const person people[] = {
	{"001190004271", "Nguyễn Thị Thu Hà", "1990-04-12", "female", "0912345678", "*******678", "thuha.nguyen@example.vn",
	    "O+", "Hen phế quản", "Phật giáo"},
	{"079085112233", "Trần Văn Bảo Long", "1985-11-02", "male", "0987654321", "*******321", "baolong.tran@example.vn",
	    "A+", "Tiểu đường type 2", "Công giáo"},
	{"048201123456", "Lê Quang Trường Sơn", "2001-07-30", "male", "0935111222", "*******222", "truongson.le@example.vn",
	    "B-", "Viêm gan B mạn tính", "Không"},
	{"092303987654", "Hoàng Ngọc Minh Châu", "2003-02-14", "female", "0903777888", "*******888", "minhchau.hoang@example.vn",
	    "AB+", "Thiếu máu nhẹ", "Cao Đài"},
};
#define NPEOPLE (sizeof people / sizeof people[0])
#define UNKNOWN_NID "036095000777" /* well-formed, never enrolled */
#define JUSTIFICATION "patient unconscious on arrival by ambulance; blood type and conditions needed"

enum { A, B, C, D }; /* A consents and revokes; B restricts; C gets locked out and erased; D gets a new TOTP */

typedef struct citizen {
	char *registrar_cid; /* the registrar's pseudonym, from POST /v1/citizens */
	char *uri;           /* TOTP enrolment */
	int64_t last_step;
	char *session;
	char *own_cid;       /* from GET /v1/me */
} citizen;

typedef struct agency {
	char *id, *token;
	const char *name;
} agency;

typedef struct story {
	e2e_server s;
	agency registrar, hospital, insurer, emergency;
	char *officer_id, *officer_uri, *officer_session;
	int64_t officer_last;
	citizen cz[NPEOPLE];
	char *request_id, *consent_id, *hospital_cid;
	char *denied_body;   /* the first not_permitted body: every later one must equal it */
	char *public_key;
	long long vital_access_id;
	int64_t early_size;  /* a checkpoint taken early, for the consistency proof */
	unsigned char early_root[32];
	int early_ok;
} story;

static story *st;

/* ---- small helpers ---- */

static void need(const void *p, const char *what)
{
	if (p == NULL)
		skip(); /* an earlier step that made `what` failed; its failure is reported there */
	(void)what;
}

static json_t *treatment_fields(void)
{
	json_t *f = e2e_strings("full_name", "date_of_birth", NULL);

	json_array_append_new(f, json_pack("{s:s, s:b}", "name", "phone", "masked", 1));
	json_array_append_new(f, json_string("blood_type"));
	json_array_append_new(f, json_string("chronic_conditions"));
	return f;
}

static json_t *person_fields(const person *p)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "full_name", p->name, "date_of_birth", p->dob,
	    "gender", p->gender, "phone", p->phone, "email", p->email, "blood_type", p->blood, "chronic_conditions",
	    p->chronic, "religion", p->religion);
}

/* A not_permitted answer, byte-identical to the first one seen. */
static void assert_not_permitted(const e2e_resp *r)
{
	E2E_PROBLEM(r, 403, "not_permitted");
	if (st->denied_body == NULL)
		st->denied_body = strdup(r->body);
	else if (strcmp(st->denied_body, r->body) != 0)
		fail_msg("two denied lookups differ:\n  %s\n  %s", st->denied_body, r->body);
}

static void lookup(long want, agency *a, const char *nid, const char *purpose, json_t *fields, const char *why,
    e2e_resp *r)
{
	E2E_CALL(&st->s, want, "POST", "/v1/lookup", a->token, e2e_body_lookup(nid, purpose, fields, why), r);
}

static void login_citizen(int who)
{
	char code[7];
	e2e_resp r;

	e2e_totp_fresh(st->cz[who].uri, &st->cz[who].last_step, code);
	E2E_CALL(&st->s, 201, "POST", "/v1/sessions", NULL, e2e_body_citizen_login(people[who].nid, code), &r);
	assert_non_null(e2e_jstr(r.json, "token"));
	assert_true(strncmp(e2e_or_null(e2e_jstr(r.json, "token")), "vk_session_", 11) == 0);
	assert_int_equal(strlen(e2e_jstr(r.json, "token")), 11 + 43);
	assert_non_null(e2e_jstr(r.json, "expires_at"));
	free(st->cz[who].session);
	st->cz[who].session = e2e_jdup(r.json, "token");
	e2e_resp_free(&r);
}

static int is_hex32(const char *s)
{
	size_t i;

	if (s == NULL || strlen(s) != 32)
		return 0;
	for (i = 0; i < 32; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* v names x: a string equal to one of a, b; or an object whose id, name or code is one of them. */
static int names(const json_t *v, const char *a, const char *b)
{
	const char *keys[] = {"id", "name", "code"};
	size_t i;

	if (json_is_string(v))
		return (a && strcmp(json_string_value(v), a) == 0) || (b && strcmp(json_string_value(v), b) == 0);
	for (i = 0; json_is_object(v) && i < 3; i++)
		if (names(json_object_get(v, keys[i]), a, b))
			return 1;
	return 0;
}

/*
 * The exact bytes of an audit entry as hashed: the string itself, or the object's canonical JSON
 * (sorted keys, compact), with a "time" shown as ISO 8601 turned back into epoch seconds.
 */
static char *entry_bytes(const json_t *e)
{
	json_t *c;
	const char *t;
	char *out;

	if (json_is_string(e))
		return strdup(json_string_value(e));
	c = json_deep_copy(e);
	if ((t = e2e_jstr(c, "time")) != NULL) {
		struct tm tm;

		memset(&tm, 0, sizeof tm);
		if (strptime(t, "%Y-%m-%dT%H:%M:%SZ", &tm) != NULL)
			json_object_set_new(c, "time", json_integer((json_int_t)timegm(&tm)));
	}
	out = json_dumps(c, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(c);
	return out;
}

static void get_checkpoint(int64_t *size, unsigned char root[32])
{
	unsigned char pk[32];
	size_t n = 0;
	char origin[200], want[200];
	e2e_resp r;

	need(st->public_key, "public key");
	assert_int_equal(sodium_base642bin(pk, 32, st->public_key, strlen(st->public_key), NULL, &n, NULL,
	                     sodium_base64_VARIANT_ORIGINAL),
	    0);
	E2E_CALL(&st->s, 200, "GET", "/v1/checkpoint", NULL, NULL, &r);
	if (e2e_checkpoint_parse(e2e_jstr(r.json, "checkpoint"), pk, origin, sizeof origin, size, root) != 0)
		fail_msg("the checkpoint is not a signed note that the vault's key verifies: %s", r.body);
	snprintf(want, sizeof want, "vaultd/%s", st->s.vault_id);
	assert_str_eq(origin, want);
	assert_int_equal(e2e_jint(r.json, "size"), *size);
	e2e_resp_free(&r);
}

/* ---- the story ---- */

static int story_setup(void **state)
{
	static story one;

	st = &one;
	/* a test opens the vault beside the server: the library's set-up (SQLCipher's page size),
	 * then jansson's plain allocator back, which the harness frees with free() */
	if (vault_init() != 0)
		return -1;
	json_set_alloc_funcs(malloc, free);
	if (e2e_start(&st->s) != 0)
		return -1;
	*state = st;
	return 0;
}

static int story_teardown(void **state)
{
	size_t i;

	(void)state;
	e2e_stop(&st->s);
	for (i = 0; i < NPEOPLE; i++) {
		free(st->cz[i].registrar_cid);
		free(st->cz[i].uri);
		free(st->cz[i].session);
		free(st->cz[i].own_cid);
	}
	free(st->registrar.id), free(st->registrar.token), free(st->hospital.id), free(st->hospital.token);
	free(st->insurer.id), free(st->insurer.token), free(st->emergency.id), free(st->emergency.token);
	free(st->officer_id), free(st->officer_uri), free(st->officer_session);
	free(st->request_id), free(st->consent_id), free(st->hospital_cid), free(st->denied_body), free(st->public_key);
	return 0;
}

static void make_agency(agency *a, const char *name, const char *const *roles, size_t n)
{
	e2e_resp r;
	size_t i;

	E2E_CALL(&st->s, 201, "POST", "/v1/agencies", st->s.admin_token, e2e_body_agency(name, roles, n), &r);
	assert_non_null(e2e_jstr(r.json, "id"));
	assert_str_eq(e2e_jstr(r.json, "name"), name);
	assert_int_equal(json_array_size(e2e_jget(r.json, "roles")), n);
	for (i = 0; i < n; i++)
		assert_true(e2e_jarray_has(r.json, "roles", roles[i]));
	assert_true(strncmp(e2e_or_null(e2e_jstr(r.json, "token")), "vk_agency_", 10) == 0);
	assert_int_equal(strlen(e2e_jstr(r.json, "token")), 10 + 43);
	a->id = e2e_jdup(r.json, "id");
	a->token = e2e_jdup(r.json, "token");
	a->name = name;
	e2e_resp_free(&r);
}

static void make_purpose(agency *a, const char *code, const char *desc, const char *basis, const char *ref, json_t *fields,
    int max_days, int retention_days)
{
	e2e_resp r;

	E2E_CALL(&st->s, 201, "POST", "/v1/purposes", st->s.admin_token,
	    e2e_body_purpose(a->id, code, desc, basis, ref, fields, max_days, retention_days), &r);
	assert_non_null(e2e_jstr(r.json, "id"));
	assert_str_eq(e2e_jstr(r.json, "agency_id"), a->id);
	assert_str_eq(e2e_jstr(r.json, "code"), code);
	e2e_resp_free(&r);
}

static void test_operator_sets_up_agencies_purposes_officer(void **state)
{
	static const char *const reg[] = {"registrar"}, *const cons[] = {"consumer"},
	                         *const emer[] = {"consumer", "emergency"};
	e2e_resp r;

	(void)state;
	/* vaultctl init printed the admin token once: vk_admin_ and 43 characters of base64url */
	assert_true(strncmp(st->s.admin_token, "vk_admin_", 9) == 0);
	assert_int_equal(strlen(st->s.admin_token), 9 + 43);
	assert_int_equal(strspn(st->s.admin_token + 9, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), 43);
	E2E_CALL(&st->s, 200, "GET", "/healthz", NULL, NULL, &r);
	assert_str_eq(e2e_jstr(r.json, "status"), "ok");
	e2e_resp_free(&r);
	E2E_CALL(&st->s, 200, "GET", "/v1/keys", NULL, NULL, &r);
	assert_non_null(e2e_jstr(r.json, "public_key"));
	assert_non_null(e2e_jstr(r.json, "key_name"));
	st->public_key = e2e_jdup(r.json, "public_key");
	e2e_resp_free(&r);

	make_agency(&st->registrar, "Hanoi Department of Civil Registry", reg, 1);
	make_agency(&st->hospital, "Bach Mai Hospital", cons, 1);
	make_agency(&st->insurer, "Vietnam Social Security", cons, 1);
	make_agency(&st->emergency, "Hanoi 115 Emergency Centre", emer, 2);

	make_purpose(&st->hospital, "treatment", "Medical examination and treatment at Bach Mai Hospital", "consent", NULL,
	    treatment_fields(), 365, 30);
	make_purpose(&st->insurer, "contribution_check", "Checking social insurance contributions", "legal_obligation",
	    "Law on Social Insurance 41/2024/QH15, Art. 35", e2e_strings("full_name", "date_of_birth", "gender", NULL), 365,
	    3650);
	make_purpose(&st->emergency, "emergency_care", "Emergency care when the patient cannot consent", "vital_interest",
	    NULL, e2e_strings("full_name", "blood_type", "chronic_conditions", NULL), 1, 30);
	/* a purpose code is unique per agency */
	E2E_CALL(&st->s, 409, "POST", "/v1/purposes", st->s.admin_token,
	    e2e_body_purpose(st->hospital.id, "treatment", "again", "consent", NULL, e2e_strings("full_name", NULL), 30, 30),
	    &r);
	E2E_PROBLEM(&r, 409, "conflict");
	e2e_resp_free(&r);

	E2E_CALL(&st->s, 201, "POST", "/v1/officers", st->s.admin_token, e2e_body_officer("Data Protection Officer 1"), &r);
	assert_non_null(e2e_jstr(r.json, "id"));
	assert_non_null(strstr(e2e_or_null(e2e_jstr(r.json, "totp_uri")), "otpauth://totp/"));
	st->officer_id = e2e_jdup(r.json, "id");
	st->officer_uri = e2e_jdup(r.json, "totp_uri");
	e2e_resp_free(&r);
	get_checkpoint(&st->early_size, st->early_root);
	st->early_ok = 1;
}

static void test_registrar_enrols_citizens(void **state)
{
	e2e_resp r;
	size_t i, j;

	(void)state;
	need(st->registrar.token, "registrar");
	for (i = 0; i < NPEOPLE; i++) {
		E2E_CALL(&st->s, 201, "POST", "/v1/citizens", st->registrar.token,
		    e2e_body_citizen(people[i].nid, person_fields(&people[i])), &r);
		assert_true(is_hex32(e2e_jstr(r.json, "citizen_id")));
		assert_non_null(strstr(e2e_or_null(e2e_jstr(r.json, "totp_uri")), "otpauth://totp/"));
		assert_non_null(strstr(e2e_or_null(e2e_jstr(r.json, "totp_uri")), "secret="));
		/* the enrolment URI names the citizen by id, never by national ID or name */
		assert_null(strstr(e2e_or_null(e2e_jstr(r.json, "totp_uri")), people[i].nid));
		st->cz[i].registrar_cid = e2e_jdup(r.json, "citizen_id");
		st->cz[i].uri = e2e_jdup(r.json, "totp_uri");
		e2e_resp_free(&r);
		for (j = 0; j < i; j++)
			assert_str_ne(st->cz[i].registrar_cid, st->cz[j].registrar_cid);
	}
	/* the same national ID again */
	E2E_CALL(&st->s, 409, "POST", "/v1/citizens", st->registrar.token,
	    e2e_body_citizen(people[A].nid, json_pack("{s:s}", "full_name", "Someone Else")), &r);
	E2E_PROBLEM(&r, 409, "conflict");
	assert_null(strstr(r.body, people[A].nid));
	e2e_resp_free(&r);
	/* a field outside the catalog */
	E2E_CALL(&st->s, 400, "POST", "/v1/citizens", st->registrar.token,
	    e2e_body_citizen("001090077777", json_pack("{s:s}", "shoe_size", "42")), &r);
	E2E_PROBLEM(&r, 400, "invalid_input");
	e2e_resp_free(&r);
}

/* An ISO 8601 UTC time or epoch seconds, as seconds; -1 if neither. */
static long long when(const json_t *v)
{
	struct tm tm;

	if (json_is_integer(v))
		return (long long)json_integer_value(v);
	memset(&tm, 0, sizeof tm);
	if (json_is_string(v) && strptime(json_string_value(v), "%Y-%m-%dT%H:%M:%SZ", &tm) != NULL)
		return (long long)timegm(&tm);
	return -1;
}

/* The conventions of the contract: media type, JSON, limits, unknown keys, bounds, sessions. */
static void test_protocol_conventions(void **state)
{
	const char *adm = st->s.admin_token;
	char deep[200], big_name[70 * 1024], code[7], path[200];
	e2e_resp r, u;
	long long exp;
	int i;

	(void)state;
	need(st->cz[D].uri, "citizen D");
	/* 415: a body that is not application/json */
	e2e_req_ct(&st->s, "POST", "/v1/agencies", adm, "{\"name\":\"X\",\"roles\":[\"consumer\"]}", "text/plain", &r);
	E2E_PROBLEM(&r, 415, "unsupported_media_type");
	e2e_resp_free(&r);
	e2e_req_ct(&st->s, "POST", "/v1/agencies", adm, "{\"name\":\"X\",\"roles\":[\"consumer\"]}", NULL, &r);
	E2E_PROBLEM(&r, 415, "unsupported_media_type");
	e2e_resp_free(&r);
	/* a parameter on the JSON media type is still JSON */
	e2e_req_ct(&st->s, "POST", "/v1/agencies", adm, "{\"name\":\"Charset Agency\",\"roles\":[\"consumer\"]}",
	    "application/json; charset=utf-8", &r);
	if (r.status != 201)
		fail_msg("Content-Type \"application/json; charset=utf-8\": expected 201, got %ld: %s", r.status, r.body);
	e2e_resp_free(&r);
	/* 400 invalid_json: not JSON, or not an object */
	e2e_req(&st->s, "POST", "/v1/agencies", adm, "{\"name\": \"X\", ", &r);
	E2E_PROBLEM(&r, 400, "invalid_json");
	e2e_resp_free(&r);
	e2e_req(&st->s, "POST", "/v1/agencies", adm, "[\"name\", \"X\"]", &r);
	E2E_PROBLEM(&r, 400, "invalid_json");
	e2e_resp_free(&r);
	/* 400 nesting_too_deep: 17 levels (an object holding 16 nested arrays) are too deep, 16 are not */
	for (i = 15; i <= 16; i++) {
		int k;

		snprintf(deep, sizeof deep, "{\"name\":");
		for (k = 0; k < i; k++)
			strcat(deep, "[");
		for (k = 0; k < i; k++)
			strcat(deep, "]");
		strcat(deep, "}");
		e2e_req(&st->s, "POST", "/v1/agencies", adm, deep, &r);
		if (i == 16)
			E2E_PROBLEM(&r, 400, "nesting_too_deep");
		else
			E2E_PROBLEM(&r, 400, "invalid_input"); /* deep enough to parse, but no agency */
		e2e_resp_free(&r);
	}
	/* 413: over 64 KiB */
	memset(big_name, 'x', sizeof big_name);
	memcpy(big_name, "{\"name\":\"", 9);
	memcpy(big_name + sizeof big_name - 24, "\",\"roles\":[\"consumer\"]}", 24);
	e2e_req(&st->s, "POST", "/v1/agencies", adm, big_name, &r);
	E2E_PROBLEM(&r, 413, "body_too_large");
	e2e_resp_free(&r);
	/* 400 invalid_input: an unknown key, a wrong type, an unknown role, out of bounds */
	E2E_CALL(&st->s, 400, "POST", "/v1/agencies", adm,
	    json_pack("{s:s, s:[s], s:s}", "name", "X", "roles", "consumer", "colour", "red"), &r);
	E2E_PROBLEM(&r, 400, "invalid_input");
	e2e_resp_free(&r);
	E2E_CALL(&st->s, 400, "POST", "/v1/agencies", adm, json_pack("{s:i, s:[s]}", "name", 7, "roles", "consumer"), &r);
	E2E_PROBLEM(&r, 400, "invalid_input");
	e2e_resp_free(&r);
	E2E_CALL(&st->s, 400, "POST", "/v1/agencies", adm, json_pack("{s:s, s:[s]}", "name", "X", "roles", "superuser"), &r);
	E2E_PROBLEM(&r, 400, "invalid_input");
	e2e_resp_free(&r);
	E2E_CALL(&st->s, 400, "POST", "/v1/consent-requests", st->hospital.token,
	    e2e_body_consent_request(people[D].nid, "treatment", NULL, 366), &r); /* max_days is 365 */
	E2E_PROBLEM(&r, 400, "invalid_input");
	e2e_resp_free(&r);
	E2E_CALL(&st->s, 400, "POST", "/v1/lookup", st->hospital.token,
	    json_pack("{s:s, s:s, s:s}", "national_id", people[D].nid, "purpose", "treatment", "extra", "x"), &r);
	E2E_PROBLEM(&r, 400, "invalid_input");
	e2e_resp_free(&r);
	E2E_CALL(&st->s, 400, "POST", "/v1/purposes", adm,
	    e2e_body_purpose(st->insurer.id, "no_reference", "A duty with no law named", "legal_obligation", NULL,
	        e2e_strings("full_name", NULL), 30, 30),
	    &r);
	E2E_PROBLEM(&r, 400, "invalid_input");
	e2e_resp_free(&r);
	E2E_CALL(&st->s, 400, "POST", "/v1/purposes", adm,
	    e2e_body_purpose(st->hospital.id, "masked_enum", "blood type has no mask", "consent", NULL,
	        json_pack("[{s:s, s:b}]", "name", "blood_type", "masked", 1), 30, 30),
	    &r);
	E2E_PROBLEM(&r, 400, "invalid_input");
	e2e_resp_free(&r);
	/* a malformed national ID is invalid input, not a 403 or a 202 */
	E2E_CALL(&st->s, 400, "POST", "/v1/lookup", st->hospital.token, e2e_body_lookup("12345", "treatment", NULL, NULL),
	    &r);
	E2E_PROBLEM(&r, 400, "invalid_input");
	e2e_resp_free(&r);

	/* a login for a national ID nobody has answers like a wrong code for one that exists */
	E2E_CALL(&st->s, 401, "POST", "/v1/sessions", NULL, e2e_body_citizen_login(UNKNOWN_NID, "123456"), &r);
	E2E_CALL(&st->s, 401, "POST", "/v1/sessions", NULL, e2e_body_citizen_login(people[D].nid, "123456"), &u);
	E2E_PROBLEM(&u, 401, "invalid_totp");
	assert_str_eq(r.body, u.body);
	e2e_resp_free(&r);
	e2e_resp_free(&u);

	/* a session lasts 15 minutes */
	e2e_totp_fresh(st->cz[D].uri, &st->cz[D].last_step, code);
	E2E_CALL(&st->s, 201, "POST", "/v1/sessions", NULL, e2e_body_citizen_login(people[D].nid, code), &r);
	exp = when(e2e_jget(r.json, "expires_at"));
	if (exp < 0 || llabs(exp - (long long)time(NULL) - 900) > 60)
		fail_msg("expires_at is not 15 minutes from now: %s", r.body);
	st->cz[D].session = e2e_jdup(r.json, "token");
	e2e_resp_free(&r);

	/* a new TOTP enrolment: the old secret stops working, the new one works */
	snprintf(path, sizeof path, "/v1/citizens/%s/totp", st->cz[D].registrar_cid);
	E2E_CALL(&st->s, 201, "POST", path, st->registrar.token, NULL, &r);
	assert_non_null(strstr(e2e_or_null(e2e_jstr(r.json, "totp_uri")), "secret="));
	assert_str_ne(e2e_jstr(r.json, "totp_uri"), st->cz[D].uri);
	e2e_totp_fresh(st->cz[D].uri, &st->cz[D].last_step, code);
	free(st->cz[D].uri);
	st->cz[D].uri = e2e_jdup(r.json, "totp_uri");
	e2e_resp_free(&r);
	E2E_CALL(&st->s, 401, "POST", "/v1/sessions", NULL, e2e_body_citizen_login(people[D].nid, code), &r);
	E2E_PROBLEM(&r, 401, "invalid_totp");
	e2e_resp_free(&r);
	e2e_totp_fresh(st->cz[D].uri, &st->cz[D].last_step, code);
	E2E_CALL(&st->s, 201, "POST", "/v1/sessions", NULL, e2e_body_citizen_login(people[D].nid, code), &r);
	free(st->cz[D].session);
	st->cz[D].session = e2e_jdup(r.json, "token");
	e2e_resp_free(&r);
}

/* One step either way, not two. */
/*
 * A justification is free text that lands in the citizen's access log: taken only for a purpose
 * on a legal obligation or a vital interest, and only with a visible character. Refused ones
 * are refused before anything is decided or logged.
 */
static void test_justification_only_where_the_law_takes_it(void **state)
{
	static const char marker[] = "call me on 0900 000 000 about your debts";
	e2e_resp r;

	(void)state;
	need(st->cz[A].session, "A's session");
	/* a consent purpose takes none, whatever the text */
	lookup(400, &st->hospital, people[A].nid, "treatment", NULL, marker, &r);
	E2E_PROBLEM(&r, 400, "justification_not_accepted");
	assert_null(strstr(r.body, marker));
	e2e_resp_free(&r);
	/* nor a purpose code the agency does not have */
	lookup(400, &st->hospital, people[A].nid, "no_such_purpose", NULL, marker, &r);
	E2E_PROBLEM(&r, 400, "justification_not_accepted");
	e2e_resp_free(&r);
	/* a vital interest takes one, but not one of only invisible characters */
	lookup(400, &st->emergency, people[A].nid, "emergency_care", NULL, "\xe3\x80\x80\xe2\x80\x8b\xc2\xa0 \t", &r);
	E2E_PROBLEM(&r, 400, "justification_not_accepted");
	e2e_resp_free(&r);
	lookup(400, &st->emergency, people[A].nid, "emergency_care", NULL, "", &r);
	E2E_PROBLEM(&r, 400, "justification_not_accepted");
	e2e_resp_free(&r);
	/* nor visible text that breaks the log's line or reads other than it is stored */
	lookup(400, &st->emergency, people[A].nid, "emergency_care", NULL, "cardiac arrest\nreviewed: ok", &r);
	E2E_PROBLEM(&r, 400, "justification_not_accepted");
	e2e_resp_free(&r);
	lookup(400, &st->emergency, people[A].nid, "emergency_care", NULL, "ambulance \xe2\x80\xae" "kcatta", &r);
	E2E_PROBLEM(&r, 400, "justification_not_accepted");
	e2e_resp_free(&r);
	/* a legal obligation takes one */
	lookup(200, &st->insurer, people[A].nid, "contribution_check", NULL, "annual contribution audit", &r);
	assert_str_eq(e2e_jstr(r.json, "basis"), "legal_obligation");
	e2e_resp_free(&r);
	/* nothing of the refused text reached the citizen's access log */
	E2E_CALL(&st->s, 200, "GET", "/v1/me/access-log", st->cz[A].session, NULL, &r);
	assert_null(strstr(r.body, marker));
	assert_non_null(strstr(r.body, "annual contribution audit"));
	e2e_resp_free(&r);
}

/* A 400's detail names the key or query argument that was wrong, never a value. */
static void test_problem_detail_names_what_was_wrong(void **state)
{
	static const struct {
		const char *method, *path, *body, *named, *never;
	} cases[] = {
		{"POST", "/v1/lookup", "{\"nationalid\":\"001090012345\",\"purpose\":\"treatment\"}", "\"nationalid\"",
		    "001090012345"},
		{"POST", "/v1/lookup", "{\"purpose\":\"treatment\"}", "\"national_id\"", NULL},
		{"POST", "/v1/lookup", "{\"national_id\":1090012345,\"purpose\":\"treatment\"}", "\"national_id\" must be a string",
		    "1090012345"},
		{"POST", "/v1/lookup", "{\"national_id\":\"001090012345\",\"purpose\":\"treatment\",\"001090012345\":1}",
		    "unknown key", "001090012345"},
		{"GET", "/v1/checkpoint/consistency?from=x&to=2", NULL, "query argument from", NULL},
		{"GET", "/v1/checkpoint/consistency?from=1&to=-3", NULL, "query argument to", NULL},
	};
	e2e_resp r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *d;

		E2E_CALL(&st->s, 400, cases[i].method, cases[i].path, cases[i].body ? st->hospital.token : NULL,
		    cases[i].body ? json_loads(cases[i].body, 0, NULL) : NULL, &r);
		E2E_PROBLEM(&r, 400, "invalid_input");
		d = e2e_or_null(e2e_jstr(r.json, "detail"));
		if (strstr(d, cases[i].named) == NULL || (cases[i].never && strstr(r.body, cases[i].never) != NULL))
			fail_msg("case %zu: detail \"%s\" should name %s", i, d, cases[i].named);
		e2e_resp_free(&r);
	}
}

static void test_totp_window_is_one_step(void **state)
{
	char code[7];
	e2e_resp r;
	int off;

	(void)state;
	need(st->officer_session, "officer");
	if (time(NULL) % 30 >= 26)
		sleep(5); /* not across a step boundary */
	for (off = -2; off <= 2; off += 4) {
		e2e_totp_offset(st->officer_uri, off, code);
		E2E_CALL(&st->s, 401, "POST", "/v1/sessions", NULL, e2e_body_officer_login(st->officer_id, code), &r);
		E2E_PROBLEM(&r, 401, "invalid_totp");
		e2e_resp_free(&r);
	}
	E2E_CALL(&st->s, 400, "POST", "/v1/reviews/1", st->officer_session, e2e_body_review("perhaps", NULL), &r);
	E2E_PROBLEM(&r, 400, "invalid_input");
	e2e_resp_free(&r);
}

static void test_lookup_without_consent_is_denied_alike(void **state)
{
	e2e_resp r;

	(void)state;
	need(st->cz[A].uri, "citizen A");
	lookup(403, &st->hospital, people[A].nid, "treatment", NULL, NULL, &r);
	assert_not_permitted(&r);
	assert_null(strstr(r.body, people[A].nid));
	e2e_resp_free(&r);
	lookup(403, &st->hospital, UNKNOWN_NID, "treatment", NULL, NULL, &r);
	assert_not_permitted(&r); /* byte-identical: nothing tells whether the person exists */
	e2e_resp_free(&r);
	lookup(403, &st->hospital, people[A].nid, "no_such_purpose", NULL, NULL, &r);
	assert_not_permitted(&r);
	e2e_resp_free(&r);
}

static void test_consent_request_is_pending_for_anyone(void **state)
{
	e2e_resp r, u;
	char path[200];
	const char *k;
	json_t *v;

	(void)state;
	need(st->cz[A].uri, "citizen A");
	E2E_CALL(&st->s, 202, "POST", "/v1/consent-requests", st->hospital.token,
	    e2e_body_consent_request(people[A].nid, "treatment",
	        e2e_strings("full_name", "date_of_birth", "phone", "blood_type", "chronic_conditions", NULL), 90),
	    &r);
	assert_str_eq(e2e_jstr(r.json, "status"), "pending");
	assert_non_null(e2e_jstr(r.json, "id"));
	st->request_id = e2e_jdup(r.json, "id");
	/* to nobody: the same answer, a different id */
	E2E_CALL(&st->s, 202, "POST", "/v1/consent-requests", st->hospital.token,
	    e2e_body_consent_request(UNKNOWN_NID, "treatment",
	        e2e_strings("full_name", "date_of_birth", "phone", "blood_type", "chronic_conditions", NULL), 90),
	    &u);
	assert_str_eq(e2e_jstr(u.json, "status"), "pending");
	assert_int_equal(json_object_size(u.json), json_object_size(r.json));
	json_object_foreach(r.json, k, v)
		assert_non_null(json_object_get(u.json, k));
	assert_int_equal(strlen(e2e_jstr(u.json, "id")), strlen(st->request_id));
	assert_str_ne(e2e_jstr(u.json, "id"), st->request_id);
	assert_str_eq(u.content_type, r.content_type);
	e2e_resp_free(&u);
	e2e_resp_free(&r);

	snprintf(path, sizeof path, "/v1/consent-requests/%s", st->request_id);
	E2E_CALL(&st->s, 200, "GET", path, st->hospital.token, NULL, &r);
	assert_str_eq(e2e_jstr(r.json, "id"), st->request_id);
	assert_str_eq(e2e_jstr(r.json, "status"), "pending");
	e2e_resp_free(&r);
}

static void test_citizen_logs_in_and_sees_own_record(void **state)
{
	e2e_resp r;

	(void)state;
	need(st->cz[A].uri, "citizen A");
	login_citizen(A);
	E2E_CALL(&st->s, 200, "GET", "/v1/me", st->cz[A].session, NULL, &r);
	assert_true(is_hex32(e2e_jstr(r.json, "citizen_id")));
	assert_str_eq(e2e_jstr(r.json, "fields/full_name"), people[A].name);
	assert_str_eq(e2e_jstr(r.json, "fields/date_of_birth"), people[A].dob);
	assert_str_eq(e2e_jstr(r.json, "fields/phone"), people[A].phone); /* their own: unmasked */
	assert_str_eq(e2e_jstr(r.json, "fields/chronic_conditions"), people[A].chronic);
	assert_str_eq(e2e_jstr(r.json, "fields/religion"), people[A].religion);
	st->cz[A].own_cid = e2e_jdup(r.json, "citizen_id");
	/* an agency sees a pseudonym, not the internal id */
	assert_str_ne(st->cz[A].own_cid, st->cz[A].registrar_cid);
	e2e_resp_free(&r);
}

/* The request as the citizen sees it before deciding: who, why, on what basis, which fields. */
static void test_citizen_sees_the_request_explained(void **state)
{
	e2e_resp r;
	json_t *req = NULL, *v, *f;
	size_t i;
	int seen_sensitive = 0, seen_basic = 0;

	(void)state;
	need(st->cz[A].session, "A's session");
	need(st->request_id, "the request");
	E2E_CALL(&st->s, 200, "GET", "/v1/me/consent-requests", st->cz[A].session, NULL, &r);
	assert_int_equal(json_array_size(e2e_jget(r.json, "requests")), 1); /* not the one to nobody */
	json_array_foreach(e2e_jget(r.json, "requests"), i, v)
		if (names(json_object_get(v, "id"), st->request_id, NULL))
			req = v;
	if (req == NULL)
		fail_msg("request %s not listed: %s", st->request_id, r.body);
	assert_str_eq(e2e_jstr(req, "agency/name"), "Bach Mai Hospital");
	assert_str_eq(e2e_jstr(req, "purpose/description/en"), "Medical examination and treatment at Bach Mai Hospital");
	assert_str_eq(e2e_jstr(req, "legal_basis"), "consent");
	assert_int_equal(json_array_size(e2e_jget(req, "fields")), 5);
	json_array_foreach(e2e_jget(req, "fields"), i, f) {
		const char *name = e2e_jstr(f, "name"), *cat = e2e_jstr(f, "category");

		assert_non_null(name);
		assert_non_null(cat);
		assert_non_null(e2e_jstr(f, "description/en"));
		assert_non_null(e2e_jstr(f, "description/vi"));
		if (strcmp(name, "chronic_conditions") == 0) {
			assert_str_eq(cat, "sensitive");
			assert_str_eq(e2e_jstr(f, "description/en"), "Chronic conditions (health status in medical records)");
			seen_sensitive = 1;
		} else {
			assert_str_eq(cat, "basic");
			seen_basic++;
		}
		if (strcmp(name, "phone") == 0)
			assert_int_equal(e2e_jbool(f, "masked"), 1);
	}
	assert_true(seen_sensitive);
	assert_int_equal(seen_basic, 4);
	e2e_resp_free(&r);
}

static void test_approve_subset_with_step_up_and_signed_receipt(void **state)
{
	char path[200], code[7], stale[7], *file, *text, *bad, *p;
	char *argv[8];
	e2e_resp r;
	json_t *rc, *f;
	size_t i;

	(void)state;
	need(st->cz[A].session, "A's session");
	need(st->request_id, "the request");
	snprintf(path, sizeof path, "/v1/me/consent-requests/%s/approve", st->request_id);
	/* the login's code again: replayed, and told so (the next code is the one to wait for) */
	e2e_totp_at(st->cz[A].uri, st->cz[A].last_step, stale);
	E2E_CALL(&st->s, 409, "POST", path, st->cz[A].session,
	    e2e_body_approve(stale, e2e_strings("full_name", "date_of_birth", "phone", "blood_type", NULL)), &r);
	E2E_PROBLEM(&r, 409, "totp_reused");
	e2e_resp_free(&r);
	/* no code at all */
	E2E_CALL(&st->s, 400, "POST", path, st->cz[A].session,
	    json_pack("{s:o}", "fields", e2e_strings("full_name", NULL)), &r);
	E2E_PROBLEM(&r, 400, "invalid_input");
	e2e_resp_free(&r);

	e2e_totp_fresh(st->cz[A].uri, &st->cz[A].last_step, code);
	E2E_CALL(&st->s, 201, "POST", path, st->cz[A].session,
	    e2e_body_approve(code, e2e_strings("full_name", "date_of_birth", "phone", "blood_type", NULL)), &r);
	assert_non_null(e2e_jstr(r.json, "consent_id"));
	st->consent_id = e2e_jdup(r.json, "consent_id");
	rc = e2e_jget(r.json, "receipt");
	assert_true(json_is_object(rc));
	assert_str_eq(e2e_jstr(rc, "alg"), "Ed25519");
	assert_str_eq(e2e_jstr(rc, "receipt/consent_id"), st->consent_id);
	assert_str_eq(e2e_jstr(rc, "receipt/agency/name"), "Bach Mai Hospital");
	assert_str_eq(e2e_jstr(rc, "receipt/legal_basis"), "consent");
	/* the citizen named by the hospital's pseudonym: neither the vault's id nor the registrar's */
	assert_str_eq(e2e_jstr(rc, "receipt/version"), "vaultd-consent-receipt/2");
	assert_true(is_hex32(e2e_jstr(rc, "receipt/citizen_id")));
	if (st->cz[A].own_cid)
		assert_str_ne(e2e_jstr(rc, "receipt/citizen_id"), st->cz[A].own_cid);
	assert_str_ne(e2e_jstr(rc, "receipt/citizen_id"), st->cz[A].registrar_cid);
	assert_int_equal(json_array_size(e2e_jget(rc, "receipt/fields")), 4);
	json_array_foreach(e2e_jget(rc, "receipt/fields"), i, f)
		assert_str_ne(e2e_jstr(f, "name"), "chronic_conditions");

	/* the receipt verifies offline with the published key, and not once a byte changed */
	text = json_dumps(rc, JSON_COMPACT);
	assert_null(strstr(text, people[A].nid));
	assert_null(strstr(text, people[A].name));
	file = test_path(st->s.dir, "receipt.json");
	test_write_file(file, text, strlen(text));
	need(st->public_key, "public key");
	argv[0] = st->s.vaultctl, argv[1] = "receipt", argv[2] = "verify", argv[3] = file, argv[4] = "--public-key";
	argv[5] = st->public_key, argv[6] = NULL;
	assert_int_equal(test_run(argv, NULL, NULL, NULL), 0);
	bad = strdup(text);
	p = strstr(bad, st->consent_id);
	assert_non_null(p);
	p[strlen(st->consent_id) - 1] ^= 0x01; /* one byte of the consent id: still valid JSON */
	test_write_file(file, bad, strlen(bad));
	assert_int_equal(test_run(argv, NULL, NULL, NULL), 8);
	free(bad);
	free(text);
	free(file);
	e2e_resp_free(&r);

	/* approved once: no longer pending */
	e2e_totp_fresh(st->cz[A].uri, &st->cz[A].last_step, code);
	E2E_CALL(&st->s, 404, "POST", path, st->cz[A].session, e2e_body_approve(code, NULL), &r);
	E2E_PROBLEM(&r, 404, "not_found");
	e2e_resp_free(&r);
}

static void test_request_status_for_its_agency_only(void **state)
{
	char path[200];
	e2e_resp r;

	(void)state;
	need(st->consent_id, "the consent");
	snprintf(path, sizeof path, "/v1/consent-requests/%s", st->request_id);
	E2E_CALL(&st->s, 200, "GET", path, st->hospital.token, NULL, &r);
	assert_str_eq(e2e_jstr(r.json, "status"), "approved");
	e2e_resp_free(&r);
	E2E_CALL(&st->s, 404, "GET", path, st->insurer.token, NULL, &r);
	E2E_PROBLEM(&r, 404, "not_found");
	e2e_resp_free(&r);
}

static void test_lookup_returns_exactly_the_approved_subset(void **state)
{
	e2e_resp r, again;
	json_t *w;

	(void)state;
	need(st->consent_id, "the consent");
	lookup(200, &st->hospital, people[A].nid, "treatment",
	    e2e_strings("full_name", "date_of_birth", "phone", "blood_type", "chronic_conditions", "religion", NULL), NULL,
	    &r);
	assert_int_equal(json_object_size(e2e_jget(r.json, "fields")), 4);
	assert_str_eq(e2e_jstr(r.json, "fields/full_name"), people[A].name);
	assert_str_eq(e2e_jstr(r.json, "fields/date_of_birth"), people[A].dob);
	assert_str_eq(e2e_jstr(r.json, "fields/phone"), people[A].phone_masked);
	assert_str_eq(e2e_jstr(r.json, "fields/blood_type"), people[A].blood);
	assert_null(e2e_jget(r.json, "fields/chronic_conditions"));
	w = e2e_jget(r.json, "withheld");
	assert_int_equal(json_array_size(w), 2);
	assert_true(e2e_jarray_has(r.json, "withheld", "chronic_conditions"));
	assert_true(e2e_jarray_has(r.json, "withheld", "religion"));
	assert_str_eq(e2e_jstr(r.json, "basis"), "consent");
	assert_str_eq(e2e_jstr(r.json, "consent_id"), st->consent_id);
	assert_true(json_is_integer(e2e_jget(r.json, "access_id")));
	assert_true(is_hex32(e2e_jstr(r.json, "citizen_id")));
	/* a pseudonym for this agency: not the registrar's, not the internal id, but stable */
	assert_str_ne(e2e_jstr(r.json, "citizen_id"), st->cz[A].registrar_cid);
	if (st->cz[A].own_cid)
		assert_str_ne(e2e_jstr(r.json, "citizen_id"), st->cz[A].own_cid);
	st->hospital_cid = e2e_jdup(r.json, "citizen_id");
	assert_null(strstr(r.body, people[A].nid));
	lookup(200, &st->hospital, people[A].nid, "treatment", NULL, NULL, &again);
	assert_str_eq(e2e_jstr(again.json, "citizen_id"), st->hospital_cid);
	assert_int_equal(json_object_size(e2e_jget(again.json, "fields")), 4);
	assert_int_equal(json_array_size(e2e_jget(again.json, "withheld")), 0);
	assert_true(e2e_jint(again.json, "access_id") != e2e_jint(r.json, "access_id"));
	e2e_resp_free(&again);
	e2e_resp_free(&r);
}

static void test_revoked_consent_denies_the_next_lookup(void **state)
{
	char path[200];
	e2e_resp r;
	json_t *c;
	size_t i;
	int seen = 0;

	(void)state;
	need(st->consent_id, "the consent");
	E2E_CALL(&st->s, 200, "GET", "/v1/me/consents", st->cz[A].session, NULL, &r);
	json_array_foreach(e2e_jget(r.json, "consents"), i, c)
		if (names(json_object_get(c, "id"), st->consent_id, NULL)) {
			assert_str_eq(e2e_jstr(c, "status"), "active");
			assert_int_equal(json_array_size(e2e_jget(c, "fields")), 4);
			seen = 1;
		}
	assert_true(seen);
	seen = 0;
	e2e_resp_free(&r);
	snprintf(path, sizeof path, "/v1/me/consents/%s", st->consent_id);
	E2E_CALL(&st->s, 200, "DELETE", path, st->cz[A].session, NULL, &r);
	assert_str_eq(e2e_jstr(r.json, "id"), st->consent_id);
	assert_str_eq(e2e_jstr(r.json, "status"), "revoked");
	e2e_resp_free(&r);
	lookup(403, &st->hospital, people[A].nid, "treatment", NULL, NULL, &r);
	assert_not_permitted(&r);
	e2e_resp_free(&r);
	E2E_CALL(&st->s, 200, "GET", "/v1/me/consents", st->cz[A].session, NULL, &r);
	json_array_foreach(e2e_jget(r.json, "consents"), i, c)
		if (names(json_object_get(c, "id"), st->consent_id, NULL)) {
			assert_str_eq(e2e_jstr(c, "status"), "revoked");
			seen = 1;
		}
	assert_true(seen);
	e2e_resp_free(&r);
	/* twice: nothing left to revoke */
	E2E_CALL(&st->s, 404, "DELETE", path, st->cz[A].session, NULL, &r);
	e2e_resp_free(&r);
}

static void test_legal_obligation_needs_no_consent(void **state)
{
	e2e_resp r;

	(void)state;
	need(st->cz[A].uri, "citizen A");
	lookup(200, &st->insurer, people[A].nid, "contribution_check", NULL, NULL, &r);
	assert_str_eq(e2e_jstr(r.json, "basis"), "legal_obligation");
	assert_int_equal(json_object_size(e2e_jget(r.json, "fields")), 3);
	assert_str_eq(e2e_jstr(r.json, "fields/full_name"), people[A].name);
	assert_str_eq(e2e_jstr(r.json, "fields/gender"), people[A].gender);
	assert_false(json_is_string(e2e_jget(r.json, "consent_id")));
	assert_true(json_is_integer(e2e_jget(r.json, "access_id")));
	assert_str_ne(e2e_jstr(r.json, "citizen_id"), st->hospital_cid ? st->hospital_cid : "");
	e2e_resp_free(&r);
}

static void test_vital_interest_needs_justification_and_review(void **state)
{
	char code[7], path[64];
	e2e_resp r;
	json_t *v;
	size_t i;
	int seen = 0;

	(void)state;
	need(st->officer_uri, "officer");
	lookup(403, &st->emergency, people[A].nid, "emergency_care", NULL, NULL, &r);
	assert_not_permitted(&r);
	e2e_resp_free(&r);
	lookup(200, &st->emergency, people[A].nid, "emergency_care", NULL, JUSTIFICATION, &r);
	assert_str_eq(e2e_jstr(r.json, "basis"), "vital_interest");
	assert_str_eq(e2e_jstr(r.json, "fields/blood_type"), people[A].blood);
	assert_str_eq(e2e_jstr(r.json, "fields/chronic_conditions"), people[A].chronic);
	st->vital_access_id = e2e_jint(r.json, "access_id");
	assert_true(st->vital_access_id >= 0);
	e2e_resp_free(&r);

	e2e_totp_fresh(st->officer_uri, &st->officer_last, code);
	E2E_CALL(&st->s, 201, "POST", "/v1/sessions", NULL, e2e_body_officer_login(st->officer_id, code), &r);
	st->officer_session = e2e_jdup(r.json, "token");
	assert_non_null(st->officer_session);
	e2e_resp_free(&r);
	E2E_CALL(&st->s, 200, "GET", "/v1/reviews", st->officer_session, NULL, &r);
	json_array_foreach(e2e_jget(r.json, "reviews"), i, v)
		if (e2e_jint(v, "access_id") == st->vital_access_id)
			seen = 1;
	if (!seen)
		fail_msg("access %lld is not in the review queue: %s", st->vital_access_id, r.body);
	assert_non_null(strstr(r.body, JUSTIFICATION));
	assert_null(strstr(r.body, people[A].name));
	e2e_resp_free(&r);
	snprintf(path, sizeof path, "/v1/reviews/%lld", st->vital_access_id);
	E2E_CALL(&st->s, 200, "POST", path, st->officer_session, e2e_body_review("justified", "ambulance record checked"), &r);
	assert_int_equal(e2e_jint(r.json, "access_id"), st->vital_access_id);
	assert_str_eq(e2e_jstr(r.json, "outcome"), "justified");
	e2e_resp_free(&r);
	E2E_CALL(&st->s, 404, "POST", "/v1/reviews/999999999", st->officer_session, e2e_body_review("justified", NULL), &r);
	e2e_resp_free(&r);
}

static void test_citizen_access_log_with_inclusion_proofs(void **state)
{
	e2e_resp r, p;
	json_t *e;
	size_t i;
	int allow_consent = 0, deny = 0, legal = 0, vital = 0, proved = 0;

	(void)state;
	need(st->cz[A].session, "A's session");
	E2E_CALL(&st->s, 200, "GET", "/v1/me/access-log", st->cz[A].session, NULL, &r);
	json_array_foreach(e2e_jget(r.json, "entries"), i, e) {
		const char *d = e2e_jstr(e, "decision"), *b = e2e_jstr(e, "basis");
		int hosp = names(json_object_get(e, "agency"), st->hospital.id, st->hospital.name);

		if (d == NULL)
			continue; /* not a decision: the enrolment, a rectification */
		/* who asked, always; why, unless the purpose named was not registered at all */
		if (json_object_get(e, "agency") == NULL || (strcmp(d, "allow") == 0 && json_object_get(e, "purpose") == NULL))
			fail_msg("an access-log entry names no agency or no purpose: %s", r.body);
		if (hosp && strcmp(d, "allow") == 0 && b && strcmp(b, "consent") == 0) {
			allow_consent++;
			assert_true(e2e_jarray_has(e, "fields", "full_name"));
			assert_true(e2e_jarray_has(e, "fields", "phone"));
			assert_false(e2e_jarray_has(e, "fields", "chronic_conditions"));
		}
		if (hosp && strcmp(d, "deny") == 0)
			deny++;
		if (names(json_object_get(e, "agency"), st->insurer.id, st->insurer.name) && strcmp(d, "allow") == 0 && b &&
		    strcmp(b, "legal_obligation") == 0)
			legal++;
		if (names(json_object_get(e, "agency"), st->emergency.id, st->emergency.name) && strcmp(d, "allow") == 0 && b &&
		    strcmp(b, "vital_interest") == 0)
			vital++;
	}
	assert_int_equal(allow_consent, 2);
	assert_true(deny >= 2); /* before consent, after revocation */
	assert_int_equal(legal, 1);
	assert_int_equal(vital, 1);
	assert_null(strstr(r.body, people[A].name));
	assert_null(strstr(r.body, people[A].nid));

	/* every entry is provably in the log the vault signed */
	json_array_foreach(e2e_jget(r.json, "entries"), i, e) {
		char path[100], *bytes;
		unsigned char leaf[32], root[32], pk[32], *proof;
		size_t n, pkn = 0;
		int64_t size;
		long long seq = e2e_jint(e, "seq");

		assert_true(seq >= 0);
		snprintf(path, sizeof path, "/v1/me/access-log/%lld/proof", seq);
		E2E_CALL(&st->s, 200, "GET", path, st->cz[A].session, NULL, &p);
		assert_int_equal(e2e_jint(p.json, "seq"), seq);
		assert_non_null(e2e_jget(p.json, "entry"));
		bytes = entry_bytes(e2e_jget(p.json, "entry"));
		e2e_leaf_hash(bytes, strlen(bytes), leaf);
		assert_null(strstr(bytes, people[A].nid));
		free(bytes);
		assert_int_equal(e2e_hashes_decode(e2e_jget(p.json, "proof"), &proof, &n), 0);
		assert_int_equal(sodium_base642bin(pk, 32, st->public_key, strlen(st->public_key), NULL, &pkn, NULL,
		                     sodium_base64_VARIANT_ORIGINAL),
		    0);
		if (e2e_checkpoint_parse(e2e_jstr(p.json, "checkpoint"), pk, NULL, 0, &size, root) != 0)
			fail_msg("proof of %lld: the checkpoint does not verify: %s", seq, p.body);
		assert_int_equal(e2e_jint(p.json, "tree_size"), size);
		if (!e2e_verify_inclusion(seq, size, leaf, proof, n, root))
			fail_msg("the inclusion proof of entry %lld does not verify: %s", seq, p.body);
		/* and a flipped bit in the proof or the entry is caught */
		if (n > 0) {
			proof[0] ^= 1;
			assert_false(e2e_verify_inclusion(seq, size, leaf, proof, n, root));
		}
		leaf[5] ^= 1;
		assert_false(e2e_verify_inclusion(seq, size, leaf, proof, n, root));
		free(proof);
		e2e_resp_free(&p);
		proved++;
	}
	assert_true(proved >= 5);
	e2e_resp_free(&r);
	E2E_CALL(&st->s, 404, "GET", "/v1/me/access-log/999999999/proof", st->cz[A].session, NULL, &p);
	e2e_resp_free(&p);
}

/* A denied request: the agency learns "denied", and the citizen cannot decide twice. */
static void test_denied_request(void **state)
{
	char path[200], *id;
	e2e_resp r;

	(void)state;
	need(st->cz[D].session, "D's session");
	E2E_CALL(&st->s, 202, "POST", "/v1/consent-requests", st->hospital.token,
	    e2e_body_consent_request(people[D].nid, "treatment", e2e_strings("full_name", "blood_type", NULL), 7), &r);
	id = e2e_jdup(r.json, "id");
	e2e_resp_free(&r);
	snprintf(path, sizeof path, "/v1/me/consent-requests/%s/deny", id);
	E2E_CALL(&st->s, 200, "POST", path, st->cz[D].session, NULL, &r);
	assert_str_eq(e2e_jstr(r.json, "id"), id);
	assert_str_eq(e2e_jstr(r.json, "status"), "denied");
	e2e_resp_free(&r);
	E2E_CALL(&st->s, 404, "POST", path, st->cz[D].session, NULL, &r);
	E2E_PROBLEM(&r, 404, "not_found");
	e2e_resp_free(&r);
	snprintf(path, sizeof path, "/v1/consent-requests/%s", id);
	E2E_CALL(&st->s, 200, "GET", path, st->hospital.token, NULL, &r);
	assert_str_eq(e2e_jstr(r.json, "status"), "denied");
	e2e_resp_free(&r);
	E2E_CALL(&st->s, 200, "GET", "/v1/me/consent-requests", st->cz[D].session, NULL, &r);
	assert_int_equal(json_array_size(e2e_jget(r.json, "requests")), 0);
	e2e_resp_free(&r);
	lookup(403, &st->hospital, people[D].nid, "treatment", NULL, NULL, &r);
	assert_not_permitted(&r);
	e2e_resp_free(&r);
	free(id);
}

typedef struct worker {
	pthread_t t;
	int ok, n;
	long long ids[10];
} worker;

static void *lookup_worker(void *arg)
{
	worker *w = arg;
	int i;

	for (i = 0; i < 10; i++) {
		e2e_resp r;
		char *text;
		json_t *b = e2e_body_lookup(people[A].nid, "contribution_check", NULL, NULL);

		text = json_dumps(b, JSON_COMPACT);
		json_decref(b);
		if (e2e_req(&st->s, "POST", "/v1/lookup", st->insurer.token, text, &r) == 200) {
			w->ok++;
			w->ids[w->n++] = e2e_jint(r.json, "access_id");
		}
		free(text);
		e2e_resp_free(&r);
	}
	return NULL;
}

/* Lookups at once: each answered, each with its own durable audit entry, the log still whole. */
static void test_parallel_lookups_each_audited(void **state)
{
	worker w[12];
	long long all[120];
	size_t n = 0, i, j;

	(void)state;
	need(st->cz[A].uri, "citizen A");
	memset(w, 0, sizeof w);
	for (i = 0; i < 12; i++)
		assert_int_equal(pthread_create(&w[i].t, NULL, lookup_worker, &w[i]), 0);
	for (i = 0; i < 12; i++) {
		pthread_join(w[i].t, NULL);
		assert_int_equal(w[i].ok, 10);
		for (j = 0; j < (size_t)w[i].n; j++)
			all[n++] = w[i].ids[j];
	}
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (all[i] == all[j])
				fail_msg("two lookups got the same access_id %lld", all[i]);
}

static void test_officer_sees_and_verifies_the_audit_log(void **state)
{
	e2e_resp r;
	json_t *e;
	size_t i;
	int approve = 0, revoke = 0, create = 0, allow = 0, deny = 0;

	(void)state;
	need(st->officer_session, "officer session");
	E2E_CALL(&st->s, 200, "GET", "/v1/audit", st->officer_session, NULL, &r);
	assert_true(json_array_size(e2e_jget(r.json, "entries")) >= 10);
	assert_non_null(json_object_get(r.json, "next"));
	json_array_foreach(e2e_jget(r.json, "entries"), i, e) {
		char *b = entry_bytes(e);
		json_t *o = json_is_string(e) ? json_loads(json_string_value(e), 0, NULL) : json_incref(e);
		const char *act = e2e_jstr(o, "action"), *d = e2e_jstr(o, "decision");

		assert_non_null(act);
		approve += strcmp(act, "consent.approve") == 0;
		revoke += strcmp(act, "consent.revoke") == 0;
		create += strcmp(act, "record.create") == 0;
		allow += d && strcmp(d, "allow") == 0;
		deny += d && strcmp(d, "deny") == 0;
		for (size_t k = 0; k < NPEOPLE; k++) {
			assert_null(strstr(b, people[k].nid));
			assert_null(strstr(b, people[k].name));
			assert_null(strstr(b, people[k].phone));
		}
		json_decref(o);
		free(b);
	}
	assert_true(approve >= 1);
	assert_true(revoke >= 1);
	assert_true(create >= 3);
	assert_true(allow >= 4);
	assert_true(deny >= 4);
	e2e_resp_free(&r);
	E2E_CALL(&st->s, 200, "GET", "/v1/audit/verify", st->officer_session, NULL, &r);
	assert_int_equal(e2e_jbool(r.json, "ok"), 1);
	assert_true(e2e_jint(r.json, "entries") >= 10);
	assert_non_null(e2e_jget(r.json, "head"));
	assert_non_null(e2e_jget(r.json, "checkpoint"));
	e2e_resp_free(&r);
	E2E_CALL(&st->s, 200, "GET", "/v1/reports/access?from=0&to=4102444800", st->officer_session, NULL, &r);
	assert_true(json_is_array(e2e_jget(r.json, "rows")));
	assert_true(json_array_size(e2e_jget(r.json, "rows")) >= 1);
	e2e_resp_free(&r);
}

static void test_restriction_stops_consent_but_not_the_law(void **state)
{
	char path[200], code[7];
	e2e_resp r;
	char *req;

	(void)state;
	need(st->cz[B].uri, "citizen B");
	/* B logs in, and the same code cannot open a second session */
	e2e_totp_fresh(st->cz[B].uri, &st->cz[B].last_step, code);
	E2E_CALL(&st->s, 201, "POST", "/v1/sessions", NULL, e2e_body_citizen_login(people[B].nid, code), &r);
	st->cz[B].session = e2e_jdup(r.json, "token");
	e2e_resp_free(&r);
	E2E_CALL(&st->s, 401, "POST", "/v1/sessions", NULL, e2e_body_citizen_login(people[B].nid, code), &r);
	E2E_PROBLEM(&r, 401, "invalid_totp");
	e2e_resp_free(&r);

	E2E_CALL(&st->s, 202, "POST", "/v1/consent-requests", st->hospital.token,
	    e2e_body_consent_request(people[B].nid, "treatment", NULL, 30), &r);
	req = e2e_jdup(r.json, "id");
	e2e_resp_free(&r);
	snprintf(path, sizeof path, "/v1/me/consent-requests/%s/approve", req);
	e2e_totp_fresh(st->cz[B].uri, &st->cz[B].last_step, code);
	E2E_CALL(&st->s, 201, "POST", path, st->cz[B].session, e2e_body_approve(code, NULL), &r);
	e2e_resp_free(&r);
	free(req);
	lookup(200, &st->hospital, people[B].nid, "treatment", NULL, NULL, &r);
	assert_str_eq(e2e_jstr(r.json, "fields/chronic_conditions"), people[B].chronic);
	e2e_resp_free(&r);

	/* a step-up is needed: without a code, and with a replayed one, nothing changes */
	E2E_CALL(&st->s, 400, "PUT", "/v1/me/restriction", st->cz[B].session, json_object(), &r);
	e2e_resp_free(&r);
	E2E_CALL(&st->s, 409, "PUT", "/v1/me/restriction", st->cz[B].session, e2e_body_totp(code), &r);
	E2E_PROBLEM(&r, 409, "totp_reused");
	e2e_resp_free(&r);
	lookup(200, &st->hospital, people[B].nid, "treatment", NULL, NULL, &r);
	e2e_resp_free(&r);

	e2e_totp_fresh(st->cz[B].uri, &st->cz[B].last_step, code);
	E2E_CALL(&st->s, 200, "PUT", "/v1/me/restriction", st->cz[B].session, e2e_body_totp(code), &r);
	assert_int_equal(e2e_jbool(r.json, "restricted"), 1);
	e2e_resp_free(&r);
	lookup(403, &st->hospital, people[B].nid, "treatment", NULL, NULL, &r);
	assert_not_permitted(&r);
	e2e_resp_free(&r);
	lookup(200, &st->insurer, people[B].nid, "contribution_check", NULL, NULL, &r);
	assert_str_eq(e2e_jstr(r.json, "basis"), "legal_obligation");
	e2e_resp_free(&r);
	lookup(200, &st->emergency, people[B].nid, "emergency_care", NULL, JUSTIFICATION, &r);
	e2e_resp_free(&r);

	e2e_totp_fresh(st->cz[B].uri, &st->cz[B].last_step, code);
	E2E_CALL(&st->s, 200, "DELETE", "/v1/me/restriction", st->cz[B].session, e2e_body_totp(code), &r);
	assert_int_equal(e2e_jbool(r.json, "restricted"), 0);
	e2e_resp_free(&r);
	lookup(200, &st->hospital, people[B].nid, "treatment", NULL, NULL, &r);
	e2e_resp_free(&r);
}

static void test_registrar_rectifies_a_record(void **state)
{
	char path[200];
	e2e_resp r;

	(void)state;
	need(st->cz[B].session, "B's session");
	snprintf(path, sizeof path, "/v1/citizens/%s", st->cz[B].registrar_cid);
	E2E_CALL(&st->s, 200, "PATCH", path, st->registrar.token,
	    e2e_body_rectify(json_pack("{s:s}", "blood_type", "AB-")), &r);
	assert_str_eq(e2e_jstr(r.json, "citizen_id"), st->cz[B].registrar_cid);
	e2e_resp_free(&r);
	E2E_CALL(&st->s, 200, "GET", "/v1/me", st->cz[B].session, NULL, &r);
	assert_str_eq(e2e_jstr(r.json, "fields/blood_type"), "AB-");
	assert_str_eq(e2e_jstr(r.json, "fields/full_name"), people[B].name);
	e2e_resp_free(&r);
	/* an unknown pseudonym */
	E2E_CALL(&st->s, 404, "PATCH", "/v1/citizens/00000000000000000000000000000000", st->registrar.token,
	    e2e_body_rectify(json_pack("{s:s}", "blood_type", "AB-")), &r);
	e2e_resp_free(&r);
}

static void test_five_wrong_codes_lock_the_identity(void **state)
{
	char good[7], wrong[7], near[3][7];
	e2e_resp r;
	int i, k, n;

	(void)state;
	need(st->cz[C].uri, "citizen C");
	for (k = 0; k < 3; k++)
		e2e_totp_offset(st->cz[C].uri, k - 1, near[k]);
	/* a code none of the steps around now would give */
	for (n = 0;; n++) {
		snprintf(wrong, sizeof wrong, "%06d", (123456 + n * 7919) % 1000000);
		if (strcmp(wrong, near[0]) && strcmp(wrong, near[1]) && strcmp(wrong, near[2]))
			break;
	}
	for (i = 0; i < 5; i++) {
		E2E_CALL(&st->s, 401, "POST", "/v1/sessions", NULL, e2e_body_citizen_login(people[C].nid, wrong), &r);
		E2E_PROBLEM(&r, 401, "invalid_totp");
		e2e_resp_free(&r);
	}
	e2e_totp_fresh(st->cz[C].uri, &st->cz[C].last_step, good);
	E2E_CALL(&st->s, 429, "POST", "/v1/sessions", NULL, e2e_body_citizen_login(people[C].nid, good), &r);
	E2E_PROBLEM(&r, 429, "rate_limited");
	e2e_resp_free(&r);
	/* another identity is not affected */
	need(st->cz[A].uri, "citizen A");
	login_citizen(A);
}

static void test_erasure_by_the_registrar(void **state)
{
	char path[200];
	e2e_resp r;

	(void)state;
	need(st->cz[C].registrar_cid, "citizen C");
	snprintf(path, sizeof path, "/v1/citizens/%s", st->cz[C].registrar_cid);
	E2E_CALL(&st->s, 200, "DELETE", path, st->registrar.token, NULL, &r);
	assert_str_eq(e2e_jstr(r.json, "citizen_id"), st->cz[C].registrar_cid);
	assert_int_equal(e2e_jbool(r.json, "erased"), 1);
	e2e_resp_free(&r);
	lookup(403, &st->insurer, people[C].nid, "contribution_check", NULL, NULL, &r);
	assert_not_permitted(&r);
	e2e_resp_free(&r);
	E2E_CALL(&st->s, 404, "DELETE", path, st->registrar.token, NULL, &r);
	e2e_resp_free(&r);

	/* D, erased while logged in: the session ends with the record */
	need(st->cz[D].session, "D's session");
	snprintf(path, sizeof path, "/v1/citizens/%s", st->cz[D].registrar_cid);
	E2E_CALL(&st->s, 200, "DELETE", path, st->registrar.token, NULL, &r);
	e2e_resp_free(&r);
	E2E_CALL(&st->s, 401, "GET", "/v1/me", st->cz[D].session, NULL, &r);
	E2E_PROBLEM(&r, 401, "unauthorized");
	e2e_resp_free(&r);
	/* and to an agency the erased look like those who never were */
	E2E_CALL(&st->s, 202, "POST", "/v1/consent-requests", st->hospital.token,
	    e2e_body_consent_request(people[D].nid, "treatment", NULL, 7), &r);
	assert_str_eq(e2e_jstr(r.json, "status"), "pending");
	e2e_resp_free(&r);
}

static void test_checkpoint_and_consistency(void **state)
{
	char path[100];
	unsigned char root[32], *proof, *leaves = NULL;
	int64_t size, seen;
	long long after;
	size_t n, i;
	e2e_resp r;
	json_t *e;

	(void)state;
	if (!st->early_ok)
		skip();
	get_checkpoint(&size, root);
	assert_true(size >= st->early_size);
	/* from the early checkpoint to now */
	snprintf(path, sizeof path, "/v1/checkpoint/consistency?from=%lld&to=%lld", (long long)st->early_size,
	    (long long)size);
	E2E_CALL(&st->s, 200, "GET", path, NULL, NULL, &r);
	assert_int_equal(e2e_jint(r.json, "from"), st->early_size);
	assert_int_equal(e2e_jint(r.json, "to"), size);
	assert_int_equal(e2e_hashes_decode(e2e_jget(r.json, "proof"), &proof, &n), 0);
	if (!e2e_verify_consistency(st->early_size, size, st->early_root, root, proof, n))
		fail_msg("the consistency proof %lld -> %lld does not verify: %s", (long long)st->early_size, (long long)size,
		    r.body);
	free(proof);
	e2e_resp_free(&r);

	/* the whole tree again, from the officer's listing, page by page: its root is the checkpoint's */
	need(st->officer_session, "officer session");
	leaves = calloc((size_t)size, 32);
	assert_non_null(leaves);
	for (after = -1, seen = 0; seen < size;) {
		if (after < 0)
			snprintf(path, sizeof path, "/v1/audit?limit=7");
		else
			snprintf(path, sizeof path, "/v1/audit?limit=7&after=%lld", after);
		E2E_CALL(&st->s, 200, "GET", path, st->officer_session, NULL, &r);
		assert_true(json_array_size(e2e_jget(r.json, "entries")) <= 7);
		json_array_foreach(e2e_jget(r.json, "entries"), i, e) {
			char *b = entry_bytes(e);
			json_t *o = json_is_string(e) ? json_loads(b, 0, NULL) : json_incref(e);
			long long seq = e2e_jint(o, "seq");

			assert_int_equal(seq, after + 1 + (long long)i); /* in order, no gaps */
			if (seq < size) {
				e2e_leaf_hash(b, strlen(b), leaves + 32 * seq);
				seen++;
			}
			json_decref(o);
			free(b);
		}
		if (seen < size) {
			assert_true(json_is_integer(e2e_jget(r.json, "next")));
			after = e2e_jint(r.json, "next");
		}
		e2e_resp_free(&r);
	}
	{
		unsigned char mine[32];

		e2e_tree_root(leaves, size, mine);
		if (memcmp(mine, root, 32) != 0)
			fail_msg("the root recomputed from GET /v1/audit's %lld entries differs from the checkpoint's",
			    (long long)size);
	}
	snprintf(path, sizeof path, "/v1/checkpoint/consistency?from=1&to=%lld", (long long)size);
	E2E_CALL(&st->s, 200, "GET", path, NULL, NULL, &r);
	assert_int_equal(e2e_hashes_decode(e2e_jget(r.json, "proof"), &proof, &n), 0);
	if (!e2e_verify_consistency(1, size, leaves, root, proof, n))
		fail_msg("the consistency proof 1 -> %lld does not verify: %s", (long long)size, r.body);
	free(proof);
	free(leaves);
	e2e_resp_free(&r);
	/* sizes out of range */
	snprintf(path, sizeof path, "/v1/checkpoint/consistency?from=%lld&to=%lld", (long long)size + 1000,
	    (long long)size + 2000);
	E2E_CALL(&st->s, 400, "GET", path, NULL, NULL, &r);
	e2e_resp_free(&r);
	E2E_CALL(&st->s, 400, "GET", "/v1/checkpoint/consistency?from=5&to=2", NULL, NULL, &r);
	e2e_resp_free(&r);
}

/*
 * A lookup that fails after it was understood (here: the record's wrapped DEK spoiled on disk,
 * beside the running server) answers 500 without personal data, and is still on the log: a
 * denial with reason "error", naming the citizen and the error's code.
 */
static void test_a_failed_lookup_is_still_audited(void **state)
{
	static const char nid[] = "001090077001";
	char *key = test_path(st->s.data, "master.key"), *cid, *q;
	unsigned char raw[16];
	vault_unlock u = {0};
	vault *v = NULL;
	sqlite3_stmt *s;
	util_err err;
	e2e_resp r;
	json_t *e;
	size_t i;
	int found = 0;

	(void)state;
	need(st->registrar.token, "registrar");
	need(st->officer_session, "officer session");
	E2E_CALL(&st->s, 201, "POST", "/v1/citizens", st->registrar.token,
	    e2e_body_citizen(nid, json_pack("{s:s, s:s, s:s}", "full_name", "Hỏng Khoá", "date_of_birth", "1990-01-01",
	                              "gender", "male")),
	    &r);
	cid = e2e_jdup(r.json, "citizen_id");
	e2e_resp_free(&r);
	assert_non_null(cid);
	assert_int_equal(util_hex_decode(raw, sizeof raw, cid), 0);
	u.key_file = key;
	if (vault_open(&v, st->s.data, &u, &err) != 0)
		fail_msg("open the vault beside vaultd: %s", err.msg);
	/* the registrar got its pseudonym for the citizen; the log names the internal id */
	assert_int_equal(sqlite3_prepare_v2(vault_sql_db(v), "SELECT lower(hex(cid)) FROM pseudonyms WHERE pid = ?1", -1, &s,
	                     NULL),
	    SQLITE_OK);
	sqlite3_bind_blob(s, 1, raw, sizeof raw, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	free(cid);
	cid = strdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	assert_int_equal(util_hex_decode(raw, sizeof raw, cid), 0);
	assert_int_equal(sqlite3_prepare_v2(vault_sql_db(v), "UPDATE citizens SET dek = zeroblob(length(dek)) WHERE cid = ?1",
	                     -1, &s, NULL),
	    SQLITE_OK);
	sqlite3_bind_blob(s, 1, raw, sizeof raw, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(s), SQLITE_DONE);
	sqlite3_finalize(s);
	assert_int_equal(sqlite3_changes(vault_sql_db(v)), 1);
	vault_close(v);

	lookup(500, &st->insurer, nid, "contribution_check", NULL, NULL, &r);
	E2E_PROBLEM(&r, 500, "internal");
	assert_null(strstr(r.body, nid));
	assert_null(strstr(r.body, "Hỏng"));
	e2e_resp_free(&r);

	assert_true(asprintf(&q, "/v1/audit?decision=deny&agency_id=%s&limit=1000", st->insurer.id) > 0);
	E2E_CALL(&st->s, 200, "GET", q, st->officer_session, NULL, &r);
	json_array_foreach(e2e_jget(r.json, "entries"), i, e) {
		json_t *o = json_is_string(e) ? json_loads(json_string_value(e), 0, NULL) : json_incref(e);
		const char *reason = e2e_jstr(o, "reason"), *who = e2e_jstr(o, "citizen");

		if (reason && strcmp(reason, "error") == 0 && who && strcmp(who, cid) == 0) {
			assert_str_eq(e2e_jstr(o, "action"), "lookup");
			assert_str_eq(e2e_jstr(o, "note"), "corrupt");
			found++;
		}
		json_decref(o);
	}
	e2e_resp_free(&r);
	assert_int_equal(found, 1);
	free(q);
	free(cid);
	free(key);
}

static void test_metrics_count_requests_without_personal_data(void **state)
{
	e2e_resp r;
	const char *p;
	size_t i;

	(void)state;
	E2E_CALL(&st->s, 200, "GET", "/metrics", NULL, NULL, &r);
	assert_true(strncmp(r.content_type, "text/plain", 10) == 0);
	assert_non_null(strstr(r.body, "# TYPE"));
	assert_non_null(strstr(r.body, "requests_total"));
	assert_non_null(strstr(r.body, "\nvaultd_audit_wal_restarts_total "));
	/* the connection asking is open: the gauge counts at least it */
	assert_non_null(p = strstr(r.body, "\nvaultd_connections_open "));
	assert_true(strtol(p + strlen("\nvaultd_connections_open "), NULL, 10) >= 1);
	for (i = 0; i < NPEOPLE; i++) {
		assert_null(strstr(r.body, people[i].nid));
		assert_null(strstr(r.body, people[i].name));
		assert_null(strstr(r.body, people[i].phone));
	}
	assert_null(strstr(r.body, UNKNOWN_NID));
	e2e_resp_free(&r);
}

/* Last: stop the server and look at every byte it left behind. */
static void test_no_personal_data_in_logs_or_files(void **state)
{
	char where[700];
	size_t i, j, n;
	unsigned char *log;

	(void)state;
	assert_int_equal(e2e_halt(&st->s), 0); /* a clean exit on SIGTERM */
	log = test_read_file(st->s.log, &n);
	assert_non_null(log);
	assert_non_null(strstr((char *)log, "listening"));
	free(log);
	for (i = 0; i < NPEOPLE; i++) {
		const char *items[] = {people[i].nid, people[i].name, people[i].phone, people[i].email, people[i].chronic};

		for (j = 0; j < sizeof items / sizeof items[0]; j++)
			if (test_tree_contains(st->s.dir, items[j], strlen(items[j]), where, sizeof where))
				fail_msg("person %zu item %zu in plaintext in %s", i, j, where);
	}
	assert_false(test_tree_contains(st->s.dir, UNKNOWN_NID, strlen(UNKNOWN_NID), where, sizeof where));
	/* the scan read the error bodies too: there were plenty, and the scanner finds what is there */
	{
		char *errors = test_path(st->s.dir, "error-bodies.log");
		unsigned char *text = test_read_file(errors, &n);

		assert_non_null(text);
		assert_non_null(strstr((char *)text, "not_permitted"));
		assert_true(test_tree_contains(st->s.dir, "not_permitted", 13, where, sizeof where));
		free(text);
		free(errors);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_operator_sets_up_agencies_purposes_officer),
		cmocka_unit_test(test_registrar_enrols_citizens),
		cmocka_unit_test(test_protocol_conventions),
		cmocka_unit_test(test_lookup_without_consent_is_denied_alike),
		cmocka_unit_test(test_consent_request_is_pending_for_anyone),
		cmocka_unit_test(test_citizen_logs_in_and_sees_own_record),
		cmocka_unit_test(test_citizen_sees_the_request_explained),
		cmocka_unit_test(test_approve_subset_with_step_up_and_signed_receipt),
		cmocka_unit_test(test_request_status_for_its_agency_only),
		cmocka_unit_test(test_lookup_returns_exactly_the_approved_subset),
		cmocka_unit_test(test_revoked_consent_denies_the_next_lookup),
		cmocka_unit_test(test_legal_obligation_needs_no_consent),
		cmocka_unit_test(test_vital_interest_needs_justification_and_review),
		cmocka_unit_test(test_totp_window_is_one_step),
		cmocka_unit_test(test_citizen_access_log_with_inclusion_proofs),
		cmocka_unit_test(test_justification_only_where_the_law_takes_it),
		cmocka_unit_test(test_problem_detail_names_what_was_wrong),
		cmocka_unit_test(test_denied_request),
		cmocka_unit_test(test_parallel_lookups_each_audited),
		cmocka_unit_test(test_officer_sees_and_verifies_the_audit_log),
		cmocka_unit_test(test_restriction_stops_consent_but_not_the_law),
		cmocka_unit_test(test_registrar_rectifies_a_record),
		cmocka_unit_test(test_five_wrong_codes_lock_the_identity),
		cmocka_unit_test(test_erasure_by_the_registrar),
		cmocka_unit_test(test_checkpoint_and_consistency),
		cmocka_unit_test(test_a_failed_lookup_is_still_audited),
		cmocka_unit_test(test_metrics_count_requests_without_personal_data),
		cmocka_unit_test(test_no_personal_data_in_logs_or_files),
	};

	return cmocka_run_group_tests(tests, story_setup, story_teardown);
}
