/*
 * test_portal.c: the portal's serving (--portal DIR: files from memory, exact paths, fixed
 * headers) and sessions in a browser (the vaultd_session cookie, its CSRF token and Origin check,
 * GET /v1/session, the cookie cleared on sign-out), beside the Bearer use that stays as it was.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>

#include "harness.h"

#define CITIZENS 6
#define INDEX_HTML "<!doctype html><html lang=\"vi\"><title>vaultd</title><script type=\"module\" src=\"/js/app.js\"></script></html>\n"
#define CSP \
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " \
	"font-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

static struct {
	e2e_server s;
	char *root;   /* a temp dir: portal/ (served) and outside.html beside it */
	char *portal;
	char *registrar, *officer_id, *officer_uri;
	char nid[CITIZENS][13], uri[CITIZENS][256];
	int64_t last[CITIZENS], last_officer;
} W;

static const char *g_base; /* where call() goes: W.s.base, or else this (a vaultd serving TLS) */

/* One answer, with its header lines. */
typedef struct answer {
	long status;
	char head[8192];
	size_t headn;
	char *body;
	size_t len;
	json_t *json;
} answer;

static size_t on_head(char *p, size_t size, size_t n, void *ctx)
{
	answer *a = ctx;
	size_t k = size * n;

	if (a->headn + k < sizeof a->head) {
		memcpy(a->head + a->headn, p, k);
		a->headn += k;
		a->head[a->headn] = '\0';
	}
	return k;
}

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
	answer *a = ctx;
	size_t k = size * n;
	char *b = realloc(a->body, a->len + k + 1);

	if (b == NULL)
		return 0;
	memcpy(b + a->len, p, k);
	a->body = b;
	a->len += k;
	b[a->len] = '\0';
	return k;
}

/*
 * A request with the header lines given (a NULL-terminated list; NULL: none) and body (JSON, or
 * NULL), the path sent as it is (no ../ folding). Returns the status; a failure fails the test.
 */
static long call(const char *method, const char *path, const char *const *hdrs, const char *body, answer *a)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	char url[2048];

	memset(a, 0, sizeof *a);
	assert_non_null(c);
	snprintf(url, sizeof url, "%s%s", g_base ? g_base : W.s.base, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L); /* the TLS test's certificate is its own */
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_head);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, a);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, a);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	for (; hdrs != NULL && *hdrs != NULL; hdrs++)
		h = curl_slist_append(h, *hdrs);
	h = curl_slist_append(h, "Expect:");
	if (body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		h = curl_slist_append(h, "Content-Type: application/json");
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	if (curl_easy_perform(c) != CURLE_OK)
		fail_msg("%s %s: no answer", method, path);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a->status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	if (a->len > 0)
		a->json = json_loadb(a->body, a->len, 0, NULL);
	return a->status;
}

static void answer_free(answer *a)
{
	free(a->body);
	json_decref(a->json);
	memset(a, 0, sizeof *a);
}

/* The value of header name in a (the first), into out; NULL when absent. */
static const char *header(const answer *a, const char *name, char *out, size_t n)
{
	size_t k = strlen(name);
	const char *p;

	for (p = a->head; p != NULL && *p != '\0'; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncasecmp(p, name, k) == 0 && p[k] == ':') {
			size_t len;

			p += k + 1;
			while (*p == ' ')
				p++;
			len = strcspn(p, "\r\n");
			snprintf(out, n, "%.*s", (int)len, p);
			return out;
		}
	}
	return NULL;
}

#define assert_header(a, name, want) \
	do { \
		char v_[1024]; \
		assert_str_eq(header((a), (name), v_, sizeof v_), (want)); \
	} while (0)

static void expect_status(const char *method, const char *path, const char *const *hdrs, const char *body,
    long want, const char *code, answer *a)
{
	if (call(method, path, hdrs, body, a) != want)
		fail_msg("%s %s: %ld, want %ld: %s", method, path, a->status, want, a->body ? a->body : "");
	if (code != NULL && strcmp(e2e_or_null(e2e_jstr(a->json, "code")), code) != 0)
		fail_msg("%s %s: code %s, want %s", method, path, e2e_or_null(e2e_jstr(a->json, "code")), code);
}

/* A browser's session for citizen i: fills cookie ("Cookie: vaultd_session=...") and csrf. */
static void cookie_login(int i, char cookie[256], char csrf[64], answer *a)
{
	char code[7], body[160], set[512];
	const char *v;

	e2e_totp_fresh(W.uri[i], &W.last[i], code);
	snprintf(body, sizeof body, "{\"national_id\":\"%s\",\"totp\":\"%s\",\"cookie\":true}", W.nid[i], code);
	expect_status("POST", "/v1/sessions", NULL, body, 201, NULL, a);
	assert_non_null(header(a, "Set-Cookie", set, sizeof set));
	snprintf(cookie, 256, "Cookie: %.*s", (int)strcspn(set, ";"), set);
	v = e2e_jstr(a->json, "csrf_token");
	assert_non_null(v);
	snprintf(csrf, 64, "X-CSRF-Token: %s", v);
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char *p = test_path(dir, name);

	test_write_file(p, text, strlen(text));
	free(p);
}

/* portal/: index.html, app.css, js/app.js; beside it outside.html; in it a link to that, a hidden file, a .md. */
static void make_portal(void)
{
	char *js, *outside, *link;

	W.root = test_tmpdir();
	W.portal = test_path(W.root, "portal");
	js = test_path(W.portal, "js");
	assert_int_equal(mkdir(W.portal, 0700), 0);
	assert_int_equal(mkdir(js, 0700), 0);
	write_file(W.portal, "index.html", INDEX_HTML);
	write_file(W.portal, "app.css", "body{margin:0}\n");
	write_file(js, "app.js", "export const x = 1;\n");
	write_file(W.portal, ".hidden.html", "hidden\n");
	write_file(W.portal, "notes.md", "not a type the portal serves\n");
	write_file(W.root, "outside.html", "outside the portal\n");
	outside = test_path(W.root, "outside.html");
	link = test_path(W.portal, "link.html");
	assert_int_equal(symlink(outside, link), 0);
	free(outside);
	free(link);
	free(js);
}

static int setup(void **state)
{
	const char *const reg[] = {"registrar"}, *args[] = {"--portal", NULL, NULL};
	e2e_resp r;
	int i;

	(void)state;
	json_set_alloc_funcs(malloc, free);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	make_portal();
	args[1] = W.portal;
	if (e2e_start_with(&W.s, args) != 0)
		return -1;
	E2E_CALL(&W.s, 201, "POST", "/v1/agencies", W.s.admin_token, e2e_body_agency("Registrar", reg, 1), &r);
	W.registrar = e2e_jdup(r.json, "token");
	e2e_resp_free(&r);
	for (i = 0; i < CITIZENS; i++) {
		snprintf(W.nid[i], sizeof W.nid[i], "0791950%05d", 300 + i);
		E2E_CALL(&W.s, 201, "POST", "/v1/citizens", W.registrar,
		    e2e_body_citizen(W.nid[i], json_pack("{s:s}", "full_name", "Lê Thị Hoa")), &r);
		snprintf(W.uri[i], sizeof W.uri[i], "%s", e2e_or_null(e2e_jstr(r.json, "totp_uri")));
		e2e_resp_free(&r);
	}
	E2E_CALL(&W.s, 201, "POST", "/v1/officers", W.s.admin_token, e2e_body_officer("Officer"), &r);
	W.officer_id = e2e_jdup(r.json, "id");
	W.officer_uri = e2e_jdup(r.json, "totp_uri");
	e2e_resp_free(&r);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	e2e_stop(&W.s);
	test_rmtree(W.root);
	free(W.root);
	free(W.portal);
	free(W.registrar);
	free(W.officer_id);
	free(W.officer_uri);
	curl_global_cleanup();
	return 0;
}

/* GET / is index.html, other files by their path, each with its type and the portal's headers; API answers keep theirs. */
static void test_files_served_with_headers(void **state)
{
	static const struct {
		const char *path, *type, *body;
	} files[] = {
		{"/", "text/html; charset=utf-8", INDEX_HTML},
		{"/index.html", "text/html; charset=utf-8", INDEX_HTML},
		{"/app.css", "text/css; charset=utf-8", "body{margin:0}\n"},
		{"/js/app.js", "text/javascript; charset=utf-8", "export const x = 1;\n"},
	};
	answer a;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof files / sizeof files[0]; i++) {
		expect_status("GET", files[i].path, NULL, NULL, 200, NULL, &a);
		assert_str_eq(a.body, files[i].body);
		assert_header(&a, "Content-Type", files[i].type);
		assert_header(&a, "Content-Security-Policy", CSP);
		assert_header(&a, "X-Content-Type-Options", "nosniff");
		assert_header(&a, "X-Frame-Options", "DENY");
		assert_header(&a, "Referrer-Policy", "no-referrer");
		assert_header(&a, "Cache-Control", "no-cache");
		answer_free(&a);
	}
	expect_status("HEAD", "/", NULL, NULL, 200, NULL, &a);
	assert_header(&a, "Content-Security-Policy", CSP);
	answer_free(&a);
	expect_status("GET", "/healthz", NULL, NULL, 200, NULL, &a);
	assert_header(&a, "X-Content-Type-Options", "nosniff");
	assert_header(&a, "Cache-Control", "no-store");
	answer_free(&a);
}

/* Only the loaded files, by their exact path: traversal, odd bytes, hidden files, links, other types and methods are 404. */
static void test_other_paths_404(void **state)
{
	static const char *const paths[] = {
		"/../outside.html", "/js/../index.html", "//index.html", "/js//app.js", "/%2e%2e/outside.html",
		"/index%2ehtml", "/index.html%00.png", "/.hidden.html", "/link.html", "/notes.md", "/js", "/js/",
		"/INDEX.HTML", "/index.html/", "/portal/index.html", "/./index.html", "/index.html.",
	};
	answer a;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		expect_status("GET", paths[i], NULL, NULL, 404, "not_found", &a);
		answer_free(&a);
	}
	expect_status("POST", "/", NULL, "{}", 404, "not_found", &a);
	answer_free(&a);
	expect_status("DELETE", "/index.html", NULL, NULL, 404, "not_found", &a);
	answer_free(&a);
}

/* Without --portal, / stays 404; a portal without index.html, or with a file over the bound, stops vaultd at start. */
static void test_portal_option(void **state)
{
	e2e_server s;
	e2e_resp r;
	char *empty, *big, *err = NULL, *big_data;
	int rc;

	(void)state;
	memset(&s, 0, sizeof s);
	assert_int_equal(e2e_start(&s), 0);
	E2E_CALL(&s, 404, "GET", "/", NULL, NULL, &r);
	e2e_resp_free(&r);
	assert_int_equal(e2e_halt(&s), 0);
	empty = test_path(s.dir, "empty");
	assert_int_equal(mkdir(empty, 0700), 0);
	{
		char *argv[] = {s.vaultd, "--data", s.data, "--listen", "127.0.0.1:0", "--portal", empty, NULL};

		rc = test_run(argv, NULL, NULL, &err);
		assert_int_not_equal(rc, 0);
		assert_non_null(strstr(e2e_or_null(err), "has no index.html"));
		free(err);
	}
	big = test_path(s.dir, "big");
	assert_int_equal(mkdir(big, 0700), 0);
	write_file(big, "index.html", INDEX_HTML);
	big_data = calloc(1, (4u << 20) + 2);
	assert_non_null(big_data);
	memset(big_data, 'x', (4u << 20) + 1);
	write_file(big, "big.js", big_data);
	free(big_data);
	{
		char *argv[] = {s.vaultd, "--data", s.data, "--listen", "127.0.0.1:0", "--portal", big, NULL};

		rc = test_run(argv, NULL, NULL, &err);
		assert_int_not_equal(rc, 0);
		assert_non_null(strstr(e2e_or_null(err), "larger than"));
		free(err);
	}
	free(empty);
	free(big);
	e2e_stop(&s);
}

/* "cookie": true: the token in an HttpOnly, SameSite=Strict cookie and not in the body; the body has the CSRF token. */
static void test_cookie_login(void **state)
{
	char cookie[256], csrf[64], set[512];
	answer a;

	(void)state;
	cookie_login(0, cookie, csrf, &a);
	header(&a, "Set-Cookie", set, sizeof set);
	if (strncmp(set, "vaultd_session=vk_session_", 26) != 0 || strlen(set) != 26 + 43 + strlen("; Path=/; HttpOnly; SameSite=Strict; Max-Age=900") ||
	    strcmp(set + 26 + 43, "; Path=/; HttpOnly; SameSite=Strict; Max-Age=900") != 0)
		fail_msg("Set-Cookie: %s", set);
	assert_null(strstr(a.body, "vk_session_"));
	assert_null(e2e_jget(a.json, "token"));
	assert_str_eq(e2e_jstr(a.json, "kind"), "citizen");
	assert_non_null(e2e_jstr(a.json, "expires_at"));
	assert_int_equal(strlen(e2e_or_null(e2e_jstr(a.json, "csrf_token"))), 43);
	assert_header(&a, "Cache-Control", "no-store");
	answer_free(&a);
}

/* The cookie authenticates citizen and officer routes, GET /v1/session gives the same CSRF token; other routes never read it. */
static void test_cookie_auth(void **state)
{
	char cookie[256], csrf[64], code[7], body[160], set[512];
	const char *hdrs[2] = {NULL, NULL};
	answer a;

	(void)state;
	cookie_login(1, cookie, csrf, &a);
	answer_free(&a);
	hdrs[0] = cookie;
	expect_status("GET", "/v1/me", hdrs, NULL, 200, NULL, &a);
	assert_str_eq(e2e_jstr(a.json, "fields/full_name"), "Lê Thị Hoa");
	answer_free(&a);
	expect_status("GET", "/v1/session", hdrs, NULL, 200, NULL, &a);
	assert_str_eq(e2e_jstr(a.json, "kind"), "citizen");
	assert_string_equal(csrf + strlen("X-CSRF-Token: "), e2e_or_null(e2e_jstr(a.json, "csrf_token")));
	assert_non_null(e2e_jstr(a.json, "expires_at"));
	answer_free(&a);
	expect_status("GET", "/v1/audit", hdrs, NULL, 403, "forbidden", &a); /* a citizen's cookie on an officer's route */
	answer_free(&a);
	expect_status("POST", "/v1/agencies", hdrs, "{\"name\":\"x\",\"roles\":[\"consumer\"]}", 401, "unauthorized", &a);
	answer_free(&a);
	expect_status("GET", "/v1/session", NULL, NULL, 401, "unauthorized", &a);
	answer_free(&a);
	/* an officer's browser session */
	e2e_totp_fresh(W.officer_uri, &W.last_officer, code);
	snprintf(body, sizeof body, "{\"officer_id\":\"%s\",\"totp\":\"%s\",\"cookie\":true}", W.officer_id, code);
	expect_status("POST", "/v1/sessions", NULL, body, 201, NULL, &a);
	assert_str_eq(e2e_jstr(a.json, "kind"), "officer");
	assert_non_null(header(&a, "Set-Cookie", set, sizeof set));
	snprintf(cookie, sizeof cookie, "Cookie: %.*s", (int)strcspn(set, ";"), set);
	answer_free(&a);
	expect_status("GET", "/v1/audit", hdrs, NULL, 200, NULL, &a);
	answer_free(&a);
	expect_status("GET", "/v1/session", hdrs, NULL, 200, NULL, &a);
	assert_str_eq(e2e_jstr(a.json, "kind"), "officer");
	answer_free(&a);
}

/* A write by cookie needs the session's X-CSRF-Token, and no Origin but vaultd's own. */
static void test_csrf(void **state)
{
	char cookie[256], csrf[64], cookie3[256], csrf3[64], own[128], code[7], body[200];
	const char *none[] = {NULL, NULL}, *wrong[] = {NULL, "X-CSRF-Token: AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL},
	           *other[] = {NULL, NULL, NULL}, *foreign[] = {NULL, NULL, "Origin: http://evil.example", NULL},
	           *null_origin[] = {NULL, NULL, "Origin: null", NULL}, *good[] = {NULL, NULL, NULL, NULL};
	answer a;

	(void)state;
	cookie_login(2, cookie, csrf, &a);
	answer_free(&a);
	none[0] = wrong[0] = foreign[0] = null_origin[0] = good[0] = cookie;
	foreign[1] = null_origin[1] = good[1] = csrf;
	snprintf(own, sizeof own, "Origin: %s", W.s.base);
	good[2] = own;
	expect_status("DELETE", "/v1/me/consents/co_0000000000000000", none, NULL, 403, "csrf_failed", &a);
	answer_free(&a);
	expect_status("DELETE", "/v1/me/consents/co_0000000000000000", wrong, NULL, 403, "csrf_failed", &a);
	answer_free(&a);
	expect_status("DELETE", "/v1/me/consents/co_0000000000000000", foreign, NULL, 403, "csrf_failed", &a);
	answer_free(&a);
	expect_status("DELETE", "/v1/me/consents/co_0000000000000000", null_origin, NULL, 403, "csrf_failed", &a);
	answer_free(&a);
	/* another session's token is not this one's */
	cookie_login(3, cookie3, csrf3, &a);
	answer_free(&a);
	other[0] = cookie;
	other[1] = csrf3;
	expect_status("DELETE", "/v1/me/consents/co_0000000000000000", other, NULL, 403, "csrf_failed", &a);
	answer_free(&a);
	/* the right token, with and without its own Origin: the handler runs (no such consent) */
	expect_status("DELETE", "/v1/me/consents/co_0000000000000000", good, NULL, 404, "not_found", &a);
	answer_free(&a);
	good[2] = NULL;
	expect_status("DELETE", "/v1/me/consents/co_0000000000000000", good, NULL, 404, "not_found", &a);
	answer_free(&a);
	/* reads need no token */
	expect_status("GET", "/v1/me/consents", none, NULL, 200, NULL, &a);
	answer_free(&a);
	/* no page of another site signs a browser in */
	e2e_totp_fresh(W.uri[2], &W.last[2], code);
	snprintf(body, sizeof body, "{\"national_id\":\"%s\",\"totp\":\"%s\",\"cookie\":true}", W.nid[2], code);
	expect_status("POST", "/v1/sessions", foreign + 2, body, 403, "csrf_failed", &a);
	answer_free(&a);
}

/* Sign-out by cookie (with its CSRF token) clears the cookie, and the session is over. */
static void test_sign_out_clears_cookie(void **state)
{
	char cookie[256], csrf[64];
	const char *hdrs[] = {NULL, NULL, NULL};
	answer a;

	(void)state;
	cookie_login(4, cookie, csrf, &a);
	answer_free(&a);
	hdrs[0] = cookie;
	hdrs[1] = csrf;
	expect_status("DELETE", "/v1/sessions/current", hdrs, NULL, 200, NULL, &a);
	assert_header(&a, "Set-Cookie", "vaultd_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
	answer_free(&a);
	expect_status("GET", "/v1/session", hdrs, NULL, 401, "unauthorized", &a);
	answer_free(&a);
	expect_status("GET", "/v1/me", hdrs, NULL, 401, "unauthorized", &a);
	answer_free(&a);
}

/* Without "cookie", a login is as it was: the token in the body, no cookie; Bearer writes need no CSRF token. */
static void test_bearer_unchanged(void **state)
{
	char code[7], body[160], auth[160], set[512];
	const char *hdrs[] = {NULL, NULL};
	answer a;

	(void)state;
	e2e_totp_fresh(W.uri[5], &W.last[5], code);
	snprintf(body, sizeof body, "{\"national_id\":\"%s\",\"totp\":\"%s\"}", W.nid[5], code);
	expect_status("POST", "/v1/sessions", NULL, body, 201, NULL, &a);
	assert_null(header(&a, "Set-Cookie", set, sizeof set));
	assert_null(e2e_jget(a.json, "csrf_token"));
	snprintf(auth, sizeof auth, "Authorization: Bearer %s", e2e_or_null(e2e_jstr(a.json, "token")));
	answer_free(&a);
	hdrs[0] = auth;
	expect_status("GET", "/v1/session", hdrs, NULL, 200, NULL, &a);
	assert_str_eq(e2e_jstr(a.json, "kind"), "citizen");
	answer_free(&a);
	expect_status("DELETE", "/v1/me/consents/co_0000000000000000", hdrs, NULL, 404, "not_found", &a);
	answer_free(&a);
	expect_status("DELETE", "/v1/sessions/current", hdrs, NULL, 200, NULL, &a);
	answer_free(&a);
	expect_status("GET", "/v1/me", hdrs, NULL, 401, "unauthorized", &a);
	answer_free(&a);
}

/* The port of vaultd's "listening" line in log, waiting up to 5 s; 0 if none came. */
static unsigned listening_port(const char *log)
{
	unsigned port = 0;
	int i;

	for (i = 0; i < 250 && port == 0; i++) {
		size_t n;
		char *b = (char *)test_read_file(log, &n), *p;

		if (b != NULL && (p = strstr(b, "\"msg\":\"listening\"")) != NULL && (p = strstr(p, "\"port\":")) != NULL)
			port = (unsigned)strtoul(p + 7, NULL, 10);
		free(b);
		if (port == 0)
			usleep(20 * 1000);
	}
	return port;
}

/* Under TLS the cookie is Secure, set and cleared alike. */
static void test_tls_cookie_secure(void **state)
{
	const char *const reg[] = {"registrar"};
	static const char attrs[] = "; Path=/; HttpOnly; SameSite=Strict; Max-Age=900; Secure";
	char *registrar, *uri, *cert, *key, *log, base[64], body[160], set[512], cookie[256], csrf[80], code[7];
	const char *hdrs[] = {cookie, csrf, NULL};
	e2e_server s;
	e2e_resp r;
	answer a;
	int64_t last = 0;
	unsigned port;
	pid_t pid;
	int status;

	(void)state;
	if (access("/usr/bin/openssl", X_OK) != 0)
		skip(); /* the certificate is made with openssl */
	memset(&s, 0, sizeof s);
	assert_int_equal(e2e_start(&s), 0);
	E2E_CALL(&s, 201, "POST", "/v1/agencies", s.admin_token, e2e_body_agency("Registrar", reg, 1), &r);
	registrar = e2e_jdup(r.json, "token");
	e2e_resp_free(&r);
	E2E_CALL(&s, 201, "POST", "/v1/citizens", registrar,
	    e2e_body_citizen("079195000400", json_pack("{s:s}", "full_name", "Phạm An")), &r);
	uri = e2e_jdup(r.json, "totp_uri");
	e2e_resp_free(&r);
	assert_int_equal(e2e_halt(&s), 0); /* the harness's vaultd speaks HTTP: ours, TLS */
	cert = test_path(s.dir, "cert.pem");
	key = test_path(s.dir, "key.pem");
	log = test_path(s.dir, "tls.log");
	{
		char *argv[] = {"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
			"-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1", NULL};

		assert_int_equal(test_run(argv, NULL, NULL, NULL), 0);
	}
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execl(s.vaultd, s.vaultd, "--data", s.data, "--listen", "127.0.0.1:0", "--tls-cert", cert, "--tls-key", key,
		    "--log", log, (char *)NULL);
		_exit(127);
	}
	port = listening_port(log);
	assert_int_not_equal(port, 0);
	snprintf(base, sizeof base, "https://127.0.0.1:%u", port);
	g_base = base;
	e2e_totp_fresh(uri, &last, code);
	snprintf(body, sizeof body, "{\"national_id\":\"079195000400\",\"totp\":\"%s\",\"cookie\":true}", code);
	expect_status("POST", "/v1/sessions", NULL, body, 201, NULL, &a);
	assert_non_null(header(&a, "Set-Cookie", set, sizeof set));
	if (strlen(set) < sizeof attrs || strcmp(set + strlen(set) - (sizeof attrs - 1), attrs) != 0)
		fail_msg("Set-Cookie under TLS: %s", set);
	snprintf(cookie, sizeof cookie, "Cookie: %.*s", (int)strcspn(set, ";"), set);
	snprintf(csrf, sizeof csrf, "X-CSRF-Token: %s", e2e_or_null(e2e_jstr(a.json, "csrf_token")));
	answer_free(&a);
	expect_status("DELETE", "/v1/sessions/current", hdrs, NULL, 200, NULL, &a);
	assert_header(&a, "Set-Cookie", "vaultd_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0; Secure");
	answer_free(&a);
	g_base = NULL;
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	free(registrar);
	free(uri);
	free(cert);
	free(key);
	free(log);
	e2e_stop(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_files_served_with_headers),
		cmocka_unit_test(test_other_paths_404),
		cmocka_unit_test(test_portal_option),
		cmocka_unit_test(test_cookie_login),
		cmocka_unit_test(test_cookie_auth),
		cmocka_unit_test(test_csrf),
		cmocka_unit_test(test_sign_out_clears_cookie),
		cmocka_unit_test(test_bearer_unchanged),
		cmocka_unit_test(test_tls_cookie_secure),
	};

	return cmocka_run_group_tests_name("portal", tests, setup, teardown);
}
