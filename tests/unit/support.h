/* support.h: helpers the unit and end-to-end tests share: temp dirs, files, processes. */
#ifndef VAULTD_TEST_SUPPORT_H
#define VAULTD_TEST_SUPPORT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <sqlite3.h>

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

#endif
