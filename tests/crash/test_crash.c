/* test_crash.c: kill -9 under load, restart, and nothing acknowledged is lost; full and read-only disks. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../vault/sqlite_private.h"
#include "../../vault/sqlite.h"
#include "../e2e/harness.h"

/*
 * Each round runs four kinds of clients at once against a real vaultd: consumer lookups,
 * registrar enrolments, citizens approving consent requests (with fresh TOTP codes) and
 * revoking consents. After a random 0.2-1.2 s the server is killed with SIGKILL and
 * restarted on the same data. Then: every enrolment answered 201 exists, every consent
 * answered 201 exists, every revocation answered 200 is still revoked, every lookup answered
 * 200 has its audit entry; at the end the audit log verifies and PRAGMA integrity_check is ok.
 * CRASH_ROUNDS sets the number of rounds (default 20).
 */

#define CITIZENS 12
#define MAX_ACKS 4096

typedef struct citizen {
	char nid[13], uri[256], pseudonym[33], session[128];
	int64_t last_step;
	pthread_mutex_t mu;
} citizen;

typedef struct world {
	e2e_server s;
	char registrar[128], consumer[128], officer_session[128], officer_id[64];
	citizen c[CITIZENS];
	/* acknowledged, to be checked after each restart */
	pthread_mutex_t mu;
	char enrolled[MAX_ACKS][33];
	size_t nenrolled;
	struct {
		int who;
		char id[48];
	} consents[MAX_ACKS], revoked[MAX_ACKS];
	size_t nconsents, nrevoked;
	long long lookups[MAX_ACKS];
	size_t nlookups;
	atomic_int stop;
	unsigned seed;
	int serial;
} world;

static world W;

/* A national ID that no other enrolment in this run uses. */
static void fresh_nid(char out[13], int n)
{
	unsigned u = (unsigned)n;

	snprintf(out, 13, "0790%02u%06u", 80u + (u / 1000000u) % 20u, u % 1000000u);
}

static void setup_world(void)
{
	e2e_resp r;
	char code[7], path[128];
	json_t *fields;
	int i;

	memset(&W, 0, sizeof W);
	pthread_mutex_init(&W.mu, NULL);
	assert_int_equal(e2e_start(&W.s), 0);
	{
		const char *reg[] = {"registrar"}, *con[] = {"consumer"};

		E2E_CALL(&W.s, 201, "POST", "/v1/agencies", W.s.admin_token, e2e_body_agency("Registrar", reg, 1), &r);
		snprintf(W.registrar, sizeof W.registrar, "%s", e2e_jstr(r.json, "token"));
		e2e_resp_free(&r);
		E2E_CALL(&W.s, 201, "POST", "/v1/agencies", W.s.admin_token, e2e_body_agency("Hospital", con, 1), &r);
		snprintf(W.consumer, sizeof W.consumer, "%s", e2e_jstr(r.json, "token"));
		snprintf(path, sizeof path, "%s", e2e_jstr(r.json, "id"));
		e2e_resp_free(&r);
		E2E_CALL(&W.s, 201, "POST", "/v1/purposes", W.s.admin_token,
		    e2e_body_purpose(path, "treatment", "Treatment", "consent", NULL,
		        e2e_strings("full_name", "phone", "blood_type", NULL), 30, 30),
		    &r);
		e2e_resp_free(&r);
		E2E_CALL(&W.s, 201, "POST", "/v1/officers", W.s.admin_token, e2e_body_officer("Officer"), &r);
		snprintf(W.officer_id, sizeof W.officer_id, "%s", e2e_jstr(r.json, "id"));
		{
			char *uri = e2e_jdup(r.json, "totp_uri");
			int64_t last = 0;

			e2e_resp_free(&r);
			e2e_totp_fresh(uri, &last, code);
			E2E_CALL(&W.s, 201, "POST", "/v1/sessions", NULL, e2e_body_officer_login(W.officer_id, code), &r);
			snprintf(W.officer_session, sizeof W.officer_session, "%s", e2e_jstr(r.json, "token"));
			e2e_resp_free(&r);
			free(uri);
		}
	}
	for (i = 0; i < CITIZENS; i++) {
		citizen *c = &W.c[i];

		pthread_mutex_init(&c->mu, NULL);
		snprintf(c->nid, sizeof c->nid, "0011%02d%06d", 50 + i, 100 + i);
		fields = json_pack("{s:s, s:s, s:s}", "full_name", "Công Dân Thử", "phone", "0912000111", "blood_type", "A+");
		E2E_CALL(&W.s, 201, "POST", "/v1/citizens", W.registrar, e2e_body_citizen(c->nid, fields), &r);
		snprintf(c->uri, sizeof c->uri, "%s", e2e_jstr(r.json, "totp_uri"));
		snprintf(c->pseudonym, sizeof c->pseudonym, "%s", e2e_jstr(r.json, "citizen_id"));
		e2e_resp_free(&r);
		e2e_totp_fresh(c->uri, &c->last_step, code);
		E2E_CALL(&W.s, 201, "POST", "/v1/sessions", NULL, e2e_body_citizen_login(c->nid, code), &r);
		snprintf(c->session, sizeof c->session, "%s", e2e_jstr(r.json, "token"));
		e2e_resp_free(&r);
	}
}

/* The next unused step within the server's window, without waiting; 0 if there is none now. */
static int code_now(citizen *c, char code[7])
{
	int64_t now = e2e_totp_step(), step = c->last_step + 1;

	if (step < now - 1)
		step = now - 1;
	if (step > now + 1)
		return 0;
	c->last_step = step;
	return e2e_totp_at(c->uri, step, code) == 0;
}

static void *lookups(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;

	while (!atomic_load(&W.stop)) {
		citizen *c = &W.c[rand_r(&seed) % CITIZENS];
		e2e_resp r;

		if (e2e_req_json(&W.s, "POST", "/v1/lookup", W.consumer, e2e_body_lookup(c->nid, "treatment", NULL, NULL), &r) ==
		        200 &&
		    e2e_jint(r.json, "access_id") >= 0) {
			pthread_mutex_lock(&W.mu);
			if (W.nlookups < MAX_ACKS)
				W.lookups[W.nlookups++] = e2e_jint(r.json, "access_id");
			pthread_mutex_unlock(&W.mu);
		}
		e2e_resp_free(&r);
	}
	return NULL;
}

static void *enrolments(void *arg)
{
	(void)arg;
	while (!atomic_load(&W.stop)) {
		char nid[13];
		e2e_resp r;
		int n;

		pthread_mutex_lock(&W.mu);
		n = W.serial++;
		pthread_mutex_unlock(&W.mu);
		fresh_nid(nid, n);
		if (e2e_req_json(&W.s, "POST", "/v1/citizens", W.registrar,
		        e2e_body_citizen(nid, json_pack("{s:s}", "full_name", "Người Mới")), &r) == 201) {
			pthread_mutex_lock(&W.mu);
			if (W.nenrolled < MAX_ACKS)
				snprintf(W.enrolled[W.nenrolled++], 33, "%s", e2e_jstr(r.json, "citizen_id"));
			pthread_mutex_unlock(&W.mu);
		}
		e2e_resp_free(&r);
		usleep(5 * 1000);
	}
	return NULL;
}

static void *consents(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;

	while (!atomic_load(&W.stop)) {
		int who = (int)(rand_r(&seed) % CITIZENS);
		citizen *c = &W.c[who];
		e2e_resp r;
		char code[7], path[128], *rid = NULL;

		if (e2e_req_json(&W.s, "POST", "/v1/consent-requests", W.consumer,
		        e2e_body_consent_request(c->nid, "treatment", NULL, 10), &r) == 202)
			rid = e2e_jdup(r.json, "id");
		e2e_resp_free(&r);
		if (rid == NULL)
			continue;
		pthread_mutex_lock(&c->mu);
		if (code_now(c, code)) {
			snprintf(path, sizeof path, "/v1/me/consent-requests/%s/approve", rid);
			if (e2e_req_json(&W.s, "POST", path, c->session, e2e_body_approve(code, NULL), &r) == 201) {
				pthread_mutex_lock(&W.mu);
				if (W.nconsents < MAX_ACKS) {
					W.consents[W.nconsents].who = who;
					snprintf(W.consents[W.nconsents++].id, 48, "%s", e2e_jstr(r.json, "consent_id"));
				}
				pthread_mutex_unlock(&W.mu);
			}
			e2e_resp_free(&r);
		}
		pthread_mutex_unlock(&c->mu);
		free(rid);
		usleep(20 * 1000);
	}
	return NULL;
}

static void *revocations(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;

	while (!atomic_load(&W.stop)) {
		char id[48], path[128];
		int who = -1;
		e2e_resp r;

		pthread_mutex_lock(&W.mu);
		if (W.nconsents > 0) {
			size_t k = rand_r(&seed) % W.nconsents;

			who = W.consents[k].who;
			snprintf(id, sizeof id, "%s", W.consents[k].id);
		}
		pthread_mutex_unlock(&W.mu);
		if (who < 0) {
			usleep(10 * 1000);
			continue;
		}
		snprintf(path, sizeof path, "/v1/me/consents/%s", id);
		if (e2e_req(&W.s, "DELETE", path, W.c[who].session, NULL, &r) == 200) {
			pthread_mutex_lock(&W.mu);
			if (W.nrevoked < MAX_ACKS) {
				W.revoked[W.nrevoked].who = who;
				snprintf(W.revoked[W.nrevoked++].id, 48, "%s", id);
			}
			pthread_mutex_unlock(&W.mu);
		}
		e2e_resp_free(&r);
		usleep(30 * 1000);
	}
	return NULL;
}

/* Starts vaultd on s's data and port again; returns its pid without waiting. */
static pid_t spawn(e2e_server *s)
{
	char listen[40];
	pid_t pid;

	snprintf(listen, sizeof listen, "127.0.0.1:%u", (unsigned)s->port);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(s->log, O_WRONLY | O_APPEND | O_CREAT, 0600);

		if (fd >= 0)
			dup2(fd, 2);
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* a test that dies leaves no server behind */
		execl(s->vaultd, s->vaultd, "--data", s->data, "--listen", listen, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* Starts vaultd again on the same data and port, as an operator would after a crash. */
static void restart_server(e2e_server *s)
{
	int i;

	s->pid = spawn(s);
	for (i = 0; i < 100; i++) {
		e2e_resp r;
		long st = e2e_req(s, "GET", "/healthz", NULL, NULL, &r);

		e2e_resp_free(&r);
		if (st == 200)
			return;
		usleep(50 * 1000);
	}
	fail_msg("vaultd did not come back (log: %s)", s->log);
}

static void restart(void)
{
	restart_server(&W.s);
}

/* Everything acknowledged since the marks (all of it when they are 0) is there. */
static size_t mark_enrolled, mark_consents, mark_revoked, mark_lookups;

static void check_acknowledged(void)
{
	e2e_resp r;
	char path[160];
	size_t i;

	for (i = mark_enrolled; i < W.nenrolled; i++) {
		snprintf(path, sizeof path, "/v1/citizens/%s", W.enrolled[i]);
		if (e2e_req_json(&W.s, "PATCH", path, W.registrar, e2e_body_rectify(json_pack("{s:s}", "blood_type", "B+")), &r) !=
		    200)
			fail_msg("enrolment %zu (answered 201) is gone after the crash: %ld %s", i, r.status, r.body);
		e2e_resp_free(&r);
	}
	for (i = mark_consents; i < W.nconsents; i++) {
		json_t *list;
		size_t k;
		int found = 0;

		E2E_CALL(&W.s, 200, "GET", "/v1/me/consents", W.c[W.consents[i].who].session, NULL, &r);
		list = e2e_jget(r.json, "consents");
		for (k = 0; k < json_array_size(list); k++)
			if (strcmp(e2e_or_null(e2e_jstr(json_array_get(list, k), "id")), W.consents[i].id) == 0)
				found = 1;
		e2e_resp_free(&r);
		if (!found)
			fail_msg("consent %s (answered 201) is gone after the crash", W.consents[i].id);
	}
	for (i = mark_revoked; i < W.nrevoked; i++) {
		json_t *list;
		size_t k;

		E2E_CALL(&W.s, 200, "GET", "/v1/me/consents", W.c[W.revoked[i].who].session, NULL, &r);
		list = e2e_jget(r.json, "consents");
		for (k = 0; k < json_array_size(list); k++) {
			json_t *c = json_array_get(list, k);

			if (strcmp(e2e_or_null(e2e_jstr(c, "id")), W.revoked[i].id) == 0 &&
			    strcmp(e2e_or_null(e2e_jstr(c, "status")), "revoked") != 0)
				fail_msg("consent %s was revoked (200) but came back as %s", W.revoked[i].id, e2e_jstr(c, "status"));
		}
		e2e_resp_free(&r);
	}
	for (i = mark_lookups; i < W.nlookups; i++) {
		snprintf(path, sizeof path, "/v1/audit?after=%lld&limit=1", W.lookups[i] - 1);
		E2E_CALL(&W.s, 200, "GET", path, W.officer_session, NULL, &r);
		if (e2e_jint(r.json, "entries/0/seq") != W.lookups[i] ||
		    strcmp(e2e_or_null(e2e_jstr(r.json, "entries/0/action")), "lookup") != 0)
			fail_msg("lookup %lld answered 200 but its audit entry is missing", W.lookups[i]);
		e2e_resp_free(&r);
	}
}

/*
 * PRAGMA integrity_check on the vault in data. In a child process: vault_init installs the
 * vault's wiping JSON allocator, which this process's harness does not expect.
 */
static int integrity_ok(const char *data)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		char *key = test_path(data, "master.key");
		vault_unlock u = {.key_file = key};
		sqlite3_stmt *s;
		vault *v = NULL;
		util_err err;
		int ok;

		if (vault_init() != 0 || vault_open(&v, data, &u, &err) != 0 ||
		    sqlite3_prepare_v2(vault_sql_db(v), "PRAGMA integrity_check", -1, &s, NULL) != SQLITE_OK)
			_exit(2);
		ok = sqlite3_step(s) == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(s, 0), "ok") == 0;
		sqlite3_finalize(s);
		vault_close(v);
		_exit(ok ? 0 : 1);
	}
	waitpid(pid, &st, 0);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static void test_kill9_rounds(void **state)
{
	const char *env = getenv("CRASH_ROUNDS");
	int rounds = env ? atoi(env) : 20, round;
	unsigned seed = (unsigned)time(NULL);

	(void)state;
	setup_world();
	for (round = 0; round < rounds; round++) {
		pthread_t t[5];
		int i;

		atomic_store(&W.stop, 0);
		pthread_create(&t[0], NULL, lookups, (void *)(uintptr_t)(seed + 1));
		pthread_create(&t[1], NULL, lookups, (void *)(uintptr_t)(seed + 2));
		pthread_create(&t[2], NULL, enrolments, NULL);
		pthread_create(&t[3], NULL, consents, (void *)(uintptr_t)(seed + 3));
		pthread_create(&t[4], NULL, revocations, (void *)(uintptr_t)(seed + 4));
		usleep((useconds_t)(200 + rand_r(&seed) % 1000) * 1000);
		kill(W.s.pid, SIGKILL);
		waitpid(W.s.pid, NULL, 0);
		atomic_store(&W.stop, 1);
		for (i = 0; i < 5; i++)
			pthread_join(t[i], NULL);
		restart();
		check_acknowledged();
		mark_enrolled = W.nenrolled;
		mark_consents = W.nconsents;
		mark_revoked = W.nrevoked;
		mark_lookups = W.nlookups;
	}
	/* once more, everything from the first round on: later crashes lost none of it either */
	mark_enrolled = mark_consents = mark_revoked = mark_lookups = 0;
	check_acknowledged();
	print_message("crash: %d rounds survived: %zu enrolments, %zu consents, %zu revocations, %zu lookups "
	              "acknowledged, none lost\n",
	    rounds, W.nenrolled, W.nconsents, W.nrevoked, W.nlookups);
	assert_true(W.nlookups > 0 && W.nenrolled > 0);
	/* the log verifies, online */
	{
		char *argv[] = {W.s.vaultctl, "audit", "verify", "--data", W.s.data, NULL}, *out = NULL;

		if (test_run(argv, NULL, &out, NULL) != 0)
			fail_msg("audit verify after the crashes: %s", out);
		free(out);
	}
	e2e_halt(&W.s);
	assert_int_equal(integrity_ok(W.s.data), 1);
	e2e_stop(&W.s);
}

/* ---- a full disk and a read-only disk (tmpfs: needs root and mount rights) ---- */

static int mount_small(const char *dir, const char *opts)
{
	return mount("tmpfs", dir, "tmpfs", 0, opts);
}

/*
 * What the disk test writes with once the disk is full: a citizen with a session, consents
 * and pending requests, spare citizens to erase and reset, a spare agency, an officer.
 */
#define DISK_POOL 2
typedef struct disk_world {
	char nid[13], uri[256], pseudonym[33], session[128], agency[48], code[7];
	char spare[DISK_POOL + 1][33];
	char approve[DISK_POOL][48], deny[DISK_POOL][48], consent[DISK_POOL][48];
	char officer[64], officer_uri[256], ocode[7];
	int64_t last, officer_last;
	int used[16]; /* per route: how many of its pool its successes used */
} disk_world;

static void disk_enrol(e2e_server *s, const char *reg, int n, char pseudonym[33], char *uri, size_t urin, char nid[13])
{
	e2e_resp r;

	fresh_nid(nid, n);
	E2E_CALL(s, 201, "POST", "/v1/citizens", reg, e2e_body_citizen(nid, json_pack("{s:s}", "full_name", "Lê Đĩa")), &r);
	snprintf(pseudonym, 33, "%s", e2e_or_null(e2e_jstr(r.json, "citizen_id")));
	if (uri != NULL)
		snprintf(uri, urin, "%s", e2e_or_null(e2e_jstr(r.json, "totp_uri")));
	e2e_resp_free(&r);
}

static void disk_request(e2e_server *s, const char *con, const disk_world *d, char id[48])
{
	e2e_resp r;

	E2E_CALL(s, 202, "POST", "/v1/consent-requests", con, e2e_body_consent_request(d->nid, "care", NULL, 10), &r);
	snprintf(id, 48, "%s", e2e_or_null(e2e_jstr(r.json, "id")));
	e2e_resp_free(&r);
}

static void disk_setup(e2e_server *s, const char *reg, const char *con, disk_world *d)
{
	const char *rr[] = {"registrar"};
	char code[7], path[160], nid[13], id[48];
	e2e_resp r;
	int i;

	memset(d, 0, sizeof *d);
	disk_enrol(s, reg, 800000, d->pseudonym, d->uri, sizeof d->uri, d->nid);
	for (i = 0; i <= DISK_POOL; i++)
		disk_enrol(s, reg, 800001 + i, d->spare[i], NULL, 0, nid);
	e2e_totp_fresh(d->uri, &d->last, code);
	E2E_CALL(s, 201, "POST", "/v1/sessions", NULL, e2e_body_citizen_login(d->nid, code), &r);
	snprintf(d->session, sizeof d->session, "%s", e2e_or_null(e2e_jstr(r.json, "token")));
	e2e_resp_free(&r);
	for (i = 0; i < DISK_POOL; i++) {
		disk_request(s, con, d, d->approve[i]);
		disk_request(s, con, d, d->deny[i]);
		disk_request(s, con, d, id);
		e2e_totp_fresh(d->uri, &d->last, code);
		snprintf(path, sizeof path, "/v1/me/consent-requests/%s/approve", id);
		E2E_CALL(s, 201, "POST", path, d->session, e2e_body_approve(code, NULL), &r);
		snprintf(d->consent[i], sizeof d->consent[i], "%s", e2e_or_null(e2e_jstr(r.json, "consent_id")));
		e2e_resp_free(&r);
	}
	E2E_CALL(s, 201, "POST", "/v1/agencies", s->admin_token, e2e_body_agency("Spare", rr, 1), &r);
	snprintf(d->agency, sizeof d->agency, "%s", e2e_or_null(e2e_jstr(r.json, "id")));
	e2e_resp_free(&r);
	E2E_CALL(s, 201, "POST", "/v1/officers", s->admin_token, e2e_body_officer("Disk Officer"), &r);
	snprintf(d->officer, sizeof d->officer, "%s", e2e_or_null(e2e_jstr(r.json, "id")));
	snprintf(d->officer_uri, sizeof d->officer_uri, "%s", e2e_or_null(e2e_jstr(r.json, "totp_uri")));
	e2e_resp_free(&r);
}

/* Takes whatever space is left on the disk of dir, page by page, so that no small write finds any. */
static void fill_up(const char *dir)
{
	char p[128], page[4096] = {0};
	int fd;

	snprintf(p, sizeof p, "%s/filler", dir);
	assert_true((fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600)) >= 0);
	while (write(fd, page, sizeof page) == (ssize_t)sizeof page)
		;
	while (write(fd, page, 1) == 1)
		;
	close(fd);
}

/* Every route that writes; those whose code is checked come first. */
enum {
	R_LOGIN, R_OFFICER_LOGIN, R_APPROVE, R_RESTRICT, R_UNRESTRICT, R_DENY, R_REVOKE, R_AGENCY, R_SUSPEND,
	R_PURPOSE, R_OFFICER, R_CITIZEN, R_RECTIFY, R_ERASE, R_TOTP_RESET, R_REQUEST, R_ROUTES
};
static const long route_ok[R_ROUTES] = {201, 201, 201, 200, 200, 200, 200, 201, 200, 201, 201, 201, 200, 200, 201, 202};

/* A code still inside the server's window: the unspent one kept while it lasts, else the next. */
static void keep_valid(const char *uri, int64_t *last, char code[7])
{
	if (code[0] == '\0' || *last < e2e_totp_step() - 1 + (e2e_totp_step() * 30 + 28 <= (int64_t)time(NULL)))
		e2e_totp_fresh(uri, last, code);
}

/* Attempt i of route k, with the world's current codes; the pools of one-shot routes by d->used. */
static long disk_try(e2e_server *s, const char *reg, const char *con, disk_world *d, int k, int i, e2e_resp *r)
{
	const char *rr[] = {"registrar"};
	char path[160], nid[13], code[16];
	int u = d->used[k] < DISK_POOL ? d->used[k] : DISK_POOL - 1;

	if (k == R_OFFICER_LOGIN)
		keep_valid(d->officer_uri, &d->officer_last, d->ocode);
	else if (k <= R_UNRESTRICT)
		keep_valid(d->uri, &d->last, d->code);
	switch (k) {
	case R_LOGIN: return e2e_req_json(s, "POST", "/v1/sessions", NULL, e2e_body_citizen_login(d->nid, d->code), r);
	case R_OFFICER_LOGIN:
		return e2e_req_json(s, "POST", "/v1/sessions", NULL, e2e_body_officer_login(d->officer, d->ocode), r);
	case R_APPROVE:
		snprintf(path, sizeof path, "/v1/me/consent-requests/%s/approve", d->approve[u]);
		return e2e_req_json(s, "POST", path, d->session, e2e_body_approve(d->code, NULL), r);
	case R_RESTRICT: return e2e_req_json(s, "PUT", "/v1/me/restriction", d->session, e2e_body_totp(d->code), r);
	case R_UNRESTRICT: return e2e_req_json(s, "DELETE", "/v1/me/restriction", d->session, e2e_body_totp(d->code), r);
	case R_DENY:
		snprintf(path, sizeof path, "/v1/me/consent-requests/%s/deny", d->deny[u]);
		return e2e_req_json(s, "POST", path, d->session, NULL, r);
	case R_REVOKE:
		snprintf(path, sizeof path, "/v1/me/consents/%s", d->consent[u]);
		return e2e_req_json(s, "DELETE", path, d->session, NULL, r);
	case R_AGENCY: return e2e_req_json(s, "POST", "/v1/agencies", s->admin_token, e2e_body_agency("Late", rr, 1), r);
	case R_SUSPEND:
		snprintf(path, sizeof path, "/v1/agencies/%s/suspend", d->agency);
		return e2e_req_json(s, "POST", path, s->admin_token, NULL, r);
	case R_PURPOSE:
		snprintf(code, sizeof code, "late%d", i);
		return e2e_req_json(s, "POST", "/v1/purposes", s->admin_token,
		    e2e_body_purpose(d->agency, code, "Late", "consent", NULL, e2e_strings("full_name", NULL), 30, 30), r);
	case R_OFFICER: return e2e_req_json(s, "POST", "/v1/officers", s->admin_token, e2e_body_officer("Late Officer"), r);
	case R_CITIZEN:
		fresh_nid(nid, 810000 + i);
		return e2e_req_json(s, "POST", "/v1/citizens", reg, e2e_body_citizen(nid, json_pack("{s:s}", "full_name", "X")), r);
	case R_RECTIFY:
		snprintf(path, sizeof path, "/v1/citizens/%s", d->pseudonym);
		return e2e_req_json(s, "PATCH", path, reg, e2e_body_rectify(json_pack("{s:s}", "blood_type", "O+")), r);
	case R_ERASE:
		snprintf(path, sizeof path, "/v1/citizens/%s", d->spare[u]);
		return e2e_req_json(s, "DELETE", path, reg, NULL, r);
	case R_TOTP_RESET:
		snprintf(path, sizeof path, "/v1/citizens/%s/totp", d->spare[DISK_POOL]);
		return e2e_req_json(s, "POST", path, reg, NULL, r);
	default:
		return e2e_req_json(s, "POST", "/v1/consent-requests", con, e2e_body_consent_request(d->nid, "care", NULL, 10), r);
	}
}

/*
 * Every route that writes, on a full disk: each tried until it answers a clean 503. A write
 * may still pass first (a WAL keeps room inside its file that a full disk does not take away,
 * and a failed commit leaves its frames' room behind): that is the route's success, and then
 * the next attempt takes a fresh code or the next object of its pool. Never a 401, a 429 or a
 * 500. A route whose code is checked is then tried 7 more times with the same code, more than
 * its budget: a failure counted would turn the sixth into a 429.
 */
static void disk_full_routes(e2e_server *s, const char *reg, const char *con, disk_world *d)
{
	int k, i, more, passed = 0;

	d->code[0] = d->ocode[0] = '\0'; /* the next code of each, once its route comes */
	for (k = 0; k < R_ROUTES; k++)
		for (i = 0, more = -1; i < 40 && more != 0; i++) {
			e2e_resp r;
			long st = disk_try(s, reg, con, d, k, i, &r);
			const char *code = e2e_or_null(e2e_jstr(r.json, "code"));

			if (st == 503 && (strcmp(code, "storage_full") == 0 || strcmp(code, "storage_unavailable") == 0)) {
				more = more < 0 ? (k <= R_UNRESTRICT ? 7 : 0) : more - 1;
			} else if (st == route_ok[k] && more < 0) {
				passed++;
				d->used[k]++;
				if (k == R_OFFICER_LOGIN)
					d->ocode[0] = '\0'; /* spent */
				else if (k <= R_UNRESTRICT)
					d->code[0] = '\0';
			} else {
				fail_msg("route %d attempt %d on a full disk answered %ld: %s", k, i, st, e2e_or_null(r.body));
			}
			e2e_resp_free(&r);
		}
	print_message("disk full: every writing route answered 503 (%d writes still fitted first)\n", passed);
}

/* Space is back: the codes tried on the full disk were neither spent nor counted as failures. */
static void disk_back(e2e_server *s, disk_world *d)
{
	e2e_resp r;

	keep_valid(d->uri, &d->last, d->code);
	keep_valid(d->officer_uri, &d->officer_last, d->ocode);
	E2E_CALL(s, 201, "POST", "/v1/sessions", NULL, e2e_body_citizen_login(d->nid, d->code), &r);
	e2e_resp_free(&r);
	E2E_CALL(s, 201, "POST", "/v1/sessions", NULL, e2e_body_officer_login(d->officer, d->ocode), &r);
	e2e_resp_free(&r);
}

/*
 * A reader that holds a snapshot of vault.db and of audit.db, in a child process, until the
 * write end of *release closes. While it reads, neither WAL can start over from its beginning
 * (a write reusing space the WAL already has would pass on a full disk): every commit must
 * grow the WAL. Returns the child's pid once it holds both snapshots.
 */
static pid_t hold_snapshots(const char *data, int *release)
{
	int ready[2], rel[2];
	char c;
	pid_t pid;

	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(rel), 0);
	if ((pid = fork()) == 0) {
		char *key = test_path(data, "master.key"), *vdb = test_path(data, "vault.db"), *adb = test_path(data, "audit.db");
		char *keys = keys_secret_alloc(2 * KEYS_PAGE_KEY_STR);
		keys_root *root = NULL;
		sqlite3 *a = NULL, *b = NULL;
		util_err err;

		close(ready[0]);
		close(rel[1]);
		if (keys == NULL || vault_init() != 0 || keys_root_load_file(key, &root, &err) != 0 ||
		    vault_page_keys(root, keys) != 0 || vault_db_open(vdb, keys, 0, &a, &err) != 0 ||
		    vault_db_open(adb, VAULT_FILE_KEY(keys, 0), 0, &b, &err) != 0 ||
		    sqlite3_exec(a, "BEGIN; SELECT count(*) FROM citizens;", NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(b, "BEGIN; SELECT count(*) FROM audit_entries;", NULL, NULL, NULL) != SQLITE_OK)
			_exit(2);
		if (write(ready[1], "r", 1) != 1)
			_exit(3);
		while (read(rel[0], &c, 1) > 0)
			;
		sqlite3_exec(a, "COMMIT", NULL, NULL, NULL);
		sqlite3_exec(b, "COMMIT", NULL, NULL, NULL);
		_exit(0);
	}
	close(ready[1]);
	close(rel[0]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
	*release = rel[1];
	return pid;
}

static void test_full_then_readonly_disk(void **state)
{
	char dir[] = "/tmp/vaultd-disk-XXXXXX", data[64];
	e2e_server s;
	e2e_resp r;
	char reg[128], con[128], agency[64];
	disk_world d;
	pid_t reader;
	int i, full = 0, n = 0, release, rst;

	(void)state;
	assert_non_null(mkdtemp(dir));
	if (mount_small(dir, "size=6m") != 0) {
		rmdir(dir);
		print_message("no mount rights here (%s): the disk test needs root\n", strerror(errno));
		skip();
	}
	memset(&s, 0, sizeof s);
	setenv("TMPDIR", dir, 1); /* e2e_start makes its vault under TMPDIR: on the small disk */
	assert_int_equal(e2e_start(&s), 0);
	unsetenv("TMPDIR");
	snprintf(data, sizeof data, "%s", s.data);
	{
		const char *rr[] = {"registrar"}, *cr[] = {"consumer"};

		E2E_CALL(&s, 201, "POST", "/v1/agencies", s.admin_token, e2e_body_agency("R", rr, 1), &r);
		snprintf(reg, sizeof reg, "%s", e2e_jstr(r.json, "token"));
		e2e_resp_free(&r);
		E2E_CALL(&s, 201, "POST", "/v1/agencies", s.admin_token, e2e_body_agency("C", cr, 1), &r);
		snprintf(con, sizeof con, "%s", e2e_jstr(r.json, "token"));
		snprintf(agency, sizeof agency, "%s", e2e_jstr(r.json, "id"));
		e2e_resp_free(&r);
		E2E_CALL(&s, 201, "POST", "/v1/purposes", s.admin_token,
		    e2e_body_purpose(agency, "care", "Care", "consent", NULL, e2e_strings("full_name", NULL), 30, 30), &r);
		e2e_resp_free(&r);
	}
	disk_setup(&s, reg, con, &d);
	reader = hold_snapshots(s.data, &release);
	/* fill the disk: every answer is 201 or a clean 503, never a crash or a 500 */
	for (i = 0; i < 20000 && !full; i++) {
		char nid[13];
		long st;

		fresh_nid(nid, 500000 + i);
		st = e2e_req_json(&s, "POST", "/v1/citizens", reg,
		    e2e_body_citizen(nid, json_pack("{s:s, s:s}", "full_name", "Nguyễn Thị Đầy Đĩa", "chronic_conditions",
		                              "Một bệnh án dài để làm đầy đĩa nhanh hơn, lặp lại nhiều lần cho đủ dài.")),
		    &r);
		if (st == 201)
			n++;
		else if (st == 503) {
			assert_string_equal(e2e_or_null(e2e_jstr(r.json, "code")), "storage_full");
			full = 1;
		} else {
			fail_msg("enrolment %d on a filling disk answered %ld: %s", i, st, r.body);
		}
		e2e_resp_free(&r);
	}
	assert_true(full);
	fill_up(dir);
	disk_full_routes(&s, reg, con, &d);
	close(release);
	assert_int_equal(waitpid(reader, &rst, 0), reader);
	assert_true(WIFEXITED(rst) && WEXITSTATUS(rst) == 0);
	/* a lookup that cannot be audited releases nothing */
	{
		long st = e2e_req_json(&s, "POST", "/v1/lookup", con, e2e_body_lookup("079080500000", "care", NULL, NULL), &r);

		assert_true(st == 503 || st == 403);
		assert_null(strstr(r.body, "Đầy Đĩa"));
		e2e_resp_free(&r);
	}
	/* space returns: writes work again */
	assert_int_equal(mount("tmpfs", dir, "tmpfs", MS_REMOUNT, "size=64m"), 0);
	{
		char p[128];

		snprintf(p, sizeof p, "%s/filler", dir);
		unlink(p);
	}
	disk_back(&s, &d);
	{
		char nid[13];

		fresh_nid(nid, 900000);
		E2E_CALL(&s, 201, "POST", "/v1/citizens", reg, e2e_body_citizen(nid, json_pack("{s:s}", "full_name", "B")), &r);
		e2e_resp_free(&r);
	}
	/*
	 * A read-only data directory (Linux refuses to remount a disk read-only while vaultd holds
	 * its files open for writing, so the server is stopped first, as for maintenance): vaultd
	 * refuses to start with a clear message, vaultctl too, and both work once it is writable.
	 */
	assert_int_equal(e2e_halt(&s), 0);
	assert_int_equal(mount("tmpfs", dir, "tmpfs", MS_REMOUNT | MS_RDONLY, NULL), 0);
	{
		char *argv[] = {s.vaultctl, "stats", "--data", data, NULL}, *err = NULL;
		pid_t pid = spawn(&s); /* its log is on the read-only disk too: it writes to ours */
		int st;

		waitpid(pid, &st, 0);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 1); /* a clean refusal, not a crash */
		assert_int_equal(test_run(argv, NULL, NULL, &err), 1);
		assert_non_null(strstr(err, "vaultctl: "));
		assert_null(strstr(err, "Sanitizer"));
		free(err);
	}
	assert_int_equal(mount("tmpfs", dir, "tmpfs", MS_REMOUNT, "size=64m"), 0);
	restart_server(&s);
	{
		char nid[13];

		fresh_nid(nid, 900002);
		E2E_CALL(&s, 201, "POST", "/v1/citizens", reg, e2e_body_citizen(nid, json_pack("{s:s}", "full_name", "D")), &r);
		e2e_resp_free(&r);
	}
	print_message("disk: %d enrolments before the disk filled; clean 503s; writes back after space returned\n", n);
	e2e_halt(&s);
	{
		char *argv[] = {s.vaultctl, "audit", "verify", "--data", data, NULL}, *out = NULL;

		if (test_run(argv, NULL, &out, NULL) != 0)
			fail_msg("audit verify after a full disk: %s", out);
		free(out);
	}
	assert_int_equal(integrity_ok(data), 1);
	e2e_stop(&s);
	umount(dir);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kill9_rounds),
		cmocka_unit_test(test_full_then_readonly_disk),
	};

	return cmocka_run_group_tests_name("crash", tests, NULL, NULL);
}
