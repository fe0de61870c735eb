/*
 * mask_check.h: what a masked view may show, written apart from vault_mask (vault/mask.c), for
 * tests/unit/test_mask.c and tests/fuzz/fuzz_mask.c. A header of static functions: each test
 * program takes what it uses.
 */
#ifndef VAULTD_TEST_MASK_CHECK_H
#define VAULTD_TEST_MASK_CHECK_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../vault/vault.h"

/* Every mask on every kind of value a catalog accepts it on (strings and dates; enum and integer
   fields take no mask), beside the built-in catalog's fields. */
static const char MASK_CHECK_CATALOG[] =
    "{\"version\": 1, \"fields\": ["
    "{\"name\": \"national_id\", \"type\": \"string\", \"max_length\": 12, \"category\": \"basic\","
    " \"description\": {\"vi\": \"x\", \"en\": \"x\"}}"
#define MASK_CHECK_KIND(kind, def)                                                                             \
	",{\"name\": \"s_" kind "\", \"type\": \"string\", \"max_length\": 64, \"category\": \"basic\", \"mask\": \"" kind \
	"\", \"description\": {\"vi\": \"x\", \"en\": \"x\"}}"                                                          \
	",{\"name\": \"d_" kind "\", \"type\": \"string\", \"max_length\": 15, \"pattern\": \"digits\", \"category\":"    \
	" \"basic\", \"mask\": \"" kind "\", \"description\": {\"vi\": \"x\", \"en\": \"x\"}}"                            \
	",{\"name\": \"a_" kind "\", \"type\": \"string\", \"max_length\": 15, \"pattern\": \"alnum\", \"category\":"     \
	" \"basic\", \"mask\": \"" kind "\", \"description\": {\"vi\": \"x\", \"en\": \"x\"}}"                            \
	",{\"name\": \"p_" kind "\", \"type\": \"string\", \"max_length\": 15, \"pattern\": \"phone\", \"category\":"     \
	" \"basic\", \"mask\": \"" kind "\", \"description\": {\"vi\": \"x\", \"en\": \"x\"}}"                            \
	",{\"name\": \"e_" kind "\", \"type\": \"string\", \"max_length\": 64, \"pattern\": \"email\", \"category\":"     \
	" \"basic\", \"mask\": \"" kind "\", \"description\": {\"vi\": \"x\", \"en\": \"x\"}}"                            \
	",{\"name\": \"t_" kind "\", \"type\": \"date\", \"category\": \"basic\", \"mask\": \"" kind                      \
	"\", \"description\": {\"vi\": \"x\", \"en\": \"x\"}}"
    MASK_CHECK_KIND("last3", 0) MASK_CHECK_KIND("year", 0) MASK_CHECK_KIND("province", 0)
    MASK_CHECK_KIND("initials", 0) MASK_CHECK_KIND("domain", 0)
#undef MASK_CHECK_KIND
    "]}";

/* Bytes of the character at v[i]: the lead byte's length, 1 for a stray byte or one cut short. */
static size_t mask_check_step(const char *v, size_t i, size_t n)
{
	unsigned char c = (unsigned char)v[i];
	size_t k = (c & 0xf8) == 0xf0 ? 4 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xe0) == 0xc0 ? 2 : 1;

	if ((c & 0xc0) == 0x80 || c >= 0xf8)
		k = 1;
	return i + k <= n ? k : 1;
}

static size_t mask_check_chars(const char *v, size_t n)
{
	size_t i = 0, c = 0;

	while (i < n) {
		i += mask_check_step(v, i, n);
		c++;
	}
	return c;
}

/* 1 if s (n bytes) is well-formed UTF-8 (no overlong forms, no surrogates, at most U+10FFFF). */
static int mask_check_utf8(const unsigned char *s, size_t n)
{
	size_t i = 0, k, j;

	while (i < n) {
		unsigned c = s[i], cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		k = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
		if (k == 0 || i + k > n)
			return 0;
		cp = c & (k == 2 ? 0x1f : k == 3 ? 0x0f : 0x07);
		for (j = 1; j < k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if ((k == 3 && cp < 0x800) || (k == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += k;
	}
	return 1;
}

/* The last '@' or ',' in v (n bytes), or -1. */
static long mask_check_last(const char *v, size_t n, char c)
{
	size_t i = n;

	while (i > 0)
		if (v[--i] == c)
			return (long)i;
	return -1;
}

/*
 * 1 if the value is in masked form already: VAULT_MASK_HIDDEN itself, or (last3) a value whose
 * characters but the last three are '*', or (domain) "***" before its last '@'.
 */
static int mask_check_masked_form(const vault_field_def *d, const char *v, size_t n)
{
	size_t i, k, nc = mask_check_chars(v, n);

	if (n == 3 && memcmp(v, "***", 3) == 0)
		return 1;
	if (strcmp(d->mask, "last3") == 0) {
		for (i = 0, k = 0; k + 3 < nc; k++, i++)
			if (v[i] != '*')
				return 0;
		return nc >= VAULT_MASK_LAST3_MIN;
	}
	if (strcmp(d->mask, "domain") == 0)
		return mask_check_last(v, n, '@') == 3 && memcmp(v, "***", 3) == 0;
	return 0;
}

static const char *mask_check_last3(const char *v, size_t n, const char *view, size_t vn)
{
	size_t nc = mask_check_chars(v, n), i = 0, k, o = 0;

	if (nc < VAULT_MASK_LAST3_MIN)
		return "last3: a value under the minimum length shows a part";
	for (k = 0; k < nc; k++) {
		size_t s = mask_check_step(v, i, n);

		if (k + 3 < nc) {
			if (o >= vn || view[o] != '*')
				return "last3: a character before the last three shows";
			o++;
		} else {
			if (o + s > vn || memcmp(view + o, v + i, s) != 0)
				return "last3: the last three characters are not what shows";
			o += s;
		}
		i += s;
	}
	return o == vn ? NULL : "last3: the view is longer than the value's form";
}

static const char *mask_check_year(const char *v, size_t n, const char *view, size_t vn)
{
	size_t i;

	if (n != 10 || v[4] != '-' || v[7] != '-')
		return "year: a value that is not a date shows a part";
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (v[i] < '0' || v[i] > '9'))
			return "year: a value that is not a date shows a part";
	return vn == 4 && memcmp(view, v, 4) == 0 ? NULL : "year: the view is not the year";
}

static const char *mask_check_province(const char *v, size_t n, const char *view, size_t vn)
{
	long c = mask_check_last(v, n, ',');
	size_t i, j;
	int before = 0;

	if (c < 0)
		return "province: a value without a comma shows a part";
	for (i = 0; i < (size_t)c; i++)
		before |= v[i] != ' ' && v[i] != ',';
	if (!before)
		return "province: a value with nothing before its comma shows a part";
	if (vn == 0 || view[0] == ' ' || view[vn - 1] == ' ' || memchr(view, ',', vn) != NULL)
		return "province: the view is not one trimmed part";
	if (2 * mask_check_chars(view, vn) >= mask_check_chars(v, n))
		return "province: the view is half the value or more";
	for (j = (size_t)c + 1; j + vn <= n; j++)
		if (memcmp(v + j, view, vn) == 0)
			return NULL;
	return "province: the view is not within the part after the last comma";
}

static const char *mask_check_initials(const char *v, size_t n, const char *view, size_t vn)
{
	size_t i = 0, o = 0, words = 0, chars = 0;
	int start = 1;

	while (i < n) {
		size_t s = mask_check_step(v, i, n);

		if (v[i] == ' ') {
			start = 1;
		} else {
			if (start) {
				/* the view's next token: [' '] this character '.' */
				if (words > 0 && (o >= vn || view[o++] != ' '))
					return "initials: the view has fewer words than the value";
				if (o + s + 1 > vn || memcmp(view + o, v + i, s) != 0 || view[o + s] != '.')
					return "initials: a token is not the first character of its word";
				o += s + 1;
				words++;
			}
			chars++;
			start = 0;
		}
		i += s;
	}
	if (chars < 4 || chars <= 2 * words)
		return "initials: a short value, or one of one-letter words, shows a part";
	return o == vn ? NULL : "initials: the view has more than the initials";
}

static const char *mask_check_domain(const char *v, size_t n, const char *view, size_t vn)
{
	long at = mask_check_last(v, n, '@');

	if (at <= 0 || (size_t)at + 1 >= n)
		return "domain: a value without a local part and a domain shows a part";
	if (vn != 3 + n - (size_t)at || memcmp(view, "***", 3) != 0 || memcmp(view + 3, v + at, n - (size_t)at) != 0)
		return "domain: the view is not *** and the domain";
	return NULL;
}

/*
 * NULL if view (vn bytes) is a masked view of the value v (n bytes) that the field's mask
 * allows: VAULT_MASK_HIDDEN, or at most the mask's documented part; never the value itself,
 * unless the value is in masked form already. Else what is wrong.
 */
static const char *mask_check(const vault_field_def *d, const char *v, size_t n, const char *view, size_t vn)
{
	if (vn == sizeof VAULT_MASK_HIDDEN - 1 && memcmp(view, VAULT_MASK_HIDDEN, vn) == 0)
		return NULL;
	if (!mask_check_utf8((const unsigned char *)v, n))
		return "a value that is not UTF-8 shows a part";
	if (vn == n && memcmp(view, v, n) == 0 && !mask_check_masked_form(d, v, n))
		return "the view is the value";
	if (strcmp(d->mask, "last3") == 0)
		return mask_check_last3(v, n, view, vn);
	if (strcmp(d->mask, "year") == 0)
		return mask_check_year(v, n, view, vn);
	if (strcmp(d->mask, "province") == 0)
		return mask_check_province(v, n, view, vn);
	if (strcmp(d->mask, "initials") == 0)
		return mask_check_initials(v, n, view, vn);
	if (strcmp(d->mask, "domain") == 0)
		return mask_check_domain(v, n, view, vn);
	return "a view of a field without a mask";
}

/* The built-in catalog and MASK_CHECK_CATALOG, parsed once; NULL if either does not parse. */
static const vault_catalog *const *mask_check_catalogs(void)
{
	static vault_catalog *cats[2];
	util_err err;

	if (cats[0] == NULL &&
	    (vault_catalog_parse(vault_default_catalog, strlen(vault_default_catalog), &cats[0], &err) != 0 ||
	        vault_catalog_parse(MASK_CHECK_CATALOG, strlen(MASK_CHECK_CATALOG), &cats[1], &err) != 0))
		return NULL;
	return (const vault_catalog *const *)cats;
}

/* The masked fields of both catalogs, in order, into f (at most 2 * VAULT_MAX_FIELDS); their count. */
static size_t mask_check_fields(const vault_field_def **f)
{
	const vault_catalog *const *cats = mask_check_catalogs();
	size_t c, i, n = 0;

	for (c = 0; cats != NULL && c < 2; c++)
		for (i = 0; i < vault_catalog_count(cats[c]); i++)
			if (strcmp(vault_catalog_at(cats[c], i)->mask, "none") != 0)
				f[n++] = vault_catalog_at(cats[c], i);
	return n;
}

/*
 * One property draw: field d, value bytes v (n). Values the catalog refuses are skipped (NULL,
 * *accepted 0); an integer field reads v as decimal. Else (*accepted 1) the masked view must
 * pass mask_check, and be UTF-8 when the value is. NULL when it holds, else what is wrong.
 */
static const char *mask_check_draw(const vault_field_def *d, const char *v, size_t n, int *accepted)
{
	static char canon[VAULT_VALUE_MAX], view[2 * VAULT_VALUE_MAX];
	vault_value val = {.type = VAULT_V_STRING, .s = v, .n = n};
	size_t len, vn = 0;
	util_err err;

	*accepted = 0;
	if (n > VAULT_VALUE_MAX)
		return NULL;
	if (d->type == VAULT_T_INTEGER) {
		char buf[32], *end;

		if (n == 0 || n >= sizeof buf)
			return NULL;
		memcpy(buf, v, n);
		buf[n] = '\0';
		val.type = VAULT_V_INTEGER;
		val.i = strtoll(buf, &end, 10);
		if (*end != '\0')
			return NULL;
	}
	if (vault_value_check(d, &val, canon, &len, &err) != 0)
		return NULL;
	*accepted = 1;
	if (vault_mask(d, canon, len, view, &vn) != 0)
		return "a masked field has no view";
	if (mask_check_utf8((const unsigned char *)canon, len) && !mask_check_utf8((const unsigned char *)view, vn))
		return "the view of a UTF-8 value is not UTF-8";
	return mask_check(d, canon, len, view, vn);
}

#endif
