/* mask.c: the masked views of values: what each catalog mask may show, and the rule that hides the rest. */
#include "vault.h"

#include <string.h>

/*
 * Every mask shows its documented part only when the value has the form the mask needs and is
 * long enough that the shown part is not the value; otherwise the view is VAULT_MASK_HIDDEN,
 * the same three characters whatever the value (so not even its length shows).
 */

/* Bytes of the UTF-8 character at v[i] (len bytes in all); vault_mask has checked the value is UTF-8. */
static size_t char_at(const char *v, size_t i, size_t len)
{
	size_t cl = util_utf8_char((const unsigned char *)v + i, len - i);

	return cl > 0 ? cl : 1;
}

/* 1 if v (len bytes) is well-formed UTF-8. */
static int utf8_ok(const char *v, size_t len)
{
	size_t i, cl;

	for (i = 0; i < len; i += cl)
		if ((cl = util_utf8_char((const unsigned char *)v + i, len - i)) == 0)
			return 0;
	return 1;
}

static size_t char_count(const char *v, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i += char_at(v, i, len))
		n++;
	return n;
}

static size_t hidden(char *out)
{
	memcpy(out, VAULT_MASK_HIDDEN, sizeof VAULT_MASK_HIDDEN - 1);
	return sizeof VAULT_MASK_HIDDEN - 1;
}

/* The last three characters, each hidden one as '*', of a value of at least VAULT_MASK_LAST3_MIN characters. */
static size_t mask_last3(const char *v, size_t len, char *out)
{
	size_t n = char_count(v, len), i, k = 0, o = 0;

	if (n < VAULT_MASK_LAST3_MIN)
		return hidden(out);
	for (i = 0; i < len; k++) {
		size_t cl = char_at(v, i, len);

		if (k + 3 < n) {
			out[o++] = '*';
		} else {
			memcpy(out + o, v + i, cl);
			o += cl;
		}
		i += cl;
	}
	return o;
}

/* The year of a YYYY-MM-DD date. */
static size_t mask_year(const char *v, size_t len, char *out)
{
	size_t i;

	if (len != 10 || v[4] != '-' || v[7] != '-')
		return hidden(out);
	for (i = 0; i < len; i++)
		if (i != 4 && i != 7 && (v[i] < '0' || v[i] > '9'))
			return hidden(out);
	memcpy(out, v, 4);
	return 4;
}

/*
 * The part after the last comma, without spaces around it: only with something but spaces and
 * commas before that comma, and fewer characters shown than the value holds beside them.
 */
static size_t mask_province(const char *v, size_t len, char *out)
{
	const char *end = v + len, *p = end, *q = v;

	while (p > v && p[-1] != ',')
		p--;
	if (p == v)
		return hidden(out); /* no comma: the whole value would show */
	while (q < p - 1 && (*q == ' ' || *q == ','))
		q++;
	if (q == p - 1)
		return hidden(out); /* nothing before the comma: the part after it is the value */
	while (p < end && *p == ' ')
		p++;
	while (end > p && end[-1] == ' ')
		end--;
	if (p == end || 2 * char_count(p, (size_t)(end - p)) >= char_count(v, len))
		return hidden(out); /* nothing after it, or the part would be most of the value */
	memcpy(out, p, (size_t)(end - p));
	return (size_t)(end - p);
}

/*
 * The first character of each space-separated word, each followed by '.', words joined by ' ':
 * only for at least four characters (spaces aside) that hide more than the initials show.
 */
static size_t mask_initials(const char *v, size_t len, char *out)
{
	size_t i, o = 0, words = 0, chars = 0;
	int start = 1;

	for (i = 0; i < len; i += char_at(v, i, len)) {
		if (v[i] == ' ') {
			start = 1;
			continue;
		}
		words += start;
		chars++;
		start = 0;
	}
	if (chars < 4 || chars <= 2 * words)
		return hidden(out);
	start = 1;
	for (i = 0; i < len;) {
		size_t cl = char_at(v, i, len);

		if (v[i] == ' ') {
			start = 1;
		} else if (start) {
			if (o > 0)
				out[o++] = ' ';
			memcpy(out + o, v + i, cl);
			o += cl;
			out[o++] = '.';
			start = 0;
		}
		i += cl;
	}
	return o;
}

/* "***" and the part from the last '@' on, when something comes before and after it. */
static size_t mask_domain(const char *v, size_t len, char *out)
{
	const char *at = v + len;

	while (at > v && at[-1] != '@')
		at--;
	if (at <= v + 1 || at == v + len)
		return hidden(out);
	at--;
	memcpy(out, "***", 3);
	memcpy(out + 3, at, (size_t)(v + len - at));
	return 3 + (size_t)(v + len - at);
}

int vault_mask(const vault_field_def *def, const char *v, size_t len, char *out, size_t *outlen)
{
	if (len > VAULT_VALUE_MAX || strcmp(def->mask, "none") == 0)
		return -1;
	if (!utf8_ok(v, len))
		*outlen = hidden(out); /* what the catalog takes is UTF-8: never show part of anything else */
	else if (strcmp(def->mask, "last3") == 0)
		*outlen = mask_last3(v, len, out);
	else if (strcmp(def->mask, "year") == 0)
		*outlen = mask_year(v, len, out);
	else if (strcmp(def->mask, "province") == 0)
		*outlen = mask_province(v, len, out);
	else if (strcmp(def->mask, "initials") == 0)
		*outlen = mask_initials(v, len, out);
	else if (strcmp(def->mask, "domain") == 0)
		*outlen = mask_domain(v, len, out);
	else
		return -1;
	return 0;
}
