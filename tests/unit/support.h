/* support.h: helpers the unit and end-to-end tests share: temp dirs, files, processes. */
#ifndef VAULTD_TEST_SUPPORT_H
#define VAULTD_TEST_SUPPORT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "../../vault/vault.h"

/* A fresh directory under $TMPDIR (or /tmp), removed by test_rmtree. */
char *test_tmpdir(void);
void test_rmtree(const char *path);
/* dir/name into a static-free malloc'd string. */
char *test_path(const char *dir, const char *name);
/* Writes a whole file (mode 0600). */
void test_write_file(const char *path, const void *data, size_t n);
/* Reads a whole file; *n gets its size. Caller frees. NULL if it cannot. */
unsigned char *test_read_file(const char *path, size_t *n);
/* 1 if needle occurs anywhere in any regular file below dir (recursively); names the file. */
int test_tree_contains(const char *dir, const void *needle, size_t n, char *where, size_t wn);

/*
 * Runs argv (argv[0] a path) with stdin from `in` (may be NULL), capturing stdout and stderr
 * (malloc'd, NUL-terminated; pass NULL to discard). Returns the exit status, or -1.
 */
int test_run(char *const argv[], const char *in, char **out, char **err);
/* The path of a built program: $BUILD/name (BUILD defaults to "build"). Caller frees. */
char *test_prog(const char *name);

/* The one integer the query q returns on db (-1 if no row); a query that fails fails the test. */
int64_t test_sql_int(sqlite3 *db, const char *q);

/*
 * The vault fixture: a fresh vault in its own temp dir, unlocked by a key file, open.
 * Suites that need more state embed it in their own fixture (as its first member or not).
 */
typedef struct test_vault {
	char *dir;  /* the temp dir, removed with everything in it by test_vault_release */
	char *data; /* dir/data: the vault's data directory */
	char *key;  /* dir/master.key: the key file that u names */
	vault_unlock u;
	vault *v; /* NULL while closed */
} test_vault;

/* Fills a zeroed tv: creates the vault and opens it. A failure fails the test. */
void test_vault_make(test_vault *tv);
/* Opens tv's vault again into tv->v (after a vault_close). A failure fails the test. */
void test_vault_open(test_vault *tv);
/* Closes tv's vault if open, removes its dir and frees its strings; tv itself is the caller's. */
void test_vault_release(test_vault *tv);
/* A cmocka setup and teardown: *state is a malloc'd test_vault made by test_vault_make. */
int test_vault_setup(void **state);
int test_vault_teardown(void **state);

#endif
