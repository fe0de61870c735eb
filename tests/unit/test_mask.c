/* test_mask.c: masked views: each mask's edge cases, and the property over many drawn values of every kind. */
#include "support.h"

#include <stdio.h>
#include <string.h>

#include "../fuzz/mask_check.h"

static const vault_field_def *field(const char *name)
{
	const vault_catalog *const *cats = mask_check_catalogs();
	const vault_field_def *d;

	assert_non_null(cats);
	d = vault_catalog_find(cats[0], name, strlen(name));
	if (d == NULL)
		d = vault_catalog_find(cats[1], name, strlen(name));
	if (d == NULL)
		fail_msg("no field %s", name);
	return d;
}

typedef struct mask_case {
	const char *field, *value, *view;
} mask_case;

/* Each case: the value (as the catalog accepts it), and its exact view; "***" is fully hidden. */
static const mask_case cases[] = {
	/* last3: the last three characters, of at least six */
	{"national_id", "001090012345", "*********345"},
	{"phone", "0912345678", "*******678"},
	{"phone", "+84912345678", "*********678"},
	{"health_insurance_number", "DN4797912345678", "************678"},
	{"tax_code", "123456", "***456"},
	{"tax_code", "12345", "***"},
	{"tax_code", "123", "***"},
	{"tax_code", "1", "***"},
	{"national_id", "", "***"},
	{"national_id", "ab", "***"},
	{"s_last3", "Đường Hồ", "***** Hồ"}, /* characters, not bytes */
	{"s_last3", "ễễễễễ", "***"},
	{"s_last3", "1234567", "****567"},
	{"s_last3", "-12345", "***345"},
	{"s_last3", "12345", "***"},
	{"s_last3", "male", "***"},
	/* year: the year of a date, nothing of anything else */
	{"date_of_birth", "1990-04-12", "1990"},
	{"date_of_birth", "2000-02-29", "2000"},
	{"s_year", "1990", "***"},
	{"s_year", "abcd-ef-gh", "***"},
	{"s_year", "2000-01-01", "2000"},
	{"s_year", "123456789", "***"},
	/* province: the part after the last comma, with something before it */
	{"permanent_address", "12 Tràng Tiền, Hoàn Kiếm, Hà Nội", "Hà Nội"},
	{"permanent_address", "Hà Nội", "***"},              /* no comma: was released whole */
	{"permanent_address", "Số 1 Đường Lê Lợi Quận 1", "***"},
	{"current_address", "a,b", "b"},
	{"current_address", "a, b ", "b"},
	{"current_address", "Hà Nội,", "***"},
	{"current_address", "Hà Nội,   ", "***"},
	{"current_address", ", Hà Nội", "***"},
	{"current_address", " ,, , Hà Nội", "***"},
	{"current_address", "", "***"},
	{"s_province", "x, y", "y"},
	{"current_address", "1, Số 12 Đường Láng Đống Đa Hà Nội", "***"}, /* the part is most of it */
	{"current_address", "1, Hà Nội", "***"},
	{"current_address", "Số 12, Hà Nội", "Hà Nội"},
	{"current_address", "a,bc", "***"},                 /* half the characters: not fewer */
	{"s_province", "abc", "***"},
	/* initials: the first character of each word, of four or more that hide more than they show */
	{"full_name", "Nguyễn Văn An", "N. V. A."},
	{"full_name", "Lê Thị Hồng Nhung", "L. T. H. N."},
	{"full_name", "Ánh", "***"},                   /* three characters: was "Á." */
	{"full_name", "An", "***"},
	{"full_name", "A", "***"},
	{"full_name", "Hà Ly", "***"},                 /* four characters, two shown of four: half */
	{"full_name", "Ngô Ý", "***"},
	{"full_name", "Hoa", "***"},
	{"full_name", "Hoang", "H."},
	{"full_name", "A B C D E", "***"},             /* one-letter words: was the value itself */
	{"full_name", "N. V. A.", "***"},              /* already a view: not itself again */
	{"full_name", "   ", "***"},
	{"full_name", "", "***"},
	{"full_name", "  Trần   Bảo  ", "T. B."},
	{"full_name", "  Trần   Bảo Long  ", "T. B. L."},
	{"s_initials", "A B C D", "***"},
	{"s_initials", "1000000", "1."},
	/* domain: "***" and the domain, with something before and after the '@' */
	{"email", "thuha.nguyen@example.vn", "***@example.vn"},
	{"email", "a@b.vn", "***@b.vn"},
	{"email", "***@b.vn", "***@b.vn"}, /* in masked form already: masks to itself */
	{"s_domain", "no at sign", "***"},
	{"s_domain", "@example.vn", "***"},
	{"s_domain", "name@", "***"},
	{"s_domain", "a@b@c.vn", "***@c.vn"},
	{"s_domain", "a@b.c", "***@b.c"},
	{"s_domain", "male", "***"},
	/* fully hidden, whatever the kind */
	{"national_id", "***", "***"},
	{"national_id", "*********345", "*********345"},
};

static void test_each_mask_at_its_edges(void **state)
{
	size_t i;
	int bad = 0;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const mask_case *c = &cases[i];
		const vault_field_def *d = field(c->field);
		char canon[VAULT_VALUE_MAX], view[2 * VAULT_VALUE_MAX];
		vault_value val = {.type = VAULT_V_STRING, .s = c->value, .n = strlen(c->value)};
		size_t len, vn;
		const char *why;
		util_err err;

		if (d->type == VAULT_T_INTEGER) {
			val.type = VAULT_V_INTEGER;
			val.i = strtoll(c->value, NULL, 10);
		}
		if (vault_value_check(d, &val, canon, &len, &err) != 0)
			fail_msg("case %zu (%s): the catalog refuses the value: %s", i, c->field, err.msg);
		assert_int_equal(vault_mask(d, canon, len, view, &vn), 0);
		if (vn != strlen(c->view) || memcmp(view, c->view, vn) != 0) {
			print_error("case %zu (%s \"%s\"): view \"%.*s\", expected \"%s\"\n", i, c->field, c->value, (int)vn,
			    view, c->view);
			bad = 1;
		}
		if ((why = mask_check(d, canon, len, view, vn)) != NULL) {
			print_error("case %zu (%s \"%s\"): %s\n", i, c->field, c->value, why);
			bad = 1;
		}
	}
	assert_int_equal(bad, 0);
}

/* The check itself refuses what the old masks gave: a value shown whole, or more than the part. */
static void test_check_refuses_what_shows_too_much(void **state)
{
	(void)state;
	assert_non_null(mask_check(field("permanent_address"), "Hà Nội", strlen("Hà Nội"), "Hà Nội", strlen("Hà Nội")));
	assert_non_null(mask_check(field("full_name"), "An", 2, "A.", 2));
	assert_non_null(mask_check(field("full_name"), "A B C D E", 9, "A. B. C. D. E.", 14));
	assert_non_null(mask_check(field("tax_code"), "123", 3, "123", 3));
	assert_non_null(mask_check(field("tax_code"), "1234", 4, "*234", 4));
	assert_non_null(mask_check(field("phone"), "0912345678", 10, "******5678", 10));
	assert_non_null(mask_check(field("email"), "a@b.vn", 6, "a@b.vn", 6));
	assert_non_null(mask_check(field("date_of_birth"), "1990-04-12", 10, "1990-04", 7));
	assert_null(mask_check(field("phone"), "0912345678", 10, "***", 3));
}

/* A small generator: lengths 0..40 from an alphabet rich in the characters masks look at. */
static uint64_t next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static size_t draw_from(uint64_t *seed, const char *set, size_t len, char *out)
{
	size_t k;

	for (k = 0; k < len; k++)
		out[k] = set[next(seed) % strlen(set)];
	return len;
}

static size_t draw(uint64_t *seed, const vault_field_def *d, char *out)
{
	static const char *const alphabet[] = {"a", "B", "z", "0", "1", "9", " ", " ", ",", ",", "@", ".", "*", "-",
		"+", "ễ", "Ư", "Đ", "\xe3\x80\x80", "\xf0\x9f\x98\x80", "ab", "2000-", "01-", "29", "@ex.vn", ", Hà Nội"};
	size_t n = 0, k, len = next(seed) % 41;

	switch (d->type == VAULT_T_STRING ? next(seed) % 5 : 0) {
	case 1: /* digits, maybe after a '+' */
		n = next(seed) % 2 ? draw_from(seed, "+", 1, out) : 0;
		return n + draw_from(seed, "0123456789", next(seed) % 16, out + n);
	case 2:
		return draw_from(seed, "0123456789ABCXYZ*", next(seed) % 16, out);
	case 3: /* an address of e-mail's shape */
		n = draw_from(seed, "abz.*@-", next(seed) % 6, out);
		n += draw_from(seed, "@", 1, out + n);
		n += draw_from(seed, "abz.@", next(seed) % 6, out + n);
		return n + draw_from(seed, ".vn", 3, out + n);
	default:
		break;
	}
	if (d->type == VAULT_T_DATE && next(seed) % 2)
		return (size_t)sprintf(out, "%04d-%02d-%02d", 1850 + (int)(next(seed) % 200), 1 + (int)(next(seed) % 12),
		    1 + (int)(next(seed) % 28));
	if (d->type == VAULT_T_INTEGER)
		return (size_t)sprintf(out, "%lld", next(seed) % 2 ? (long long)(next(seed) % 1000000000000001ull)
		                                                   : (long long)(next(seed) % 2000001) - 1000000);
	if (d->type == VAULT_T_ENUM && next(seed) % 2)
		return (size_t)sprintf(out, "%s", d->values[next(seed) % d->nvalues]);
	for (k = 0; k < len && n < 200; k++) {
		const char *t = alphabet[next(seed) % (sizeof alphabet / sizeof alphabet[0])];

		memcpy(out + n, t, strlen(t));
		n += strlen(t);
	}
	return n;
}

/* Every masked field of both catalogs gets values it accepts, and each view passes mask_check. */
static void test_property_over_drawn_values(void **state)
{
	const vault_field_def *f[2 * VAULT_MAX_FIELDS];
	size_t nf = mask_check_fields(f), i, accepted[2 * VAULT_MAX_FIELDS] = {0};
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	char v[256];

	(void)state;
	assert_true(nf >= 35); /* the built-in masked fields, and every mask on every kind */
	for (i = 0; i < 10000 * nf; i++) {
		const vault_field_def *d = f[i % nf];
		size_t n = draw(&seed, d, v);
		int ok = 0;
		const char *why = mask_check_draw(d, v, n, &ok);

		if (why != NULL)
			fail_msg("field %s, value \"%.*s\": %s", d->name, (int)n, v, why);
		accepted[i % nf] += (size_t)ok;
	}
	for (i = 0; i < nf; i++)
		if (accepted[i] < 100)
			fail_msg("field %s: only %zu drawn values accepted", f[i]->name, accepted[i]);
}

/* An enum's or an integer's value shows through any part of it: a catalog that masks one is refused. */
static void test_masks_only_on_strings_and_dates(void **state)
{
	static const char *const kinds[] = {"last3", "year", "province", "initials", "domain"};
	static const char *const types[] = {
	    "\"type\": \"enum\", \"values\": [\"female\", \"male\"]",
	    "\"type\": \"integer\", \"min\": 0, \"max\": 1000000",
	    "\"type\": \"string\", \"max_length\": 20",
	    "\"type\": \"date\"",
	};
	char json[1024];
	size_t k, t;

	(void)state;
	for (k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
		for (t = 0; t < sizeof types / sizeof types[0]; t++) {
			vault_catalog *cat = NULL;
			util_err err;
			int rc;

			snprintf(json, sizeof json,
			    "{\"version\": 1, \"fields\": [{\"name\": \"national_id\", \"type\": \"string\", "
			    "\"max_length\": 12, \"category\": \"basic\", \"description\": {\"vi\": \"x\", \"en\": \"x\"}}, "
			    "{\"name\": \"f\", %s, \"category\": \"basic\", \"mask\": \"%s\", "
			    "\"description\": {\"vi\": \"x\", \"en\": \"x\"}}]}",
			    types[t], kinds[k]);
			rc = vault_catalog_parse(json, strlen(json), &cat, &err);
			if (t < 2) {
				assert_int_equal(rc, -1);
				assert_non_null(strstr(err.msg, "cannot take"));
			} else {
				if (rc != 0)
					fail_msg("mask %s on %s: %s", kinds[k], types[t], err.msg);
				vault_catalog_free(cat);
			}
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_mask_at_its_edges),
		cmocka_unit_test(test_check_refuses_what_shows_too_much),
		cmocka_unit_test(test_property_over_drawn_values),
		cmocka_unit_test(test_masks_only_on_strings_and_dates),
	};

	return cmocka_run_group_tests_name("mask", tests, NULL, NULL);
}
