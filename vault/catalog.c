/* catalog.c: the field catalog: what a citizen record may hold, and how each value is checked. */
#include "vault.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct vault_catalog {
	json_t *doc; /* keeps the strings the definitions point into */
	size_t n;
	vault_field_def f[VAULT_MAX_FIELDS];
};

static int name_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > VAULT_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return 1;
}

static const char *const masks[] = {"none", "last3", "year", "province", "initials", "domain"};

/* 1 if mask is one of masks[] and fits a field of type t: a mask shows part of a string or a
   date; any part of an enum's or an integer's value gives the value away. */
static int mask_fits(const char *mask, vault_type t)
{
	size_t i;

	for (i = 0; i < sizeof masks / sizeof masks[0]; i++)
		if (strcmp(mask, masks[i]) == 0)
			return i == 0 || t == VAULT_T_STRING || t == VAULT_T_DATE;
	return 0;
}

static int parse_field(json_t *o, size_t idx, vault_field_def *d, util_err *err)
{
	const char *name = NULL, *type = NULL, *cat = NULL, *mask = "none", *pattern = NULL;
	json_t *desc = NULL, *values = NULL, *maxlen = NULL, *min = NULL, *max = NULL;
	json_error_t je;
	size_t i;

	if (json_unpack_ex(o, &je, JSON_STRICT, "{s:s, s:s, s:s, s:o, s?s, s?s, s?o, s?o, s?o, s?o}", "name", &name,
	        "type", &type, "category", &cat, "description", &desc, "mask", &mask, "pattern", &pattern, "values",
	        &values, "max_length", &maxlen, "min", &min, "max", &max) != 0)
		return util_fail(err, UTIL_EINVAL, "catalog field %zu: %s", idx, je.text);
	if (!name_ok(name))
		return util_fail(err, UTIL_EINVAL, "catalog field %zu: name must be 1-32 of [a-z0-9_]", idx);
	strcpy(d->name, name);
	if (json_unpack_ex(desc, &je, JSON_STRICT, "{s:s, s:s}", "vi", &d->desc_vi, "en", &d->desc_en) != 0)
		return util_fail(err, UTIL_EINVAL, "catalog field %s: description needs vi and en", name);
	if (strcmp(cat, "basic") == 0)
		d->sensitive = 0;
	else if (strcmp(cat, "sensitive") == 0)
		d->sensitive = 1;
	else
		return util_fail(err, UTIL_EINVAL, "catalog field %s: category must be basic or sensitive", name);
	d->pattern = VAULT_P_ANY;
	if (pattern != NULL) {
		if (strcmp(pattern, "digits") == 0)
			d->pattern = VAULT_P_DIGITS;
		else if (strcmp(pattern, "alnum") == 0)
			d->pattern = VAULT_P_ALNUM;
		else if (strcmp(pattern, "phone") == 0)
			d->pattern = VAULT_P_PHONE;
		else if (strcmp(pattern, "email") == 0)
			d->pattern = VAULT_P_EMAIL;
		else
			return util_fail(err, UTIL_EINVAL, "catalog field %s: unknown pattern", name);
	}

	if (strcmp(type, "string") == 0) {
		d->type = VAULT_T_STRING;
		if (!json_is_integer(maxlen) || json_integer_value(maxlen) < 1 ||
		    json_integer_value(maxlen) > (json_int_t)VAULT_VALUE_MAX)
			return util_fail(err, UTIL_EINVAL, "catalog field %s: max_length must be 1..%u", name,
			    VAULT_VALUE_MAX);
		d->max_length = (size_t)json_integer_value(maxlen);
	} else if (strcmp(type, "date") == 0) {
		d->type = VAULT_T_DATE;
		d->max_length = 10;
	} else if (strcmp(type, "enum") == 0) {
		d->type = VAULT_T_ENUM;
		if (!json_is_array(values) || json_array_size(values) == 0 || json_array_size(values) > VAULT_MAX_ENUM)
			return util_fail(err, UTIL_EINVAL, "catalog field %s: values must list 1..%u strings", name,
			    VAULT_MAX_ENUM);
		d->nvalues = json_array_size(values);
		for (i = 0; i < d->nvalues; i++) {
			json_t *s = json_array_get(values, i);

			if (!json_is_string(s) || json_string_length(s) == 0 || json_string_length(s) > 64)
				return util_fail(err, UTIL_EINVAL, "catalog field %s: bad enum value", name);
			d->values[i] = json_string_value(s);
			if (json_string_length(s) > d->max_length)
				d->max_length = json_string_length(s);
		}
	} else if (strcmp(type, "integer") == 0) {
		d->type = VAULT_T_INTEGER;
		if (!json_is_integer(min) || !json_is_integer(max) || json_integer_value(min) > json_integer_value(max))
			return util_fail(err, UTIL_EINVAL, "catalog field %s: integer needs min <= max", name);
		d->min = json_integer_value(min);
		d->max = json_integer_value(max);
		d->max_length = 20;
	} else {
		return util_fail(err, UTIL_EINVAL, "catalog field %s: unknown type", name);
	}
	if ((d->type != VAULT_T_STRING && maxlen != NULL) || (d->type != VAULT_T_ENUM && values != NULL) ||
	    (d->type != VAULT_T_INTEGER && (min != NULL || max != NULL)) ||
	    (d->type != VAULT_T_STRING && pattern != NULL))
		return util_fail(err, UTIL_EINVAL, "catalog field %s: a key that does not fit its type", name);
	if (strlen(mask) >= sizeof d->mask || !mask_fits(mask, d->type))
		return util_fail(err, UTIL_EINVAL, "catalog field %s: unknown mask, or one its type cannot take", name);
	strcpy(d->mask, mask);
	return 0;
}

int vault_catalog_parse(const char *json, size_t n, vault_catalog **out, util_err *err)
{
	vault_catalog *cat;
	json_error_t je;
	json_t *fields = NULL;
	json_int_t version = 0;
	size_t i, j;

	if (n > VAULT_CATALOG_MAX)
		return util_fail(err, UTIL_EINVAL, "catalog larger than %u bytes", VAULT_CATALOG_MAX);
	if ((cat = calloc(1, sizeof *cat)) == NULL)
		return util_fail(err, UTIL_ENOMEM, "out of memory");
	cat->doc = json_loadb(json, n, JSON_REJECT_DUPLICATES, &je);
	if (cat->doc == NULL) {
		util_fail(err, UTIL_EINVAL, "catalog is not JSON (line %d): %s", je.line, je.text);
		goto fail;
	}
	if (json_unpack_ex(cat->doc, &je, JSON_STRICT, "{s:I, s:o}", "version", &version, "fields", &fields) != 0 ||
	    version != 1 || !json_is_array(fields)) {
		util_fail(err, UTIL_EINVAL, "catalog must be {\"version\": 1, \"fields\": [...]}");
		goto fail;
	}
	cat->n = json_array_size(fields);
	if (cat->n == 0 || cat->n > VAULT_MAX_FIELDS) {
		util_fail(err, UTIL_EINVAL, "catalog must define 1..%u fields", VAULT_MAX_FIELDS);
		goto fail;
	}
	for (i = 0; i < cat->n; i++) {
		if (parse_field(json_array_get(fields, i), i, &cat->f[i], err) != 0)
			goto fail;
		for (j = 0; j < i; j++)
			if (strcmp(cat->f[i].name, cat->f[j].name) == 0) {
				util_fail(err, UTIL_EINVAL, "catalog defines %s twice", cat->f[i].name);
				goto fail;
			}
	}
	if (vault_catalog_find(cat, "national_id", 11) == NULL) {
		util_fail(err, UTIL_EINVAL, "catalog must define national_id");
		goto fail;
	}
	*out = cat;
	return 0;
fail:
	vault_catalog_free(cat);
	return -1;
}

void vault_catalog_free(vault_catalog *cat)
{
	if (cat == NULL)
		return;
	json_decref(cat->doc);
	free(cat);
}

size_t vault_catalog_count(const vault_catalog *cat)
{
	return cat->n;
}

const vault_field_def *vault_catalog_at(const vault_catalog *cat, size_t i)
{
	return i < cat->n ? &cat->f[i] : NULL;
}

const vault_field_def *vault_catalog_find(const vault_catalog *cat, const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < cat->n; i++)
		if (strlen(cat->f[i].name) == n && memcmp(cat->f[i].name, name, n) == 0)
			return &cat->f[i];
	return NULL;
}

ptrdiff_t vault_catalog_pos(const vault_catalog *cat, const char *name, size_t n, size_t hint)
{
	size_t i;

	if (n > VAULT_NAME_MAX)
		return -1;
	if (hint < cat->n && cat->f[hint].name[n] == '\0' && memcmp(cat->f[hint].name, name, n) == 0)
		return (ptrdiff_t)hint;
	for (i = 0; i < cat->n; i++)
		if (cat->f[i].name[n] == '\0' && memcmp(cat->f[i].name, name, n) == 0)
			return (ptrdiff_t)i;
	return -1;
}

static int is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int date_ok(const char *s, size_t n)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, m, d, i;

	if (n != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return 0;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 1850 || m < 1 || m > 12 || d < 1)
		return 0;
	return d <= mdays[m - 1] + (m == 2 && is_leap(y));
}

static int pattern_ok(vault_pattern p, const char *s, size_t n)
{
	size_t i, at = n;

	switch (p) {
	case VAULT_P_ANY:
		return 1;
	case VAULT_P_DIGITS:
		for (i = 0; i < n; i++)
			if (s[i] < '0' || s[i] > '9')
				return 0;
		return n > 0;
	case VAULT_P_ALNUM:
		for (i = 0; i < n; i++)
			if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'Z')))
				return 0;
		return n > 0;
	case VAULT_P_PHONE:
		i = (n > 0 && s[0] == '+') ? 1 : 0;
		if (n - i < 8)
			return 0;
		for (; i < n; i++)
			if (s[i] < '0' || s[i] > '9')
				return 0;
		return 1;
	case VAULT_P_EMAIL:
		for (i = 0; i < n; i++) {
			if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f)
				return 0;
			if (s[i] == '@') {
				if (at != n)
					return 0;
				at = i;
			}
		}
		return at > 0 && at + 1 < n && memchr(s + at + 1, '.', n - at - 1) != NULL && s[n - 1] != '.';
	}
	return 0;
}

int vault_value_check(const vault_field_def *def, const vault_value *value, char *out, size_t *len, util_err *err)
{
	const char *s;
	size_t n, i;

	if (def->type == VAULT_T_INTEGER) {
		long long x;

		if (value->type != VAULT_V_INTEGER)
			return util_fail(err, UTIL_EINVAL, "field %s must be an integer", def->name);
		x = value->i;
		if (x < def->min || x > def->max)
			return util_fail(err, UTIL_EINVAL, "field %s is out of range", def->name);
		*len = (size_t)snprintf(out, VAULT_VALUE_MAX, "%lld", x);
		return 0;
	}
	if (value->type != VAULT_V_STRING)
		return util_fail(err, UTIL_EINVAL, "field %s must be a string", def->name);
	s = value->s;
	n = value->n;
	if (n > def->max_length)
		return util_fail(err, UTIL_EINVAL, "field %s is longer than %zu bytes", def->name, def->max_length);
	if (memchr(s, '\0', n) != NULL)
		return util_fail(err, UTIL_EINVAL, "field %s contains a NUL byte", def->name);
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return util_fail(err, UTIL_EINVAL, "field %s contains a control character", def->name);
	switch (def->type) {
	case VAULT_T_DATE:
		if (!date_ok(s, n))
			return util_fail(err, UTIL_EINVAL, "field %s must be a date YYYY-MM-DD", def->name);
		break;
	case VAULT_T_ENUM:
		for (i = 0; i < def->nvalues; i++)
			if (strlen(def->values[i]) == n && memcmp(def->values[i], s, n) == 0)
				break;
		if (i == def->nvalues)
			return util_fail(err, UTIL_EINVAL, "field %s is not one of its allowed values", def->name);
		break;
	default:
		if (!pattern_ok(def->pattern, s, n) && !(n == 0 && def->pattern == VAULT_P_ANY))
			return util_fail(err, UTIL_EINVAL, "field %s does not have the expected form", def->name);
		break;
	}
	memcpy(out, s, n);
	*len = n;
	return 0;
}

void vault_value_of_json(const json_t *j, vault_value *out)
{
	*out = (vault_value){.type = VAULT_V_OTHER};
	if (j == NULL) {
		out->type = VAULT_V_ABSENT;
	} else if (json_is_null(j)) {
		out->type = VAULT_V_NULL;
	} else if (json_is_string(j)) {
		out->type = VAULT_V_STRING;
		out->s = json_string_value(j);
		out->n = json_string_length(j);
	} else if (json_is_integer(j)) {
		out->type = VAULT_V_INTEGER;
		out->i = (long long)json_integer_value(j);
	}
}

int vault_field_check(const vault_field_def *def, const json_t *value, char *out, size_t *len, util_err *err)
{
	vault_value vv;

	vault_value_of_json(value, &vv);
	return vault_value_check(def, &vv, out, len, err);
}

json_t *vault_field_json(const vault_field_def *def, const char *v, size_t len)
{
	if (def->type == VAULT_T_INTEGER) {
		char buf[32];

		if (len >= sizeof buf)
			return NULL;
		memcpy(buf, v, len);
		buf[len] = '\0';
		return json_integer((json_int_t)strtoll(buf, NULL, 10));
	}
	return json_stringn(v, len);
}
