/* test_log.c: the one logger (util/log.c): JSON escaping, time, request ids, one line per event. */
#include "support.h"

#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../util/util.h"

/* The line as jansson reads it: exactly one JSON object, then one newline and nothing else. */
static json_t *parse_line(const char *buf, size_t n)
{
	json_error_t je;
	json_t *o;

	assert_true(n > 2);
	assert_int_equal(buf[n - 1], '\n');
	assert_null(memchr(buf, '\n', n - 1));
	o = json_loadb(buf, n - 1, JSON_REJECT_DUPLICATES, &je);
	if (o == NULL)
		fail_msg("not JSON (%s at %d): %.*s", je.text, je.position, (int)n, buf);
	assert_true(json_is_object(o));
	return o;
}

static const void *contains(const char *buf, size_t n, const char *want)
{
	return memmem(buf, n, want, strlen(want));
}

static void test_time_is_rfc3339_utc_with_microseconds(void **state)
{
	static const struct {
		int64_t sec;
		uint32_t usec;
		const char *want;
	} v[] = {{0, 0, "1970-01-01T00:00:00.000000Z"}, {951782400, 7, "2000-02-29T00:00:00.000007Z"},
		{4107542400, 999999, "2100-03-01T00:00:00.999999Z"}, {1767225599, 123456, "2025-12-31T23:59:59.123456Z"},
		{-1, 500000, "1969-12-31T23:59:59.500000Z"}, {253402300799, 0, "9999-12-31T23:59:59.000000Z"}};
	char out[UTIL_TIME_RFC3339_LEN], buf[UTIL_LOG_LINE_MAX];
	struct timespec before, after;
	json_t *o;
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof v / sizeof *v; i++) {
		util_time_rfc3339(v[i].sec, v[i].usec, out);
		assert_string_equal(out, v[i].want);
	}
	/* a line's time is now's, in that form */
	clock_gettime(CLOCK_REALTIME, &before);
	n = util_log_line(buf, sizeof buf, UTIL_LOG_INFO, NULL, "tick", NULL);
	clock_gettime(CLOCK_REALTIME, &after);
	o = parse_line(buf, n);
	{
		char lo[UTIL_TIME_RFC3339_LEN], hi[UTIL_TIME_RFC3339_LEN];
		const char *t = json_string_value(json_object_get(o, "time"));

		util_time_rfc3339(before.tv_sec, (uint32_t)(before.tv_nsec / 1000), lo);
		util_time_rfc3339(after.tv_sec, (uint32_t)(after.tv_nsec / 1000), hi);
		assert_non_null(t);
		assert_int_equal(strlen(t), UTIL_TIME_RFC3339_LEN - 1);
		assert_true(strcmp(lo, t) <= 0 && strcmp(t, hi) <= 0);
	}
	json_decref(o);
}

static void test_hostile_strings_are_escaped(void **state)
{
	/* quotes, backslashes, every kind of control character, DEL, valid and invalid UTF-8 */
	static const char hostile[] = "a\"b\\c\nd\re\tf\bg\fh\x01i\x1fj\x7fk \xe1\xbb\x85 \xf0\x9f\x98\x80 "
				      "\xff\xc0\xaf\xed\xa0\x80\xe1\xbb end";
	static const char want[] = "a\"b\\c\nd\re\tf\bg\fh\x01i\x1fj\x7fk \xe1\xbb\x85 \xf0\x9f\x98\x80 "
				   /* \xff, \xc0 \xaf (overlong), \xed \xa0 \x80 (a surrogate), \xe1 \xbb (cut short) */
				   "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
				   "\xef\xbf\xbd end";
	const char *volatile absent = NULL; /* a NULL string is null (the compiler may not see it) */
	char buf[UTIL_LOG_LINE_MAX];
	json_t *o;
	size_t n;

	(void)state;
	n = util_log_line(buf, sizeof buf, UTIL_LOG_ERROR, "r\"1\n", "m\"s\ng", "k\"ey=%s other=%s", hostile, absent);
	o = parse_line(buf, n);
	assert_string_equal(json_string_value(json_object_get(o, "msg")), "m\"s\ng");
	assert_string_equal(json_string_value(json_object_get(o, "request_id")), "r\"1\n");
	assert_string_equal(json_string_value(json_object_get(o, "k\"ey")), want);
	assert_true(json_is_null(json_object_get(o, "other")));
	assert_string_equal(json_string_value(json_object_get(o, "level")), "error");
	json_decref(o);
	/* the escapes themselves, as written */
	n = util_log_line(buf, sizeof buf, UTIL_LOG_INFO, NULL, "\x01\"\\\x7f\xff", NULL);
	assert_non_null(contains(buf, n, "\"msg\":\"\\u0001\\\"\\\\\x7f\\ufffd\"}\n"));
}

static void test_any_bytes_make_one_json_line(void **state)
{
	char s[1500], buf[UTIL_LOG_LINE_MAX];
	uint32_t x = 12345;
	int i;

	(void)state;
	for (i = 0; i < 3000; i++) {
		size_t len = (size_t)(i % 7 == 0 ? i % 1499 : i % 97), k, n;
		json_t *o;

		for (k = 0; k < len; k++) {
			x = x * 1103515245u + 12345u;
			s[k] = (char)(x >> 16 & (i % 3 ? 0xff : 0x3f)); /* a third mostly controls and quotes */
			if (s[k] == '\0')
				s[k] = '"';
		}
		s[len] = '\0';
		n = util_log_line(buf, sizeof buf, UTIL_LOG_INFO, i % 2 ? s : NULL, "m", "a=%s b=%d", s, i);
		o = parse_line(buf, n);
		json_decref(o);
	}
}

static void test_numbers_and_key_order(void **state)
{
	char buf[UTIL_LOG_LINE_MAX];
	json_t *o;
	size_t n;

	(void)state;
	n = util_log_line(buf, sizeof buf, UTIL_LOG_WARN, "abc", "listening",
	    "addr=%s port=%u neg=%d big=%lld small=%lld n=%zu l=%lu ms=%.3f ms0=%.0f nms=%.3f", "127.0.0.1", 8443u, -7,
	    LLONG_MAX, LLONG_MIN, (size_t)12, 42ul, 1.23456, 2.5, -0.0004);
	o = parse_line(buf, n);
	assert_int_equal(json_integer_value(json_object_get(o, "port")), 8443);
	assert_int_equal(json_integer_value(json_object_get(o, "neg")), -7);
	assert_true(json_integer_value(json_object_get(o, "big")) == LLONG_MAX);
	assert_true(json_integer_value(json_object_get(o, "small")) == LLONG_MIN);
	assert_int_equal(json_integer_value(json_object_get(o, "n")), 12);
	assert_int_equal(json_integer_value(json_object_get(o, "l")), 42);
	assert_string_equal(json_string_value(json_object_get(o, "level")), "warn");
	json_decref(o);
	assert_non_null(contains(buf, n, "\"ms\":1.235,\"ms0\":3,\"nms\":0.000}"));
	/* the harness and the bench find the port after "msg":"listening": time, level, msg, request_id first */
	assert_int_equal(strncmp(buf, "{\"time\":\"", 9), 0);
	assert_non_null(contains(buf, n, "\",\"level\":\"warn\",\"msg\":\"listening\",\"request_id\":\"abc\",\"addr\":"));
}

static void test_request_id_only_when_there_is_one(void **state)
{
	char buf[UTIL_LOG_LINE_MAX];
	json_t *o;
	size_t n;

	(void)state;
	n = util_log_line(buf, sizeof buf, UTIL_LOG_INFO, "0123456789abcdef", "request", "status=%u", 200u);
	o = parse_line(buf, n);
	assert_string_equal(json_string_value(json_object_get(o, "request_id")), "0123456789abcdef");
	json_decref(o);
	n = util_log_line(buf, sizeof buf, UTIL_LOG_INFO, NULL, "stopping", NULL);
	o = parse_line(buf, n);
	assert_null(json_object_get(o, "request_id"));
	assert_int_equal(json_object_size(o), 3);
	json_decref(o);
}

static void test_a_long_line_is_cut_and_still_json(void **state)
{
	char big[3000], buf[UTIL_LOG_LINE_MAX], small[128];
	json_t *o;
	size_t n;

	(void)state;
	memset(big, '"', sizeof big - 1); /* each one doubles when escaped */
	big[sizeof big - 1] = '\0';
	n = util_log_line(buf, sizeof buf, UTIL_LOG_INFO, NULL, "m", "a=%u b=%s c=%u", 1u, big, 3u);
	assert_true(n <= sizeof buf);
	o = parse_line(buf, n);
	assert_int_equal(json_integer_value(json_object_get(o, "a")), 1);
	assert_null(json_object_get(o, "b")); /* a member that does not fit whole is left out */
	assert_null(json_object_get(o, "c"));
	assert_true(json_is_true(json_object_get(o, "truncated")));
	json_decref(o);
	/* a msg too long for the line is cut at a character, still closed */
	n = util_log_line(small, sizeof small, UTIL_LOG_INFO, "rid", big, NULL);
	assert_true(n <= sizeof small);
	o = parse_line(small, n);
	assert_true(json_is_true(json_object_get(o, "truncated")));
	assert_null(json_object_get(o, "request_id"));
	json_decref(o);
	/* a conversion the logger does not know stops the fields there */
	n = util_log_line(buf, sizeof buf, UTIL_LOG_INFO, NULL, "m", "a=%u b=%x", 1u, 2u);
	o = parse_line(buf, n);
	assert_int_equal(json_integer_value(json_object_get(o, "a")), 1);
	assert_null(json_object_get(o, "b"));
	assert_true(json_is_true(json_object_get(o, "truncated")));
	json_decref(o);
	assert_int_equal(util_log_line(small, 100, UTIL_LOG_INFO, NULL, "m", NULL), 0);
}

static void test_one_line_per_call_on_stderr(void **state)
{
	char *dir = test_tmpdir(), *path = test_path(dir, "log"), *text, *p, *nl;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600), saved = dup(2), lines = 0;
	size_t n;

	(void)state;
	assert_true(fd >= 0 && saved >= 0);
	fflush(stderr);
	assert_int_equal(dup2(fd, 2), 2);
	util_log(UTIL_LOG_INFO, NULL, "one\nline", "why=%s", "a\nb\r\n");
	util_log(UTIL_LOG_FATAL, "rid", "two", NULL);
	util_log(UTIL_LOG_ERROR, NULL, "three", "code=%s", "io_error");
	fflush(stderr);
	assert_int_equal(dup2(saved, 2), 2);
	close(saved);
	close(fd);
	text = (char *)test_read_file(path, &n);
	assert_non_null(text);
	for (p = text; p < text + n; p = nl + 1, lines++) {
		json_t *o;

		nl = memchr(p, '\n', (size_t)(text + n - p));
		assert_non_null(nl);
		o = parse_line(p, (size_t)(nl - p + 1));
		json_decref(o);
	}
	assert_int_equal(lines, 3);
	assert_non_null(strstr(text, "\"level\":\"fatal\",\"msg\":\"two\",\"request_id\":\"rid\"}\n"));
	free(text);
	test_rmtree(dir);
	free(path);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_time_is_rfc3339_utc_with_microseconds),
		cmocka_unit_test(test_hostile_strings_are_escaped),
		cmocka_unit_test(test_any_bytes_make_one_json_line),
		cmocka_unit_test(test_numbers_and_key_order),
		cmocka_unit_test(test_request_id_only_when_there_is_one),
		cmocka_unit_test(test_a_long_line_is_cut_and_still_json),
		cmocka_unit_test(test_one_line_per_call_on_stderr),
	};

	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
