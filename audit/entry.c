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

typedef struct in_buf {
	const unsigned char *p, *end;
} in_buf;

static int take(in_buf *c, unsigned char ch)
{
	if (c->p < c->end && *c->p == ch) {
		c->p++;
		return 1;
	}
	return 0;
}

/*
 * A string as put_string writes one (escapes only of the kinds it writes); *s and *n get its
 * bytes between the quotes, *plain whether they are its value as they stand (no escape).
 */
static int scan_string(in_buf *c, const unsigned char **s, size_t *n, int *plain)
{
	const unsigned char *p;

	if (!take(c, '"'))
		return 0;
	*plain = 1;
	for (p = c->p; p < c->end && *p != '"';) {
		size_t k;

		if (*p == '\\') {
			if (p + 1 >= c->end)
				return 0;
			*plain = 0;
			if (strchr("\"\\bfnrt", p[1]) != NULL && p[1] != '\0') {
				p += 2;
				continue;
			}
			/* \u00XX, in capitals, for a control character other than NUL that has no short
			 * escape (\b \t \n \f \r), as put_string writes it */
			if (c->end - p < 6 || memcmp(p + 1, "u00", 3) != 0 || (p[4] != '0' && p[4] != '1') ||
			    !((p[5] >= '0' && p[5] <= '9') || (p[5] >= 'A' && p[5] <= 'F')) ||
			    (p[4] == '0' && strchr("08ACD9", p[5]) != NULL))
				return 0;
			p += 6;
			continue;
		}
		if (*p < 0x20 || (k = util_utf8_char(p, (size_t)(c->end - p))) == 0)
			return 0;
		p += k;
	}
	if (p == c->end)
		return 0;
	*s = c->p;
	*n = (size_t)(p - c->p);
	c->p = p + 1;
	return 1;
}

/* An integer of at most 18 digits, in the form "%lld" writes it (no "-0"). */
static int scan_integer(in_buf *c, int64_t *x)
{
	int64_t v = 0;
	int digits = 0, minus = take(c, '-');

	if (c->p < c->end && *c->p == '0') {
		if (minus)
			return 0;
		c->p++;
		digits = 1;
	} else {
		for (; c->p < c->end && *c->p >= '0' && *c->p <= '9'; c->p++) {
			if (++digits > 18)
				return 0;
			v = v * 10 + (*c->p - '0');
		}
	}
	if (digits == 0 || (c->p < c->end && strchr("0123456789.eE", *c->p) != NULL && *c->p != '\0'))
		return 0;
	*x = minus ? -v : v;
	return 1;
}

static int scan_entry(const char *bytes, size_t len, int64_t *seq, char citizen[2 * KEYS_CID_BYTES + 1])
{
	in_buf c = {(const unsigned char *)bytes, (const unsigned char *)bytes + len};
	const unsigned char *key, *prev = NULL, *s;
	size_t klen, plen = 0, n;
	int have_seq = 0, plain;

	citizen[0] = '\0';
	if (!take(&c, '{'))
		return 0;
	do {
		if (!scan_string(&c, &key, &klen, &plain) || !plain || !take(&c, ':'))
			return 0;
		/* strictly ascending: in canonical order, and no key twice */
		if (prev != NULL) {
			int cmp = memcmp(prev, key, plen < klen ? plen : klen);

			if (cmp > 0 || (cmp == 0 && plen >= klen))
				return 0;
		}
		prev = key;
		plen = klen;
		if (c.p < c.end && *c.p == '"') {
			if (!scan_string(&c, &s, &n, &plain))
				return 0;
			if (klen == 7 && memcmp(key, "citizen", 7) == 0) {
				if (!plain) /* only hex is written there: leave the odd case to a parser */
					return 0;
				if (n == 2 * KEYS_CID_BYTES) {
					memcpy(citizen, s, n);
					citizen[n] = '\0';
				}
			}
		} else if (c.p < c.end && *c.p == '[') {
			c.p++;
			if (!take(&c, ']')) {
				do {
					if (!scan_string(&c, &s, &n, &plain))
						return 0;
				} while (take(&c, ','));
				if (!take(&c, ']'))
					return 0;
			}
		} else {
			int64_t x;

			if (!scan_integer(&c, &x))
				return 0;
			if (klen == 3 && memcmp(key, "seq", 3) == 0) {
				*seq = x;
				have_seq = 1;
			}
		}
	} while (take(&c, ','));
	return take(&c, '}') && c.p == c.end && have_seq;
}

int audit_entry_scan(const char *bytes, size_t len, int64_t *seq, char citizen[2 * KEYS_CID_BYTES + 1])
{
	if (bytes != NULL && scan_entry(bytes, len, seq, citizen))
		return 1;
	citizen[0] = '\0';
	return 0;
}
