/* test_util.c: hex and base32 against RFC 4648 vectors, crash-safe file writes, bounded reads. */
#include "support.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../util/util.h"

static void test_hex_roundtrip_and_rejects(void **state)
{
	unsigned char in[4] = {0x00, 0x7f, 0x80, 0xff}, out[4];
	char hex[9];

	(void)state;
	util_hex_encode(hex, in, sizeof in);
	assert_string_equal(hex, "007f80ff");
	assert_int_equal(util_hex_decode(out, 4, "007F80ff"), 0);
	assert_memory_equal(in, out, 4);
	assert_int_equal(util_hex_decode(out, 4, "007f80f"), -1);   /* short */
	assert_int_equal(util_hex_decode(out, 4, "007f80ff00"), -1); /* long */
	assert_int_equal(util_hex_decode(out, 4, "007g80ff"), -1);   /* not hex */
}

static void test_base32_rfc4648_vectors(void **state)
{
	/* RFC 4648 section 10, without the padding otpauth URIs leave out */
	static const struct {
		const char *in, *out;
	} v[] = {{"", ""}, {"f", "MY"}, {"fo", "MZXQ"}, {"foo", "MZXW6"}, {"foob", "MZXW6YQ"},
		{"fooba", "MZXW6YTB"}, {"foobar", "MZXW6YTBOI"}};
	char out[32];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		util_base32_encode(out, (const unsigned char *)v[i].in, strlen(v[i].in));
		assert_string_equal(out, v[i].out);
	}
}

static void test_write_new_is_exclusive_and_private(void **state)
{
	char *dir = test_tmpdir(), *p = test_path(dir, "f"), *l = test_path(dir, "link");
	struct stat st;
	util_err err;

	(void)state;
	assert_int_equal(util_write_new(p, "abc", 3, 0600, &err), 0);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(util_write_new(p, "xyz", 3, 0600, &err), -1);
	assert_int_equal(err.code, UTIL_EEXISTS);
	/* a symlink planted at the path is never followed */
	assert_int_equal(symlink(p, l), 0);
	assert_int_equal(util_write_new(l, "xyz", 3, 0600, &err), -1);
	{
		size_t n;
		unsigned char *b = test_read_file(p, &n);

		assert_int_equal(n, 3);
		assert_memory_equal(b, "abc", 3);
		free(b);
	}
	test_rmtree(dir);
	free(p);
	free(l);
	free(dir);
}

static void test_write_replace_and_bounded_read(void **state)
{
	char *dir = test_tmpdir(), *p = test_path(dir, "f");
	char buf[8];
	size_t n;
	util_err err;

	(void)state;
	assert_int_equal(util_write_replace(p, "one", 3, 0600, &err), 0);
	assert_int_equal(util_write_replace(p, "two!", 4, 0600, &err), 0);
	assert_int_equal(util_read_bounded(p, buf, sizeof buf, &n, &err), 0);
	assert_int_equal(n, 4);
	assert_memory_equal(buf, "two!", 4);
	assert_int_equal(util_read_bounded(p, buf, 3, &n, &err), -1); /* larger than the bound */
	assert_int_equal(err.code, UTIL_EINVAL);
	test_rmtree(dir);
	free(p);
	free(dir);
}

/* A deadline on the monotonic clock: normalised, and as far ahead as asked, across a second. */
static void test_mono_after_is_a_normalised_deadline(void **state)
{
	static const uint64_t ahead[] = {0, 999999999u, 1000000000u, 5000000000u + 123u};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof ahead / sizeof ahead[0]; i++) {
		uint64_t before = util_mono_ns(), after, at;
		struct timespec t = util_mono_after(ahead[i]);

		after = util_mono_ns();
		assert_true(t.tv_nsec >= 0 && t.tv_nsec < 1000000000L);
		at = (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
		assert_true(at >= before + ahead[i]);
		assert_true(at <= after + ahead[i]);
	}
}

/*
 * A time read by one thread can be later than the "now" another read just before: the elapsed
 * time is then 0, not the 584-year wrap that once made the request reaper cut connections that
 * had just begun (wrk counted read errors a few seconds into a run).
 */
static void test_mono_elapsed_never_wraps(void **state)
{
	uint64_t now = util_mono_ns();

	(void)state;
	assert_int_equal(util_mono_elapsed(now, now), 0);
	assert_int_equal(util_mono_elapsed(now - 5, now), 5);
	assert_int_equal(util_mono_elapsed(now + 1, now), 0);
	assert_int_equal(util_mono_elapsed(UINT64_MAX, 0), 0);
	assert_int_equal(util_mono_elapsed(0, UINT64_MAX), UINT64_MAX);
}

static void test_code_names_are_stable(void **state)
{
	(void)state;
	assert_string_equal(util_code_name(UTIL_EINVAL), "invalid_input");
	assert_string_equal(util_code_name(UTIL_EKEY), "wrong_key");
	assert_string_equal(util_code_name(UTIL_ECORRUPT), "corrupt");
	assert_string_equal(util_code_name(UTIL_CODE_COUNT), "internal");
}

/* A body arriving in pieces: every growth keeps the bytes, the bound holds, free empties it. */
static void test_wbuf_grows_by_copy_and_keeps_its_bound(void **state)
{
	util_wbuf b = {0};
	unsigned char piece[700], *first;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof piece; i++)
		piece[i] = (unsigned char)(i * 7);
	assert_int_equal(util_wbuf_append(&b, piece, 10, 4096), 0);
	first = b.p;
	assert_true(b.cap >= 11 && b.p[10] == '\0');
	for (i = 1; i < 5; i++)
		assert_int_equal(util_wbuf_append(&b, piece, sizeof piece, 4096), 0);
	/* 2,810 bytes cannot sit in the first block: it grew into new memory */
	assert_int_equal(b.len, 10 + 4 * sizeof piece);
	assert_true(b.cap > b.len && b.cap <= 4097);
	assert_ptr_not_equal(b.p, first);
	assert_memory_equal(b.p, piece, 10);
	for (i = 0; i < 4; i++)
		assert_memory_equal(b.p + 10 + i * sizeof piece, piece, sizeof piece);
	assert_int_equal(b.p[b.len], '\0');
	/* past the bound: refused, and what was there stays as it was */
	assert_int_equal(util_wbuf_append(&b, piece, sizeof piece * 2, 4096), -1);
	assert_int_equal(b.len, 10 + 4 * sizeof piece);
	while (b.len < 4096)
		assert_int_equal(util_wbuf_append(&b, piece, 4096 - b.len < sizeof piece ? 4096 - b.len : sizeof piece, 4096), 0);
	assert_int_equal(b.len, 4096);
	assert_int_equal(util_wbuf_append(&b, piece, 1, 4096), -1);
	assert_int_equal(util_wbuf_append(&b, piece, (size_t)-1, 4096), -1);
	util_wbuf_free(&b);
	assert_null(b.p);
	assert_int_equal(b.len + b.cap, 0);
	util_wbuf_free(&b); /* twice is harmless */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hex_roundtrip_and_rejects),
		cmocka_unit_test(test_base32_rfc4648_vectors),
		cmocka_unit_test(test_write_new_is_exclusive_and_private),
		cmocka_unit_test(test_write_replace_and_bounded_read),
		cmocka_unit_test(test_mono_after_is_a_normalised_deadline),
		cmocka_unit_test(test_mono_elapsed_never_wraps),
		cmocka_unit_test(test_code_names_are_stable),
		cmocka_unit_test(test_wbuf_grows_by_copy_and_keeps_its_bound),
	};

	return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
