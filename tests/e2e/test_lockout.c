/* test_lockout.c: TOTP budgets under concurrency and per address, Retry-After, the citizen's log, bounded writes. */
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <dirent.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/*
 * vaultd runs with its default two worker threads. Requests that must come from a given
 * loopback address (127.0.0.0/8 is all ours) go through raw(), a small HTTP/1.1 client that
 * binds its socket first and reads Retry-After, which the harness does not show.
 */

#define CITIZENS 12 /* each test its own citizens: one that fails leaves no budget spent for the next */
#define TIMED 4      /* citizens 6 to 9: the timing test's */
#define TIMED_ADDRS 90
#define ROUNDS 4
#define THREADS 16

static struct {
	e2e_server s;
	char registrar[128];
	char nid[CITIZENS][13], uri[CITIZENS][256], pseudonym[CITIZENS][33];
} W;

typedef struct answer {
	long status;
	long long retry_after; /* -1: no header */
	char code[48];
	char body[2048];
} answer;

static double micros(void);

/* POST path with body from source address src; fills *a. -1 if no HTTP answer came. */
static int raw(const char *src, const char *method, const char *path, const char *token, const char *body,
    answer *a)
{
	struct sockaddr_in from = {.sin_family = AF_INET}, to = {.sin_family = AF_INET, .sin_port = htons(W.s.port)};
	char req[4096], buf[8192], *h, *end;
	size_t got = 0;
	ssize_t n = 0;
	double t0;
	int fd = socket(AF_INET, SOCK_STREAM, 0), w;
	json_t *j;

	memset(a, 0, sizeof *a);
	a->retry_after = -1;
	inet_pton(AF_INET, src, &from.sin_addr);
	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	if (fd < 0 || bind(fd, (struct sockaddr *)&from, sizeof from) != 0 ||
	    connect(fd, (struct sockaddr *)&to, sizeof to) != 0) {
		fprintf(stderr, "lockout: %s %s from %s: socket, bind or connect: %s\n", method, path, src, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	w = snprintf(req, sizeof req,
	    "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n%s%s%sContent-Type: application/json\r\n"
	    "Content-Length: %zu\r\n\r\n%s",
	    method, path, token ? "Authorization: Bearer " : "", token ? token : "", token ? "\r\n" : "",
	    body ? strlen(body) : 0, body ? body : "");
	if (write(fd, req, (size_t)w) != w) {
		fprintf(stderr, "lockout: %s %s from %s: write: %s\n", method, path, src, strerror(errno));
		close(fd);
		return -1;
	}
	t0 = micros();
	while (got < sizeof buf - 1 && (n = read(fd, buf + got, sizeof buf - 1 - got)) > 0)
		got += (size_t)n;
	if (n < 0)
		fprintf(stderr, "lockout: %s %s from %s: read: %s\n", method, path, src, strerror(errno));
	close(fd);
	buf[got] = '\0';
	if (sscanf(buf, "HTTP/1.1 %ld", &a->status) != 1) {
		fprintf(stderr, "lockout: %s %s from %s: no status line in %zu bytes after %.0f ms\n", method, path, src,
		    got, (micros() - t0) / 1000);
		return -1;
	}
	if ((h = strcasestr(buf, "\r\nRetry-After:")) != NULL)
		a->retry_after = strtoll(h + 14, NULL, 10);
	if ((end = strstr(buf, "\r\n\r\n")) != NULL) {
		snprintf(a->body, sizeof a->body, "%s", end + 4);
		if ((j = json_loads(a->body, 0, NULL)) != NULL) {
			snprintf(a->code, sizeof a->code, "%s", e2e_or_null(e2e_jstr(j, "code")));
			json_decref(j);
		}
	}
	return 0;
}

static int login(const char *src, const char *nid, const char *code, answer *a)
{
	char body[128];

	snprintf(body, sizeof body, "{\"national_id\":\"%s\",\"totp\":\"%s\"}", nid, code);
	return raw(src, "POST", "/v1/sessions", NULL, body, a);
}

/* A code that none of the steps around now gives for uri. */
static void wrong_code(const char *uri, char out[7])
{
	char near[3][7];
	int k, n;

	for (k = 0; k < 3; k++)
		assert_int_equal(e2e_totp_offset(uri, k - 1, near[k]), 0);
	for (n = 0;; n++) {
		snprintf(out, 7, "%06d", (654321 + n * 7919) % 1000000);
		if (strcmp(out, near[0]) && strcmp(out, near[1]) && strcmp(out, near[2]))
			return;
	}
}

/* Every 429 says when to come back, within the longest window. */
static void check_429(const answer *a, long long most)
{
	assert_int_equal(a->status, 429);
	assert_string_equal(a->code, "rate_limited");
	if (a->retry_after < 1 || a->retry_after > most)
		fail_msg("Retry-After %lld, want 1..%lld", a->retry_after, most);
}

static int setup(void **state)
{
	const char *roles[] = {"registrar"};
	e2e_resp r;
	int i;

	(void)state;
	if (e2e_start(&W.s) != 0)
		return -1;
	E2E_CALL(&W.s, 201, "POST", "/v1/agencies", W.s.admin_token, e2e_body_agency("Registrar", roles, 1), &r);
	snprintf(W.registrar, sizeof W.registrar, "%s", e2e_or_null(e2e_jstr(r.json, "token")));
	e2e_resp_free(&r);
	for (i = 0; i < CITIZENS; i++) {
		snprintf(W.nid[i], sizeof W.nid[i], "0791950%05d", 100 + i);
		E2E_CALL(&W.s, 201, "POST", "/v1/citizens", W.registrar,
		    e2e_body_citizen(W.nid[i], json_pack("{s:s}", "full_name", "Trần Khoá")), &r);
		snprintf(W.uri[i], sizeof W.uri[i], "%s", e2e_or_null(e2e_jstr(r.json, "totp_uri")));
		snprintf(W.pseudonym[i], sizeof W.pseudonym[i], "%s", e2e_or_null(e2e_jstr(r.json, "citizen_id")));
		e2e_resp_free(&r);
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	e2e_stop(&W.s);
	return 0;
}

/* ---- concurrency: exactly the budget is checked ---- */

typedef struct shot {
	pthread_barrier_t *go;
	const char *src, *nid;
	char code[7];
	answer a[2];
} shot;

static void *fire(void *arg)
{
	shot *t = arg;
	int k;

	pthread_barrier_wait(t->go);
	for (k = 0; k < 2; k++)
		if (login(t->src, t->nid, t->code, &t->a[k]) != 0)
			t->a[k].status = -1;
	return NULL;
}

/*
 * THREADS clients at once, two wrong codes each, for one identity from one address: exactly
 * AUTH_LOCK_FAILURES answers are 401 (the codes that were checked), every other one is 429 with
 * a Retry-After of at most the window. Rounds alternate enrolled citizens and IDs never
 * enrolled, each round from an address of its own.
 */
static void test_concurrent_wrong_codes_are_checked_exactly_five_times(void **state)
{
	int round;

	(void)state;
	for (round = 0; round < ROUNDS; round++) {
		pthread_t th[THREADS];
		shot t[THREADS];
		pthread_barrier_t go;
		char src[16], nid[13], code[7];
		int i, k, n401 = 0, n429 = 0;

		snprintf(src, sizeof src, "127.0.2.%d", round + 1);
		if (round % 2 == 0) {
			snprintf(nid, sizeof nid, "%s", W.nid[round / 2]);
			wrong_code(W.uri[round / 2], code);
		} else {
			snprintf(nid, sizeof nid, "0791950%05d", 90000 + round); /* never enrolled */
			snprintf(code, sizeof code, "123456");
		}
		pthread_barrier_init(&go, NULL, THREADS);
		for (i = 0; i < THREADS; i++) {
			t[i] = (shot){.go = &go, .src = src, .nid = nid};
			memcpy(t[i].code, code, sizeof code);
			assert_int_equal(pthread_create(&th[i], NULL, fire, &t[i]), 0);
		}
		for (i = 0; i < THREADS; i++)
			pthread_join(th[i], NULL);
		pthread_barrier_destroy(&go);
		for (i = 0; i < THREADS; i++)
			for (k = 0; k < 2; k++) {
				n401 += t[i].a[k].status == 401;
				n429 += t[i].a[k].status == 429;
			}
		print_message("round %d (%s): %d checked (401), %d refused (429)\n", round,
		    round % 2 ? "never enrolled" : "enrolled", n401, n429);
		assert_int_equal(n401, 5);
		assert_int_equal(n429, 2 * THREADS - 5);
		for (i = 0; i < THREADS; i++)
			for (k = 0; k < 2; k++)
				if (t[i].a[k].status == 401) {
					assert_string_equal(t[i].a[k].code, "invalid_totp");
					assert_int_equal(t[i].a[k].retry_after, -1);
				} else {
					check_429(&t[i].a[k], 900);
				}
	}
}

/* ---- per address: the citizen's own address still gets in ---- */

static void test_another_address_logs_in_while_one_is_locked_out(void **state)
{
	const int c = CITIZENS - 2;
	char wrong[7], good[7];
	int64_t last = 0;
	answer a;
	int i;

	(void)state;
	wrong_code(W.uri[c], wrong);
	for (i = 0; i < 5; i++) {
		assert_int_equal(login("127.0.0.3", W.nid[c], wrong, &a), 0);
		assert_int_equal(a.status, 401);
	}
	/* the right code from the attacker's address is refused: nothing is checked */
	e2e_totp_fresh(W.uri[c], &last, good);
	assert_int_equal(login("127.0.0.3", W.nid[c], good, &a), 0);
	check_429(&a, 900);
	/* the citizen, elsewhere, logs in with that very code */
	assert_int_equal(login("127.0.0.4", W.nid[c], good, &a), 0);
	if (a.status != 201)
		fail_msg("login from a second address: %ld %s", a.status, a.body);
	/* and that success empties no other address's budget */
	e2e_totp_fresh(W.uri[c], &last, good);
	assert_int_equal(login("127.0.0.3", W.nid[c], good, &a), 0);
	check_429(&a, 900);
}

/*
 * Many addresses: ten each spend their day's ten on one citizen; then the identity's daily
 * budget is spent, and an address that never logged in waits (the documented limit of what a
 * botnet can do) until the registrar resets the authenticator, which empties every budget.
 */
static void test_identity_day_budget_and_registrar_reset(void **state)
{
	const int c = CITIZENS - 1;
	char wrong[7], good[7], src[16], path[128];
	int64_t last = 0;
	answer a;
	e2e_resp r;
	int i, k;

	(void)state;
	wrong_code(W.uri[c], wrong);
	for (i = 0; i < 10; i++) {
		snprintf(src, sizeof src, "127.0.3.%d", i + 1);
		for (k = 0; k < 10; k++) {
			assert_int_equal(login(src, W.nid[c], wrong, &a), 0);
			if (a.status != (k < 5 ? 401 : 429))
				fail_msg("address %d attempt %d: %ld", i, k, a.status);
			if (k >= 5)
				check_429(&a, 900);
		}
	}
	/* only 5 a quarter-hour per address: 50 so far; the rest of the day's hundred from ten more */
	for (i = 10; i < 20; i++) {
		snprintf(src, sizeof src, "127.0.3.%d", i + 1);
		for (k = 0; k < 5; k++) {
			assert_int_equal(login(src, W.nid[c], wrong, &a), 0);
			assert_int_equal(a.status, 401);
		}
	}
	e2e_totp_fresh(W.uri[c], &last, good);
	assert_int_equal(login("127.0.0.5", W.nid[c], good, &a), 0);
	check_429(&a, 86400);
	assert_true(a.retry_after > 900);
	/* the registrar's reset: a new authenticator, and no failure of the old one counts */
	snprintf(path, sizeof path, "/v1/citizens/%s/totp", W.pseudonym[c]);
	E2E_CALL(&W.s, 201, "POST", path, W.registrar, NULL, &r);
	snprintf(W.uri[c], sizeof W.uri[c], "%s", e2e_or_null(e2e_jstr(r.json, "totp_uri")));
	e2e_resp_free(&r);
	last = 0;
	e2e_totp_fresh(W.uri[c], &last, good);
	assert_int_equal(login("127.0.3.1", W.nid[c], good, &a), 0);
	if (a.status != 201)
		fail_msg("login after the registrar's reset: %ld %s", a.status, a.body);
}

/*
 * A known address: citizen 2 logs in from 127.0.6.1. Then twenty other addresses spend the
 * identity's hundred failures of the day. The address that logged in before still logs in (the
 * pair is known: it keeps only its own budget); a fresh address is refused until the day is over.
 */
static void test_an_address_that_logged_in_before_is_not_kept_out(void **state)
{
	const int c = 2;
	char wrong[7], good[7], src[16];
	int64_t last = 0;
	answer a;
	int i, k;

	(void)state;
	e2e_totp_fresh(W.uri[c], &last, good);
	assert_int_equal(login("127.0.6.1", W.nid[c], good, &a), 0);
	if (a.status != 201)
		fail_msg("first login: %ld %s", a.status, a.body);
	wrong_code(W.uri[c], wrong);
	for (i = 0; i < 20; i++) {
		snprintf(src, sizeof src, "127.0.6.%d", i + 10);
		for (k = 0; k < 5; k++) {
			assert_int_equal(login(src, W.nid[c], wrong, &a), 0);
			if (a.status != 401)
				fail_msg("address %d attempt %d: %ld", i, k, a.status);
		}
	}
	e2e_totp_fresh(W.uri[c], &last, good);
	assert_int_equal(login("127.0.6.2", W.nid[c], good, &a), 0);
	check_429(&a, 86400);
	assert_true(a.retry_after > 900);
	assert_int_equal(login("127.0.6.1", W.nid[c], good, &a), 0);
	if (a.status != 201)
		fail_msg("the citizen's known address, after the identity's day was spent: %ld %s", a.status, a.body);
}

/*
 * A good code gives back only its own slot: four wrong codes, a good one, then one more wrong
 * code is the fifth of the quarter-hour and the next is refused (a good code used to empty the
 * pair's budget, handing whoever shares the address five more guesses at every login).
 */
static void test_a_good_code_gives_back_only_its_own_slot(void **state)
{
	const int c = 3;
	char wrong[7], good[7];
	int64_t last = 0;
	answer a;
	int k;

	(void)state;
	wrong_code(W.uri[c], wrong);
	for (k = 0; k < 4; k++) {
		assert_int_equal(login("127.0.7.1", W.nid[c], wrong, &a), 0);
		assert_int_equal(a.status, 401);
	}
	e2e_totp_fresh(W.uri[c], &last, good);
	assert_int_equal(login("127.0.7.1", W.nid[c], good, &a), 0);
	if (a.status != 201)
		fail_msg("good code after four wrong: %ld %s", a.status, a.body);
	wrong_code(W.uri[c], wrong);
	assert_int_equal(login("127.0.7.1", W.nid[c], wrong, &a), 0);
	assert_int_equal(a.status, 401);
	assert_int_equal(login("127.0.7.1", W.nid[c], wrong, &a), 0);
	check_429(&a, 900);
}

/* ---- timing: an unknown ID's wrong code costs what a known one's does ---- */

static double micros(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof *v, by_value);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/*
 * Wrong codes for enrolled citizens and for IDs never enrolled, alternating, each address
 * trying each of TIMED citizens once and as many made-up IDs (within every budget): the
 * medians of the two answer times differ by less than 25% or 40 µs, whichever is larger.
 */
static void test_unknown_ids_answer_as_slowly_as_known_ones(void **state)
{
	static double known[TIMED_ADDRS * TIMED], unknown[TIMED_ADDRS * TIMED];
	char wrong[TIMED][7], src[16], nid[13];
	double t0, mk, mu, bound;
	answer a;
	int i, j, k, n = 0;

	(void)state;
	for (k = 0; k < TIMED; k++)
		wrong_code(W.uri[6 + k], wrong[k]);
	for (i = 0; i < TIMED_ADDRS; i++) {
		snprintf(src, sizeof src, "127.0.8.%d", i + 1);
		for (k = 0; k < TIMED; k++, n++) {
			snprintf(nid, sizeof nid, "0793%08d", n);
			for (j = 0; j < 2; j++) { /* known first, then unknown first: each follows each as often */
				int enrolled = (j + n) % 2 == 0;

				usleep(2000); /* each answer measured on its own, not behind the last one's upkeep */
				t0 = micros();
				assert_int_equal(login(src, enrolled ? W.nid[6 + k] : nid, wrong[k], &a), 0);
				(enrolled ? known : unknown)[n] = micros() - t0;
				assert_int_equal(a.status, 401);
			}
		}
	}
	mk = median(known, (size_t)n);
	mu = median(unknown, (size_t)n);
	bound = 0.25 * (mk < mu ? mk : mu);
	if (bound < 40)
		bound = 40;
	print_message("wrong code, median of %d: enrolled %.1f µs, never enrolled %.1f µs\n", n, mk, mu);
	if (getenv("E2E_VALGRIND") != NULL) /* memcheck's times say nothing of vaultd's: every status was checked */
		return;
	if (mk - mu > bound || mu - mk > bound)
		fail_msg("medians differ by %.1f µs (bound %.1f)", mk - mu, bound);
}

/* ---- the citizen's log ---- */

static int count_action(const json_t *log, const char *action)
{
	json_t *entries = e2e_jget(log, "entries"), *e;
	size_t i;
	int n = 0;

	json_array_foreach(entries, i, e)
		if (strcmp(e2e_or_null(e2e_jstr(e, "action")), action) == 0)
			n++;
	return n;
}

/*
 * Citizen 0 had five wrong codes checked in the first test. Its access log shows them as
 * auth.login_failed (written after the answers, so polled), naming no code; a wrong code at
 * a step-up shows as auth.step_up_failed.
 */
static void test_failed_logins_show_in_the_citizens_log(void **state)
{
	char good[7], wrong[7], token[128];
	int64_t last = 0;
	e2e_resp r;
	int tries, failed = 0, step_up = 0;

	(void)state;
	wrong_code(W.uri[0], wrong);
	e2e_totp_fresh(W.uri[0], &last, good);
	E2E_CALL(&W.s, 201, "POST", "/v1/sessions", NULL, e2e_body_citizen_login(W.nid[0], good), &r);
	snprintf(token, sizeof token, "%s", e2e_or_null(e2e_jstr(r.json, "token")));
	e2e_resp_free(&r);
	E2E_CALL(&W.s, 401, "PUT", "/v1/me/restriction", token, e2e_body_totp(wrong), &r);
	e2e_resp_free(&r);
	for (tries = 0; tries < 40; tries++) {
		E2E_CALL(&W.s, 200, "GET", "/v1/me/access-log", token, NULL, &r);
		failed = count_action(r.json, "auth.login_failed");
		step_up = count_action(r.json, "auth.step_up_failed");
		if (failed >= 5 && step_up >= 1) {
			assert_null(strstr(r.body, wrong));
			assert_null(strstr(r.body, W.nid[0]));
			e2e_resp_free(&r);
			break;
		}
		e2e_resp_free(&r);
		usleep(100 * 1000);
	}
	assert_int_equal(failed, 5);
	assert_int_equal(step_up, 1);
}

/* ---- what an anonymous caller can make vaultd write ---- */

static long long dir_bytes(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	long long total = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		char p[1024];
		struct stat st;

		snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
		if (e->d_name[0] != '.' && stat(p, &st) == 0 && S_ISREG(st.st_mode))
			total += (long long)st.st_size;
	}
	closedir(d);
	return total;
}

/*
 * 1,000 wrong logins with made-up national IDs, 25 from each of 40 addresses so that every
 * code is checked (401): the vault's files grow by no more than a page or two of upkeep.
 */
static void test_made_up_ids_leave_nothing_durable(void **state)
{
	long long before, after;
	char src[16], nid[13];
	answer a;
	int i;

	(void)state;
	sleep(1); /* what earlier tests left to the audit writer is written */
	before = dir_bytes(W.s.data);
	for (i = 0; i < 1000; i++) {
		snprintf(src, sizeof src, "127.0.4.%d", i / 25 + 1);
		snprintf(nid, sizeof nid, "0792%08d", 1000 + i);
		assert_int_equal(login(src, nid, "000000", &a), 0);
		if (a.status != 401)
			fail_msg("made-up ID %d: %ld %s", i, a.status, a.body);
	}
	sleep(2);
	after = dir_bytes(W.s.data);
	print_message("1000 made-up IDs: the vault's files grew by %lld bytes\n", after - before);
	assert_true(after - before <= 64 * 1024);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_concurrent_wrong_codes_are_checked_exactly_five_times),
		cmocka_unit_test(test_another_address_logs_in_while_one_is_locked_out),
		cmocka_unit_test(test_identity_day_budget_and_registrar_reset),
		cmocka_unit_test(test_an_address_that_logged_in_before_is_not_kept_out),
		cmocka_unit_test(test_a_good_code_gives_back_only_its_own_slot),
		cmocka_unit_test(test_unknown_ids_answer_as_slowly_as_known_ones),
		cmocka_unit_test(test_failed_logins_show_in_the_citizens_log),
		cmocka_unit_test(test_made_up_ids_leave_nothing_durable),
	};

	return cmocka_run_group_tests_name("e2e_lockout", tests, setup, teardown);
}
