/* test_group.c: the group commit (vault/group.c): units of many threads in few commits, each told only once durable. */
#include "support.h"

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "../../audit/audit.h"
#include "../../policy/policy.h"
#include "../../vault/sqlite.h"

#define THREADS 4
#define CYCLES 5 /* request, approve, revoke: three changes each */

static const char *const NIDS[THREADS] = {"001090012345", "079195001122", "001090012346", "079195001123"};

typedef struct fx {
	test_vault tv;
	char agency[POLICY_ID_MAX + 1], purpose[POLICY_ID_MAX + 1];
	unsigned char cid[THREADS][KEYS_CID_BYTES];
	vault_group *g;
	/* the gate: a unit that holds the group's thread until the test has queued what it wants */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int gate_in, gate_open, done;
} fx;

static void must(int rc, const util_err *err, const char *what)
{
	if (rc != 0)
		fail_msg("%s: %s", what, err->msg);
}

static int setup(void **state)
{
	static const policy_field fields[] = {{"full_name", 0}, {"blood_type", 0}};
	fx *f = calloc(1, sizeof *f);
	util_err err;
	json_t *fl;
	int i;

	if (f == NULL || vault_init() != 0)
		return -1;
	test_vault_make(&f->tv);
	fl = json_pack("{s:s, s:s}", "full_name", "Nguyễn Văn An", "blood_type", "O+");
	for (i = 0; i < THREADS; i++)
		must(vault_citizen_create(f->tv.v, NIDS[i], fl, f->cid[i], NULL, &err), &err, "citizen");
	json_decref(fl);
	must(policy_agency_create(f->tv.v, "Bệnh viện Bạch Mai", POLICY_ROLE_CONSUMER, f->agency, &err), &err, "agency");
	{
		policy_purpose_def d = {.agency_id = f->agency, .code = "treatment", .desc_vi = "Khám chữa bệnh",
			.desc_en = "Medical treatment", .basis = POLICY_BASIS_CONSENT, .fields = fields, .nfields = 2,
			.max_days = 365, .retention_days = 30};

		must(policy_purpose_create(f->tv.v, &d, f->purpose, &err), &err, "purpose");
	}
	must(vault_group_start(&f->g, f->tv.v, &err), &err, "group start");
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;

	vault_group_stop(f->g);
	pthread_cond_destroy(&f->cv);
	pthread_mutex_destroy(&f->mu);
	test_vault_release(&f->tv);
	free(f);
	return 0;
}

static int64_t log_size(vault *v)
{
	util_err err;
	int64_t n;

	must(audit_size(v, &n, &err), &err, "audit size");
	return n;
}

static void log_verifies(vault *v, int64_t entries)
{
	audit_report r;
	util_err err;

	must(audit_verify(v, &r, &err), &err, "audit verify");
	if (!r.ok)
		fail_msg("the log does not verify: %s", r.problem);
	assert_int_equal(r.entries, entries);
	/* the signed head covers every entry: a batch's is signed once, at its commit */
	assert_int_equal(r.head_size, entries);
}

/* ---- the gate ---- */

static int gate_unit(vault *v, void *ctx, util_err *err)
{
	fx *f = ctx;

	(void)v;
	(void)err;
	pthread_mutex_lock(&f->mu);
	f->gate_in = 1;
	pthread_cond_broadcast(&f->cv);
	while (!f->gate_open)
		pthread_cond_wait(&f->cv, &f->mu);
	pthread_mutex_unlock(&f->mu);
	return 0;
}

static void count_done(void *ctx, int rc, const util_err *err)
{
	fx *f = ctx;

	(void)rc;
	(void)err;
	pthread_mutex_lock(&f->mu);
	f->done++;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
}

/* Holds the group's thread in a unit of its own: the units queued meanwhile make the next batch. */
static void gate_close(fx *f)
{
	util_err err;

	f->gate_in = f->gate_open = f->done = 0;
	must(vault_group_submit(f->g, gate_unit, count_done, f, &err), &err, "gate");
	pthread_mutex_lock(&f->mu);
	while (!f->gate_in)
		pthread_cond_wait(&f->cv, &f->mu);
	pthread_mutex_unlock(&f->mu);
}

/* Waits until n units wait in the queue (they are all in the one batch after the gate), then opens it. */
static void gate_open_when_queued(fx *f, uint64_t n)
{
	vault_group_stats st;

	for (;;) { /* a wait for a state the group reports, not for time */
		vault_group_stats_get(f->g, &st);
		if (st.queued >= n)
			break;
		sched_yield();
	}
	pthread_mutex_lock(&f->mu);
	f->gate_open = 1;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
}

/* Waits until n callbacks (the gate's included) have run. */
static void wait_done(fx *f, int n)
{
	pthread_mutex_lock(&f->mu);
	while (f->done < n)
		pthread_cond_wait(&f->cv, &f->mu);
	pthread_mutex_unlock(&f->mu);
}

/* ---- consent changes from several threads ---- */

typedef struct change {
	fx *f;
	int who;
	char req[POLICY_ID_MAX + 1], consent[POLICY_ID_MAX + 1];
} change;

static int request_unit(vault *v, void *ctx, util_err *err)
{
	change *c = ctx;

	return policy_request_create(v, c->f->agency, "treatment", NIDS[c->who], NULL, 0, 30, c->req, err);
}

static int approve_unit(vault *v, void *ctx, util_err *err)
{
	change *c = ctx;
	json_t *receipt = NULL;

	if (policy_request_approve(v, c->f->cid[c->who], c->req, NULL, 0, 0, c->consent, &receipt, err) != 0)
		return -1;
	json_decref(receipt);
	return 0;
}

static int revoke_unit(vault *v, void *ctx, util_err *err)
{
	change *c = ctx;

	return policy_consent_revoke(v, c->f->cid[c->who], c->consent, err);
}

typedef struct worker {
	change c;
	int ok;
	util_err err;
} worker;

static void *worker_main(void *arg)
{
	worker *w = arg;
	int i;

	for (i = 0; i < CYCLES; i++) {
		if (vault_group_run(w->c.f->g, request_unit, &w->c, &w->err) != 0 ||
		    vault_group_run(w->c.f->g, approve_unit, &w->c, &w->err) != 0 ||
		    vault_group_run(w->c.f->g, revoke_unit, &w->c, &w->err) != 0)
			return NULL;
		w->ok += 3;
	}
	return NULL;
}

static void test_threads_share_commits(void **state)
{
	fx *f = *state;
	worker w[THREADS];
	pthread_t th[THREADS];
	vault_group_stats before, after;
	int64_t size0 = log_size(f->tv.v);
	int i;

	vault_group_stats_get(f->g, &before);
	gate_close(f);
	for (i = 0; i < THREADS; i++) {
		memset(&w[i], 0, sizeof w[i]);
		w[i].c.f = f;
		w[i].c.who = i;
		assert_int_equal(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
	}
	/* every thread's first request waits behind the gate: they commit together */
	gate_open_when_queued(f, THREADS);
	for (i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		if (w[i].ok != 3 * CYCLES)
			fail_msg("thread %d: %d changes, then: %s", i, w[i].ok, w[i].err.msg);
	}
	vault_group_stats_get(f->g, &after);
	assert_int_equal(after.units - before.units, 1 + 3 * CYCLES * THREADS);
	assert_int_equal(after.failed, before.failed);
	assert_true(after.commits - before.commits < after.units - before.units);
	assert_true(after.max_batch >= THREADS);
	/* one entry per change, in a log that verifies */
	assert_int_equal(log_size(f->tv.v) - size0, 3 * CYCLES * THREADS);
	log_verifies(f->tv.v, size0 + 3 * CYCLES * THREADS);
}

/* ---- a failing unit, and what each is told ---- */

typedef struct told {
	fx *f;
	const char *action;
	int fail;    /* the unit fails after writing its entry */
	int64_t seq; /* its entry's number */
	vault *obs;  /* another connection: what is committed */
	int rc, seen; /* what done said; whether obs saw the entry then */
	util_err err;
} told;

static int entry_unit(vault *v, void *ctx, util_err *err)
{
	told *t = ctx;
	audit_entry e = {.actor = "system", .action = t->action, .note = "group test"};

	if (audit_record(v, &e, &t->seq, err) != 0)
		return -1;
	return t->fail ? util_fail(err, UTIL_EDENIED, "refused on purpose") : 0;
}

static void told_done(void *ctx, int rc, const util_err *err)
{
	told *t = ctx;
	util_err e2;
	int64_t n = -1;

	t->rc = rc;
	if (err != NULL)
		t->err = *err;
	/* told it is durable: another connection sees it committed by now */
	t->seen = t->obs != NULL && audit_size(t->obs, &n, &e2) == 0 && n > t->seq;
	count_done(t->f, rc, err);
}

static void submit_told(fx *f, told *t)
{
	util_err err;

	must(vault_group_submit(f->g, entry_unit, told_done, t, &err), &err, "submit");
}

static void test_failing_unit_alone_rolls_back(void **state)
{
	fx *f = *state;
	vault *obs;
	util_err err;
	told t[3] = {{.action = "test.first"}, {.action = "test.refused", .fail = 1}, {.action = "test.third"}};
	vault_group_stats before, after;
	char entry[AUDIT_ENTRY_MAX];
	size_t len;
	int64_t size0 = log_size(f->tv.v);
	int i;

	must(vault_clone(&obs, f->tv.v, &err), &err, "clone");
	vault_group_stats_get(f->g, &before);
	gate_close(f);
	for (i = 0; i < 3; i++) {
		t[i].f = f;
		t[i].obs = obs;
		submit_told(f, &t[i]);
	}
	gate_open_when_queued(f, 3);
	wait_done(f, 4);
	vault_group_stats_get(f->g, &after);
	assert_int_equal(after.commits - before.commits, 2); /* the gate's batch, then the three's */
	assert_int_equal(after.failed - before.failed, 1);
	assert_int_equal(t[0].rc, 0);
	assert_int_equal(t[2].rc, 0);
	assert_true(t[0].seen && t[2].seen);
	assert_int_equal(t[1].rc, -1);
	assert_int_equal(t[1].err.code, UTIL_EDENIED);
	assert_string_equal(t[1].err.msg, "refused on purpose");
	/* the refused unit's entry is gone, the others' are there, numbered without a gap */
	assert_int_equal(log_size(f->tv.v), size0 + 2);
	must(audit_entry_get(f->tv.v, size0, entry, &len, &err), &err, "entry");
	assert_non_null(strstr(entry, "\"test.first\""));
	must(audit_entry_get(f->tv.v, size0 + 1, entry, &len, &err), &err, "entry");
	assert_non_null(strstr(entry, "\"test.third\""));
	log_verifies(f->tv.v, size0 + 2);
	vault_close(obs);
}

/* A unit that leaves a foreign key broken until COMMIT: the commit fails, and takes its batch with it. */
static int broken_unit(vault *v, void *ctx, util_err *err)
{
	(void)ctx;
	if (sqlite3_exec(vault_sql_db(v),
	        "PRAGMA defer_foreign_keys = ON; INSERT INTO purposes(id, agency_id, code, desc_vi, desc_en, basis,"
	        " fields, max_days, retention_days, created_at) VALUES ('pu_broken', 'ag_none', 'x', 'v', 'e', 1, '[]',"
	        " 1, 1, 0)",
	        NULL, NULL, NULL) != SQLITE_OK)
		return util_fail(err, UTIL_EIO, "the broken insert did not go in");
	return 0;
}

static void test_failed_commit_fails_every_unit(void **state)
{
	fx *f = *state;
	told t = {.f = f, .action = "test.lost"}, b = {.f = f};
	util_err err;
	int64_t size0 = log_size(f->tv.v);

	gate_close(f);
	submit_told(f, &t);
	must(vault_group_submit(f->g, broken_unit, told_done, &b, &err), &err, "submit");
	gate_open_when_queued(f, 2);
	wait_done(f, 3);
	assert_int_equal(b.rc, -1);
	assert_int_equal(t.rc, -1); /* its own change was fine: the commit was not */
	assert_int_equal(t.err.code, UTIL_EEXISTS);
	assert_int_equal(log_size(f->tv.v), size0);
	log_verifies(f->tv.v, size0);
}

/* The synchronous form gives the unit's own error back. */
static void test_run_gives_the_units_error(void **state)
{
	fx *f = *state;
	told t = {.f = f, .action = "test.refused", .fail = 1};
	util_err err = {0};

	assert_int_equal(vault_group_run(f->g, entry_unit, &t, &err), -1);
	assert_int_equal(err.code, UTIL_EDENIED);
	t.fail = 0;
	must(vault_group_run(f->g, entry_unit, &t, &err), &err, "run");
	/* a savepoint needs a transaction: none is open on the caller's connection */
	assert_int_equal(vault_savepoint(f->tv.v, &err), -1);
	assert_int_equal(err.code, UTIL_ESTATE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_threads_share_commits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failing_unit_alone_rolls_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_commit_fails_every_unit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_gives_the_units_error, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
