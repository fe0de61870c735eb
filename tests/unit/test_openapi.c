/* test_openapi.c: the server's route table (api_routes) and docs/api/openapi.yaml name the same routes. */
#include "support.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../../api/api.h"

#define OPENAPI_PATH "docs/api/openapi.yaml" /* tests run from the repository root */
#define ROUTES_MIN 30                        /* the document has 32; fewer means the scanner lost some */
#define METHOD_MAX 8u
#define ROUTE_PATH_MAX 256u
#define LINE_MAX_LEN 1024u
#define REPORT_MAX 8192u

/*
 * A small line scanner, not a YAML parser. It relies on the layout the document keeps (two
 * spaces per level): under the top-level `paths:` key, a path is a line of exactly two spaces,
 * a key starting with '/' (plain or quoted) and ':'; a method is a line of exactly four spaces
 * and one of get/put/post/delete/patch and ':'; inside a method, `responses:` has six spaces
 * and each status code eight. Blank lines and comment lines are skipped.
 */
typedef struct doc_route {
	char method[METHOD_MAX]; /* upper case */
	char path[ROUTE_PATH_MAX];
	int line;                /* of the method line */
	int has_4xx;             /* its responses name a 4xx status (400..499 or 4XX) */
} doc_route;

typedef struct doc_path {
	char path[ROUTE_PATH_MAX];
	int line;
} doc_path;

typedef struct doc_scan {
	doc_route *routes;
	size_t n, cap;
	doc_path *paths;         /* path keys in order, duplicates included */
	size_t npaths, pcap;
	size_t nproblems;        /* duplicate keys, query strings, lines too long */
	char problems[REPORT_MAX];
} doc_scan;

/* Appends a formatted line to out (a NUL-terminated string of at most n bytes), truncating. */
static void report(char *out, size_t n, const char *fmt, ...) UTIL_PRINTF(3, 4);

static void report(char *out, size_t n, const char *fmt, ...)
{
	size_t len = strlen(out);
	va_list ap;

	if (len + 1 >= n)
		return;
	va_start(ap, fmt);
	vsnprintf(out + len, n - len, fmt, ap);
	va_end(ap);
	len = strlen(out);
	if (len + 1 < n) {
		out[len] = '\n';
		out[len + 1] = '\0';
	}
}

/*
 * The key of a mapping line's content (after its indentation): plain up to the first ':' that
 * ends the line or is followed by a space, or quoted ('...' or "...") and followed by ':'. The
 * rest of the line is returned through *rest. 0 if the line is not "key:" or "key: value".
 */
static int line_key(const char *s, char *key, size_t kn, const char **rest)
{
	size_t i = 0, len;

	if (s[0] == '\'' || s[0] == '"') {
		const char *end = strchr(s + 1, s[0]);

		if (end == NULL || end[1] != ':')
			return 0;
		len = (size_t)(end - (s + 1));
		i = (size_t)(end - s) + 2;
		if (len >= kn)
			return 0;
		memcpy(key, s + 1, len);
	} else {
		while (s[i] != '\0' && !(s[i] == ':' && (s[i + 1] == '\0' || s[i + 1] == ' ')))
			i++;
		if (s[i] != ':' || i == 0 || i >= kn)
			return 0;
		len = i;
		memcpy(key, s, len);
		i++;
	}
	key[len] = '\0';
	while (s[i] == ' ')
		i++;
	*rest = s + i;
	return 1;
}

/* 1 if rest (what follows "key:") is empty or only a comment. */
static int rest_empty(const char *rest)
{
	return rest[0] == '\0' || rest[0] == '#';
}

static const char *const methods[] = {"get", "put", "post", "delete", "patch"};

static int is_method(const char *key)
{
	size_t i;

	for (i = 0; i < sizeof methods / sizeof methods[0]; i++)
		if (strcmp(key, methods[i]) == 0)
			return 1;
	return 0;
}

/* "400".."499", or "4XX" (OpenAPI's range key). */
static int is_4xx(const char *key)
{
	if (strlen(key) != 3 || key[0] != '4')
		return 0;
	if (key[1] == 'X' && key[2] == 'X')
		return 1;
	return key[1] >= '0' && key[1] <= '9' && key[2] >= '0' && key[2] <= '9';
}

/* Records path key `path` at `line`; reports it if it was given before or holds a query string. */
static void add_path(doc_scan *sc, const char *path, int line)
{
	size_t i;

	for (i = 0; i < sc->npaths; i++)
		if (strcmp(sc->paths[i].path, path) == 0) {
			sc->nproblems++;
			report(sc->problems, sizeof sc->problems, "line %d: path %s given twice (first at line %d)", line, path,
			    sc->paths[i].line);
			break;
		}
	if (strchr(path, '?') != NULL) {
		sc->nproblems++;
		report(sc->problems, sizeof sc->problems, "line %d: path %s holds a query string", line, path);
	}
	if (sc->npaths == sc->pcap) {
		sc->pcap = sc->pcap ? 2 * sc->pcap : 64;
		sc->paths = realloc(sc->paths, sc->pcap * sizeof *sc->paths);
		assert_non_null(sc->paths);
	}
	snprintf(sc->paths[sc->npaths].path, sizeof sc->paths[sc->npaths].path, "%s", path);
	sc->paths[sc->npaths++].line = line;
}

static void add_route(doc_scan *sc, const char *method, const char *path, int line)
{
	doc_route *r;
	size_t i;

	if (sc->n == sc->cap) {
		sc->cap = sc->cap ? 2 * sc->cap : 64;
		sc->routes = realloc(sc->routes, sc->cap * sizeof *sc->routes);
		assert_non_null(sc->routes);
	}
	r = &sc->routes[sc->n++];
	memset(r, 0, sizeof *r);
	for (i = 0; method[i] != '\0' && i + 1 < sizeof r->method; i++)
		r->method[i] = (char)(method[i] >= 'a' && method[i] <= 'z' ? method[i] - 'a' + 'A' : method[i]);
	snprintf(r->path, sizeof r->path, "%s", path);
	r->line = line;
}

/*
 * Scans text (NUL-terminated) into sc: every (method, path) under the top-level `paths:` key,
 * whether its responses name a 4xx, and the problems seen (a path key given twice, a method
 * given twice under one path, a query string in a path key). sc is zeroed first; free it with
 * scan_free.
 */
static void scan_openapi(const char *text, doc_scan *sc)
{
	char cur_path[ROUTE_PATH_MAX] = "";
	char line[LINE_MAX_LEN], key[ROUTE_PATH_MAX];
	const char *p = text, *rest;
	long cur_route = -1;
	int in_paths = 0, in_responses = 0, lineno = 0;
	size_t path_start = 0; /* first route of the current path, to find a method given twice */

	memset(sc, 0, sizeof *sc);
	while (*p != '\0') {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p), indent = 0, i;
		const char *c;

		lineno++;
		if (len >= sizeof line) {
			sc->nproblems++;
			report(sc->problems, sizeof sc->problems, "line %d: longer than %u bytes", lineno, LINE_MAX_LEN - 1);
			len = sizeof line - 1;
		}
		memcpy(line, p, len);
		line[len] = '\0';
		p = eol ? eol + 1 : p + strlen(p);
		while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' '))
			line[--len] = '\0';
		while (line[indent] == ' ')
			indent++;
		c = line + indent;
		if (*c == '\0' || *c == '#')
			continue;
		if (indent == 0) {
			in_paths = strcmp(c, "paths:") == 0;
			cur_path[0] = '\0';
			cur_route = -1;
			continue;
		}
		if (!in_paths)
			continue;
		if (indent == 2) {
			cur_path[0] = '\0';
			cur_route = -1;
			if (!line_key(c, key, sizeof key, &rest) || key[0] != '/' || !rest_empty(rest))
				continue;
			add_path(sc, key, lineno);
			snprintf(cur_path, sizeof cur_path, "%s", key);
			path_start = sc->n;
		} else if (indent == 4 && cur_path[0] != '\0') {
			cur_route = -1;
			if (!line_key(c, key, sizeof key, &rest) || !is_method(key) || !rest_empty(rest))
				continue;
			add_route(sc, key, cur_path, lineno);
			for (i = path_start; i + 1 < sc->n; i++)
				if (strcmp(sc->routes[i].method, sc->routes[sc->n - 1].method) == 0) {
					sc->nproblems++;
					report(sc->problems, sizeof sc->problems, "line %d: %s %s given twice", lineno,
					    sc->routes[i].method, cur_path);
				}
			cur_route = (long)sc->n - 1;
			in_responses = 0;
		} else if (indent == 6 && cur_route >= 0) {
			in_responses = strcmp(c, "responses:") == 0;
		} else if (indent == 8 && cur_route >= 0 && in_responses) {
			if (line_key(c, key, sizeof key, &rest) && is_4xx(key))
				sc->routes[cur_route].has_4xx = 1;
		}
	}
}

static void scan_free(doc_scan *sc)
{
	free(sc->routes);
	free(sc->paths);
	memset(sc, 0, sizeof *sc);
}

static const doc_route *scan_find(const doc_scan *sc, const char *method, const char *path)
{
	size_t i;

	for (i = 0; i < sc->n; i++)
		if (strcmp(sc->routes[i].method, method) == 0 && strcmp(sc->routes[i].path, path) == 0)
			return &sc->routes[i];
	return NULL;
}

/* The length of a route table path without its query string, if it has one. */
static size_t path_len(const char *path)
{
	return strcspn(path, "?");
}

static int same_route(const api_route_info *a, const char *method, const char *path)
{
	size_t n = path_len(a->path);

	return strcasecmp(a->method, method) == 0 && strlen(path) == n && strncmp(a->path, path, n) == 0;
}

/*
 * Compares the route table with the document in both directions; writes one line per pair that
 * one side lacks (and per pair the table lists twice) into out. Returns how many.
 */
static size_t parity(const doc_scan *sc, const api_route_info *api, size_t napi, char *out, size_t outn)
{
	size_t i, j, bad = 0;

	out[0] = '\0';
	for (i = 0; i < napi; i++) {
		char method[METHOD_MAX], path[ROUTE_PATH_MAX];

		if (api[i].method == NULL || api[i].path == NULL) {
			report(out, outn, "api_routes()[%zu] has a NULL method or path", i);
			bad++;
			continue;
		}
		for (j = 0; api[i].method[j] != '\0' && j + 1 < sizeof method; j++)
			method[j] = (char)(api[i].method[j] >= 'a' && api[i].method[j] <= 'z' ? api[i].method[j] - 'a' + 'A'
			                                                                       : api[i].method[j]);
		method[j] = '\0';
		snprintf(path, sizeof path, "%.*s", (int)path_len(api[i].path), api[i].path);
		for (j = 0; j < i; j++)
			if (api[j].method != NULL && api[j].path != NULL && same_route(&api[j], method, path))
				break;
		if (j < i) {
			report(out, outn, "api_routes() lists %s %s twice", method, path);
			bad++;
		} else if (scan_find(sc, method, path) == NULL) {
			report(out, outn, "missing from %s (in api_routes() only): %s %s", OPENAPI_PATH, method, path);
			bad++;
		}
	}
	for (i = 0; i < sc->n; i++) {
		for (j = 0; j < napi; j++)
			if (api[j].method != NULL && api[j].path != NULL &&
			    same_route(&api[j], sc->routes[i].method, sc->routes[i].path))
				break;
		if (j == napi) {
			report(out, outn, "missing from api_routes() (in %s only, line %d): %s %s", OPENAPI_PATH,
			    sc->routes[i].line, sc->routes[i].method, sc->routes[i].path);
			bad++;
		}
	}
	return bad;
}

/* Reads and scans the real document; fails if it cannot be read. */
static void scan_document(doc_scan *sc)
{
	size_t n = 0;
	unsigned char *text = test_read_file(OPENAPI_PATH, &n);

	if (text == NULL)
		fail_msg("cannot read %s: run the tests from the repository root", OPENAPI_PATH);
	if (strlen((const char *)text) != n) {
		free(text);
		fail_msg("%s holds a NUL byte", OPENAPI_PATH);
	}
	scan_openapi((const char *)text, sc);
	free(text);
}

/* ---- the scanner and the comparison, on small inputs ---- */

static const char sample_yaml[] = "openapi: 3.1.0\n"
                                  "# a comment at column 0\n"
                                  "info:\n"
                                  "  title: sample\n"
                                  "  description: |\n"
                                  "    paths:\n"
                                  "  /under-info:\n"
                                  "    get:\n"
                                  "paths:\n"
                                  "  /a:\n"
                                  "    get:\n"
                                  "      summary: 'x: y'\n"
                                  "      responses:\n"
                                  "        '200':\n"
                                  "          description: ok\n"
                                  "        '404':\n"
                                  "          description: not found\n"
                                  "    parameters: []\n"
                                  "  # a comment inside paths\n"
                                  "\n"
                                  "  '/b/{id}':   \r\n"
                                  "    post:\n"
                                  "      description: >-\n"
                                  "        '400': text in a description, not a response\n"
                                  "      responses:\n"
                                  "        \"201\":\n"
                                  "          description: made\n"
                                  "        '500': {description: broken}\n"
                                  "    delete: # a comment\n"
                                  "      responses:\n"
                                  "        4XX:\n"
                                  "          description: any client error\n"
                                  "    post:\n"
                                  "     patch:\n"
                                  "    trace:\n"
                                  "   /three-spaces:\n"
                                  "  x-extension:\n"
                                  "    get:\n"
                                  "  /d?x=1:\n"
                                  "    put:\n"
                                  "      responses:\n"
                                  "          '401':\n"
                                  "        '200': {description: ok}\n"
                                  "  /a:\n"
                                  "    head:\n"
                                  "  /b/{id}:\n"
                                  "    get:\n"
                                  "components:\n"
                                  "  /under-components:\n"
                                  "    get:\n"
                                  "      responses:\n"
                                  "        '400':\n";

static void test_scanner_on_sample(void **state)
{
	doc_scan sc;
	const doc_route *r;

	(void)state;
	scan_openapi(sample_yaml, &sc);
	if (sc.n != 6)
		fail_msg("the scanner found %zu routes in the sample, not 6", sc.n);
	assert_int_equal(sc.npaths, 5);
	assert_non_null(r = scan_find(&sc, "GET", "/a"));
	assert_true(r->has_4xx);
	assert_int_equal(r->line, 11);
	assert_non_null(r = scan_find(&sc, "POST", "/b/{id}"));
	assert_false(r->has_4xx); /* the '400' is in a description; 201 and 500 are not 4xx */
	assert_non_null(r = scan_find(&sc, "DELETE", "/b/{id}"));
	assert_true(r->has_4xx);
	assert_non_null(r = scan_find(&sc, "PUT", "/d?x=1"));
	assert_false(r->has_4xx); /* the '401' is indented ten spaces */
	assert_non_null(scan_find(&sc, "GET", "/b/{id}")); /* under the second /b/{id} key */
	assert_null(scan_find(&sc, "PATCH", "/b/{id}"));
	assert_null(scan_find(&sc, "GET", "/under-info"));
	assert_null(scan_find(&sc, "GET", "/under-components"));
	assert_null(scan_find(&sc, "GET", "/three-spaces"));
	/* problems: the query string, /a twice, /b/{id} twice, and POST /b/{id} twice */
	assert_int_equal(sc.nproblems, 4);
	assert_non_null(strstr(sc.problems, "/d?x=1 holds a query string"));
	assert_non_null(strstr(sc.problems, "path /a given twice"));
	assert_non_null(strstr(sc.problems, "path /b/{id} given twice"));
	assert_non_null(strstr(sc.problems, "POST /b/{id} given twice"));
	scan_free(&sc);

	scan_openapi("openapi: 3.1.0\ninfo:\n  title: none\n", &sc);
	assert_int_equal(sc.n, 0);
	assert_int_equal(sc.nproblems, 0);
	scan_free(&sc);
}

static void test_parity_reports_both_sides(void **state)
{
	static const char yaml[] = "paths:\n"
	                           "  /x:\n"
	                           "    get:\n"
	                           "  /x/{id}:\n"
	                           "    delete:\n"
	                           "  /only-in-doc:\n"
	                           "    post:\n";
	static const api_route_info same[] = {{"GET", "/x?from=1"}, {"delete", "/x/{id}"}, {"POST", "/only-in-doc"}};
	static const api_route_info differ[] = {
	    {"GET", "/x"}, {"DELETE", "/x/{id}"}, {"PUT", "/only-in-table"}, {"GET", "/x"}, {NULL, "/y"}};
	char out[REPORT_MAX];
	doc_scan sc;

	(void)state;
	scan_openapi(yaml, &sc);
	assert_int_equal(sc.n, 3);
	assert_int_equal(parity(&sc, same, sizeof same / sizeof same[0], out, sizeof out), 0);
	assert_string_equal(out, "");
	assert_int_equal(parity(&sc, differ, sizeof differ / sizeof differ[0], out, sizeof out), 4);
	assert_non_null(strstr(out, "missing from " OPENAPI_PATH " (in api_routes() only): PUT /only-in-table"));
	assert_non_null(strstr(out, "missing from api_routes() (in " OPENAPI_PATH " only, line 7): POST /only-in-doc"));
	assert_non_null(strstr(out, "api_routes() lists GET /x twice"));
	assert_non_null(strstr(out, "api_routes()[4] has a NULL method or path"));
	scan_free(&sc);
}

/* ---- the real document and the real route table ---- */

static void test_document_is_well_formed(void **state)
{
	doc_scan sc;
	size_t i, n, missing = 0, problems;

	(void)state;
	scan_document(&sc);
	n = sc.n;
	if (n < ROUTES_MIN) {
		scan_free(&sc);
		fail_msg("%s yields %zu routes, fewer than %d: the scanner or the document's layout is off", OPENAPI_PATH,
		    n, ROUTES_MIN);
	}
	problems = sc.nproblems;
	if (problems > 0)
		print_error("%s", sc.problems);
	for (i = 0; i < n; i++)
		if (!sc.routes[i].has_4xx) {
			print_error("line %d: %s %s lists no 4xx response\n", sc.routes[i].line, sc.routes[i].method,
			    sc.routes[i].path);
			missing++;
		}
	scan_free(&sc);
	if (problems > 0 || missing > 0)
		fail_msg("%s: %zu problems, %zu routes without a 4xx response (above)", OPENAPI_PATH, problems, missing);
}

/*
 * A plain (unquoted) scalar value may not hold ": " nor " #", nor end with ':': YAML reads
 * the first as a mapping and the second as a comment, and the document then does not parse
 * (a text like `"cookie": true` must be quoted or folded, `>-`). Lines inside a block scalar
 * (after `key: >-` or `key: |`, indented deeper) are text and not checked. The number of the
 * first offending line, or 0 when there is none.
 */
static int first_bad_plain_scalar(const char *text)
{
	const char *line = text;
	int no = 0, block = -1; /* the indentation of the key whose block scalar we are in, or -1 */

	while (*line != '\0') {
		const char *end = strchr(line, '\n'), *p, *v;
		size_t len = end ? (size_t)(end - line) : strlen(line), ind = strspn(line, " ");
		char buf[LINE_MAX_LEN];

		no++;
		snprintf(buf, sizeof buf, "%.*s", (int)(len < sizeof buf - 1 ? len : sizeof buf - 1), line);
		line = end ? end + 1 : line + len;
		if (buf[ind] == '\0' || buf[ind] == '#')
			continue;
		if (block >= 0 && (int)ind > block)
			continue;
		block = -1;
		if (buf[ind] == '-' || (p = strstr(buf + ind, ": ")) == NULL)
			continue;
		v = p + 2 + strspn(p + 2, " ");
		if (strchr(">|", *v) != NULL) {
			block = (int)ind;
			continue;
		}
		if (strchr("'\"[{&*!", *v) != NULL || *v == '\0')
			continue;
		if (strstr(v, ": ") != NULL || strstr(v, " #") != NULL || v[strlen(v) - 1] == ':')
			return no;
	}
	return 0;
}

static void test_plain_scalars_parse(void **state)
{
	size_t n = 0;
	unsigned char *text = test_read_file(OPENAPI_PATH, &n);
	int bad;

	(void)state;
	assert_non_null(text);
	assert_int_equal(first_bad_plain_scalar("a:\n  description: with `\"cookie\": true` only\n"), 2);
	assert_int_equal(first_bad_plain_scalar("a:\n  description: >-\n    with `\"cookie\": true` only\n"), 0);
	assert_int_equal(first_bad_plain_scalar("a:\n  description: 'x: y'\n  b: plain # comment\n"), 3);
	bad = first_bad_plain_scalar((const char *)text);
	free(text);
	if (bad != 0)
		fail_msg("%s line %d: a plain scalar holds \": \" or \" #\" (quote it or fold it with >-)", OPENAPI_PATH, bad);
}

static void test_routes_match_document(void **state)
{
	char out[REPORT_MAX];
	const api_route_info *api;
	size_t napi = 0, bad;
	doc_scan sc;

	(void)state;
	api = api_routes(&napi);
	assert_non_null(api);
	assert_true(napi > 0);
	scan_document(&sc);
	if (sc.n < ROUTES_MIN) {
		size_t n = sc.n;

		scan_free(&sc);
		fail_msg("%s yields %zu routes, fewer than %d: the scanner or the document's layout is off", OPENAPI_PATH,
		    n, ROUTES_MIN);
	}
	bad = parity(&sc, api, napi, out, sizeof out);
	scan_free(&sc);
	if (bad > 0) {
		print_error("%s", out);
		fail_msg("api_routes() and %s differ in %zu routes (above)", OPENAPI_PATH, bad);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scanner_on_sample),
		cmocka_unit_test(test_parity_reports_both_sides),
		cmocka_unit_test(test_document_is_well_formed),
		cmocka_unit_test(test_routes_match_document),
		cmocka_unit_test(test_plain_scalars_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
