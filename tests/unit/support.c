/* support.c: temp dirs, file scans and child processes for the tests. */
#include "support.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

char *test_tmpdir(void)
{
	const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char *p = malloc(strlen(base) + 32);

	assert_non_null(p);
	sprintf(p, "%s/vaultd-test-XXXXXX", base);
	assert_non_null(mkdtemp(p));
	return p;
}

void test_rmtree(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;

	if (d == NULL) {
		unlink(path);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		char *sub;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		sub = test_path(path, e->d_name);
		if (e->d_type == DT_DIR)
			test_rmtree(sub);
		else
			unlink(sub);
		free(sub);
	}
	closedir(d);
	rmdir(path);
}

char *test_path(const char *dir, const char *name)
{
	char *p = malloc(strlen(dir) + strlen(name) + 2);

	assert_non_null(p);
	sprintf(p, "%s/%s", dir, name);
	return p;
}

void test_write_file(const char *path, const void *data, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, n), (ssize_t)n);
	close(fd);
}

unsigned char *test_read_file(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	long len;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	buf = malloc((size_t)len + 1);
	assert_non_null(buf);
	*n = fread(buf, 1, (size_t)len, f);
	buf[*n] = 0;
	fclose(f);
	return buf;
}

int test_tree_contains(const char *dir, const void *needle, size_t n, char *where, size_t wn)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int found = 0;

	if (d == NULL)
		return 0;
	while (!found && (e = readdir(d)) != NULL) {
		char *sub;
		struct stat st;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		sub = test_path(dir, e->d_name);
		if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode)) {
			found = test_tree_contains(sub, needle, n, where, wn);
		} else if (S_ISREG(st.st_mode)) {
			size_t len;
			unsigned char *buf = test_read_file(sub, &len);

			if (buf != NULL && len >= n && memmem(buf, len, needle, n) != NULL) {
				found = 1;
				snprintf(where, wn, "%s", sub);
			}
			free(buf);
		}
		free(sub);
	}
	closedir(d);
	return found;
}

/* Reads what fd has into *buf; returns 0 at end of file. */
static ssize_t drain(int fd, char **buf, size_t *len, size_t *cap)
{
	char tmp[4096];
	ssize_t r = read(fd, tmp, sizeof tmp);

	if (r <= 0)
		return r < 0 && errno == EINTR ? 1 : r;
	if (*len + (size_t)r + 1 > *cap) {
		*cap = (*len + (size_t)r + 1) * 2;
		*buf = realloc(*buf, *cap);
		assert_non_null(*buf);
	}
	memcpy(*buf + *len, tmp, (size_t)r);
	*len += (size_t)r;
	(*buf)[*len] = 0;
	return r;
}

int test_run(char *const argv[], const char *in, char **out, char **err)
{
	int pin[2], pout[2], perr[2], status;
	char *b[2] = {calloc(1, 1), calloc(1, 1)};
	size_t len[2] = {0, 0}, cap[2] = {1, 1};
	struct pollfd p[2];
	pid_t pid;
	int i;

	assert_true(pipe(pin) == 0 && pipe(pout) == 0 && pipe(perr) == 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(pin[0], 0);
		dup2(pout[1], 1);
		dup2(perr[1], 2);
		close(pin[1]);
		close(pout[0]);
		close(perr[0]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(pin[0]);
	close(pout[1]);
	close(perr[1]);
	if (in != NULL && write(pin[1], in, strlen(in)) < 0)
		fprintf(stderr, "write to child: %s\n", strerror(errno));
	close(pin[1]);
	p[0].fd = pout[0];
	p[1].fd = perr[0];
	while (p[0].fd >= 0 || p[1].fd >= 0) {
		p[0].events = p[1].events = POLLIN;
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		for (i = 0; i < 2; i++)
			if (p[i].fd >= 0 && (p[i].revents & (POLLIN | POLLHUP | POLLERR)) &&
			    drain(p[i].fd, &b[i], &len[i], &cap[i]) <= 0) {
				close(p[i].fd);
				p[i].fd = -1;
			}
	}
	waitpid(pid, &status, 0);
	if (out)
		*out = b[0];
	else
		free(b[0]);
	if (err)
		*err = b[1];
	else
		free(b[1]);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

char *test_prog(const char *name)
{
	const char *b = getenv("BUILD") ? getenv("BUILD") : "build";

	return test_path(b, name);
}

int64_t test_sql_int(sqlite3 *db, const char *q)
{
	sqlite3_stmt *s;
	int64_t n = -1;

	if (sqlite3_prepare_v2(db, q, -1, &s, NULL) != SQLITE_OK)
		fail_msg("%s: %s", q, sqlite3_errmsg(db));
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return n;
}

void test_vault_make(test_vault *tv)
{
	char id[VAULT_ID_HEX];
	util_err err;

	tv->dir = test_tmpdir();
	tv->data = test_path(tv->dir, "data");
	tv->key = test_path(tv->dir, "master.key");
	tv->u.key_file = tv->key;
	if (vault_create(tv->data, &tv->u, NULL, id, &err) != 0)
		fail_msg("vault_create: %s", err.msg);
	test_vault_open(tv);
}

void test_vault_open(test_vault *tv)
{
	util_err err;

	if (vault_open(&tv->v, tv->data, &tv->u, &err) != 0)
		fail_msg("vault_open: %s", err.msg);
}

void test_vault_release(test_vault *tv)
{
	vault_close(tv->v);
	tv->v = NULL;
	if (tv->dir != NULL)
		test_rmtree(tv->dir);
	free(tv->dir);
	free(tv->data);
	free(tv->key);
	tv->dir = tv->data = tv->key = NULL;
}

int test_vault_setup(void **state)
{
	test_vault *tv = calloc(1, sizeof *tv);

	if (tv == NULL || vault_init() != 0) {
		free(tv);
		return -1;
	}
	test_vault_make(tv);
	*state = tv;
	return 0;
}

int test_vault_teardown(void **state)
{
	test_vault *tv = *state;

	test_vault_release(tv);
	free(tv);
	return 0;
}
