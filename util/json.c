/* json.c: one scanner for JSON text read in place: bounded in depth, never past its end. */
#include "util.h"

#include <string.h>

/*
 * The hand-written readers of audit entries, import lines and stored field lists all use this
 * cursor; each states its own grammar with it (see util.h). What a string may hold is decided
 * once, here: valid UTF-8, no raw control character, and escapes only in the forms jansson's
 * dump writes (UTIL_JSON_ESC), so that text read here and accepted is canonical text.
 */

void util_json_init(util_json *j, const void *text, size_t len, unsigned flags)
{
	j->p = text;
	j->end = text != NULL ? j->p + len : j->p; /* never NULL + 0 */
	j->depth = 0;
	j->flags = flags;
}

static int is_hex_upper(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

/* Bytes of the escape at p (p[0] is the backslash) if it is one jansson writes; 0 otherwise. */
static size_t escape_len(const unsigned char *p, const unsigned char *end)
{
	if (end - p < 2)
		return 0;
	switch (p[1]) {
	case '"': case '\\': case 'b': case 'f': case 'n': case 'r': case 't':
		return 2;
	case 'u':
		break;
	default:
		return 0;
	}
	/* \u00XX for a control character other than NUL that has no short escape */
	if (end - p < 6 || p[2] != '0' || p[3] != '0' || (p[4] != '0' && p[4] != '1') || !is_hex_upper(p[5]) ||
	    (p[4] == '0' && strchr("089ACD", p[5]) != NULL))
		return 0;
	return 6;
}

int util_json_string(util_json *j, util_json_str *out)
{
	const unsigned char *p, *start;
	int escaped = 0;

	if (util_json_peek(j) != '"')
		return 0;
	start = j->p + 1;
	for (p = start; p < j->end && *p != '"';) {
		size_t k;

		if (*p >= 0x20 && *p < 0x80 && *p != '\\') {
			/* the common case, a run of plain ASCII, in a loop of its own */
			for (p++; p < j->end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\'; p++)
				;
			continue;
		}
		if (*p == '\\') {
			if (!(j->flags & UTIL_JSON_ESC) || (k = escape_len(p, j->end)) == 0)
				return 0;
			escaped = 1;
		} else if (*p < 0x20 || (k = util_utf8_char(p, (size_t)(j->end - p))) == 0) {
			return 0;
		}
		p += k;
	}
	if (p == j->end)
		return 0;
	out->s = (const char *)start;
	out->n = (size_t)(p - start);
	out->escaped = escaped;
	j->p = p + 1;
	return 1;
}

int util_json_int(util_json *j, int64_t *x)
{
	const unsigned char *p;
	int64_t v = 0;
	int digits = 0, minus;

	if (util_json_peek(j) < 0)
		return 0;
	p = j->p;
	if ((minus = *p == '-'))
		p++;
	if (p < j->end && *p == '0') {
		if (minus)
			return 0;
		p++;
		digits = 1;
	} else {
		for (; p < j->end && *p >= '0' && *p <= '9'; p++) {
			if (++digits > 18)
				return 0;
			v = v * 10 + (*p - '0');
		}
	}
	if (digits == 0 || (p < j->end && ((*p >= '0' && *p <= '9') || *p == '.' || *p == 'e' || *p == 'E')))
		return 0;
	*x = minus ? -v : v;
	j->p = p;
	return 1;
}

int util_json_bool(util_json *j, int *b)
{
	size_t left;

	if (util_json_peek(j) < 0)
		return 0;
	left = (size_t)(j->end - j->p);
	if (left >= 4 && memcmp(j->p, "true", 4) == 0) {
		*b = 1;
		j->p += 4;
	} else if (left >= 5 && memcmp(j->p, "false", 5) == 0) {
		*b = 0;
		j->p += 5;
	} else {
		return 0;
	}
	return 1;
}

int util_json_end(util_json *j)
{
	return util_json_peek(j) == -1 && j->depth == 0;
}
