/* test_json.c: the one JSON scanner (util/json.c): tokens, escapes, bounds, depth. */
#include "support.h"

#include <stdlib.h>
#include <string.h>

#include "../../util/util.h"

/* A copy of exactly n bytes on the heap, so that a read past the end is a fault under ASan. */
static char *exact(const char *s, size_t n)
{
	char *p = malloc(n ? n : 1);

	assert_non_null(p);
	memcpy(p, s, n);
	return p;
}

static int scan_string(const char *text, unsigned flags, util_json_str *out)
{
	size_t n = strlen(text);
	char *copy = exact(text, n);
	util_json j;
	int ok;

	util_json_init(&j, copy, n, flags);
	ok = util_json_string(&j, out) && util_json_end(&j);
	if (ok) /* point into text, which outlives the copy */
		out->s = text + (out->s - copy);
	free(copy);
	return ok;
}

static void test_strings_plain_and_escaped(void **state)
{
	static const char *const plain_only[] = {"\"\"", "\"abc\"", "\"Nguy\xe1\xbb\x85n\"", "\"\xf0\x9f\x98\x80\""};
	static const char *const escaped_ok[] = {"\"a\\\"b\"", "\"\\\\\"", "\"\\b\\f\\n\\r\\t\"", "\"\\u0001\"",
		"\"\\u001F\"", "\"\\u000B\"", "\"\\u0010\""};
	/* escapes jansson never writes (so not canonical), raw controls, bad UTF-8, unterminated */
	static const char *const never[] = {"\"\\/\"", "\"\\u0000\"", "\"\\u0008\"", "\"\\u000a\"", "\"\\u000A\"",
		"\"\\u0009\"", "\"\\u000C\"", "\"\\u000D\"", "\"\\u0020\"", "\"\\u00e9\"", "\"\\u001f\"", "\"\\x\"",
		"\"\\u00", "\"\\\"", "\"a\tb\"", "\"a\nb\"", "\"\x01\"", "\"\xc0\xaf\"", "\"\xed\xa0\x80\"",
		"\"\xe1\xbb\"", "\"\xff\"", "\"abc", "\"", "abc", ""};
	util_json_str s;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof plain_only / sizeof *plain_only; i++) {
		assert_int_equal(scan_string(plain_only[i], 0, &s), 1);
		assert_int_equal(s.escaped, 0);
		assert_int_equal(s.n, strlen(plain_only[i]) - 2);
		assert_ptr_equal(s.s, plain_only[i] + 1);
	}
	for (i = 0; i < sizeof escaped_ok / sizeof *escaped_ok; i++) {
		assert_int_equal(scan_string(escaped_ok[i], 0, &s), 0); /* no escape without UTIL_JSON_ESC */
		assert_int_equal(scan_string(escaped_ok[i], UTIL_JSON_ESC, &s), 1);
		assert_int_equal(s.escaped, 1);
		assert_int_equal(s.n, strlen(escaped_ok[i]) - 2);
	}
	for (i = 0; i < sizeof never / sizeof *never; i++)
		if (scan_string(never[i], UTIL_JSON_ESC, &s) || scan_string(never[i], UTIL_JSON_ESC | UTIL_JSON_WS, &s))
			fail_msg("never[%zu] was read as a string", i);
}

static int scan_int(const char *text, int64_t *x)
{
	size_t n = strlen(text);
	char *copy = exact(text, n);
	util_json j;
	int ok;

	util_json_init(&j, copy, n, 0);
	ok = util_json_int(&j, x) && util_json_end(&j);
	free(copy);
	return ok;
}

static void test_integers_as_json_writes_them(void **state)
{
	static const struct {
		const char *in;
		int64_t x;
	} ok[] = {{"0", 0}, {"7", 7}, {"-7", -7}, {"123456789012345678", 123456789012345678LL},
		{"-999999999999999999", -999999999999999999LL}};
	static const char *const bad[] = {"", "-", "-0", "01", "00", "1.5", "1e3", "1E3", "0.0",
		"1234567890123456789", "+1", "--1", "0x10", "a", " 1"};
	int64_t x;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof ok / sizeof *ok; i++) {
		assert_int_equal(scan_int(ok[i].in, &x), 1);
		assert_true(x == ok[i].x);
	}
	for (i = 0; i < sizeof bad / sizeof *bad; i++)
		if (scan_int(bad[i], &x))
			fail_msg("bad[%zu] \"%s\" was read as an integer", i, bad[i]);
}

static void test_whitespace_only_when_asked(void **state)
{
	static const char text[] = " {\t\"k\" :\r\n[ true , false ] } \n";
	util_json j;
	int b1, b2;

	(void)state;
	util_json_init(&j, text, sizeof text - 1, 0);
	assert_int_equal(util_json_take(&j, '{'), 0);
	util_json_init(&j, text, sizeof text - 1, UTIL_JSON_WS);
	assert_int_equal(util_json_take(&j, '{'), 1);
	assert_int_equal(util_json_key_is(&j, "k"), 1);
	assert_int_equal(util_json_take(&j, '['), 1);
	assert_int_equal(util_json_bool(&j, &b1), 1);
	assert_int_equal(util_json_take(&j, ','), 1);
	assert_int_equal(util_json_bool(&j, &b2), 1);
	assert_int_equal(b1 * 2 + b2, 2);
	assert_int_equal(util_json_end(&j), 0); /* two brackets still open */
	assert_int_equal(util_json_take(&j, ']'), 1);
	assert_int_equal(util_json_take(&j, '}'), 1);
	assert_int_equal(util_json_end(&j), 1);
	assert_int_equal(util_json_peek(&j), -1);
}

static void test_keys_match_exactly(void **state)
{
	static const struct {
		const char *in;
		int is;
	} c[] = {{"\"seq\":", 1}, {"\"seq\"", 0}, {"\"seqs\":", 0}, {"\"se\":", 0}, {"\"s\\u0001q\":", 0}, {"seq:", 0}};
	util_json j;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof c / sizeof *c; i++) {
		char *copy = exact(c[i].in, strlen(c[i].in));

		util_json_init(&j, copy, strlen(c[i].in), UTIL_JSON_ESC);
		assert_int_equal(util_json_key_is(&j, "seq"), c[i].is);
		free(copy);
	}
}

static void test_depth_is_bounded(void **state)
{
	char deep[2 * UTIL_JSON_MAX_DEPTH + 2];
	util_json j;
	size_t i;

	(void)state;
	memset(deep, '[', sizeof deep);
	util_json_init(&j, deep, sizeof deep, 0);
	for (i = 0; i < UTIL_JSON_MAX_DEPTH; i++)
		assert_int_equal(util_json_take(&j, '['), 1);
	assert_int_equal(util_json_take(&j, '['), 0); /* one more is refused, and not taken */
	assert_int_equal(util_json_peek(&j), '[');
	/* a closing bracket with none open is not taken either */
	util_json_init(&j, "]}", 2, 0);
	assert_int_equal(util_json_take(&j, ']'), 0);
	assert_int_equal(util_json_peek(&j), ']');
}

static void test_never_reads_past_the_end(void **state)
{
	/* each prefix of a valid text, in an exact-size heap copy: every call stops at the end */
	static const char text[] = "{\"a\":\"x\\u001Fy\",\"b\":[true,false],\"c\":-12,\"d\":\"\xe2\x82\xac\"}";
	util_json empty;
	size_t n;

	(void)state;
	util_json_init(&empty, NULL, 0, 0);
	assert_int_equal(util_json_peek(&empty), -1);
	for (n = 1; n < sizeof text - 1; n++) {
		char *copy = exact(text, n);
		util_json j;
		util_json_str s;
		int64_t x;
		int b;

		util_json_init(&j, copy, n, UTIL_JSON_ESC | UTIL_JSON_WS);
		while (util_json_peek(&j) != -1)
			if (!util_json_take(&j, '{') && !util_json_take(&j, '}') && !util_json_take(&j, '[') &&
			    !util_json_take(&j, ']') && !util_json_take(&j, ':') && !util_json_take(&j, ',') &&
			    !util_json_string(&j, &s) && !util_json_int(&j, &x) && !util_json_bool(&j, &b))
				break;
		assert_int_equal(util_json_end(&j), 0); /* a cut text never scans as a whole one */
		free(copy);
	}
	{ /* and the whole text does scan */
		util_json j;
		util_json_str s;
		int64_t x;
		int b;

		util_json_init(&j, text, sizeof text - 1, UTIL_JSON_ESC);
		assert_true(util_json_take(&j, '{') && util_json_key_is(&j, "a") && util_json_string(&j, &s) &&
		    util_json_take(&j, ',') && util_json_key_is(&j, "b") && util_json_take(&j, '[') &&
		    util_json_bool(&j, &b) && util_json_take(&j, ',') && util_json_bool(&j, &b) &&
		    util_json_take(&j, ']') && util_json_take(&j, ',') && util_json_key_is(&j, "c") &&
		    util_json_int(&j, &x) && x == -12 && util_json_take(&j, ',') && util_json_key_is(&j, "d") &&
		    util_json_string(&j, &s) && s.n == 3 && util_json_take(&j, '}') && util_json_end(&j));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strings_plain_and_escaped),
		cmocka_unit_test(test_integers_as_json_writes_them),
		cmocka_unit_test(test_whitespace_only_when_asked),
		cmocka_unit_test(test_keys_match_exactly),
		cmocka_unit_test(test_depth_is_bounded),
		cmocka_unit_test(test_never_reads_past_the_end),
	};

	return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
