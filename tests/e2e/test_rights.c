/* test_rights.c: a citizen's rights in the portal's API: the timeline of who used their data, its proofs checked as a browser would. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sodium.h>

#include "../../vault/sqlite.h"

#define NID_C "036095000811" /* the citizen whose rights are exercised */
#define NID_D "036095000822" /* another citizen */
#define NEW_NAME "Nguyễn Thị Quyền Đúng" /* the name C asks for */
#define NOTE_C "giấy khai sinh ghi Quyền Đúng"
#define REASON "hồ sơ gốc ghi Quyền"

typedef struct world {
	e2e_server s;
	char *registrar, *hospital, *emergency, *officer;
	char *hospital_id, *emergency_id, *registrar_id;
	char *uri_c, *session_c, *uri_d, *session_d, *pseudonym_c;
	int64_t last_c, last_d, last_officer;
	char *officer_id, *officer_uri;
} world;

static world W;

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
	W.registrar = e2e_agency(&W.s, "Sở Tư pháp", reg, 1, &W.registrar_id);
	W.hospital = e2e_agency(&W.s, "Bệnh viện Bạch Mai", cons, 1, &W.hospital_id);
	W.emergency = e2e_agency(&W.s, "Cấp cứu 115", emer, 2, &W.emergency_id);
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

/* ---- "download my data" ---- */

/* An answer with the headers a browser's code looks at. */
typedef struct raw_answer {
	long status;
	char disposition[256], cache[256], set_cookie[512];
	char *body;
	size_t len;
} raw_answer;

static void keep_header(char *dst, size_t n, const char *b, size_t len)
{
	while (len > 0 && (b[len - 1] == '\r' || b[len - 1] == '\n'))
		len--;
	snprintf(dst, n, "%.*s", (int)len, b);
}

static size_t on_header(char *b, size_t size, size_t n, void *arg)
{
	raw_answer *a = arg;
	size_t len = size * n;

	if (len > 20 && strncasecmp(b, "Content-Disposition:", 20) == 0)
		keep_header(a->disposition, sizeof a->disposition, b, len);
	if (len > 14 && strncasecmp(b, "Cache-Control:", 14) == 0)
		keep_header(a->cache, sizeof a->cache, b, len);
	if (len > 11 && strncasecmp(b, "Set-Cookie:", 11) == 0)
		keep_header(a->set_cookie, sizeof a->set_cookie, b + 12, len - 12);
	return len;
}

static size_t on_data(char *b, size_t size, size_t n, void *arg)
{
	raw_answer *a = arg;
	char *more = realloc(a->body, a->len + size * n + 1);

	if (more == NULL)
		return 0;
	memcpy(more + a->len, b, size * n);
	a->body = more;
	a->len += size * n;
	a->body[a->len] = '\0';
	return size * n;
}

/* A request with the given header lines (NULL-terminated) as a browser sends it; a JSON body when body is not NULL. */
static void raw_call(const char *method, const char *path, const char *const *lines, const char *body, raw_answer *a)
{
	char url[256];
	struct curl_slist *h = NULL;
	CURL *c = curl_easy_init();

	memset(a, 0, sizeof *a);
	assert_non_null(c);
	snprintf(url, sizeof url, "%s%s", W.s.base, path);
	for (; lines != NULL && *lines != NULL; lines++)
		h = curl_slist_append(h, *lines);
	h = curl_slist_append(h, "Expect:");
	if (body != NULL) {
		h = curl_slist_append(h, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, a);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, a);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a->status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
}

/*
 * The export: every field decrypted, the restriction, consents and requests with names, the
 * access log; as an attachment not to be cached; audited by an entry that names no value; the
 * other citizen's export has none of it.
 */
static void test_export_holds_everything_about_the_citizen(void **state)
{
	char auth[256], *me_id, *req;
	const char *lines[] = {auth, NULL};
	raw_answer raw;
	json_t *consents, *e;
	e2e_resp r, me;
	size_t i;
	int named = 0;

	(void)state;
	req = request(W.hospital, NID_C, "treatment"); /* a pending request, to be exported */
	free(req);
	E2E_CALL(&W.s, 200, "GET", "/v1/me", W.session_c, NULL, &me);
	me_id = e2e_jdup(me.json, "citizen_id");
	E2E_CALL(&W.s, 200, "GET", "/v1/me/export", W.session_c, NULL, &r);
	assert_str_eq(e2e_jstr(r.json, "format"), "vaultd-export/1");
	assert_str_eq(e2e_jstr(r.json, "citizen_id"), me_id);
	assert_true(json_equal(json_object_get(r.json, "fields"), json_object_get(me.json, "fields")));
	assert_str_eq(e2e_jstr(r.json, "fields/phone"), "0912345678"); /* unmasked: the citizen's own */
	assert_int_equal(e2e_jbool(r.json, "restriction/restricted"), 0);
	assert_true(json_is_null(e2e_jget(r.json, "restriction/since")));
	consents = e2e_jget(r.json, "consents/items");
	assert_true(json_array_size(consents) >= 1);
	assert_int_equal(e2e_jbool(r.json, "consents/complete"), 1);
	json_array_foreach(consents, i, e)
		named += e2e_jstr(e, "agency/name") != NULL && strcmp(e2e_jstr(e, "agency/name"), "Bệnh viện Bạch Mai") == 0;
	assert_true(named >= 1);
	assert_true(json_array_size(e2e_jget(r.json, "consent_requests/items")) >= 1);
	assert_str_eq(e2e_jstr(r.json, "consent_requests/items/0/agency/name"), "Bệnh viện Bạch Mai");
	assert_true(json_is_array(e2e_jget(r.json, "corrections/items")));
	assert_int_equal(e2e_jbool(r.json, "access_log/complete"), 1);
	assert_true(json_is_null(e2e_jget(r.json, "access_log/next")));
	/* the export's own entry is the newest: it was written before anything was read */
	assert_str_eq(e2e_jstr(r.json, "access_log/entries/0/action"), "record.export");
	assert_null(e2e_jget(r.json, "access_log/entries/0/fields"));
	assert_non_null(find(e2e_jget(r.json, "access_log/entries"), "lookup", "deny"));
	e2e_resp_free(&r);
	e2e_resp_free(&me);
	free(me_id);
	snprintf(auth, sizeof auth, "Authorization: Bearer %s", W.session_c);
	raw_call("GET", "/v1/me/export", lines, NULL, &raw);
	assert_int_equal(raw.status, 200);
	assert_string_equal(raw.disposition, "Content-Disposition: attachment; filename=\"vaultd-my-data.json\"");
	assert_non_null(strstr(raw.cache, "no-store"));
	free(raw.body);
	/* the entry in the log names no value */
	E2E_CALL(&W.s, 200, "GET", "/v1/me/access-log?limit=1", W.session_c, NULL, &r);
	assert_str_eq(e2e_jstr(r.json, "entries/0/action"), "record.export");
	assert_null(strstr(r.body, "0912345678"));
	e2e_resp_free(&r);
	/* D's export: D's data only */
	E2E_CALL(&W.s, 200, "GET", "/v1/me/export", W.session_d, NULL, &r);
	assert_str_eq(e2e_jstr(r.json, "fields/full_name"), "Trần Văn Khác");
	assert_null(strstr(r.body, "Nguyễn Thị Quyền"));
	assert_int_equal(json_array_size(e2e_jget(r.json, "consents/items")), 0);
	assert_int_equal(json_array_size(e2e_jget(r.json, "consent_requests/items")), 0);
	e2e_resp_free(&r);
	/* nobody else may ask */
	E2E_CALL(&W.s, 403, "GET", "/v1/me/export", W.registrar, NULL, &r);
	e2e_resp_free(&r);
	E2E_CALL(&W.s, 401, "GET", "/v1/me/export", NULL, NULL, &r);
	e2e_resp_free(&r);
}

/* ---- correction requests ---- */

/* The raw bytes of every row of corrections, read beside vaultd: n rows into *rows, their length into raw_len. */
static size_t raw_len;

static char *raw_corrections(int64_t *rows)
{
	char *key = test_path(W.s.data, "master.key"), *all = calloc(1, 1);
	size_t len = 0;
	vault_unlock u = {0};
	vault *v = NULL;
	util_err err;
	sqlite3_stmt *s;

	u.key_file = key;
	if (vault_open(&v, W.s.data, &u, &err) != 0)
		fail_msg("open the vault beside vaultd: %s", err.msg);
	*rows = 0;
	assert_int_equal(sqlite3_prepare_v2(vault_sql_db(v), "SELECT * FROM corrections", -1, &s, NULL), SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW) {
		int c;

		(*rows)++;
		for (c = 0; c < sqlite3_column_count(s); c++) {
			size_t n = (size_t)sqlite3_column_bytes(s, c);

			all = realloc(all, len + n + 1);
			if (n > 0)
				memcpy(all + len, sqlite3_column_blob(s, c), n);
			len += n;
			all[len] = '\0';
		}
	}
	sqlite3_finalize(s);
	vault_close(v);
	free(key);
	raw_len = len;
	return all;
}

/* 1 if the bytes raw_corrections read hold text (blobs hold NUL bytes: no strstr). */
static int raw_has(const char *raw, const char *text)
{
	return memmem(raw, raw_len, text, strlen(text)) != NULL;
}

static char *ask_correction(const char *session, const char *field, json_t *value, const char *note)
{
	json_t *body = json_pack("{s:s, s:o}", "field", field, "value", value);
	e2e_resp r;
	char *id;

	if (note != NULL)
		json_object_set_new(body, "note", json_string(note));
	E2E_CALL(&W.s, 201, "POST", "/v1/me/corrections", session, body, &r);
	assert_str_eq(e2e_jstr(r.json, "state"), "pending");
	assert_str_eq(e2e_jstr(r.json, "field"), field);
	id = e2e_jdup(r.json, "id");
	e2e_resp_free(&r);
	return id;
}

/* The registrar's queue entry for id (of state, NULL: any), or NULL; a new reference. */
static json_t *queued(const char *id, const char *state)
{
	char path[100];
	json_t *e, *found = NULL;
	e2e_resp r;
	size_t i;

	snprintf(path, sizeof path, "/v1/corrections?limit=200%s%s", state ? "&state=" : "", state ? state : "");
	E2E_CALL(&W.s, 200, "GET", path, W.registrar, NULL, &r);
	json_array_foreach(e2e_jget(r.json, "corrections"), i, e)
		if (strcmp(e2e_jstr(e, "id"), id) == 0)
			found = json_incref(e);
	e2e_resp_free(&r);
	return found;
}

/* Every bad request is refused with its code, and nothing is stored. */
static void test_bad_correction_requests_are_refused(void **state)
{
	static const struct {
		const char *body;
		long status;
		const char *code;
	} cases[] = {
		{"{\"field\":\"no_such_field\",\"value\":\"x\"}", 400, "invalid_input"},
		{"{\"field\":\"national_id\",\"value\":\"036095000899\"}", 400, "invalid_input"},
		{"{\"field\":\"date_of_birth\",\"value\":\"1990-13-45\"}", 400, "invalid_input"},
		{"{\"field\":\"blood_type\",\"value\":{\"a\":1}}", 400, "invalid_input"},
		{"{\"field\":\"full_name\"}", 400, "invalid_input"},
		{"{\"value\":\"x\"}", 400, "invalid_input"},
		{"{\"field\":\"full_name\",\"value\":\"x\",\"extra\":1}", 400, "invalid_input"},
		{"{\"field\":\"full_name\",\"value\":\"x\",\"note\":\"   \"}", 400, "invalid_input"},
		{"{\"field\":\"full_name\",\"value\":\"x\",\"note\":7}", 400, "invalid_input"},
		{"{\"field\":\"\",\"value\":\"x\"}", 400, "invalid_input"},
		{"[1]", 400, "invalid_json"},
	};
	char note[600];
	int64_t before, after;
	e2e_resp r;
	size_t i;

	(void)state;
	free(raw_corrections(&before));
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		e2e_req(&W.s, "POST", "/v1/me/corrections", W.session_d, cases[i].body, &r);
		if (r.status != cases[i].status)
			fail_msg("%s: %ld %s", cases[i].body, r.status, r.body);
		E2E_PROBLEM(&r, cases[i].status, cases[i].code);
		assert_null(strstr(r.body, "1990-13-45"));
		e2e_resp_free(&r);
	}
	memset(note, 'a', 501);
	note[501] = '\0';
	E2E_CALL(&W.s, 400, "POST", "/v1/me/corrections", W.session_d,
	    json_pack("{s:s, s:s, s:s}", "field", "full_name", "value", "x", "note", note), &r);
	E2E_PROBLEM(&r, 400, "invalid_input");
	e2e_resp_free(&r);
	E2E_CALL(&W.s, 400, "GET", "/v1/me/corrections?state=maybe", W.session_d, NULL, &r);
	e2e_resp_free(&r);
	E2E_CALL(&W.s, 400, "GET", "/v1/me/corrections?after=cr_zz", W.session_d, NULL, &r);
	e2e_resp_free(&r);
	E2E_CALL(&W.s, 400, "GET", "/v1/me/corrections?limit=201", W.session_d, NULL, &r);
	e2e_resp_free(&r);
	E2E_CALL(&W.s, 403, "POST", "/v1/me/corrections", W.registrar, json_pack("{s:s, s:s}", "field", "full_name", "value", "x"), &r);
	e2e_resp_free(&r);
	free(raw_corrections(&after));
	assert_int_equal(after, before);
}

/*
 * A citizen asks; the value is sealed at rest; the other citizen sees nothing of it; a
 * registrar sees it with the citizen's pseudonym, rejects one with a reason and applies
 * another, once each; the record changes only for the applied one; every step is in the
 * citizen's timeline.
 */
static void test_correction_request_and_answers(void **state)
{
	char *name_id, *phone_id, *raw, path[100];
	json_t *q, *all, *e;
	int64_t rows;
	e2e_resp r;
	size_t i;

	(void)state;
	name_id = ask_correction(W.session_c, "full_name", json_string(NEW_NAME), NOTE_C);
	phone_id = ask_correction(W.session_c, "phone", json_string("0987654321"), NULL);
	/* sealed at rest: no byte of the value or the note in the table */
	raw = raw_corrections(&rows);
	assert_true(rows >= 2);
	assert_false(raw_has(raw, "Quyền Đúng"));
	assert_false(raw_has(raw, "0987654321"));
	assert_false(raw_has(raw, "khai sinh"));
	assert_true(raw_has(raw, "full_name")); /* the field's name is in the clear */
	free(raw);
	/* the citizen sees theirs; the other sees none of them */
	E2E_CALL(&W.s, 200, "GET", "/v1/me/corrections", W.session_c, NULL, &r);
	assert_int_equal(json_array_size(e2e_jget(r.json, "corrections")), 2);
	assert_str_eq(e2e_jstr(r.json, "corrections/0/id"), name_id);
	assert_str_eq(e2e_jstr(r.json, "corrections/0/value"), NEW_NAME);
	assert_str_eq(e2e_jstr(r.json, "corrections/0/note"), NOTE_C);
	assert_str_eq(e2e_jstr(r.json, "corrections/0/state"), "pending");
	assert_true(json_is_null(e2e_jget(r.json, "corrections/1/note")));
	assert_true(json_is_null(e2e_jget(r.json, "next")));
	e2e_resp_free(&r);
	E2E_CALL(&W.s, 200, "GET", "/v1/me/corrections?limit=1", W.session_c, NULL, &r);
	assert_str_eq(e2e_jstr(r.json, "next"), name_id);
	e2e_resp_free(&r);
	E2E_CALL(&W.s, 200, "GET", "/v1/me/corrections", W.session_d, NULL, &r);
	assert_null(strstr(r.body, name_id));
	assert_null(strstr(r.body, NEW_NAME));
	e2e_resp_free(&r);
	snprintf(path, sizeof path, "/v1/me/corrections?after=%s", name_id);
	E2E_CALL(&W.s, 400, "GET", path, W.session_d, NULL, &r); /* C's id is no cursor of D's */
	e2e_resp_free(&r);
	/* only a registrar sees the queue, with the value and its pseudonym for the citizen */
	E2E_CALL(&W.s, 403, "GET", "/v1/corrections", W.hospital, NULL, &r);
	e2e_resp_free(&r);
	E2E_CALL(&W.s, 403, "GET", "/v1/corrections", W.session_c, NULL, &r);
	e2e_resp_free(&r);
	E2E_CALL(&W.s, 400, "GET", "/v1/corrections?state=done", W.registrar, NULL, &r);
	e2e_resp_free(&r);
	q = queued(name_id, "pending");
	assert_non_null(q);
	assert_str_eq(e2e_jstr(q, "citizen_id"), W.pseudonym_c);
	assert_str_eq(e2e_jstr(q, "field"), "full_name");
	assert_str_eq(e2e_jstr(q, "value"), NEW_NAME);
	json_decref(q);
	/* answers: bad ones refused */
	snprintf(path, sizeof path, "/v1/corrections/%s", name_id);
	E2E_CALL(&W.s, 400, "POST", path, W.registrar, json_pack("{s:s}", "outcome", "rejected"), &r);
	E2E_PROBLEM(&r, 400, "invalid_input");
	e2e_resp_free(&r);
	E2E_CALL(&W.s, 400, "POST", path, W.registrar, json_pack("{s:s}", "outcome", "maybe"), &r);
	e2e_resp_free(&r);
	E2E_CALL(&W.s, 403, "POST", path, W.hospital, json_pack("{s:s, s:s}", "outcome", "rejected", "reason", "x"), &r);
	e2e_resp_free(&r);
	E2E_CALL(&W.s, 404, "POST", "/v1/corrections/cr_000000000000000000000000", W.registrar,
	    json_pack("{s:s, s:s}", "outcome", "rejected", "reason", "x"), &r);
	E2E_PROBLEM(&r, 404, "not_found");
	e2e_resp_free(&r);
	/* rejected with a reason: the record keeps its name */
	E2E_CALL(&W.s, 200, "POST", path, W.registrar, json_pack("{s:s, s:s}", "outcome", "rejected", "reason", REASON), &r);
	assert_str_eq(e2e_jstr(r.json, "state"), "rejected");
	assert_str_eq(e2e_jstr(r.json, "citizen_id"), W.pseudonym_c);
	e2e_resp_free(&r);
	E2E_CALL(&W.s, 409, "POST", path, W.registrar, json_pack("{s:s}", "outcome", "applied"), &r);
	E2E_PROBLEM(&r, 409, "conflict");
	e2e_resp_free(&r);
	/* applied: the record has the proposed value */
	snprintf(path, sizeof path, "/v1/corrections/%s", phone_id);
	E2E_CALL(&W.s, 200, "POST", path, W.registrar, json_pack("{s:s}", "outcome", "applied"), &r);
	assert_str_eq(e2e_jstr(r.json, "state"), "applied");
	e2e_resp_free(&r);
	E2E_CALL(&W.s, 200, "GET", "/v1/me", W.session_c, NULL, &r);
	assert_str_eq(e2e_jstr(r.json, "fields/phone"), "0987654321");
	assert_str_eq(e2e_jstr(r.json, "fields/full_name"), "Nguyễn Thị Quyền");
	e2e_resp_free(&r);
	/* the citizen sees both answers, the reason with the rejection */
	E2E_CALL(&W.s, 200, "GET", "/v1/me/corrections", W.session_c, NULL, &r);
	assert_str_eq(e2e_jstr(r.json, "corrections/0/state"), "rejected");
	assert_str_eq(e2e_jstr(r.json, "corrections/0/reason"), REASON);
	assert_str_eq(e2e_jstr(r.json, "corrections/0/registrar_name"), "Sở Tư pháp");
	assert_null(json_object_get(json_array_get(e2e_jget(r.json, "corrections"), 0), "citizen_id"));
	assert_non_null(e2e_jstr(r.json, "corrections/0/decided_at"));
	assert_str_eq(e2e_jstr(r.json, "corrections/1/state"), "applied");
	e2e_resp_free(&r);
	raw = raw_corrections(&rows);
	assert_false(raw_has(raw, "hồ sơ gốc"));
	free(raw);
	/* the queue's filter: no longer pending */
	assert_null(queued(name_id, "pending"));
	q = queued(name_id, "rejected");
	assert_non_null(q);
	json_decref(q);
	/* every step in the timeline, naming the field, never a value */
	all = timeline(W.session_c);
	assert_non_null(find(all, "correction.request", NULL));
	assert_non_null(find(all, "correction.read", NULL));
	assert_non_null(find(all, "correction.reject", NULL));
	assert_non_null(find(all, "correction.apply", NULL));
	e = find(all, "record.update", NULL);
	assert_non_null(e);
	assert_true(e2e_jarray_has(e, "fields", "phone"));
	json_array_foreach(all, i, e) {
		char *text = json_dumps(e, 0);

		assert_null(strstr(text, "0987654321"));
		assert_null(strstr(text, "Quyền Đúng"));
		assert_null(strstr(text, "hồ sơ"));
		free(text);
	}
	json_decref(all);
	free(name_id);
	free(phone_id);
}

/* At most 10 pending at once; an erasure takes the citizen's requests with the record. */
static void test_pending_cap_and_erasure(void **state)
{
	char *id, *pseudonym, *uri, *session, path[100];
	int64_t last = 0, before, after;
	e2e_resp r;
	int i;

	(void)state;
	pseudonym = enrol("036095000833", "Võ Thị Xoá", &uri);
	session = sign_in("036095000833", uri, &last);
	for (i = 0; i < 10; i++)
		free(ask_correction(session, "blood_type", json_string("AB+"), NULL));
	E2E_CALL(&W.s, 409, "POST", "/v1/me/corrections", session, json_pack("{s:s, s:s}", "field", "blood_type", "value", "B+"), &r);
	E2E_PROBLEM(&r, 409, "conflict");
	e2e_resp_free(&r);
	E2E_CALL(&W.s, 200, "GET", "/v1/me/corrections?limit=1", session, NULL, &r);
	id = e2e_jdup(r.json, "corrections/0/id");
	e2e_resp_free(&r);
	free(raw_corrections(&before));
	snprintf(path, sizeof path, "/v1/citizens/%s", pseudonym);
	E2E_CALL(&W.s, 200, "DELETE", path, W.registrar, NULL, &r);
	e2e_resp_free(&r);
	free(raw_corrections(&after));
	assert_int_equal(after, before - 10);
	assert_null(queued(id, NULL));
	snprintf(path, sizeof path, "/v1/corrections/%s", id);
	E2E_CALL(&W.s, 404, "POST", path, W.registrar, json_pack("{s:s}", "outcome", "applied"), &r);
	e2e_resp_free(&r);
	free(id), free(pseudonym), free(uri), free(session);
}

/* The export is bounded: the newest 1,000 entries of the log, and where the paged log goes on. */
static void test_export_is_bounded(void **state)
{
	e2e_resp r;
	json_t *entries;
	long long next;
	int i;

	(void)state;
	for (i = 0; i < 1000; i++) { /* each read is an entry of D's log */
		E2E_CALL(&W.s, 200, "GET", "/v1/me", W.session_d, NULL, &r);
		e2e_resp_free(&r);
	}
	E2E_CALL(&W.s, 200, "GET", "/v1/me/export", W.session_d, NULL, &r);
	entries = e2e_jget(r.json, "access_log/entries");
	assert_int_equal(json_array_size(entries), 1000);
	assert_int_equal(e2e_jbool(r.json, "access_log/complete"), 0);
	next = e2e_jint(r.json, "access_log/next");
	assert_int_equal(next, e2e_jint(json_array_get(entries, 999), "seq"));
	e2e_resp_free(&r);
	/* the paged log goes on from there, with the older entries */
	{
		char path[100];

		snprintf(path, sizeof path, "/v1/me/access-log?limit=200&after=%lld", next);
		E2E_CALL(&W.s, 200, "GET", path, W.session_d, NULL, &r);
		assert_true(json_array_size(e2e_jget(r.json, "entries")) >= 1);
		assert_true(e2e_jint(r.json, "entries/0/seq") < next);
		e2e_resp_free(&r);
	}
}

/*
 * In a browser: the session cookie reads the export; a correction request by cookie needs
 * the CSRF token (and this server's origin), as every write by cookie does.
 */
static void test_rights_work_with_the_session_cookie(void **state)
{
	char code[7], login[160], cookie[600], csrf[128], origin[128];
	const char *get[] = {cookie, NULL}, *no_csrf[] = {cookie, NULL}, *with_csrf[] = {cookie, csrf, origin, NULL};
	const char *body = "{\"field\":\"blood_type\",\"value\":\"A-\"}";
	raw_answer a;
	json_t *j;

	(void)state;
	e2e_totp_fresh(W.uri_d, &W.last_d, code);
	snprintf(login, sizeof login, "{\"national_id\":\"%s\",\"totp\":\"%s\",\"cookie\":true}", NID_D, code);
	raw_call("POST", "/v1/sessions", NULL, login, &a);
	assert_int_equal(a.status, 201);
	assert_true(a.set_cookie[0] != '\0');
	snprintf(cookie, sizeof cookie, "Cookie: %.*s", (int)strcspn(a.set_cookie, ";"), a.set_cookie);
	j = json_loads(a.body, 0, NULL);
	snprintf(csrf, sizeof csrf, "X-CSRF-Token: %s", e2e_or_null(e2e_jstr(j, "csrf_token")));
	json_decref(j);
	free(a.body);
	snprintf(origin, sizeof origin, "Origin: %s", W.s.base);
	raw_call("GET", "/v1/me/export", get, NULL, &a);
	assert_int_equal(a.status, 200);
	assert_non_null(strstr(a.disposition, "attachment"));
	assert_non_null(strstr(a.body, "Trần Văn Khác"));
	free(a.body);
	raw_call("POST", "/v1/me/corrections", no_csrf, body, &a);
	assert_int_equal(a.status, 403);
	assert_non_null(strstr(a.body, "csrf_failed"));
	free(a.body);
	raw_call("POST", "/v1/me/corrections", with_csrf, body, &a);
	assert_int_equal(a.status, 201);
	free(a.body);
	raw_call("GET", "/v1/me/corrections?state=pending", get, NULL, &a);
	assert_int_equal(a.status, 200);
	assert_non_null(strstr(a.body, "\"A-\""));
	free(a.body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timeline_covers_every_event_about_the_citizen),
		cmocka_unit_test(test_proofs_verify_as_a_browser_would),
		cmocka_unit_test(test_export_holds_everything_about_the_citizen),
		cmocka_unit_test(test_bad_correction_requests_are_refused),
		cmocka_unit_test(test_correction_request_and_answers),
		cmocka_unit_test(test_pending_cap_and_erasure),
		cmocka_unit_test(test_rights_work_with_the_session_cookie),
		cmocka_unit_test(test_export_is_bounded),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
