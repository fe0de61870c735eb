/*
 * fuzz_log.c: the one logger's lines (util/log.c). The input, cut at NUL bytes, gives the
 * request id, the message and two string fields. Whatever they hold, the line must be one
 * JSON object on one line, within UTIL_LOG_LINE_MAX bytes; when it is not cut, each string
 * must read back as given when it is well-formed UTF-8.
 */
#include <jansson.h>
#include <stdint.h>
#include <string.h>

#include "../../util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static int is_utf8(const char *s)
{
	size_t left = strlen(s), k;

	for (; left > 0; s += k, left -= k)
		if ((k = util_utf8_char((const unsigned char *)s, left)) == 0)
			return 0;
	return 1;
}

static void same(json_t *o, const char *key, const char *want)
{
	const char *got = json_string_value(json_object_get(o, key));

	if (is_utf8(want) && (got == NULL || strcmp(got, want) != 0))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static char text[4096], line[UTIL_LOG_LINE_MAX];
	const char *part[4] = {"", "", "", ""};
	size_t i, np = 1, len;
	json_t *o;

	if (n >= sizeof text)
		return 0;
	memcpy(text, d, n);
	text[n] = '\0';
	part[0] = text;
	for (i = 0; i < n && np < 4; i++)
		if (text[i] == '\0')
			part[np++] = text + i + 1;
	len = util_log_line(line, sizeof line, UTIL_LOG_WARN, n % 2 ? part[0] : NULL, part[1], "a=%s b=%s c=%d",
	    part[2], part[3], (int)n - 100);
	if (len < 2 || len > sizeof line || line[len - 1] != '\n' || memchr(line, '\n', len - 1) != NULL)
		__builtin_trap();
	if ((o = json_loadb(line, len - 1, JSON_REJECT_DUPLICATES, NULL)) == NULL || !json_is_object(o))
		__builtin_trap();
	if (!json_is_true(json_object_get(o, "truncated"))) {
		if (n % 2)
			same(o, "request_id", part[0]);
		same(o, "msg", part[1]);
		same(o, "a", part[2]);
		same(o, "b", part[3]);
		if (json_integer_value(json_object_get(o, "c")) != (int)n - 100)
			__builtin_trap();
	}
	json_decref(o);
	return 0;
}
