/*
 * fuzz_json.c: the one JSON scanner (util/json.c), differential against jansson, both ways.
 * The first byte chooses the scanner's flags; the rest is the text.
 *   - Whatever a walker built on the scanner reads as a whole JSON value, jansson must read to
 *     an equal value (strings decoded, integers the same), and with UTIL_JSON_ESC and no
 *     whitespace, a string's raw bytes must be exactly what jansson dumps for it.
 *   - Whatever jansson reads that the scanner's dialect can hold (no reals, no null, no integer
 *     over 18 digits, no deeper than UTIL_JSON_MAX_DEPTH), dumped compact and indented, the
 *     walker must read back to an equal value.
 * The text is copied to a heap block of its exact size, so a read past the end is a fault.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../../util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static int hex(unsigned char c)
{
	return c <= '9' ? c - '0' : c - 'A' + 10;
}

/* The value of a string as the scanner returned it (escapes only in jansson's forms). */
static json_t *decode(const util_json_str *s)
{
	char *buf = malloc(s->n + 1);
	size_t i, k = 0;
	json_t *out;

	if (buf == NULL)
		__builtin_trap();
	for (i = 0; i < s->n; i++) {
		char c = s->s[i];

		if (c == '\\') {
			c = s->s[++i];
			switch (c) {
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			case 't': c = '\t'; break;
			case 'u':
				c = (char)(hex((unsigned char)s->s[i + 3]) * 16 + hex((unsigned char)s->s[i + 4]));
				i += 4;
				break;
			default: break; /* '"' and '\\' stand for themselves */
			}
		}
		buf[k++] = c;
	}
	out = json_stringn(buf, k);
	free(buf);
	return out;
}

static json_t *walk(util_json *j);

static json_t *walk_object(util_json *j)
{
	json_t *o = json_object();
	util_json_str key;

	if (util_json_take(j, '}'))
		return o;
	do {
		json_t *k, *v;

		if (!util_json_string(j, &key) || !util_json_take(j, ':'))
			goto bad;
		k = decode(&key);
		v = walk(j);
		if (k == NULL || v == NULL || json_object_set_new(o, json_string_value(k), v) != 0) {
			json_decref(k);
			goto bad;
		}
		json_decref(k);
	} while (util_json_take(j, ','));
	if (util_json_take(j, '}'))
		return o;
bad:
	json_decref(o);
	return NULL;
}

static json_t *walk_array(util_json *j)
{
	json_t *a = json_array();

	if (util_json_take(j, ']'))
		return a;
	do {
		json_t *v = walk(j);

		if (v == NULL || json_array_append_new(a, v) != 0)
			goto bad;
	} while (util_json_take(j, ','));
	if (util_json_take(j, ']'))
		return a;
bad:
	json_decref(a);
	return NULL;
}

/* One value read with the scanner, as a jansson value; NULL if the scanner refuses it. */
static json_t *walk(util_json *j)
{
	util_json_str s;
	int64_t x;
	int b;

	if (util_json_take(j, '{'))
		return walk_object(j);
	if (util_json_take(j, '['))
		return walk_array(j);
	if (util_json_string(j, &s)) {
		json_t *v = decode(&s);
		char raw[4096];
		size_t m;

		/* canonical text: the raw bytes are jansson's dump of the value */
		if (!(j->flags & UTIL_JSON_WS) && (m = json_dumpb(v, raw, sizeof raw, JSON_ENCODE_ANY)) <= sizeof raw &&
		    (m != s.n + 2 || memcmp(raw + 1, s.s, s.n) != 0))
			__builtin_trap();
		return v;
	}
	if (util_json_int(j, &x))
		return json_integer(x);
	if (util_json_bool(j, &b))
		return json_boolean(b);
	return NULL;
}

static json_t *scan_all(const char *text, size_t n, unsigned flags)
{
	char *copy = malloc(n ? n : 1);
	util_json j;
	json_t *v;

	if (copy == NULL)
		__builtin_trap();
	memcpy(copy, text, n);
	util_json_init(&j, copy, n, flags);
	v = walk(&j);
	if (v != NULL && !util_json_end(&j)) {
		json_decref(v);
		v = NULL;
	}
	free(copy);
	return v;
}

/* Whether v fits the scanner's dialect; *esc gets whether any string needs an escape. */
static int fits(const json_t *v, unsigned depth, int *esc)
{
	const char *k;
	json_t *e;
	size_t i;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		if (depth >= UTIL_JSON_MAX_DEPTH)
			return 0;
		json_object_foreach((json_t *)v, k, e) {
			for (i = 0; k[i]; i++)
				*esc |= (unsigned char)k[i] < 0x20 || k[i] == '"' || k[i] == '\\';
			if (!fits(e, depth + 1, esc))
				return 0;
		}
		return 1;
	case JSON_ARRAY:
		if (depth >= UTIL_JSON_MAX_DEPTH)
			return 0;
		json_array_foreach(v, i, e)
			if (!fits(e, depth + 1, esc))
				return 0;
		return 1;
	case JSON_STRING:
		for (i = 0; i < json_string_length(v); i++) {
			unsigned char c = (unsigned char)json_string_value(v)[i];

			*esc |= c < 0x20 || c == '"' || c == '\\';
		}
		return 1;
	case JSON_INTEGER:
		return json_integer_value(v) > -1000000000000000000LL && json_integer_value(v) < 1000000000000000000LL;
	case JSON_TRUE:
	case JSON_FALSE:
		return 1;
	default:
		return 0;
	}
}

static void converse(const json_t *theirs)
{
	static const size_t dump_flags[] = {JSON_COMPACT, JSON_INDENT(1), JSON_INDENT(2) | JSON_SORT_KEYS};
	int esc = 0;
	size_t i;

	if (!fits(theirs, 0, &esc))
		return;
	for (i = 0; i < sizeof dump_flags / sizeof *dump_flags; i++) {
		char *text = json_dumps(theirs, dump_flags[i] | JSON_ENCODE_ANY);
		unsigned flags = UTIL_JSON_ESC | (i > 0 ? UTIL_JSON_WS : 0);
		json_t *mine;

		if (text == NULL)
			__builtin_trap();
		mine = scan_all(text, strlen(text), flags);
		if (mine == NULL || !json_equal(mine, theirs))
			__builtin_trap();
		json_decref(mine);
		if (!esc) { /* nothing to escape: the plain scanner reads it too */
			if ((mine = scan_all(text, strlen(text), flags & ~(unsigned)UTIL_JSON_ESC)) == NULL)
				__builtin_trap();
			json_decref(mine);
		}
		free(text);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	const char *text = (const char *)d + 1;
	json_t *mine, *theirs;

	if (n < 1 || n > 65536)
		return 0;
	n--;
	mine = scan_all(text, n, d[0] & (UTIL_JSON_WS | UTIL_JSON_ESC));
	theirs = json_loadb(text, n, JSON_DECODE_ANY, NULL);
	if (mine != NULL && (theirs == NULL || !json_equal(mine, theirs)))
		__builtin_trap();
	if (theirs != NULL)
		converse(theirs);
	json_decref(mine);
	json_decref(theirs);
	return 0;
}
