/* test_rights.c: a citizen's rights in the portal's API: the timeline of who used their data, its proofs checked as a browser would. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#define NID_C "036095000811" /* the citizen whose rights are exercised */
#define NID_D "036095000822" /* another citizen */

typedef struct world {
	e2e_server s;
	char *registrar, *hospital, *emergency, *officer;
	char *hospital_id, *emergency_id, *registrar_id;
	char *uri_c, *session_c, *uri_d, *session_d, *pseudonym_c;
	int64_t last_c, last_d, last_officer;
	char *officer_id, *officer_uri;
} world;

static world W;

static char *agency(const char *name, const char *const *roles, size_t n, char **id)
{
	e2e_resp r;
	char *tok;

	E2E_CALL(&W.s, 201, "POST", "/v1/agencies", W.s.admin_token, e2e_body_agency(name, roles, n), &r);
	tok = e2e_jdup(r.json, "token");
	*id = e2e_jdup(r.json, "id");
	e2e_resp_free(&r);
	return tok;
}

static void purpose(const char *agency_id, const char *code, const char *basis)
{
	e2e_resp r;

	E2E_CALL(&W.s, 201, "POST", "/v1/purposes", W.s.admin_token,
	    e2e_body_purpose(agency_id, code, "A purpose of the test", basis, NULL,
	        e2e_strings("full_name", "date_of_birth", "blood_type", NULL), 365, 30),
	    &r);
	e2e_resp_free(&r);
}

/* Enrols nid; its otpauth URI into *uri; returns the registrar's pseudonym for it. */
static char *enrol(const char *nid, const char *name, char **uri)
{
	e2e_resp r;
	char *cid;

	E2E_CALL(&W.s, 201, "POST", "/v1/citizens", W.registrar,
	    e2e_body_citizen(nid, json_pack("{s:s, s:s, s:s, s:s}", "full_name", name, "date_of_birth", "1990-05-06",
	                              "blood_type", "O+", "phone", "0912345678")),
	    &r);
	cid = e2e_jdup(r.json, "citizen_id");
	*uri = e2e_jdup(r.json, "totp_uri");
	e2e_resp_free(&r);
	return cid;
}

static char *sign_in(const char *nid, const char *uri, int64_t *last)
{
	char code[7], *tok;
	e2e_resp r;

	e2e_totp_fresh(uri, last, code);
	E2E_CALL(&W.s, 201, "POST", "/v1/sessions", NULL, e2e_body_citizen_login(nid, code), &r);
	tok = e2e_jdup(r.json, "token");
	e2e_resp_free(&r);
	return tok;
}

static int setup(void **state)
{
	static const char *const reg[] = {"registrar"}, *const cons[] = {"consumer"},
	                         *const emer[] = {"consumer", "emergency"};
	char code[7], *d;
	e2e_resp r;

	(void)state;
	if (vault_init() != 0)
		return -1;
	json_set_alloc_funcs(malloc, free); /* the harness frees what jansson allocates with free() */
	if (e2e_start(&W.s) != 0)
		return -1;
	W.registrar = agency("Sở Tư pháp", reg, 1, &W.registrar_id);
	W.hospital = agency("Bệnh viện Bạch Mai", cons, 1, &W.hospital_id);
	W.emergency = agency("Cấp cứu 115", emer, 2, &W.emergency_id);
	purpose(W.hospital_id, "treatment", "consent");
	purpose(W.emergency_id, "emergency_care", "vital_interest");
	E2E_CALL(&W.s, 201, "POST", "/v1/officers", W.s.admin_token, e2e_body_officer("Officer"), &r);
	W.officer_id = e2e_jdup(r.json, "id");
	W.officer_uri = e2e_jdup(r.json, "totp_uri");
	e2e_resp_free(&r);
	e2e_totp_fresh(W.officer_uri, &W.last_officer, code);
	E2E_CALL(&W.s, 201, "POST", "/v1/sessions", NULL, e2e_body_officer_login(W.officer_id, code), &r);
	W.officer = e2e_jdup(r.json, "token");
	e2e_resp_free(&r);
	W.pseudonym_c = enrol(NID_C, "Nguyễn Thị Quyền", &W.uri_c);
	d = enrol(NID_D, "Trần Văn Khác", &W.uri_d);
	free(d);
	W.session_c = sign_in(NID_C, W.uri_c, &W.last_c);
	W.session_d = sign_in(NID_D, W.uri_d, &W.last_d);
	return W.registrar && W.hospital && W.officer && W.session_c && W.session_d ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	e2e_stop(&W.s);
	free(W.registrar), free(W.hospital), free(W.emergency), free(W.officer);
	free(W.hospital_id), free(W.emergency_id), free(W.registrar_id);
	free(W.uri_c), free(W.session_c), free(W.uri_d), free(W.session_d), free(W.pseudonym_c);
	free(W.officer_id), free(W.officer_uri);
	return 0;
}

/* The citizen's whole access log (every page of 200), newest first: a new array. */
static json_t *timeline(const char *session)
{
	json_t *all = json_array();
	char path[100] = "/v1/me/access-log?limit=200";
	e2e_resp r;

	for (;;) {
		json_t *next;

		E2E_CALL(&W.s, 200, "GET", path, session, NULL, &r);
		json_array_extend(all, e2e_jget(r.json, "entries"));
		next = json_object_get(r.json, "next");
		if (!json_is_integer(next)) {
			e2e_resp_free(&r);
			return all;
		}
		snprintf(path, sizeof path, "/v1/me/access-log?limit=200&after=%lld", (long long)json_integer_value(next));
		e2e_resp_free(&r);
	}
}

/* The newest entry of the timeline with this action (and decision, when not NULL), or NULL. */
static json_t *find(json_t *all, const char *action, const char *decision)
{
	json_t *e;
	size_t i;

	json_array_foreach(all, i, e) {
		const char *a = e2e_jstr(e, "action"), *d = e2e_jstr(e, "decision");

		if (a != NULL && strcmp(a, action) == 0 && (decision == NULL || (d != NULL && strcmp(d, decision) == 0)))
			return e;
	}
	return NULL;
}

static char *request(const char *token, const char *nid, const char *code)
{
	e2e_resp r;
	char *id;

	E2E_CALL(&W.s, 202, "POST", "/v1/consent-requests", token, e2e_body_consent_request(nid, code, NULL, 30), &r);
	id = e2e_jdup(r.json, "id");
	e2e_resp_free(&r);
	return id;
}

/*
 * "Who used my data": every kind of event about the citizen is in their timeline: sign-ins
 * and a failed one, consent requests, an approval, a denial, a revocation, lookups allowed and
 * denied, a restriction and its lifting, an emergency access and then its review's outcome.
 */
static void test_timeline_covers_every_event_about_the_citizen(void **state)
{
	char path[160], code[7], *req;
	const char *wanted[] = {"auth.login", "auth.login_failed", "consent.request", "consent.approve",
		"consent.deny", "consent.revoke", "restriction.set", "restriction.lift", "record.create", "record.read"};
	json_t *all, *e, *review;
	long long emergency_seq;
	e2e_resp r;
	size_t i;
	int tries;

	(void)state;
	/* a failed sign-in: a code from long ago */
	E2E_CALL(&W.s, 401, "POST", "/v1/sessions", NULL, e2e_body_citizen_login(NID_C, "000000"), &r);
	e2e_resp_free(&r);
	E2E_CALL(&W.s, 200, "GET", "/v1/me", W.session_c, NULL, &r);
	e2e_resp_free(&r);
	/* a request approved, a lookup allowed, the consent revoked, the next lookup denied */
	req = request(W.hospital, NID_C, "treatment");
	snprintf(path, sizeof path, "/v1/me/consent-requests/%s/approve", req);
	free(req);
	e2e_totp_fresh(W.uri_c, &W.last_c, code);
	E2E_CALL(&W.s, 201, "POST", path, W.session_c, e2e_body_approve(code, NULL), &r);
	snprintf(path, sizeof path, "/v1/me/consents/%s", e2e_jstr(r.json, "consent_id"));
	e2e_resp_free(&r);
	E2E_CALL(&W.s, 200, "POST", "/v1/lookup", W.hospital, e2e_body_lookup(NID_C, "treatment", NULL, NULL), &r);
	e2e_resp_free(&r);
	E2E_CALL(&W.s, 200, "DELETE", path, W.session_c, NULL, &r);
	e2e_resp_free(&r);
	E2E_CALL(&W.s, 403, "POST", "/v1/lookup", W.hospital, e2e_body_lookup(NID_C, "treatment", NULL, NULL), &r);
	e2e_resp_free(&r);
	/* a request denied */
	req = request(W.hospital, NID_C, "treatment");
	snprintf(path, sizeof path, "/v1/me/consent-requests/%s/deny", req);
	free(req);
	E2E_CALL(&W.s, 200, "POST", path, W.session_c, NULL, &r);
	e2e_resp_free(&r);
	/* restricted and lifted */
	e2e_totp_fresh(W.uri_c, &W.last_c, code);
	E2E_CALL(&W.s, 200, "PUT", "/v1/me/restriction", W.session_c, e2e_body_totp(code), &r);
	e2e_resp_free(&r);
	e2e_totp_fresh(W.uri_c, &W.last_c, code);
	E2E_CALL(&W.s, 200, "DELETE", "/v1/me/restriction", W.session_c, e2e_body_totp(code), &r);
	e2e_resp_free(&r);
	/* an emergency access */
	E2E_CALL(&W.s, 200, "POST", "/v1/lookup", W.emergency,
	    e2e_body_lookup(NID_C, "emergency_care", NULL, "found unconscious at the station"), &r);
	e2e_resp_free(&r);

	/* a failed code's entry is written within a quarter second of its answer */
	for (tries = 0;; tries++) {
		all = timeline(W.session_c);
		if (find(all, "auth.login_failed", NULL) != NULL || tries == 20)
			break;
		json_decref(all);
		usleep(100 * 1000);
	}
	for (i = 0; i < sizeof wanted / sizeof wanted[0]; i++)
		if (find(all, wanted[i], NULL) == NULL)
			fail_msg("the timeline has no %s entry", wanted[i]);
	assert_non_null(find(all, "lookup", "allow"));
	assert_non_null(find(all, "lookup", "deny"));
	/* who, in words: the agency's name beside its id */
	e = find(all, "consent.request", NULL);
	assert_str_eq(e2e_jstr(e, "agency_name"), "Bệnh viện Bạch Mai");
	assert_str_eq(e2e_jstr(e, "purpose_description/code"), "treatment");
	/* the emergency access waits for its review */
	e = find(all, "lookup", "allow");
	assert_str_eq(e2e_jstr(e, "basis"), "vital_interest");
	assert_str_eq(e2e_jstr(e, "review/status"), "pending");
	emergency_seq = e2e_jint(e, "seq");
	/* an access on consent has no review */
	json_array_foreach(all, i, e) {
		const char *b = e2e_jstr(e, "basis");

		if (b != NULL && strcmp(b, "consent") == 0)
			assert_null(json_object_get(e, "review"));
	}
	json_decref(all);

	/* the officer reviews it: the citizen sees the outcome beside the access */
	snprintf(path, sizeof path, "/v1/reviews/%lld", emergency_seq);
	E2E_CALL(&W.s, 200, "POST", path, W.officer, e2e_body_review("unjustified", "no sign of an emergency"), &r);
	e2e_resp_free(&r);
	all = timeline(W.session_c);
	e = find(all, "lookup", "allow");
	assert_int_equal(e2e_jint(e, "seq"), emergency_seq);
	review = json_object_get(e, "review");
	assert_str_eq(e2e_jstr(review, "status"), "reviewed");
	assert_str_eq(e2e_jstr(review, "outcome"), "unjustified");
	assert_non_null(e2e_jstr(review, "reviewed_at"));
	/* the officer's note stays with the officers; nothing names the citizen's values */
	assert_null(json_object_get(review, "note"));
	json_decref(all);
	E2E_CALL(&W.s, 200, "GET", "/v1/me/access-log?limit=200", W.session_c, NULL, &r);
	assert_null(strstr(r.body, NID_C));
	assert_null(strstr(r.body, "Nguyễn Thị Quyền"));
	assert_null(strstr(r.body, "no sign of an emergency"));
	e2e_resp_free(&r);
	/* and the other citizen's timeline has none of it */
	all = timeline(W.session_d);
	assert_null(find(all, "consent.request", NULL));
	assert_null(find(all, "lookup", NULL));
	json_decref(all);
}

/* ---- an inclusion proof checked from the JSON alone, step by step as the portal's script does ---- */

/* atob(): base64 into out (exactly n bytes); 0, or -1 when it is not that. */
static int atob_n(const char *b64, unsigned char *out, size_t n)
{
	size_t got = 0;

	if (b64 == NULL || sodium_base642bin(out, n, b64, strlen(b64), NULL, &got, NULL, sodium_base64_VARIANT_ORIGINAL) != 0)
		return -1;
	return got == n ? 0 : -1;
}

/* crypto.subtle.digest("SHA-256", prefix || bytes) */
static void digest(unsigned char prefix, const void *a, size_t na, const void *b, size_t nb, unsigned char out[32])
{
	crypto_hash_sha256_state st;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, &prefix, 1);
	crypto_hash_sha256_update(&st, a, na);
	if (b != NULL)
		crypto_hash_sha256_update(&st, b, nb);
	crypto_hash_sha256_final(&st, out);
}

/*
 * The checkpoint: body = the text up to and including the first "\n\n"'s first "\n" (origin,
 * size, root lines); after the blank line, lines "— <key name> <base64(key id[4] || sig[64])>".
 * Checks the origin and key name against /v1/keys, the key id, and Ed25519 over body. 0 with
 * size and root, or -1.
 */
static int browser_checkpoint(const char *note, const char *key_name, const unsigned char pk[32], long long *size,
    unsigned char root[32])
{
	const char *blank = strstr(note, "\n\n"), *l2, *l3, *sigline;
	char line[128], b64[128];
	unsigned char raw[68], kid[32];
	size_t bodylen, namelen = strlen(key_name);
	char *end;

	if (blank == NULL)
		return -1;
	bodylen = (size_t)(blank - note) + 1;
	if ((l2 = strchr(note, '\n')) == NULL || (size_t)(l2 - note) != namelen || memcmp(note, key_name, namelen) != 0)
		return -1; /* the origin is the key's name */
	l2++;
	if ((l3 = strchr(l2, '\n')) == NULL || l3 - l2 >= (ptrdiff_t)sizeof line)
		return -1;
	memcpy(line, l2, (size_t)(l3 - l2));
	line[l3 - l2] = '\0';
	*size = strtoll(line, &end, 10);
	if (*end != '\0' || end == line)
		return -1;
	l3++;
	if (blank - l3 >= (ptrdiff_t)sizeof b64)
		return -1;
	memcpy(b64, l3, (size_t)(blank - l3));
	b64[blank - l3] = '\0';
	if (atob_n(b64, root, 32) != 0)
		return -1;
	sigline = blank + 2;
	if (strncmp(sigline, "\xe2\x80\x94 ", 4) != 0 || strncmp(sigline + 4, key_name, namelen) != 0 ||
	    sigline[4 + namelen] != ' ')
		return -1;
	sigline += 4 + namelen + 1;
	if (strchr(sigline, '\n') == NULL || strchr(sigline, '\n') - sigline >= (ptrdiff_t)sizeof b64)
		return -1;
	memcpy(b64, sigline, (size_t)(strchr(sigline, '\n') - sigline));
	b64[strchr(sigline, '\n') - sigline] = '\0';
	if (atob_n(b64, raw, sizeof raw) != 0)
		return -1;
	/* key id: SHA-256(key name || "\n" || 0x01 || public key)[0..4] */
	{
		crypto_hash_sha256_state st;
		const unsigned char sep[2] = {'\n', 0x01};

		crypto_hash_sha256_init(&st);
		crypto_hash_sha256_update(&st, (const unsigned char *)key_name, namelen);
		crypto_hash_sha256_update(&st, sep, 2);
		crypto_hash_sha256_update(&st, pk, 32);
		crypto_hash_sha256_final(&st, kid);
	}
	if (memcmp(kid, raw, 4) != 0)
		return -1;
	/* crypto.subtle.verify("Ed25519", key, sig, TextEncoder(body)) */
	return crypto_sign_ed25519_verify_detached(raw + 4, (const unsigned char *)note, bodylen, pk) == 0 ? 0 : -1;
}

/*
 * The loop docs/api/openapi.yaml gives for the portal's script (RFC 9162, 2.1.3.2): fn = seq,
 * sn = tree_size - 1, r = leaf; for each p of proof: if sn == 0 fail; if fn is odd or fn == sn
 * { r = H(0x01 || p || r); if fn is even, shift fn and sn right until fn is odd or 0 } else
 * r = H(0x01 || r || p); then shift fn and sn right once. At the end sn == 0 and r == root.
 */
static int browser_inclusion(long long seq, long long size, const unsigned char leaf[32], json_t *proof,
    const unsigned char root[32])
{
	unsigned long long fn = (unsigned long long)seq, sn = (unsigned long long)size - 1;
	unsigned char r[32], p[32];
	json_t *h;
	size_t i;

	if (seq < 0 || seq >= size)
		return 0;
	memcpy(r, leaf, 32);
	json_array_foreach(proof, i, h) {
		if (sn == 0 || atob_n(json_string_value(h), p, 32) != 0)
			return 0;
		if ((fn & 1) || fn == sn) {
			digest(0x01, p, 32, r, 32, r);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			digest(0x01, r, 32, p, 32, r);
		}
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && memcmp(r, root, 32) == 0;
}

/*
 * Every entry of the timeline, proved with nothing but the JSON the API gave: the public key
 * and its name from /v1/keys, the proof's entry, hashes and checkpoint. A changed byte of the
 * entry, of a hash or of the checkpoint fails.
 */
static void test_proofs_verify_as_a_browser_would(void **state)
{
	unsigned char pk[32], root[32], leaf[32];
	json_t *all, *e;
	char *key_name;
	e2e_resp k, p;
	size_t i;
	int proved = 0;

	(void)state;
	E2E_CALL(&W.s, 200, "GET", "/v1/keys", NULL, NULL, &k);
	assert_str_eq(e2e_jstr(k.json, "alg"), "Ed25519");
	assert_int_equal(atob_n(e2e_jstr(k.json, "public_key"), pk, 32), 0);
	key_name = e2e_jdup(k.json, "key_name");
	e2e_resp_free(&k);
	all = timeline(W.session_c);
	assert_true(json_array_size(all) >= 5);
	json_array_foreach(all, i, e) {
		char path[100], *note;
		const char *entry;
		long long seq = e2e_jint(e, "seq"), size;

		snprintf(path, sizeof path, "/v1/me/access-log/%lld/proof", seq);
		E2E_CALL(&W.s, 200, "GET", path, W.session_c, NULL, &p);
		if (browser_checkpoint(e2e_jstr(p.json, "checkpoint"), key_name, pk, &size, root) != 0)
			fail_msg("the checkpoint of %lld does not verify: %s", seq, p.body);
		assert_int_equal(size, e2e_jint(p.json, "tree_size"));
		entry = e2e_jstr(p.json, "entry");
		assert_non_null(entry);
		digest(0x00, entry, strlen(entry), NULL, 0, leaf); /* TextEncoder: the entry's UTF-8 bytes */
		if (!browser_inclusion(seq, size, leaf, e2e_jget(p.json, "proof"), root))
			fail_msg("the proof of %lld does not verify: %s", seq, p.body);
		leaf[31] ^= 1;
		assert_false(browser_inclusion(seq, size, leaf, e2e_jget(p.json, "proof"), root));
		leaf[31] ^= 1;
		root[0] ^= 1;
		assert_false(browser_inclusion(seq, size, leaf, e2e_jget(p.json, "proof"), root));
		/* a checkpoint changed by one byte (its size) no longer verifies */
		note = strdup(e2e_jstr(p.json, "checkpoint"));
		*(strchr(note, '\n') + 1) ^= 1;
		assert_int_equal(browser_checkpoint(note, key_name, pk, &size, root), -1);
		free(note);
		e2e_resp_free(&p);
		proved++;
	}
	assert_int_equal(proved, (int)json_array_size(all));
	json_decref(all);
	free(key_name);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timeline_covers_every_event_about_the_citizen),
		cmocka_unit_test(test_proofs_verify_as_a_browser_would),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
