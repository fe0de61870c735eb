/* entry.c: an audit entry's canonical JSON, written and read back without a JSON library. */
#include "audit.h"

#include <stdio.h>
#include <string.h>

/*
 * The canonical form is jansson's json_dumpb with JSON_SORT_KEYS | JSON_COMPACT, which is what
 * the log has always stored and hashed: keys in byte order, no whitespace, strings escaped as
 * jansson escapes them ('"', '\\', \b \f \n \r \t, other control characters as \u00XX in
 * capitals; everything else, UTF-8 included, as it is). Building the entry as a jansson object
 * and dumping it cost the writer about 6 µs an entry, and parsing it back cost `audit verify`
 * over half its time; both are done here by hand. tests/unit/test_audit.c and
 * tests/fuzz/fuzz_entry.c check both against jansson.
 */

typedef struct out_buf {
	char *p;
	size_t n, cap; /* n counts past cap, so that an entry too large is known */
} out_buf;

static void put(out_buf *b, const void *s, size_t n)
{
	if (n <= b->cap && b->n <= b->cap - n)
		memcpy(b->p + b->n, s, n);
	b->n += n;
}

/* s as a JSON string; -1 if s is not well-formed UTF-8 (which jansson refuses too). */
static int put_string(out_buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s, *run = p;
	size_t left = strlen(s);

	put(b, "\"", 1);
	while (left > 0) {
		char esc[8];
		const char *t;
		size_t k = util_utf8_char(p, left);

		if (k == 0)
			return -1;
		if (*p >= 0x20 && *p != '"' && *p != '\\') {
			p += k;
			left -= k;
			continue;
		}
		switch (*p) {
		case '"': t = "\\\""; break;
		case '\\': t = "\\\\"; break;
		case '\b': t = "\\b"; break;
		case '\f': t = "\\f"; break;
		case '\n': t = "\\n"; break;
		case '\r': t = "\\r"; break;
		case '\t': t = "\\t"; break;
		default:
			snprintf(esc, sizeof esc, "\\u%04X", (unsigned)*p);
			t = esc;
		}
		put(b, run, (size_t)(p - run));
		put(b, t, strlen(t));
		run = ++p;
		left--;
	}
	put(b, run, (size_t)(p - run));
	put(b, "\"", 1);
	return 0;
}

/* ,"key": (the first key opens the object instead) */
static void put_key(out_buf *b, const char *key)
{
	put(b, b->n == 0 ? "{\"" : ",\"", 2);
	put(b, key, strlen(key));
	put(b, "\":", 2);
}

static int put_str_member(out_buf *b, const char *key, const char *val)
{
	if (val == NULL)
		return 0;
	put_key(b, key);
	return put_string(b, val);
}

static void put_int_member(out_buf *b, const char *key, int64_t val)
{
	char num[24];
	int n = snprintf(num, sizeof num, "%lld", (long long)val);

	put_key(b, key);
	put(b, num, (size_t)n);
}

int audit_entry_encode(const audit_entry *e, int64_t seq, int64_t now, char *out, size_t *len, util_err *err)
{
	out_buf b = {out, 0, AUDIT_ENTRY_MAX - 1};
	int bad = 0;
	size_t i;

	if (e->actor == NULL || e->action == NULL)
		return util_fail(err, UTIL_EINVAL, "an audit entry needs an actor and an action");
	/* the keys in byte order, as JSON_SORT_KEYS puts them */
	bad |= put_str_member(&b, "action", e->action);
	bad |= put_str_member(&b, "actor", e->actor);
	bad |= put_str_member(&b, "agency", e->agency_id);
	bad |= put_str_member(&b, "basis", e->basis);
	if (e->cid != NULL) {
		char hex[2 * KEYS_CID_BYTES + 1];

		util_hex_encode(hex, e->cid, KEYS_CID_BYTES);
		bad |= put_str_member(&b, "citizen", hex);
	}
	bad |= put_str_member(&b, "consent", e->consent_id);
	bad |= put_str_member(&b, "decision", e->decision);
	if (e->nfields > 0) {
		put_key(&b, "fields");
		put(&b, "[", 1);
		for (i = 0; i < e->nfields; i++) {
			if (i > 0)
				put(&b, ",", 1);
			bad |= e->fields[i] == NULL ? -1 : put_string(&b, e->fields[i]);
		}
		put(&b, "]", 1);
	}
	bad |= put_str_member(&b, "justification", e->justification);
	bad |= put_str_member(&b, "note", e->note);
	bad |= put_str_member(&b, "purpose", e->purpose_id);
	bad |= put_str_member(&b, "reason", e->reason);
	put_int_member(&b, "seq", seq);
	put_int_member(&b, "time", e->time ? e->time : now);
	put(&b, "}", 1);
	if (bad)
		return util_fail(err, UTIL_ENOMEM, "an audit entry could not be built (bad UTF-8 or no memory)");
	if (b.n >= AUDIT_ENTRY_MAX - 1)
		return util_fail(err, UTIL_EINVAL, "an audit entry is too large");
	out[b.n] = '\0';
	*len = b.n;
	return 0;
}

/* ---- reading one back ---- */

enum { V_BAD, V_STRING, V_ARRAY, V_INTEGER };

/* A value of an entry: a string (*s), an array of strings, or an integer (*x); its kind. */
static int scan_value(util_json *j, util_json_str *s, int64_t *x)
{
	if (util_json_peek(j) == '"')
		return util_json_string(j, s) ? V_STRING : V_BAD;
	if (util_json_take(j, '[')) {
		util_json_str item;

		if (util_json_take(j, ']'))
			return V_ARRAY;
		do {
			if (!util_json_string(j, &item))
				return V_BAD;
		} while (util_json_take(j, ','));
		return util_json_take(j, ']') ? V_ARRAY : V_BAD;
	}
	return util_json_int(j, x) ? V_INTEGER : V_BAD;
}

/*
 * Only the canonical form: no whitespace, escapes as put_string writes them, keys strictly
 * ascending (so none twice), integers as "%lld" writes them; anything else is left to a parser.
 */
static int scan_entry(const char *bytes, size_t len, int64_t *seq, char citizen[2 * KEYS_CID_BYTES + 1])
{
	util_json j;
	util_json_str key, prev = {NULL, 0, 0}, s;
	int have_seq = 0, kind;
	int64_t x;

	citizen[0] = '\0';
	util_json_init(&j, bytes, len, UTIL_JSON_ESC);
	if (!util_json_take(&j, '{'))
		return 0;
	do {
		if (!util_json_string(&j, &key) || key.escaped || !util_json_take(&j, ':'))
			return 0;
		if (prev.s != NULL) {
			int cmp = memcmp(prev.s, key.s, prev.n < key.n ? prev.n : key.n);

			if (cmp > 0 || (cmp == 0 && prev.n >= key.n))
				return 0;
		}
		prev = key;
		if ((kind = scan_value(&j, &s, &x)) == V_BAD)
			return 0;
		if (kind == V_INTEGER && key.n == 3 && memcmp(key.s, "seq", 3) == 0) {
			*seq = x;
			have_seq = 1;
		} else if (kind == V_STRING && key.n == 7 && memcmp(key.s, "citizen", 7) == 0) {
			/* only hex is written there: leave the odd case to a parser */
			if (s.escaped)
				return 0;
			if (s.n == 2 * KEYS_CID_BYTES) {
				memcpy(citizen, s.s, s.n);
				citizen[s.n] = '\0';
			}
		}
	} while (util_json_take(&j, ','));
	return util_json_take(&j, '}') && util_json_end(&j) && have_seq;
}

int audit_entry_scan(const char *bytes, size_t len, int64_t *seq, char citizen[2 * KEYS_CID_BYTES + 1])
{
	if (bytes != NULL && scan_entry(bytes, len, seq, citizen))
		return 1;
	citizen[0] = '\0';
	return 0;
}
