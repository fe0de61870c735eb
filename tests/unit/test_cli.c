/* test_cli.c: vaultctl end to end: a real binary, real files, and a scan for leaked plaintext. */
#include "support.h"

#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../policy/policy.h"
#include "../../vault/vault.h"
#include "../../vault/sqlite.h"

/* Known personal data: none of these byte strings may appear in any file of the vault. */
static const char *const people[][4] = {
	{"001090012345", "Nguyễn Văn Khải Hoàn", "0912345678", "khai.hoan@example.vn"},
	{"079195001122", "Trần Thị Mỹ Duyên", "0987654321", "myduyen@example.vn"},
	{"048201123456", "Lê Quang Trường Sơn", "0935111222", "truongson@example.vn"},
};

typedef struct cli {
	char *dir, *data, *ctl;
} cli;

static int setup(void **state)
{
	cli *c = calloc(1, sizeof *c);

	if (vault_init() != 0)
		return -1;
	c->dir = test_tmpdir();
	c->data = test_path(c->dir, "data");
	c->ctl = test_prog("vaultctl");
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	cli *c = *state;

	test_rmtree(c->dir);
	free(c->dir);
	free(c->data);
	free(c->ctl);
	free(c);
	return 0;
}

/* Runs vaultctl with args (NULL-terminated), --data appended. */
static int ctl(cli *c, const char *in, char **out, char **err, ...)
{
	char *argv[16];
	va_list ap;
	int n = 0, rc;

	argv[n++] = c->ctl;
	va_start(ap, err);
	for (const char *a; (a = va_arg(ap, const char *)) != NULL && n < 13;)
		argv[n++] = (char *)a;
	va_end(ap);
	argv[n++] = "--data";
	argv[n++] = c->data;
	argv[n] = NULL;
	rc = test_run(argv, in, out, err);
	return rc;
}

static char *people_jsonl(void)
{
	char *buf = malloc(4096);
	size_t i, off = 0;

	for (i = 0; i < 3; i++)
		off += (size_t)snprintf(buf + off, 4096 - off,
		    "{\"national_id\":\"%s\",\"fields\":{\"full_name\":\"%s\",\"phone\":\"%s\",\"email\":\"%s\","
		    "\"religion\":\"Phật giáo\",\"annual_income\":%zu}}\n",
		    people[i][0], people[i][1], people[i][2], people[i][3], 100000000 + i);
	return buf;
}

static void test_import_leaves_no_plaintext(void **state)
{
	cli *c = *state;
	char *in = test_path(c->dir, "people.jsonl"), *enr = test_path(c->dir, "enrol.jsonl");
	char *bk = test_path(c->data, "backup-1"), *jl = people_jsonl(), *out = NULL, *err = NULL, where[600];
	vault_unlock u = {0};
	char *key = test_path(c->data, "master.key");
	vault *held = NULL;
	struct stat st;
	mode_t umask_was;
	size_t i, j;
	util_err e;

	umask_was = umask(022); /* what vaultctl's children inherit, until the end of this test */
	assert_int_equal(ctl(c, NULL, NULL, NULL, "init", NULL), 0);
	test_write_file(in, jl, strlen(jl));
	/* a second connection held open keeps the WAL and shm files on disk for the scan */
	u.key_file = key;
	assert_int_equal(vault_open(&held, c->data, &u, &e), 0);
	assert_int_equal(ctl(c, NULL, &out, &err, "import", in, "--enrolments", enr, NULL), 0);
	assert_non_null(strstr(err, "imported 3 citizens"));
	free(out);
	free(err);
	/* each record has its entry in audit.db, and no copy of one is left in vault.db */
	assert_int_equal(test_sql_int(vault_sql_db(held), "SELECT count(*) FROM audit_entries WHERE action = 'record.create'"), 3);
	assert_int_equal(test_sql_int(vault_sql_db(held), "SELECT count(*) FROM audit_pending"), 0);
	assert_int_equal(ctl(c, NULL, NULL, NULL, "backup", bk, NULL), 0);
	{
		char *wal = test_path(c->data, "vault.db-wal");

		assert_int_equal(stat(wal, &st), 0);
		assert_true(st.st_size > 0);
		free(wal);
	}
	/* every file vaultctl made is the owner's alone, although it ran under a umask of 022 */
	{
		static const char *const names[] = {"vault.db", "audit.db", "vault.db-wal", "vault.meta"};

		for (i = 0; i < sizeof names / sizeof names[0]; i++) {
			char *p = test_path(c->data, names[i]), *q = test_path(bk, names[i]);

			assert_int_equal(stat(p, &st), 0);
			if ((st.st_mode & 077) != 0)
				fail_msg("%s has mode %o", names[i], (unsigned)(st.st_mode & 0777));
			if (i != 2) {
				assert_int_equal(stat(q, &st), 0);
				if ((st.st_mode & 077) != 0)
					fail_msg("the backup's %s has mode %o", names[i], (unsigned)(st.st_mode & 0777));
			}
			free(p);
			free(q);
		}
	}
	for (i = 0; i < 3; i++)
		for (j = 0; j < 4; j++)
			if (test_tree_contains(c->data, people[i][j], strlen(people[i][j]), where, sizeof where))
				fail_msg("plaintext of person %zu item %zu found in %s", i, j, where);
	/* and the religion, a sensitive value shared by all three */
	assert_false(test_tree_contains(c->data, "Phật giáo", strlen("Phật giáo"), where, sizeof where));
	vault_close(held);

	/* the enrolment file: private, one line per citizen, a TOTP URI and no personal data */
	assert_int_equal(stat(enr, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	{
		size_t n;
		char *e2 = (char *)test_read_file(enr, &n);

		assert_non_null(strstr(e2, "otpauth://totp/vaultd:"));
		assert_null(strstr(e2, people[0][0]));
		assert_null(strstr(e2, people[0][1]));
		free(e2);
	}
	/* the data is there: read back by national ID through stdin */
	assert_int_equal(ctl(c, "079195001122\n", &out, NULL, "get", "--national-id-stdin", NULL), 0);
	assert_non_null(strstr(out, people[1][1]));
	free(out);
	free(in);
	free(enr);
	free(bk);
	free(jl);
	free(key);
	umask(umask_was);
}

static void test_bad_lines_named_without_values_and_nothing_imported(void **state)
{
	cli *c = *state;
	char *in = test_path(c->dir, "bad.jsonl"), *out = NULL, *err = NULL;
	const char *lines =
	    "{\"national_id\":\"001090012345\",\"fields\":{\"full_name\":\"Phạm Hợp Lệ\"}}\n"
	    "{\"national_id\":\"003090099999\",\"fields\":{\"full_name\":\"Tỉnh Không Có\"}}\n" /* province 003 */
	    "{\"national_id\":\"079195001122\",\"fields\":{\"phone\":\"ĐIỆN-THOẠI-SAI\"}}\n"    /* bad phone */
	    "not json at all, Nguyễn Bí Mật\n"
	    "{\"national_id\":\"001090012345\",\"fields\":{}}\n"                                  /* repeat */
	    "{\"national_id\":\"048201123456\",\"fields\":{\"ten_rieng\":\"x\"}}\n";              /* unknown */

	assert_int_equal(ctl(c, NULL, NULL, NULL, "init", NULL), 0);
	test_write_file(in, lines, strlen(lines));
	assert_int_equal(ctl(c, NULL, &out, &err, "import", in, NULL), 3);
	assert_non_null(strstr(err, "line 2:"));
	assert_non_null(strstr(err, "line 3:"));
	assert_non_null(strstr(err, "line 4:"));
	assert_non_null(strstr(err, "line 5:"));
	assert_non_null(strstr(err, "line 6:"));
	assert_null(strstr(err, "line 1:"));
	assert_non_null(strstr(err, "nothing was imported"));
	/* no value of any line is echoed */
	assert_null(strstr(err, "003090099999"));
	assert_null(strstr(err, "Tỉnh Không Có"));
	assert_null(strstr(err, "ĐIỆN-THOẠI-SAI"));
	assert_null(strstr(err, "Nguyễn Bí Mật"));
	assert_null(strstr(err, "001090012345"));
	free(out);
	free(err);
	assert_int_equal(ctl(c, NULL, &out, NULL, "stats", NULL), 0);
	assert_non_null(strstr(out, "\"citizens\": 0"));
	free(out);
	free(in);
}

static void test_commands_and_exit_codes(void **state)
{
	static const char *const cmds[] = {"init", "import", "get", "erase", "rotate-kek", "rekey", "backup",
		"restore", "stats", "audit", "receipt", "keys", "ropa", "dpia", "admin-token"};
	cli *c = *state;
	char *in = test_path(c->dir, "one.jsonl"), *k2 = test_path(c->dir, "k2"), *out = NULL, *cid;
	const char *one = "{\"national_id\":\"001090012345\",\"fields\":{\"full_name\":\"Đỗ Thị Một\"}}\n";
	char *enr = test_path(c->dir, "e.jsonl");
	size_t i;

	for (i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		assert_int_equal(ctl(c, NULL, NULL, NULL, cmds[i], "--help", NULL), 0);
	assert_int_equal(ctl(c, NULL, NULL, NULL, "frobnicate", NULL), 2);
	assert_int_equal(ctl(c, NULL, NULL, NULL, "stats", NULL), 5); /* no vault yet */
	assert_int_equal(ctl(c, NULL, NULL, NULL, "init", NULL), 0);
	assert_int_equal(ctl(c, NULL, NULL, NULL, "init", NULL), 6); /* already exists */
	test_write_file(in, one, strlen(one));
	assert_int_equal(ctl(c, NULL, NULL, NULL, "import", in, "--enrolments", enr, NULL), 0);
	assert_int_equal(ctl(c, NULL, NULL, NULL, "import", in, NULL), 3); /* already enrolled */
	assert_int_equal(ctl(c, "001090012399\n", NULL, NULL, "get", "--national-id-stdin", NULL), 5);
	assert_int_equal(ctl(c, "12345\n", NULL, NULL, "get", "--national-id-stdin", NULL), 3);
	/* erase by the citizen id from the enrolment file */
	{
		size_t n;
		char *e = (char *)test_read_file(enr, &n), *p = strstr(e, "\"citizen_id\":\"");

		assert_non_null(p);
		cid = strndup(p + 14, 32);
		free(e);
	}
	assert_int_equal(ctl(c, NULL, NULL, NULL, "rotate-kek", NULL), 0);
	assert_int_equal(ctl(c, NULL, &out, NULL, "get", "--citizen", cid, NULL), 0);
	assert_non_null(strstr(out, "Đỗ Thị Một"));
	free(out);
	assert_int_equal(ctl(c, NULL, NULL, NULL, "rekey", "--new-key-file", k2, NULL), 0);
	assert_int_equal(ctl(c, NULL, NULL, NULL, "stats", NULL), 4); /* the old key: wrong now */
	assert_int_equal(ctl(c, NULL, NULL, NULL, "erase", "--citizen", cid, "--key-file", k2, NULL), 0);
	assert_int_equal(ctl(c, NULL, NULL, NULL, "erase", "--citizen", cid, "--key-file", k2, NULL), 5);
	assert_int_equal(ctl(c, NULL, NULL, NULL, "get", "--citizen", "zz", "--key-file", k2, NULL), 2);
	free(cid);
	free(in);
	free(k2);
	free(enr);
}

/* A usage error names the option or command in one line, with where to read more; never a value. */
static void test_usage_errors_name_the_option(void **state)
{
	static const struct {
		const char *args[3], *named;
	} cases[] = {
		{{"stats", "--dta", NULL}, "unknown option --dta"},
		{{"stats", "--dta=s3cret-value", NULL}, "unknown option --dta"},
		{{"stats", "-x", NULL}, "unknown option -x"},
		{{"stats", "--json", NULL}, "stats does not take the option --json"},
		{{"dpia", "--json", NULL}, "dpia does not take the option --json"},
		{{"get", "--batch=5", NULL}, "get does not take the option --batch"},
		{{"ropa", "--json=yes", NULL}, "option --json takes no value"},
		{{"import", "--batchh", NULL}, "unknown option --batchh"},
		{{"frobnicate", NULL, NULL}, "unknown command frobnicate"},
	};
	cli *c = *state;
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *err = NULL;
		const char *p;
		int nl = 0;

		assert_int_equal(ctl(c, NULL, NULL, &err, cases[i].args[0], cases[i].args[1], NULL), 2);
		for (p = err; *p; p++)
			nl += *p == '\n';
		if (strstr(err, cases[i].named) == NULL || strstr(err, "--help") == NULL || nl != 2 ||
		    strstr(err, "s3cret") != NULL || strstr(err, "yes") != NULL)
			fail_msg("case %zu: %s", i, err);
		free(err);
	}
	/* an option's value missing, at the end of the line (ctl appends --data DIR, so run it bare) */
	{
		char *argv[] = {c->ctl, "import", "--data", c->data, "--batch", NULL}, *err = NULL;

		assert_int_equal(test_run(argv, NULL, NULL, &err), 2);
		assert_non_null(strstr(err, "option --batch needs a value"));
		free(err);
	}
}

/* Importing a file with no citizen in it is an error, and writes nothing. */
static void test_import_of_an_empty_file_is_an_error(void **state)
{
	cli *c = *state;
	char *in = test_path(c->dir, "empty.jsonl"), *enr = test_path(c->dir, "e.jsonl"), *err = NULL, *out = NULL;
	struct stat st;

	assert_int_equal(ctl(c, NULL, NULL, NULL, "init", NULL), 0);
	test_write_file(in, "", 0);
	assert_int_equal(ctl(c, NULL, NULL, &err, "import", in, "--enrolments", enr, NULL), 3);
	assert_non_null(strstr(err, "no citizen"));
	assert_null(strstr(err, "imported 0"));
	assert_int_not_equal(stat(enr, &st), 0); /* no enrolment file either */
	free(err);
	test_write_file(in, "\n\n", 2);
	assert_int_equal(ctl(c, NULL, NULL, &err, "import", in, NULL), 3);
	free(err);
	assert_int_equal(ctl(c, NULL, &out, NULL, "stats", NULL), 0);
	assert_non_null(strstr(out, "\"citizens\": 0"));
	free(out);
	free(in);
	free(enr);
}

/* Runs vaultctl with a1, a2 and --data on a new terminal; returns all it drew there. */
static char *ctl_on_tty(cli *c, const char *a1, const char *a2, int *status)
{
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	int fd;
	pid_t pid = forkpty(&fd, NULL, NULL, NULL);

	assert_true(pid >= 0);
	if (pid == 0) {
		execl(c->ctl, c->ctl, a1, a2, "--data", c->data, (char *)NULL);
		_exit(127);
	}
	for (;;) {
		ssize_t r = read(fd, buf + n, cap - 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) /* EIO once the child closed its side */
			break;
		n += (size_t)r;
		if (n + 1 == cap)
			buf = realloc(buf, cap *= 2);
	}
	buf[n] = '\0';
	close(fd);
	assert_int_equal(waitpid(pid, status, 0), pid);
	return buf;
}

/*
 * On a terminal, import draws a progress line (done of all, the rate, the time left) over
 * itself; when stderr is not a terminal (a pipe here, a log in production) it draws nothing.
 */
static void test_import_progress_only_on_a_terminal(void **state)
{
	enum { N = 3000 };
	cli *c = *state;
	char *in = test_path(c->dir, "progress.jsonl"), *in2 = test_path(c->dir, "progress2.jsonl");
	char *buf = malloc((size_t)N * 96), *err = NULL, *tty;
	size_t i, off = 0;
	int status;

	for (i = 0; i < N; i++)
		off += (size_t)snprintf(buf + off, (size_t)N * 96 - off,
		    "{\"national_id\":\"001090%06zu\",\"fields\":{\"full_name\":\"Lê %zu\"}}\n", i, i);
	test_write_file(in, buf, off);
	assert_int_equal(ctl(c, NULL, NULL, NULL, "init", NULL), 0);
	tty = ctl_on_tty(c, "import", in, &status);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_non_null(strstr(tty, "imported 3000 citizens"));
	assert_non_null(strstr(tty, "\rimporting ["));
	assert_non_null(strstr(tty, "3,000 / 3,000 records (100%), "));
	assert_non_null(strstr(tty, " records/s, 0:00 left"));
	free(tty);
	/* the same, not on a terminal: only the closing report */
	off = 0;
	for (i = 0; i < N; i++)
		off += (size_t)snprintf(buf + off, (size_t)N * 96 - off,
		    "{\"national_id\":\"002090%06zu\",\"fields\":{\"full_name\":\"Lê %zu\"}}\n", i, i);
	test_write_file(in2, buf, off);
	assert_int_equal(ctl(c, NULL, NULL, &err, "import", in2, NULL), 0);
	assert_non_null(strstr(err, "imported 3000 citizens"));
	assert_null(strchr(err, '\r'));
	assert_null(strstr(err, "importing ["));
	assert_null(strstr(err, "left"));
	free(err);
	free(buf);
	free(in);
	free(in2);
}

/*
 * Many lines, through both readers (every seventh line has an escape, so jansson reads it), in
 * two batches, the first of which outgrows the 64 KiB enrolment buffer: each is imported once,
 * in order, with its enrolment line.
 */
static void test_import_many_in_batches_with_enrolments(void **state)
{
	enum { N = 700 };
	cli *c = *state;
	char *in = test_path(c->dir, "many.jsonl"), *enr = test_path(c->dir, "many-enrol.jsonl");
	char *buf = malloc((size_t)N * 128), *out = NULL, *err = NULL, *e, *p;
	size_t i, off = 0, n, lines = 0;

	for (i = 0; i < N; i++)
		off += (size_t)snprintf(buf + off, (size_t)N * 128 - off,
		    i % 7 == 3 ? "{\"national_id\":\"001090%06zu\",\"fields\":{\"full_name\":\"Tr\\u1ea7n %zu\"}}\n"
		               : "{\"national_id\":\"001090%06zu\",\"fields\":{\"full_name\":\"Lê %zu\",\"annual_income\":%zu}}\n",
		    i, i, i);
	assert_int_equal(ctl(c, NULL, NULL, NULL, "init", NULL), 0);
	test_write_file(in, buf, off);
	assert_int_equal(ctl(c, NULL, &out, &err, "import", in, "--batch", "400", "--enrolments", enr, NULL), 0);
	assert_non_null(strstr(err, "imported 700 citizens"));
	free(out);
	free(err);
	/* one enrolment line per citizen, in the file's order */
	e = (char *)test_read_file(enr, &n);
	for (p = e; (p = strstr(p, "{\"line\":")) != NULL; p++) {
		assert_int_equal(strtoul(p + 8, NULL, 10), lines + 1);
		lines++;
	}
	assert_int_equal(lines, N);
	free(e);
	assert_int_equal(ctl(c, NULL, &out, NULL, "stats", NULL), 0);
	assert_non_null(strstr(out, "\"citizens\": 700"));
	free(out);
	/* a line jansson read, with its escape decoded, and one the scanner read */
	assert_int_equal(ctl(c, "001090000339\n", &out, NULL, "get", "--national-id-stdin", NULL), 0);
	assert_non_null(strstr(out, "Trần 339"));
	free(out);
	assert_int_equal(ctl(c, "001090000698\n", &out, NULL, "get", "--national-id-stdin", NULL), 0);
	assert_non_null(strstr(out, "Lê 698"));
	free(out);
	/* a file that cannot be read twice is refused before anything is done */
	assert_int_equal(ctl(c, NULL, NULL, &err, "import", "/dev/null", NULL), 2);
	assert_non_null(strstr(err, "not a regular file"));
	free(err);
	free(buf);
	free(in);
	free(enr);
}

typedef struct bg_import {
	cli *c;
	const char *in, *batch;
	char *err;
	int rc;
} bg_import;

typedef struct bg_writer {
	vault *v;
	atomic_int stop;
	int commits, failed;
	int entries; /* each transaction appends an audit entry (else it is empty) */
} bg_writer;

/* Another writer: write transactions, one after the other, until told to stop. */
static void *write_until_stopped(void *arg)
{
	bg_writer *w = arg;
	util_err e;

	while (!atomic_load(&w->stop)) {
		audit_entry ae = {.actor = "operator", .action = "stats"};

		if (w->entries ? audit_record(w->v, &ae, NULL, &e) != 0
		               : vault_begin(w->v, &e) != 0 || vault_commit(w->v, &e) != 0)
			w->failed++;
		else
			w->commits++;
	}
	return NULL;
}

/* vaultctl import on a thread of its own, while the test holds a reader open. */
static void *run_import(void *arg)
{
	bg_import *b = arg;

	b->rc = ctl(b->c, NULL, NULL, &b->err, "import", b->in, "--batch", b->batch, NULL);
	return NULL;
}

/*
 * Every second batch the import waits for the checkpointer to copy the WAL, so that the next
 * batch writes it from the start: the WAL then holds two batches' pages, not every batch's.
 * A connection held open keeps the WAL file after vaultctl exits; its size is the most the
 * WAL ever held: less than vault.db's size. Without the wait, it held every page all ten
 * batches wrote: twice vault.db's size.
 */
static void test_import_writes_the_wal_from_its_start_each_batch(void **state)
{
	enum { N = 5000, BATCH = 500 };
	cli *c = *state;
	char *in = test_path(c->dir, "batches.jsonl"), *key = test_path(c->data, "master.key");
	char *wal = test_path(c->data, "vault.db-wal"), *db = test_path(c->data, "vault.db");
	char *buf = malloc((size_t)N * 160), *err = NULL, *err2 = NULL, *p, batch[16];
	vault_unlock u = {.key_file = key};
	vault *held = NULL;
	struct stat sw, sd;
	size_t i, off = 0;
	util_err e;

	for (i = 0; i < N; i++)
		off += (size_t)snprintf(buf + off, (size_t)N * 160 - off,
		    "{\"national_id\":\"001090%06zu\",\"fields\":{\"full_name\":\"Nguyễn Văn %zu\","
		    "\"permanent_address\":\"%zu Đường Láng, Đống Đa, Hà Nội\"}}\n",
		    i, i, i);
	test_write_file(in, buf, off);
	assert_int_equal(ctl(c, NULL, NULL, NULL, "init", NULL), 0);
	assert_int_equal(vault_open(&held, c->data, &u, &e), 0);
	snprintf(batch, sizeof batch, "%d", BATCH);
	assert_int_equal(ctl(c, NULL, NULL, &err, "import", in, "--batch", batch, NULL), 0);
	assert_non_null(strstr(err, "imported 5000 citizens"));
	/* after every second batch but the last: write_finish copies the WAL whole anyway */
	assert_non_null(strstr(err, "waiting for the WAL's copy (4 waits)"));
	assert_null(strstr(err, "waits stopped at their"));
	assert_int_equal(stat(wal, &sw), 0);
	assert_int_equal(stat(db, &sd), 0);
	print_message("import of %d in batches of %d: WAL %lld bytes, vault.db %lld\n", N, BATCH,
	    (long long)sw.st_size, (long long)sd.st_size);
	assert_true(sw.st_size > 0);
	assert_true(sw.st_size < sd.st_size);
	/*
	 * A reader of an older snapshot holds frames back: no pass can copy them all. Each wait
	 * then ends with one pass, not at IMPORT_DRAIN_MS (5 s, each time). The reader lets go once
	 * the last batch is in, so that the import's final checkpoint need not wait.
	 */
	off = 0;
	for (i = 0; i < N; i++)
		off += (size_t)snprintf(buf + off, (size_t)N * 160 - off,
		    "{\"national_id\":\"001091%06zu\",\"fields\":{\"full_name\":\"Trần Thị %zu\"}}\n", i, i);
	test_write_file(in, buf, off);
	assert_int_equal(vault_read_begin(held, &e), 0);
	assert_int_equal(test_sql_int(vault_sql_db(held), "SELECT count(*) FROM citizens"), N);
	{
		bg_import b = {c, in, batch, NULL, -1};
		vault *probe = NULL;
		pthread_t t;
		int k;

		assert_int_equal(vault_open(&probe, c->data, &u, &e), 0);
		assert_int_equal(pthread_create(&t, NULL, run_import, &b), 0);
		for (k = 0; k < 3000 && test_sql_int(vault_sql_db(probe), "SELECT count(*) FROM citizens") < 2 * N; k++)
			usleep(10 * 1000);
		vault_read_end(held);
		pthread_join(t, NULL);
		vault_close(probe);
		assert_int_equal(b.rc, 0);
		err2 = b.err;
	}
	assert_non_null(strstr(err2, "imported 5000 citizens"));
	assert_non_null(p = strstr(err2, " s of it waiting"));
	while (p > err2 && p[-1] != ' ')
		p--;
	print_message("with a reader held: %.*s\n", (int)(strstr(p, ";") - p), p);
	assert_non_null(strstr(err2, "waiting for the WAL's copy (4 waits)"));
	assert_null(strstr(err2, "waits stopped at their"));
	free(err2);
	/*
	 * Another writer waits at the turnstile all along: the import lets it in every 256
	 * records, and does not wait for a copy of a WAL the other writer goes on writing.
	 */
	off = 0;
	for (i = 0; i < N; i++)
		off += (size_t)snprintf(buf + off, (size_t)N * 160 - off,
		    "{\"national_id\":\"001092%06zu\",\"fields\":{\"full_name\":\"Lê Văn %zu\"}}\n", i, i);
	test_write_file(in, buf, off);
	{
		bg_writer wr = {.v = NULL};
		pthread_t t;

		assert_int_equal(vault_open(&wr.v, c->data, &u, &e), 0);
		assert_int_equal(pthread_create(&t, NULL, write_until_stopped, &wr), 0);
		assert_int_equal(ctl(c, NULL, NULL, &err2, "import", in, "--batch", "5000", NULL), 0);
		atomic_store(&wr.stop, 1);
		pthread_join(t, NULL);
		vault_close(wr.v);
		print_message("beside another writer (%d commits): %s", wr.commits, err2);
		assert_int_equal(wr.failed, 0);
	}
	assert_non_null(strstr(err2, "imported 5000 citizens"));
	assert_non_null(p = strstr(err2, " transactions, "));
	while (p > err2 && p[-1] != ' ')
		p--;
	assert_true(strtol(p, NULL, 10) > 1); /* it let the other writer in */
	assert_non_null(strstr(err2, " transactions, 0.00 s of it waiting"));
	assert_null(strstr(err2, "encoded again")); /* it appended no entry: the sealer's numbers held */
	free(err2);
	/*
	 * The other writer appends an audit entry each time it gets in: the entries the sealer
	 * prepared under the numbers it expected are encoded again, but only those sealed before
	 * the import saw the shift (at most a ring's worth each time), not every one after it.
	 */
	off = 0;
	for (i = 0; i < N; i++)
		off += (size_t)snprintf(buf + off, (size_t)N * 160 - off,
		    "{\"national_id\":\"001093%06zu\",\"fields\":{\"full_name\":\"Lê Thị %zu\"}}\n", i, i);
	test_write_file(in, buf, off);
	{
		bg_writer wr = {.v = NULL, .entries = 1};
		pthread_t t;
		long again;

		assert_int_equal(vault_open(&wr.v, c->data, &u, &e), 0);
		assert_int_equal(pthread_create(&t, NULL, write_until_stopped, &wr), 0);
		assert_int_equal(ctl(c, NULL, NULL, &err2, "import", in, "--batch", "5000", NULL), 0);
		atomic_store(&wr.stop, 1);
		pthread_join(t, NULL);
		vault_close(wr.v);
		print_message("beside another writer of entries (%d): %s", wr.commits, err2);
		assert_int_equal(wr.failed, 0);
		assert_non_null(strstr(err2, "imported 5000 citizens"));
		assert_non_null(p = strstr(err2, " audit entries encoded again"));
		while (p > err2 && p[-1] != ' ')
			p--;
		again = strtol(p, NULL, 10);
		assert_true(again > 0 && again < N / 4);
		free(err2);
	}
	assert_int_equal(ctl(c, NULL, &err2, NULL, "audit", "verify", NULL), 0);
	assert_non_null(strstr(err2, "\"ok\": true"));
	vault_close(held);
	free(err2);
	free(err);
	free(buf);
	free(in);
	free(key);
	free(wal);
	free(db);
}

/*
 * A batch that rolls back takes its enrolment lines with it. The file grows after it was
 * checked (a bad line appended once the writing pass has begun: OUT exists), so the last batch
 * fails at that line after its enrolment lines went through the 64 KiB buffer to OUT: OUT ends
 * with the last committed citizen, and the report names the line and what was imported.
 */
static void test_import_rolled_back_batch_leaves_no_enrolments(void **state)
{
	enum { N = 20000, BATCH = 6000, DONE = 18000 };
	cli *c = *state;
	char *in = test_path(c->dir, "grow.jsonl"), *enr = test_path(c->dir, "grow-enrol.jsonl");
	char *log = test_path(c->dir, "grow.log"), *buf = malloc((size_t)N * 96), *e, *p, *out = NULL;
	size_t i, off = 0, n, lines = 0, last = 0;
	struct stat st;
	int status, fd;
	pid_t pid;

	for (i = 0; i < N; i++)
		off += (size_t)snprintf(buf + off, (size_t)N * 96 - off,
		    "{\"national_id\":\"001090%06zu\",\"fields\":{\"full_name\":\"Lê %zu\"}}\n", i, i);
	assert_int_equal(ctl(c, NULL, NULL, NULL, "init", NULL), 0);
	test_write_file(in, buf, off);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int lfd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		dup2(lfd, 2);
		execl(c->ctl, c->ctl, "import", in, "--batch", "6000", "--enrolments", enr, "--data", c->data, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 20000 && stat(enr, &st) != 0; i++)
		usleep(1000);
	assert_int_equal(stat(enr, &st), 0); /* the writing pass began */
	fd = open(in, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "not JSON at all\n", 16), 16);
	close(fd);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 3);
	e = (char *)test_read_file(log, &n);
	assert_non_null(strstr(e, "line 20001:"));
	assert_non_null(strstr(e, "Lines 1-18000 are imported (18000 citizens)"));
	free(e);
	/* OUT: exactly the committed citizens, in order */
	e = (char *)test_read_file(enr, &n);
	for (p = e; (p = strstr(p, "{\"line\":")) != NULL; p++) {
		last = strtoul(p + 8, NULL, 10);
		assert_int_equal(last, lines + 1);
		lines++;
	}
	assert_int_equal(lines, DONE);
	assert_int_equal(n > 0 ? e[n - 1] : 0, '\n');
	free(e);
	assert_int_equal(ctl(c, NULL, &out, NULL, "stats", NULL), 0);
	assert_non_null(strstr(out, "\"citizens\": 18000"));
	free(out);
	free(buf);
	free(in);
	free(enr);
	free(log);
}

/* The value of "key": "..." in a JSON text (first occurrence), malloc'd. */
static char *json_field(const char *text, const char *key)
{
	json_t *o = json_loads(text, 0, NULL);
	char *v = o && json_string_value(json_object_get(o, key)) ? strdup(json_string_value(json_object_get(o, key))) : NULL;

	json_decref(o);
	return v;
}

static void test_audit_log_and_receipts_from_the_command_line(void **state)
{
	cli *c = *state;
	char *in = test_path(c->dir, "p.jsonl"), *exp = test_path(c->dir, "audit.jsonl"), *rc_file = test_path(c->dir, "r.json");
	char *jl = people_jsonl(), *out = NULL, *pk;
	unsigned char *text;
	size_t n;

	assert_int_equal(ctl(c, NULL, NULL, NULL, "init", NULL), 0);
	test_write_file(in, jl, strlen(jl));
	assert_int_equal(ctl(c, NULL, NULL, NULL, "import", in, NULL), 0);
	assert_int_equal(ctl(c, "001090012345\n", NULL, NULL, "get", "--national-id-stdin", NULL), 0);
	assert_int_equal(ctl(c, NULL, &out, NULL, "audit", "verify", NULL), 0);
	assert_non_null(strstr(out, "\"ok\": true"));
	free(out);
	assert_int_equal(ctl(c, NULL, &out, NULL, "audit", "export", NULL), 0);
	test_write_file(exp, out, strlen(out));
	/* imports and the operator's read are on the log, by citizen id, without values */
	assert_non_null(strstr(out, "record.create"));
	assert_non_null(strstr(out, "record.read"));
	assert_null(strstr(out, "001090012345"));
	assert_null(strstr(out, "Khải Hoàn"));
	free(out);
	assert_int_equal(ctl(c, NULL, &out, NULL, "keys", NULL), 0);
	pk = json_field(out, "public_key");
	free(out);
	assert_non_null(pk);
	assert_int_equal(ctl(c, NULL, NULL, NULL, "audit", "verify", "--export", exp, "--public-key", pk, NULL), 0);
	text = test_read_file(exp, &n);
	{
		char *p = strstr((char *)text, "record.read");

		memcpy(p, "record.READ", 11);
	}
	test_write_file(exp, text, n);
	free(text);
	assert_int_equal(ctl(c, NULL, &out, NULL, "audit", "verify", "--export", exp, "--public-key", pk, NULL), 8);
	assert_non_null(strstr(out, "first_bad_entry"));
	free(out);

	/* a consent receipt, made through the library, checked by the command line */
	{
		static const policy_field fl[] = {{"full_name", 0}};
		char ag[POLICY_ID_MAX + 1], pu[POLICY_ID_MAX + 1], rid[POLICY_ID_MAX + 1], co[POLICY_ID_MAX + 1];
		policy_purpose_def d = {.code = "benefits", .desc_vi = "Trợ cấp", .desc_en = "Benefits",
			.basis = POLICY_BASIS_CONSENT, .fields = fl, .nfields = 1, .max_days = 30, .retention_days = 30};
		char *key = test_path(c->data, "master.key");
		vault_unlock u = {.key_file = key};
		unsigned char cid[16];
		vault *v = NULL;
		json_t *r = NULL;
		util_err e;
		char *s;

		assert_int_equal(vault_open(&v, c->data, &u, &e), 0);
		assert_int_equal(policy_agency_create(v, "Sở Lao động", POLICY_ROLE_CONSUMER, ag, &e), 0);
		d.agency_id = ag;
		assert_int_equal(policy_purpose_create(v, &d, pu, &e), 0);
		assert_int_equal(policy_request_create(v, ag, "benefits", "079195001122", NULL, 0, 10, rid, &e), 0);
		assert_int_equal(vault_citizen_find(v, "079195001122", cid, &e), 0);
		assert_int_equal(policy_request_approve(v, cid, rid, NULL, 0, 0, co, &r, &e), 0);
		s = json_dumps(r, JSON_INDENT(2));
		test_write_file(rc_file, s, strlen(s));
		vault_json_free(s);
		json_decref(r);
		vault_close(v);
		free(key);
	}
	assert_int_equal(ctl(c, NULL, NULL, NULL, "receipt", "verify", rc_file, NULL), 0);
	assert_int_equal(ctl(c, NULL, NULL, NULL, "receipt", "verify", rc_file, "--public-key", pk, NULL), 0);
	text = test_read_file(rc_file, &n);
	{
		char *p = strstr((char *)text, "\"benefits\"");

		memcpy(p, "\"benefitZ\"", 10);
	}
	test_write_file(rc_file, text, n);
	free(text);
	assert_int_equal(ctl(c, NULL, NULL, NULL, "receipt", "verify", rc_file, "--public-key", pk, NULL), 8);
	free(pk);
	free(in);
	free(exp);
	free(rc_file);
	free(jl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_import_leaves_no_plaintext, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_lines_named_without_values_and_nothing_imported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commands_and_exit_codes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_usage_errors_name_the_option, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_of_an_empty_file_is_an_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_many_in_batches_with_enrolments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_progress_only_on_a_terminal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_rolled_back_batch_leaves_no_enrolments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_writes_the_wal_from_its_start_each_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_log_and_receipts_from_the_command_line, setup, teardown),
	};

	return cmocka_run_group_tests_name("vaultctl", tests, NULL, NULL);
}
