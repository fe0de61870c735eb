/* benchsetup.c: the benchmark's registry and consents (setup) and its consent churn (churn), through the library. */
/*
 * Usage:
 *   benchsetup setup DIR CITIZENS.jsonl WORK
 *   benchsetup churn DIR SECONDS WORK
 *   benchsetup core DIR COUNT WORK
 *
 * setup, on the vault in DIR (unlocked with DIR/master.key), after `vaultctl import`:
 *   - creates BENCH_AGENCIES consumer agencies and, for each, one purpose "bench.lookup" on the
 *     legal basis of consent, and mints each agency a bearer token (auth_token_new);
 *   - for every other line of CITIZENS.jsonl (lines 0, 2, 4, ...), a consent of the citizen to
 *     agency 0 for its purpose: policy_request_create then policy_request_approve, exactly what
 *     the API does for a consumer's request and the citizen's approval, batched BATCH per
 *     transaction inside vault_bulk_begin / vault_bulk_end;
 *   - writes WORK/nids_consent.txt and WORK/nids_noconsent.txt (one national ID a line),
 *     WORK/agencies.txt (agency id and token, one agency a line; agency 0 first) and
 *     WORK/setup.env (AGENCY, TOKEN, PURPOSE of agency 0), all mode 0600;
 *   - prints one JSON object of counts and timings on stdout.
 *
 * churn, on the same vault while vaultd serves it (SQLite lets a second process in), for
 * SECONDS: BENCH_CHURN_CLIENTS threads (default 32), each in a loop: a random citizen from
 * WORK's two files and an agency among 1..N-1 in turn (never agency 0, whose consents decide
 * the lookups being measured), then request, approve, revoke, each waited for until durable,
 * like three API calls. Every change is a unit of one group commit (vault_group_run), as in
 * vaultd: many clients' changes share a transaction and its fsyncs. BENCH_CHURN_CLIENTS=0: one
 * client, each change its own transaction (the churn before the group commit). Prints one
 * JSON object: counts, rates, per-operation latency percentiles and the commits. Any failed
 * operation makes it exit 1.
 *
 * core, on the same vault (vaultd stopped or not): COUNT lookups of agency 0 drawn as
 * bench/lookup.lua draws them (80% from nids_consent.txt), each through policy_lookup_prepare on
 * one connection with a vaultd worker's share of the page cache (160 MiB / 3), on one thread:
 * the decision and the reading and decryption of the released fields, with no HTTP, no
 * authentication and no audit entry. What is left when the server is taken away: the lower
 * bound of a lookup's cost on this machine. Prints one JSON object with the microseconds per
 * lookup of each half of the run (the first half also fills the page cache), in the thread's CPU
 * time and in wall time (which also counts waiting for the disk).
 *
 * National IDs in WORK are synthetic (bench/gencitizens); the files are still created 0600.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "../api/api_private.h"
#include "../audit/audit.h"
#include "../policy/policy.h"
#include "../vault/vault.h"

#define BENCH_AGENCIES 10
#define BENCH_PURPOSE "bench.lookup"
#define BATCH 5000
#define PATH_MAX_LEN 1024
#define LAT_MAX (1u << 20) /* latency samples kept per operation kind */

static const char *progname = "benchsetup";

/* The vault of dir, opened with its key file, with the shared lock vaultctl also takes. */
static int open_vault(const char *dir, vault **v, int *lockfd, util_err *err)
{
	char key[PATH_MAX_LEN];
	vault_unlock u = {0};

	if (util_path_join(key, sizeof key, dir, "master.key") != 0)
		return util_fail(err, UTIL_EINVAL, "the data directory's path is too long");
	u.key_file = key;
	if (vault_lock(dir, 0, lockfd, err) != 0)
		return -1;
	return vault_open(v, dir, &u, err);
}

static double secs_since(uint64_t t0)
{
	return (double)(util_mono_ns() - t0) / 1e9;
}

/* Opens WORK/name for writing, new or truncated, mode 0600. */
static FILE *open_out(const char *work, const char *name)
{
	char path[PATH_MAX_LEN];
	FILE *f;
	int fd;

	if (util_path_join(path, sizeof path, work, name) != 0)
		return NULL;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "%s: cannot create %s: %s\n", progname, path, strerror(errno));
		return NULL;
	}
	if ((f = fdopen(fd, "w")) == NULL)
		close(fd);
	return f;
}

/* The national ID of a gencitizens line, into nid (13 bytes); -1 if the line has none. */
static int line_nid(const char *line, char nid[VAULT_NID_LEN + 1])
{
	static const char key[] = "\"national_id\":\"";
	const char *p = strstr(line, key);
	size_t i;

	if (p == NULL)
		return -1;
	p += sizeof key - 1;
	for (i = 0; i < VAULT_NID_LEN; i++)
		if (p[i] < '0' || p[i] > '9')
			return -1;
	if (p[VAULT_NID_LEN] != '"')
		return -1;
	memcpy(nid, p, VAULT_NID_LEN);
	nid[VAULT_NID_LEN] = '\0';
	return 0;
}

/* ---- setup ---- */

static int registry_create(vault *v, char ids[BENCH_AGENCIES][POLICY_ID_MAX + 1],
    char tokens[BENCH_AGENCIES][AUTH_TOKEN_MAX], util_err *err)
{
	static const policy_field fields[] = {
		{"full_name", 0}, {"date_of_birth", 0}, {"phone", 1}, {"blood_type", 0}, {"chronic_conditions", 0},
	};
	char name[64], subject[POLICY_ID_MAX + 8], pid[POLICY_ID_MAX + 1];
	int i;

	for (i = 0; i < BENCH_AGENCIES; i++) {
		policy_purpose_def d = {.code = BENCH_PURPOSE, .desc_vi = "Đo hiệu năng", .desc_en = "Benchmark lookups",
			.basis = POLICY_BASIS_CONSENT, .fields = fields, .nfields = sizeof fields / sizeof fields[0],
			.max_days = 365, .retention_days = 30};

		snprintf(name, sizeof name, "bench agency %d", i);
		if (policy_agency_create(v, name, POLICY_ROLE_CONSUMER, ids[i], err) != 0)
			return -1;
		d.agency_id = ids[i];
		if (policy_purpose_create(v, &d, pid, err) != 0)
			return -1;
		snprintf(subject, sizeof subject, "agency:%.*s", (int)POLICY_ID_MAX, ids[i]);
		if (auth_token_new(v, "agency", subject, 0, tokens[i], NULL, err) != 0)
			return -1;
	}
	return 0;
}

/* One consent of the citizen nid to agency for BENCH_PURPOSE, as the API would make it. */
static int consent_give(vault *v, const char *agency, const char *nid, unsigned char cid[KEYS_CID_BYTES],
    char consent_id[POLICY_ID_MAX + 1], util_err *err)
{
	char req[POLICY_ID_MAX + 1];
	json_t *receipt = NULL;

	if (vault_citizen_find(v, nid, cid, err) != 0 ||
	    policy_request_create(v, agency, BENCH_PURPOSE, nid, NULL, 0, 365, req, err) != 0 ||
	    policy_request_approve(v, cid, req, NULL, 0, 0, consent_id, &receipt, err) != 0)
		return -1;
	json_decref(receipt);
	return 0;
}

static int cmd_setup(const char *dir, const char *citizens, const char *work)
{
	char ids[BENCH_AGENCIES][POLICY_ID_MAX + 1], tokens[BENCH_AGENCIES][AUTH_TOKEN_MAX];
	char nid[VAULT_NID_LEN + 1], consent_id[POLICY_ID_MAX + 1], *line = NULL;
	unsigned char cid[KEYS_CID_BYTES];
	FILE *in = NULL, *yes = NULL, *no = NULL, *ag = NULL, *env = NULL;
	size_t cap = 0, lineno = 0, given = 0, without = 0, batch = 0;
	double t_registry = 0, t_consents = 0;
	uint64_t t0;
	int64_t settled, unreadable;
	vault *v = NULL;
	util_err err = {0};
	int lockfd = -1, rc = 1, bulk = 0, i;
	ssize_t n;

	if (open_vault(dir, &v, &lockfd, &err) != 0)
		goto fail;
	if ((in = fopen(citizens, "r")) == NULL) {
		fprintf(stderr, "%s: cannot open %s: %s\n", progname, citizens, strerror(errno));
		goto out;
	}
	if ((yes = open_out(work, "nids_consent.txt")) == NULL || (no = open_out(work, "nids_noconsent.txt")) == NULL ||
	    (ag = open_out(work, "agencies.txt")) == NULL || (env = open_out(work, "setup.env")) == NULL)
		goto out;

	t0 = util_mono_ns();
	if (registry_create(v, ids, tokens, &err) != 0)
		goto fail;
	t_registry = secs_since(t0);
	for (i = 0; i < BENCH_AGENCIES; i++)
		fprintf(ag, "%s %s\n", ids[i], tokens[i]);
	fprintf(env, "AGENCY=%s\nTOKEN=%s\nPURPOSE=%s\n", ids[0], tokens[0], BENCH_PURPOSE);

	t0 = util_mono_ns();
	if (vault_bulk_begin(v, &err) != 0)
		goto fail;
	bulk = 1;
	while ((n = getline(&line, &cap, in)) != -1) {
		if (line_nid(line, nid) != 0) {
			fprintf(stderr, "%s: %s line %zu has no national_id\n", progname, citizens, lineno + 1);
			goto out;
		}
		if (lineno++ % 2 != 0) {
			fprintf(no, "%s\n", nid);
			without++;
			continue;
		}
		if (batch == 0 && vault_begin(v, &err) != 0)
			goto fail;
		if (consent_give(v, ids[0], nid, cid, consent_id, &err) != 0) {
			vault_rollback(v);
			goto fail;
		}
		fprintf(yes, "%s\n", nid);
		given++;
		/* each batch's copies of its audit entries (audit_pending) settled after it, as
		 * vaultctl import does: not a million of them left for vaultd's start */
		if (++batch == BATCH) {
			if (vault_commit(v, &err) != 0 || audit_settle(v, &settled, &unreadable, &err) != 0)
				goto fail;
			batch = 0;
		}
	}
	if (batch > 0 && (vault_commit(v, &err) != 0 || audit_settle(v, &settled, &unreadable, &err) != 0))
		goto fail;
	bulk = 0;
	if (vault_bulk_end(v, &err) != 0)
		goto fail;
	t_consents = secs_since(t0);
	if (ferror(in) || fflush(yes) != 0 || fflush(no) != 0 || fflush(ag) != 0 || fflush(env) != 0) {
		fprintf(stderr, "%s: cannot read %s or write into %s\n", progname, citizens, work);
		goto out;
	}
	if (given == 0 || without == 0) {
		fprintf(stderr, "%s: need at least two citizens\n", progname);
		goto out;
	}
	printf("{\"agencies\":%d,\"purposes\":%d,\"tokens\":%d,\"registry_s\":%.3f,\"consents\":%zu,"
	       "\"without_consent\":%zu,\"consents_s\":%.3f,\"consents_per_s\":%.1f,\"batch\":%d}\n",
	    BENCH_AGENCIES, BENCH_AGENCIES, BENCH_AGENCIES, t_registry, given, without, t_consents,
	    t_consents > 0 ? (double)given / t_consents : 0.0, BATCH);
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "%s: setup failed: %s (%s)\n", progname, err.msg, util_code_name(err.code));
out:
	if (bulk) {
		util_err e2;

		vault_rollback(v);
		if (vault_bulk_end(v, &e2) != 0)
			fprintf(stderr, "%s: %s\n", progname, e2.msg);
	}
	sodium_memzero(tokens, sizeof tokens);
	free(line);
	if (env != NULL && fclose(env) != 0)
		rc = 1;
	if (ag != NULL && fclose(ag) != 0)
		rc = 1;
	if (no != NULL && fclose(no) != 0)
		rc = 1;
	if (yes != NULL && fclose(yes) != 0)
		rc = 1;
	if (in != NULL)
		fclose(in);
	vault_close(v);
	if (lockfd >= 0)
		close(lockfd);
	return rc;
}

/* ---- churn ---- */

/* National IDs from a file, one a line, appended to a growing array. */
typedef struct nid_list {
	char (*id)[VAULT_NID_LEN + 1];
	size_t n, cap;
} nid_list;

static int nids_load(nid_list *l, const char *work, const char *name)
{
	char path[PATH_MAX_LEN], buf[64];
	FILE *f;

	if (util_path_join(path, sizeof path, work, name) != 0 || (f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "%s: cannot open %s/%s\n", progname, work, name);
		return -1;
	}
	while (fgets(buf, sizeof buf, f) != NULL) {
		if (strlen(buf) < VAULT_NID_LEN)
			continue;
		if (l->n == l->cap) {
			size_t cap = l->cap ? 2 * l->cap : 4096;
			void *p = realloc(l->id, cap * sizeof *l->id);

			if (p == NULL) {
				fclose(f);
				return -1;
			}
			l->id = p;
			l->cap = cap;
		}
		memcpy(l->id[l->n], buf, VAULT_NID_LEN);
		l->id[l->n++][VAULT_NID_LEN] = '\0';
	}
	fclose(f);
	return 0;
}

/* Agency ids 1..n-1 of WORK/agencies.txt (agency 0 is the lookups'). */
static int agencies_load(const char *work, char ids[BENCH_AGENCIES][POLICY_ID_MAX + 1], int *n)
{
	char path[PATH_MAX_LEN], buf[256], *sp;
	FILE *f;
	int line = 0;

	*n = 0;
	if (util_path_join(path, sizeof path, work, "agencies.txt") != 0 || (f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "%s: cannot open %s/agencies.txt\n", progname, work);
		return -1;
	}
	while (fgets(buf, sizeof buf, f) != NULL && *n < BENCH_AGENCIES) {
		if (line++ == 0 || (sp = strchr(buf, ' ')) == NULL || (size_t)(sp - buf) > POLICY_ID_MAX)
			continue;
		memcpy(ids[*n], buf, (size_t)(sp - buf));
		ids[(*n)++][sp - buf] = '\0';
	}
	sodium_memzero(buf, sizeof buf);
	fclose(f);
	return *n > 0 ? 0 : -1;
}

typedef struct lat {
	uint32_t *us;
	size_t n;
} lat;

static void lat_add(lat *l, uint64_t ns)
{
	if (l->n < LAT_MAX)
		l->us[l->n++] = (uint32_t)(ns / 1000 > UINT32_MAX ? UINT32_MAX : ns / 1000);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Percentile p (0..100) in milliseconds of sorted samples; 0 when there are none. */
static double lat_pct(const lat *l, double p)
{
	size_t i;

	if (l->n == 0)
		return 0;
	i = (size_t)(p / 100.0 * (double)(l->n - 1) + 0.5);
	return (double)l->us[i] / 1000.0;
}

/*
 * The churn's clients (BENCH_CHURN_CLIENTS, default CHURN_CLIENTS) share one group commit
 * (vault_group_run), as vaultd's consent routes do: each change a unit, many in one commit.
 * BENCH_CHURN_CLIENTS=0 is the churn as it was before: one client, each change a transaction
 * of its own on its own connection.
 */
#define CHURN_CLIENTS 32
#define CHURN_CLIENTS_MAX 256
#define CHURN_FAILURES_MAX 100

typedef struct churn {
	vault *v;       /* clients 0: the one client's connection */
	vault_group *g; /* else: the group every client's changes go through */
	nid_list nids;
	char ids[BENCH_AGENCIES][POLICY_ID_MAX + 1];
	int nag;
	uint64_t deadline;
	pthread_mutex_t mu; /* what follows */
	unsigned next_agency;
	lat l_req, l_appr, l_rev;
	uint64_t requests, approvals, revocations, failures;
} churn;

enum { OP_REQUEST, OP_APPROVE, OP_REVOKE };

/* One client's change in progress: a request for a citizen, its approval, its revocation. */
typedef struct churn_op {
	int kind;
	const char *nid, *agency;
	unsigned char cid[KEYS_CID_BYTES];
	char req[POLICY_ID_MAX + 1], consent[POLICY_ID_MAX + 1];
} churn_op;

/* A vault_unit_fn: the change o->kind, on v (the group's connection, or the one client's). */
static int churn_unit(vault *v, void *ctx, util_err *err)
{
	churn_op *o = ctx;
	json_t *receipt = NULL;

	switch (o->kind) {
	case OP_REQUEST:
		if (vault_citizen_find(v, o->nid, o->cid, err) != 0)
			return -1;
		return policy_request_create(v, o->agency, BENCH_PURPOSE, o->nid, NULL, 0, 30, o->req, err);
	case OP_APPROVE:
		if (policy_request_approve(v, o->cid, o->req, NULL, 0, 0, o->consent, &receipt, err) != 0)
			return -1;
		json_decref(receipt);
		return 0;
	default:
		return policy_consent_revoke(v, o->cid, o->consent, err);
	}
}

/* Runs change kind of o, timed from *t (then set to now): counted and timed, or counted as a failure. 0 or -1. */
static int churn_step(churn *c, churn_op *o, int kind, uint64_t *t)
{
	static const char *const what[] = {"request", "approve", "revoke"};
	lat *l = kind == OP_REQUEST ? &c->l_req : kind == OP_APPROVE ? &c->l_appr : &c->l_rev;
	uint64_t *n = kind == OP_REQUEST ? &c->requests : kind == OP_APPROVE ? &c->approvals : &c->revocations;
	util_err err = {0};
	uint64_t t1;
	int rc;

	o->kind = kind;
	rc = c->g != NULL ? vault_group_run(c->g, churn_unit, o, &err) : churn_unit(c->v, o, &err);
	t1 = util_mono_ns();
	pthread_mutex_lock(&c->mu);
	if (rc == 0) {
		lat_add(l, t1 - *t);
		(*n)++;
	} else {
		c->failures++;
		fprintf(stderr, "%s: %s: %s (%s)\n", progname, what[kind], err.msg, util_code_name(err.code));
	}
	pthread_mutex_unlock(&c->mu);
	*t = t1;
	return rc;
}

static void *churn_client(void *arg)
{
	churn *c = arg;
	churn_op o;
	uint64_t t, failures = 0;

	while ((t = util_mono_ns()) < c->deadline && failures <= CHURN_FAILURES_MAX) {
		memset(&o, 0, sizeof o);
		o.nid = c->nids.id[randombytes_uniform((uint32_t)c->nids.n)];
		pthread_mutex_lock(&c->mu);
		o.agency = c->ids[c->next_agency++ % (unsigned)c->nag];
		failures = c->failures;
		pthread_mutex_unlock(&c->mu);
		(void)(churn_step(c, &o, OP_REQUEST, &t) == 0 && churn_step(c, &o, OP_APPROVE, &t) == 0 &&
		       churn_step(c, &o, OP_REVOKE, &t) == 0);
	}
	return NULL;
}

/* BENCH_CHURN_CLIENTS, or CHURN_CLIENTS; -1 when it is not a number 0..CHURN_CLIENTS_MAX. */
static int churn_clients(void)
{
	const char *s = getenv("BENCH_CHURN_CLIENTS");
	char *end;
	long n;

	if (s == NULL || *s == '\0')
		return CHURN_CLIENTS;
	errno = 0;
	n = strtol(s, &end, 10);
	return errno != 0 || *end != '\0' || n < 0 || n > CHURN_CLIENTS_MAX ? -1 : (int)n;
}

/* Runs clients threads (one when 0) until the deadline. 0, or -1 when none could start. */
static int churn_run(churn *c, int clients)
{
	pthread_t th[CHURN_CLIENTS_MAX];
	int i, n = clients > 0 ? clients : 1, started = 0;

	for (i = 0; i < n; i++)
		if (pthread_create(&th[started], NULL, churn_client, c) == 0)
			started++;
	for (i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	return started == n ? 0 : -1;
}

static void churn_report(churn *c, int clients, double secs)
{
	qsort(c->l_req.us, c->l_req.n, sizeof *c->l_req.us, cmp_u32);
	qsort(c->l_appr.us, c->l_appr.n, sizeof *c->l_appr.us, cmp_u32);
	qsort(c->l_rev.us, c->l_rev.n, sizeof *c->l_rev.us, cmp_u32);
	printf("{\"seconds\":%.3f,\"clients\":%d,\"requests\":%llu,\"approvals\":%llu,\"revocations\":%llu,"
	       "\"failures\":%llu,\"approvals_per_s\":%.1f,\"revocations_per_s\":%.1f,\"ops_per_s\":%.1f,"
	       "\"request_ms\":{\"p50\":%.3f,\"p99\":%.3f},\"approve_ms\":{\"p50\":%.3f,\"p99\":%.3f},"
	       "\"revoke_ms\":{\"p50\":%.3f,\"p99\":%.3f}",
	    secs, clients, (unsigned long long)c->requests, (unsigned long long)c->approvals,
	    (unsigned long long)c->revocations, (unsigned long long)c->failures, (double)c->approvals / secs,
	    (double)c->revocations / secs, (double)(c->approvals + c->revocations) / secs, lat_pct(&c->l_req, 50),
	    lat_pct(&c->l_req, 99), lat_pct(&c->l_appr, 50), lat_pct(&c->l_appr, 99), lat_pct(&c->l_rev, 50),
	    lat_pct(&c->l_rev, 99));
	if (c->g != NULL) {
		vault_group_stats st;

		vault_group_stats_get(c->g, &st);
		printf(",\"commits\":%llu,\"units_per_commit\":%.2f,\"max_batch\":%llu", (unsigned long long)st.commits,
		    st.commits ? (double)st.units / (double)st.commits : 0.0, (unsigned long long)st.max_batch);
	}
	printf("}\n");
}

static int cmd_churn(const char *dir, const char *seconds, const char *work)
{
	churn c = {0};
	uint64_t t0;
	double dur;
	char *end;
	util_err err = {0};
	int lockfd = -1, rc = 1, clients = churn_clients();

	errno = 0;
	dur = strtod(seconds, &end);
	if (errno != 0 || *end != '\0' || dur <= 0 || dur > 86400 || clients < 0) {
		fprintf(stderr, "%s: SECONDS must be a positive number, BENCH_CHURN_CLIENTS 0..%d\n", progname,
		    CHURN_CLIENTS_MAX);
		return 2;
	}
	pthread_mutex_init(&c.mu, NULL);
	if (agencies_load(work, c.ids, &c.nag) != 0 || nids_load(&c.nids, work, "nids_consent.txt") != 0 ||
	    nids_load(&c.nids, work, "nids_noconsent.txt") != 0 || c.nids.n == 0)
		goto out;
	if ((c.l_req.us = malloc(LAT_MAX * sizeof *c.l_req.us)) == NULL ||
	    (c.l_appr.us = malloc(LAT_MAX * sizeof *c.l_appr.us)) == NULL ||
	    (c.l_rev.us = malloc(LAT_MAX * sizeof *c.l_rev.us)) == NULL)
		goto out;
	if (open_vault(dir, &c.v, &lockfd, &err) != 0 || (clients > 0 && vault_group_start(&c.g, c.v, &err) != 0)) {
		fprintf(stderr, "%s: %s (%s)\n", progname, err.msg, util_code_name(err.code));
		goto out;
	}
	t0 = util_mono_ns();
	c.deadline = t0 + (uint64_t)(dur * 1e9);
	if (churn_run(&c, clients) != 0) {
		fprintf(stderr, "%s: cannot start the churn's clients\n", progname);
		goto out;
	}
	churn_report(&c, clients, secs_since(t0));
	rc = c.failures == 0 && c.approvals > 0 ? 0 : 1;
out:
	vault_group_stop(c.g);
	free(c.l_rev.us);
	free(c.l_appr.us);
	free(c.l_req.us);
	free(c.nids.id);
	vault_close(c.v);
	if (lockfd >= 0)
		close(lockfd);
	pthread_mutex_destroy(&c.mu);
	return rc;
}

/* ---- core ---- */

static uint64_t thread_cpu_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

#define CORE_CACHE_KIB (160 * 1024 / 3) /* vaultd's default --cache-mib, shared by 2 workers and the writer */

static int cmd_core(const char *dir, const char *count, const char *work)
{
	char path[PATH_MAX_LEN], first[256], *sp, *end;
	nid_list yes = {0}, no = {0};
	vault *v = NULL, *w = NULL;
	policy_agency a;
	util_err err = {0};
	uint64_t t0, c0, half_ns[2] = {0, 0}, half_cpu_ns[2] = {0, 0}, allowed = 0;
	long n;
	int lockfd = -1, rc = 1;
	FILE *f;
	long i;

	errno = 0;
	n = strtol(count, &end, 10);
	if (errno != 0 || *end != '\0' || n < 2 || n > 100000000) {
		fprintf(stderr, "%s: COUNT must be a number from 2\n", progname);
		return 2;
	}
	/* agency 0, the lookups' own, is the first line of agencies.txt (agencies_load skips it) */
	if (util_path_join(path, sizeof path, work, "agencies.txt") != 0 || (f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "%s: cannot open %s/agencies.txt\n", progname, work);
		return 1;
	}
	sp = fgets(first, sizeof first, f) != NULL ? strchr(first, ' ') : NULL;
	fclose(f);
	if (sp == NULL || (size_t)(sp - first) > POLICY_ID_MAX) {
		sodium_memzero(first, sizeof first); /* agency 0's token */
		fprintf(stderr, "%s: %s/agencies.txt is not as setup wrote it\n", progname, work);
		goto out;
	}
	*sp = '\0';
	sodium_memzero(sp + 1, sizeof first - (size_t)(sp + 1 - first)); /* agency 0's token */
	if (nids_load(&yes, work, "nids_consent.txt") != 0 || nids_load(&no, work, "nids_noconsent.txt") != 0 ||
	    yes.n == 0 || no.n == 0)
		goto out;
	if (open_vault(dir, &v, &lockfd, &err) != 0)
		goto fail;
	vault_set_conn_cache(v, CORE_CACHE_KIB);
	if (vault_clone(&w, v, &err) != 0 || policy_agency_get(w, first, &a, NULL, &err) != 0)
		goto fail;
	for (i = 0; i < n; i++) {
		const char *nid = randombytes_uniform(100) < 80 ? yes.id[randombytes_uniform((uint32_t)yes.n)]
		                                                 : no.id[randombytes_uniform((uint32_t)no.n)];
		policy_lookup l;

		t0 = util_mono_ns();
		c0 = thread_cpu_ns();
		if (policy_lookup_prepare(w, &a, BENCH_PURPOSE, nid, NULL, 0, NULL, util_now(), &l, &err) != 0)
			goto fail;
		allowed += (uint64_t)l.d.allow;
		policy_lookup_clear(&l);
		half_cpu_ns[i >= n / 2] += thread_cpu_ns() - c0;
		half_ns[i >= n / 2] += util_mono_ns() - t0;
	}
	/* CPU time is what the bound needs; wall time also counts waits on the disk */
	printf("{\"lookups\":%ld,\"allowed\":%llu,\"cache_mib\":%.1f,\"first_half_cpu_us\":%.1f,"
	       "\"second_half_cpu_us\":%.1f,\"first_half_wall_us\":%.1f,\"second_half_wall_us\":%.1f}\n",
	    n, (unsigned long long)allowed, CORE_CACHE_KIB / 1024.0, (double)half_cpu_ns[0] / 1e3 / (double)(n / 2),
	    (double)half_cpu_ns[1] / 1e3 / (double)(n - n / 2), (double)half_ns[0] / 1e3 / (double)(n / 2),
	    (double)half_ns[1] / 1e3 / (double)(n - n / 2));
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "%s: %s (%s)\n", progname, err.msg, util_code_name(err.code));
out:
	free(yes.id);
	free(no.id);
	vault_close(w);
	vault_close(v);
	if (lockfd >= 0)
		close(lockfd);
	return rc;
}

static int usage(void)
{
	fprintf(stderr, "usage: benchsetup setup DIR CITIZENS.jsonl WORK\n"
	                "       benchsetup churn DIR SECONDS WORK\n"
	                "       benchsetup core DIR COUNT WORK\n");
	return 2;
}

int main(int argc, char **argv)
{
	if (argc != 5)
		return usage();
	umask(077);
	if (vault_init() != 0) {
		fprintf(stderr, "%s: cannot start libsodium\n", progname);
		return 1;
	}
	if (strcmp(argv[1], "setup") == 0)
		return cmd_setup(argv[2], argv[3], argv[4]);
	if (strcmp(argv[1], "churn") == 0)
		return cmd_churn(argv[2], argv[3], argv[4]);
	if (strcmp(argv[1], "core") == 0)
		return cmd_core(argv[2], argv[3], argv[4]);
	return usage();
}
