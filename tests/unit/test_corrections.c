/* test_corrections.c: a citizen's correction requests in the vault: sealed at rest, theirs alone, answered once, erased with them. */
#include "support.h"

#include <stdlib.h>
#include <string.h>

#include "../../vault/sqlite.h"

#define SECRET_NAME "Lê Thị Đính Chính"
#define SECRET_NOTE "tên tôi viết sai dấu"

static void enrol(vault *v, const char *nid, unsigned char cid[KEYS_CID_BYTES])
{
	json_t *f = json_pack("{s:s, s:s}", "full_name", "Le Thi Sai", "date_of_birth", "1990-01-02");
	util_err err;

	if (vault_citizen_create(v, nid, f, cid, NULL, &err) != 0)
		fail_msg("enrol: %s", err.msg);
	json_decref(f);
}

static int collect(void *arg, const unsigned char cid[KEYS_CID_BYTES], json_t *view, util_err *err)
{
	(void)cid, (void)err;
	json_array_append_new(arg, view);
	return 0;
}

/* Every request of cid (NULL: everyone's) of state (NULL: any), one page of limit; a new array. */
static json_t *list(vault *v, const unsigned char *cid, const char *state, const char *after, int64_t limit,
    char next[VAULT_CORRECTION_ID_LEN + 1])
{
	json_t *a = json_array();
	util_err err;

	if (vault_corrections_list(v, cid, state, after, limit, collect, a, next, &err) != 0)
		fail_msg("list: %s", err.msg);
	return a;
}

static void create(vault *v, const unsigned char *cid, const char *field, json_t *value, const char *note,
    char id[VAULT_CORRECTION_ID_LEN + 1])
{
	util_err err;

	if (vault_correction_create(v, cid, field, value, note, id, &err) != 0)
		fail_msg("create: %s", err.msg);
	json_decref(value);
}

/* The value and the note are sealed: no byte of them in the table, which opens them again. */
static void test_a_request_is_sealed_at_rest(void **state)
{
	test_vault *tv = *state;
	unsigned char cid[KEYS_CID_BYTES];
	char id[VAULT_CORRECTION_ID_LEN + 1], next[VAULT_CORRECTION_ID_LEN + 1];
	sqlite3_stmt *s;
	json_t *a;
	int rows = 0;

	enrol(tv->v, "001090012345", cid);
	create(tv->v, cid, "full_name", json_string(SECRET_NAME), SECRET_NOTE, id);
	assert_true(vault_correction_id_ok(id));
	assert_int_equal(sqlite3_prepare_v2(vault_sql_db(tv->v), "SELECT * FROM corrections", -1, &s, NULL), SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW) {
		int c;

		rows++;
		for (c = 0; c < sqlite3_column_count(s); c++) {
			const void *b = sqlite3_column_blob(s, c);
			size_t n = (size_t)sqlite3_column_bytes(s, c);

			assert_null(b ? memmem(b, n, SECRET_NAME, strlen(SECRET_NAME)) : NULL);
			assert_null(b ? memmem(b, n, "Lê", strlen("Lê")) : NULL);
			assert_null(b ? memmem(b, n, "dấu", strlen("dấu")) : NULL);
		}
	}
	sqlite3_finalize(s);
	assert_int_equal(rows, 1);
	a = list(tv->v, cid, NULL, "", 10, next);
	assert_int_equal(json_array_size(a), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(a, 0), "value")), SECRET_NAME);
	assert_string_equal(json_string_value(json_object_get(json_array_get(a, 0), "note")), SECRET_NOTE);
	assert_string_equal(json_string_value(json_object_get(json_array_get(a, 0), "state")), "pending");
	assert_string_equal(next, "");
	json_decref(a);
}

/* A sealed value moved to another request, or a row's field changed, no longer opens. */
static void test_a_tampered_request_does_not_open(void **state)
{
	test_vault *tv = *state;
	unsigned char cid[KEYS_CID_BYTES];
	char a[VAULT_CORRECTION_ID_LEN + 1], b[VAULT_CORRECTION_ID_LEN + 1], next[VAULT_CORRECTION_ID_LEN + 1];
	json_t *arr = json_array();
	util_err err;

	enrol(tv->v, "001090012345", cid);
	create(tv->v, cid, "full_name", json_string("Tên Một"), NULL, a);
	create(tv->v, cid, "full_name", json_string("Tên Hai"), NULL, b);
	assert_int_equal(sqlite3_exec(vault_sql_db(tv->v),
	                     "UPDATE corrections SET field = 'phone' WHERE rowid = 1", NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(vault_corrections_list(tv->v, cid, NULL, "", 1, collect, arr, next, &err), -1);
	assert_int_equal(err.code, UTIL_ECORRUPT);
	assert_int_equal(sqlite3_exec(vault_sql_db(tv->v),
	                     "UPDATE corrections SET field = 'full_name',"
	                     " sealed = (SELECT sealed FROM corrections WHERE rowid = 2) WHERE rowid = 1",
	                     NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(vault_corrections_list(tv->v, cid, NULL, "", 1, collect, arr, next, &err), -1);
	assert_int_equal(err.code, UTIL_ECORRUPT);
	json_decref(arr);
}

/* Bad input: each refused, with a message that names the rule and never the value. */
static void test_bad_requests_are_refused(void **state)
{
	test_vault *tv = *state;
	unsigned char cid[KEYS_CID_BYTES], nobody[KEYS_CID_BYTES] = {0};
	char id[VAULT_CORRECTION_ID_LEN + 1], note[VAULT_NOTE_MAX + 2];
	json_t *v = json_string("1990-13-45"), *s = json_string("ok");
	util_err err;
	unsigned i;

	enrol(tv->v, "001090012345", cid);
	assert_int_equal(vault_correction_create(tv->v, cid, "no_such_field", s, NULL, id, &err), -1);
	assert_int_equal(err.code, UTIL_EINVAL);
	assert_int_equal(vault_correction_create(tv->v, cid, "national_id", s, NULL, id, &err), -1);
	assert_int_equal(err.code, UTIL_EINVAL);
	assert_int_equal(vault_correction_create(tv->v, cid, "date_of_birth", v, NULL, id, &err), -1);
	assert_int_equal(err.code, UTIL_EINVAL);
	assert_null(strstr(err.msg, "1990-13-45"));
	memset(note, 'a', sizeof note - 1);
	note[sizeof note - 1] = '\0';
	assert_int_equal(vault_correction_create(tv->v, cid, "full_name", s, note, id, &err), -1);
	assert_int_equal(err.code, UTIL_EINVAL);
	assert_int_equal(vault_correction_create(tv->v, nobody, "full_name", s, NULL, id, &err), -1);
	assert_int_equal(err.code, UTIL_ENOTFOUND);
	/* at most VAULT_CORRECTIONS_PENDING_MAX pending */
	for (i = 0; i < VAULT_CORRECTIONS_PENDING_MAX; i++)
		assert_int_equal(vault_correction_create(tv->v, cid, "full_name", s, NULL, id, &err), 0);
	assert_int_equal(vault_correction_create(tv->v, cid, "full_name", s, NULL, id, &err), -1);
	assert_int_equal(err.code, UTIL_ESTATE);
	assert_int_equal(test_sql_int(vault_sql_db(tv->v), "SELECT count(*) FROM corrections"),
	    VAULT_CORRECTIONS_PENDING_MAX);
	json_decref(v);
	json_decref(s);
}

/* Applied writes the value to the record; rejected keeps its reason, sealed; each only once. */
static void test_answers_apply_or_reject_once(void **state)
{
	test_vault *tv = *state;
	unsigned char cid[KEYS_CID_BYTES], got[KEYS_CID_BYTES];
	char a[VAULT_CORRECTION_ID_LEN + 1], b[VAULT_CORRECTION_ID_LEN + 1], next[VAULT_CORRECTION_ID_LEN + 1];
	char field[VAULT_NAME_MAX + 1];
	const char *names[] = {"full_name"};
	json_t *rec, *arr;
	util_err err;

	enrol(tv->v, "001090012345", cid);
	create(tv->v, cid, "full_name", json_string(SECRET_NAME), NULL, a);
	create(tv->v, cid, "date_of_birth", json_string("1990-02-01"), NULL, b);
	assert_int_equal(vault_correction_decide(tv->v, a, 1, NULL, "agency:ag_1", got, field, &err), 0);
	assert_memory_equal(got, cid, KEYS_CID_BYTES);
	assert_string_equal(field, "full_name");
	assert_int_equal(vault_citizen_read(tv->v, cid, names, 1, &rec, &err), 0);
	assert_string_equal(json_string_value(json_object_get(rec, "full_name")), SECRET_NAME);
	json_decref(rec);
	assert_int_equal(vault_correction_decide(tv->v, a, 0, "twice", "agency:ag_1", got, field, &err), -1);
	assert_int_equal(err.code, UTIL_ESTATE);
	assert_int_equal(vault_correction_decide(tv->v, b, 0, "giấy khai sinh ghi khác", "agency:ag_1", got, field, &err), 0);
	assert_int_equal(test_sql_int(vault_sql_db(tv->v), "SELECT count(*) FROM corrections WHERE instr(reason, 'khai') > 0"), 0);
	assert_int_equal(vault_correction_decide(tv->v, "cr_000000000000000000000000", 1, NULL, "agency:ag_1", got, field, &err), -1);
	assert_int_equal(err.code, UTIL_ENOTFOUND);
	/* the queue: pending first, then the answered; filtered by state */
	arr = list(tv->v, NULL, "rejected", "", 10, next);
	assert_int_equal(json_array_size(arr), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(arr, 0), "reason")), "giấy khai sinh ghi khác");
	assert_string_equal(json_string_value(json_object_get(json_array_get(arr, 0), "decided_by")), "agency:ag_1");
	json_decref(arr);
}

/* Pending first in everyone's queue, in pages whose next goes on where the last stopped. */
static void test_the_queue_is_paged_pending_first(void **state)
{
	test_vault *tv = *state;
	unsigned char c1[KEYS_CID_BYTES], c2[KEYS_CID_BYTES], got[KEYS_CID_BYTES];
	char ids[4][VAULT_CORRECTION_ID_LEN + 1], next[VAULT_CORRECTION_ID_LEN + 1], field[VAULT_NAME_MAX + 1];
	json_t *p1, *p2, *mine;
	util_err err;

	enrol(tv->v, "001090012345", c1);
	enrol(tv->v, "001090012346", c2);
	create(tv->v, c1, "phone", json_string("0912000001"), NULL, ids[0]);
	create(tv->v, c2, "phone", json_string("0912000002"), NULL, ids[1]);
	create(tv->v, c1, "phone", json_string("0912000003"), NULL, ids[2]);
	create(tv->v, c2, "phone", json_string("0912000004"), NULL, ids[3]);
	assert_int_equal(vault_correction_decide(tv->v, ids[0], 0, "no", "agency:ag_1", got, field, &err), 0);
	p1 = list(tv->v, NULL, NULL, "", 2, next);
	assert_string_equal(json_string_value(json_object_get(json_array_get(p1, 0), "id")), ids[1]);
	assert_string_equal(json_string_value(json_object_get(json_array_get(p1, 1), "id")), ids[2]);
	assert_string_equal(next, ids[2]);
	p2 = list(tv->v, NULL, NULL, ids[2], 2, next);
	assert_int_equal(json_array_size(p2), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(p2, 0), "id")), ids[3]);
	assert_string_equal(json_string_value(json_object_get(json_array_get(p2, 1), "id")), ids[0]);
	assert_string_equal(next, "");
	/* a citizen sees their own only; another's id is no cursor of theirs */
	mine = list(tv->v, c2, NULL, "", 10, next);
	assert_int_equal(json_array_size(mine), 2);
	assert_int_equal(vault_corrections_list(tv->v, c2, NULL, ids[0], 10, collect, mine, next, &err), -1);
	assert_int_equal(err.code, UTIL_EINVAL);
	json_decref(p1), json_decref(p2), json_decref(mine);
}

/* An erasure takes the citizen's requests with the record. */
static void test_erasure_removes_the_requests(void **state)
{
	test_vault *tv = *state;
	unsigned char c1[KEYS_CID_BYTES], c2[KEYS_CID_BYTES];
	char id[VAULT_CORRECTION_ID_LEN + 1];
	util_err err;

	enrol(tv->v, "001090012345", c1);
	enrol(tv->v, "001090012346", c2);
	create(tv->v, c1, "phone", json_string("0912000001"), NULL, id);
	create(tv->v, c2, "phone", json_string("0912000002"), NULL, id);
	assert_int_equal(vault_citizen_erase(tv->v, c1, &err), 0);
	assert_int_equal(test_sql_int(vault_sql_db(tv->v), "SELECT count(*) FROM corrections"), 1);
	assert_int_equal(vault_citizen_erase(tv->v, c1, &err), -1);
	assert_int_equal(err.code, UTIL_ENOTFOUND);
	assert_int_equal(test_sql_int(vault_sql_db(tv->v), "SELECT count(*) FROM corrections"), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_a_request_is_sealed_at_rest, test_vault_setup, test_vault_teardown),
		cmocka_unit_test_setup_teardown(test_a_tampered_request_does_not_open, test_vault_setup, test_vault_teardown),
		cmocka_unit_test_setup_teardown(test_bad_requests_are_refused, test_vault_setup, test_vault_teardown),
		cmocka_unit_test_setup_teardown(test_answers_apply_or_reject_once, test_vault_setup, test_vault_teardown),
		cmocka_unit_test_setup_teardown(test_the_queue_is_paged_pending_first, test_vault_setup, test_vault_teardown),
		cmocka_unit_test_setup_teardown(test_erasure_removes_the_requests, test_vault_setup, test_vault_teardown),
	};

	if (vault_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
