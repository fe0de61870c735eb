/*
 * fuzz_fields.c: stored field lists. policy_fields_parse reads the form policy writes without
 * jansson; whatever it reads must be what jansson reads, and what it refuses, jansson refuses.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../../policy/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

/* The general reading, by jansson: an array of at most 64 objects with a "name" of at most 32 bytes. */
static int by_jansson(const char *s, policy_field *f, size_t *n)
{
	json_t *a = json_loads(s, 0, NULL), *e;
	size_t i;

	if (!json_is_array(a) || json_array_size(a) > POLICY_MAX_FIELDS) {
		json_decref(a);
		return -1;
	}
	json_array_foreach(a, i, e) {
		const char *name = json_string_value(json_object_get(e, "name"));

		if (name == NULL || strlen(name) > POLICY_FIELD_MAX) {
			json_decref(a);
			return -1;
		}
		strcpy(f[i].name, name);
		f[i].masked = json_is_true(json_object_get(e, "masked"));
	}
	*n = json_array_size(a);
	json_decref(a);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static policy_field a[POLICY_MAX_FIELDS], b[POLICY_MAX_FIELDS];
	size_t na = 0, nb = 0, i;
	char *s;
	int ra, rb;

	if (n > 8192 || (s = malloc(n + 1)) == NULL)
		return 0;
	memcpy(s, d, n);
	s[n] = '\0'; /* stored lists are SQLite text: up to the first NUL */
	ra = policy_fields_parse(s, a, &na);
	rb = by_jansson(s, b, &nb);
	if (ra != rb || (ra == 0 && na != nb))
		__builtin_trap();
	for (i = 0; ra == 0 && i < na; i++)
		if (strcmp(a[i].name, b[i].name) != 0 || a[i].masked != b[i].masked)
			__builtin_trap();
	free(s);
	return 0;
}
