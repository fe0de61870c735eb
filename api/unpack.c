/* unpack.c: reading a request's JSON body, and saying which key was wrong when it does not fit. */
#include "api_private.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define UNPACK_KEYS 16 /* the most keys a route's body has */

/* A key of the route's format: its name, whether it may be left out, the type its value needs. */
typedef struct unpack_key {
	const char *name;
	int optional;
	char type; /* jansson's format letter: s, o, O, b, i, I, f, F, n */
} unpack_key;

/*
 * The keys of a flat object format ("{s:s, s?o, ...}") with their names from ap; the count, or
 * -1 for a format this reading does not know (then the problem stays general).
 */
static int format_keys(const char *fmt, va_list ap, unpack_key *k)
{
	int n = 0;

	if (*fmt++ != '{')
		return -1;
	for (;;) {
		while (*fmt == ' ' || *fmt == ',')
			fmt++;
		if (*fmt == '}')
			return n;
		if (n == UNPACK_KEYS || fmt[0] != 's' || (fmt[1] != ':' && fmt[1] != '?') || strchr("soObiIfFn", fmt[2]) == NULL)
			return -1;
		k[n].name = va_arg(ap, const char *);
		k[n].optional = fmt[1] == '?';
		k[n].type = fmt[2];
		if (fmt[2] != 'n')
			(void)va_arg(ap, void *);
		if (fmt[2] == 's' && fmt[3] == '%')
			return -1;
		fmt += 3;
		n++;
	}
}

/*
 * 1 if a key the caller sent may be named in a reply: it looks like a key name (a letter, then
 * letters, digits, '_' or '-', at most 32). Anything else may be a value sent as a key (a
 * national ID, a name), and is described, never echoed.
 */
static int nameable(const char *key)
{
	size_t i, n = strlen(key);

	if (n == 0 || n > 32 || !((key[0] >= 'a' && key[0] <= 'z') || (key[0] >= 'A' && key[0] <= 'Z')))
		return 0;
	for (i = 1; i < n; i++)
		if (!((key[i] >= 'a' && key[i] <= 'z') || (key[i] >= 'A' && key[i] <= 'Z') || (key[i] >= '0' && key[i] <= '9') ||
		        key[i] == '_' || key[i] == '-'))
			return 0;
	return 1;
}

static const char *type_name(char t)
{
	switch (t) {
	case 's':
		return "a string";
	case 'b':
		return "true or false";
	case 'i':
	case 'I':
		return "an integer";
	case 'f':
	case 'F':
		return "a number";
	case 'n':
		return "null";
	default:
		return "a value";
	}
}

static int type_ok(char t, const json_t *v)
{
	switch (t) {
	case 's':
		return json_is_string(v);
	case 'b':
		return json_is_boolean(v);
	case 'i':
	case 'I':
		return json_is_integer(v);
	case 'f':
		return json_is_real(v);
	case 'F':
		return json_is_number(v);
	case 'n':
		return json_is_null(v);
	default:
		return 1;
	}
}

/* What is wrong with body against the keys k (n), naming the key, into detail. */
static void diagnose(const json_t *body, const unpack_key *k, int n, char *detail, size_t cap)
{
	const char *key;
	json_t *v;
	int i;

	json_object_foreach((json_t *)body, key, v) {
		for (i = 0; i < n && strcmp(k[i].name, key) != 0; i++)
			;
		if (i == n) {
			if (nameable(key))
				snprintf(detail, cap, "unknown key \"%s\"", key);
			else
				snprintf(detail, cap, "an unknown key (not shown: it is not a key name)");
			return;
		}
	}
	for (i = 0; i < n; i++) {
		v = json_object_get(body, k[i].name);
		if (v == NULL && !k[i].optional) {
			snprintf(detail, cap, "missing key \"%s\"", k[i].name);
			return;
		}
		if (v != NULL && !type_ok(k[i].type, v)) {
			snprintf(detail, cap, "key \"%s\" must be %s", k[i].name, type_name(k[i].type));
			return;
		}
	}
}

static int vunpack(json_t *j, api_err *err, const char *fmt, va_list ap)
{
	unpack_key k[UNPACK_KEYS];
	char detail[160] = "the body has a missing or unknown key, or a value of the wrong type";
	json_error_t je;
	va_list again;
	int rc, n;

	va_copy(again, ap);
	rc = json_vunpack_ex(j, &je, JSON_STRICT, fmt, ap);
	if (rc == 0) {
		va_end(again);
		return 0;
	}
	/* jansson's message is not used: it can quote what the caller sent */
	n = format_keys(fmt, again, k);
	va_end(again);
	if (n >= 0 && json_is_object(j))
		diagnose(j, k, n, detail, sizeof detail);
	return api_fail(err, API_P_INVALID_INPUT, "%s", detail);
}

int api_unpack(api_req *r, api_err *err, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vunpack(r->json, err, fmt, ap);
	va_end(ap);
	return rc;
}

int api_unpack_json(json_t *j, api_err *err, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vunpack(j, err, fmt, ap);
	va_end(ap);
	return rc;
}
