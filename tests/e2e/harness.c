/* harness.c: starts a real vaultd on loopback, talks to it with libcurl, computes TOTP codes and checks proofs. */
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <oath.h>
#include <sodium.h>

#define TOTP_STEP 30
#define START_WAIT_MS (getenv("E2E_VALGRIND") ? 60000 : 5000)
#define STOP_WAIT_MS (getenv("E2E_VALGRIND") ? 60000 : 5000)

static int lib_ready;

/* curl, liboath and libsodium, once per process. */
static int libs_init(void)
{
	if (lib_ready)
		return 0;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 || oath_init() != OATH_OK || sodium_init() < 0) {
		fprintf(stderr, "e2e: cannot initialise curl, liboath or libsodium\n");
		return -1;
	}
	lib_ready = 1;
	return 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* The last ~4 KiB of vaultd's log (its stderr), to stderr: why it stopped, if it says. */
static void dump_log(const char *log)
{
	size_t n;
	unsigned char *b = log ? test_read_file(log, &n) : NULL;
	size_t from = b != NULL && n > 4096 ? n - 4096 : 0;

	if (b == NULL)
		fprintf(stderr, "e2e: vaultd's log %s cannot be read: %s\n", log ? log : "(none)", strerror(errno));
	else if (n == 0)
		fprintf(stderr, "e2e: vaultd's log %s is empty\n", log);
	else
		fprintf(stderr, "---- vaultd log (%s)%s ----\n%s%s---- end of log ----\n", log, from ? ", its end" : "",
		    (char *)b + from, b[n - 1] == '\n' ? "" : "\n");
	free(b);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Runs `vaultctl init --data DIR` and keeps vault_id and admin_token. */
static int vault_init_cli(e2e_server *s)
{
	char *argv[] = {s->vaultctl, "init", "--data", s->data, NULL};
	char *out = NULL, *err = NULL;
	json_t *o = NULL;
	const char *id, *tok;
	int rc = -1, st;

	st = test_run(argv, NULL, &out, &err);
	if (st != 0) {
		fprintf(stderr, "e2e: %s init exited %d: %s\n", s->vaultctl, st, err ? err : "");
		goto out;
	}
	o = json_loads(out, 0, NULL);
	id = json_string_value(json_object_get(o, "vault_id"));
	tok = json_string_value(json_object_get(o, "admin_token"));
	if (id == NULL || tok == NULL || strlen(id) >= sizeof s->vault_id || strlen(tok) >= sizeof s->admin_token) {
		fprintf(stderr, "e2e: vaultctl init printed no {vault_id, admin_token}\n");
		goto out;
	}
	snprintf(s->vault_id, sizeof s->vault_id, "%s", id);
	snprintf(s->admin_token, sizeof s->admin_token, "%s", tok);
	rc = 0;
out:
	json_decref(o);
	free(out);
	free(err);
	return rc;
}

/*
 * vaultd on port 0: the kernel gives it a free port as it binds, and vaultd writes it in its
 * "listening" line. (Picking a free port here and handing it over left a gap in which anything
 * else, even the harness's own probes, could take it.)
 */
static pid_t spawn_vaultd(const e2e_server *s, const char *const *extra)
{
	const char *argv[32] = {"valgrind", "-q", "--leak-check=full", "--errors-for-leak-kinds=definite,indirect",
		"--error-exitcode=99"};
	int n = getenv("E2E_VALGRIND") != NULL ? 5 : 0, first = n;
	pid_t pid;

	argv[n++] = s->vaultd;
	argv[n++] = "--data";
	argv[n++] = s->data;
	argv[n++] = "--listen";
	argv[n++] = "127.0.0.1:0";
	while (extra != NULL && *extra != NULL && n < 31)
		argv[n++] = *extra++;
	argv[n] = NULL;
	pid = fork();
	if (pid == 0) {
		/* E2E_VALGRIND=1: vaultd under memcheck; its findings make it exit 99, and reach the log */
		int log = open(s->log, O_WRONLY | O_CREAT | O_APPEND, 0600), null = open("/dev/null", O_RDWR);

		if (log < 0 || null < 0)
			_exit(126);
		prctl(PR_SET_PDEATHSIG, SIGTERM); /* a test killed outright leaves no server behind */
		dup2(null, 0);
		dup2(log, 1);
		dup2(log, 2);
		close(log);
		close(null);
		if (first > 0)
			execvp(argv[0], (char *const *)argv);
		else
			execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid;
}

/* The port of the last "listening" line in the log; 0 if there is none yet. */
static uint16_t logged_port(const char *log)
{
	size_t n;
	char *b = log ? (char *)test_read_file(log, &n) : NULL, *p, *q = NULL;
	unsigned long port = 0;

	for (p = b; p != NULL && (p = strstr(p, "\"msg\":\"listening\"")) != NULL; p++)
		q = p;
	if (q != NULL && (q = strstr(q, "\"port\":")) != NULL)
		port = strtoul(q + 7, NULL, 10);
	free(b);
	return port > 0 && port < 65536 ? (uint16_t)port : 0;
}

int e2e_wait_ready(e2e_server *s, const char *log)
{
	uint64_t t0 = now_ms(), wait = (uint64_t)START_WAIT_MS;
	long code = -1;
	int status;

	s->port = 0;
	for (;;) {
		pid_t w = waitpid(s->pid, &status, WNOHANG);

		if (w == s->pid || w < 0) {
			if (w < 0)
				fprintf(stderr, "e2e: waitpid(%d) while vaultd started: %s\n", (int)s->pid, strerror(errno));
			else if (WIFEXITED(status))
				fprintf(stderr, "e2e: vaultd exited with status %d before it answered%s\n", WEXITSTATUS(status),
				    WEXITSTATUS(status) == 127 ? " (it could not be run)" : "");
			else
				fprintf(stderr, "e2e: vaultd was killed by signal %d before it answered\n",
				    WIFSIGNALED(status) ? WTERMSIG(status) : -1);
			s->pid = 0;
			break;
		}
		if (s->port == 0 && (s->port = logged_port(log)) != 0)
			snprintf(s->base, sizeof s->base, "http://127.0.0.1:%u", (unsigned)s->port);
		if (s->port != 0) {
			e2e_resp r;

			code = e2e_req(s, "GET", "/healthz", NULL, NULL, &r);
			e2e_resp_free(&r);
			if (code == 200)
				return 0;
		}
		if (now_ms() - t0 > wait) {
			if (s->port == 0)
				fprintf(stderr, "e2e: vaultd (pid %d) wrote no \"listening\" line within %llu ms\n", (int)s->pid,
				    (unsigned long long)wait);
			else
				fprintf(stderr, "e2e: vaultd (pid %d) did not answer GET %s/healthz with 200 within %llu ms (last: %ld)\n",
				    (int)s->pid, s->base, (unsigned long long)wait, code);
			break;
		}
		sleep_ms(20);
	}
	dump_log(log);
	return -1;
}

int e2e_start_with(e2e_server *s, const char *const *extra_args)
{
	memset(s, 0, sizeof *s);
	if (libs_init() != 0)
		return -1;
	s->dir = test_tmpdir();
	s->data = test_path(s->dir, "data");
	s->log = test_path(s->dir, "vaultd.log");
	s->vaultctl = test_prog("vaultctl");
	s->vaultd = test_prog("vaultd");
	if (vault_init_cli(s) != 0)
		goto fail;
	if ((s->pid = spawn_vaultd(s, extra_args)) < 0) {
		fprintf(stderr, "e2e: fork for vaultd: %s\n", strerror(errno));
		s->pid = 0;
		goto fail;
	}
	if (e2e_wait_ready(s, s->log) == 0)
		return 0;
fail:
	fprintf(stderr, "e2e: e2e_start failed (vault in %s)\n", s->dir);
	e2e_stop(s);
	return -1;
}

int e2e_start(e2e_server *s)
{
	return e2e_start_with(s, NULL);
}

int e2e_halt(e2e_server *s)
{
	int status = 0;
	uint64_t t0 = now_ms();
	pid_t w, pid = s->pid;

	if (pid <= 0)
		return -1;
	if (kill(s->pid, SIGTERM) != 0)
		fprintf(stderr, "e2e: kill(%d, SIGTERM): %s\n", (int)s->pid, strerror(errno));
	while ((w = waitpid(s->pid, &status, WNOHANG)) == 0 && now_ms() - t0 < (uint64_t)STOP_WAIT_MS)
		sleep_ms(20);
	if (w == 0) {
		fprintf(stderr, "e2e: vaultd (pid %d) did not stop within %d ms of SIGTERM: killing it\n", (int)s->pid,
		    STOP_WAIT_MS);
		dump_log(s->log);
		kill(s->pid, SIGKILL);
		w = waitpid(s->pid, &status, 0);
		status = -1;
	}
	if (w < 0)
		fprintf(stderr, "e2e: waitpid(%d) after SIGTERM: %s\n", (int)s->pid, strerror(errno));
	s->pid = 0;
	if (w != pid || status == -1)
		return -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "e2e: vaultd stopped with %s %d\n", WIFEXITED(status) ? "status" : "signal",
		    WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? WTERMSIG(status) : -1);
		dump_log(s->log);
		return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	}
	return 0;
}

void e2e_stop(e2e_server *s)
{
	size_t n = 0;
	unsigned char *log;
	int sanitized;

	e2e_halt(s);
	/* a sanitizer build of vaultd, or vaultd under valgrind ("==pid== ..."), reports leaks and
	 * errors into its log: read it */
	log = s->log ? test_read_file(s->log, &n) : NULL;
	sanitized = log != NULL && (strstr((char *)log, "Sanitizer") != NULL || strstr((char *)log, "== ") != NULL);
	if (sanitized)
		fprintf(stderr, "e2e: vaultd's log reports a sanitizer finding:\n%s\n", (char *)log);
	free(log);
	if (s->dir != NULL && getenv("E2E_KEEP") == NULL && !sanitized)
		test_rmtree(s->dir);
	else if (s->dir != NULL)
		fprintf(stderr, "e2e: kept %s (E2E_KEEP)\n", s->dir);
	free(s->dir);
	free(s->data);
	free(s->log);
	free(s->vaultctl);
	free(s->vaultd);
	s->dir = s->data = s->log = s->vaultctl = s->vaultd = NULL;
	if (sanitized)
		fail_msg("vaultd's sanitizer report (above)");
}

/* ---- HTTP ---- */

typedef struct sink {
	char *b;
	size_t len, cap;
} sink;

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
	sink *k = ctx;
	size_t add = size * n;

	if (k->len + add + 1 > k->cap) {
		size_t cap = (k->len + add + 1) * 2;
		char *nb = realloc(k->b, cap);

		if (nb == NULL)
			return 0;
		k->b = nb;
		k->cap = cap;
	}
	memcpy(k->b + k->len, p, add);
	k->len += add;
	k->b[k->len] = '\0';
	return add;
}

long e2e_req_ct(e2e_server *s, const char *method, const char *path, const char *token, const char *body,
    const char *content_type, e2e_resp *r)
{
	CURL *c;
	struct curl_slist *h = NULL;
	char url[2048], line[512];
	sink k = {calloc(1, 1), 0, 1};
	char *ct = NULL;
	CURLcode cc;
	uint64_t t0;

	memset(r, 0, sizeof *r);
	r->status = -1;
	if (libs_init() != 0 || k.b == NULL || (c = curl_easy_init()) == NULL) {
		free(k.b);
		return -1;
	}
	snprintf(url, sizeof url, "%s%s", s->base, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &k);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	if (token != NULL) {
		snprintf(line, sizeof line, "Authorization: Bearer %s", token);
		h = curl_slist_append(h, line);
	}
	h = curl_slist_append(h, "Expect:");
	if (body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
		if (content_type != NULL) {
			snprintf(line, sizeof line, "Content-Type: %s", content_type);
			h = curl_slist_append(h, line);
		} else {
			h = curl_slist_append(h, "Content-Type:"); /* drop curl's default form type */
		}
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	t0 = now_ms();
	cc = curl_easy_perform(c);
	if (cc == CURLE_OK) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
		if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct != NULL)
			snprintf(r->content_type, sizeof r->content_type, "%s", ct);
	} else { /* no answer: say why, and what vaultd was doing */
		fprintf(stderr, "e2e: %s %s: curl: %s after %llu ms\n", method, path, curl_easy_strerror(cc),
		    (unsigned long long)(now_ms() - t0));
		dump_log(s->log);
	}
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	r->body = k.b;
	r->len = k.len;
	if (k.len > 0)
		r->json = json_loadb(k.b, k.len, 0, NULL);
	/* every error body is kept beside the vault, so the suites' scans for personal data read them */
	if (r->status >= 400 && k.len > 0 && s->dir != NULL) {
		char *keep = test_path(s->dir, "error-bodies.log");
		FILE *f = fopen(keep, "a");

		if (f != NULL) {
			fwrite(k.b, 1, k.len, f);
			fputc('\n', f);
			fclose(f);
		}
		free(keep);
	}
	return r->status;
}

long e2e_req(e2e_server *s, const char *method, const char *path, const char *token, const char *body, e2e_resp *r)
{
	return e2e_req_ct(s, method, path, token, body, body ? "application/json" : NULL, r);
}

long e2e_req_json(e2e_server *s, const char *method, const char *path, const char *token, json_t *body, e2e_resp *r)
{
	char *text = NULL;
	long rc;

	if (body != NULL && (text = json_dumps(body, JSON_COMPACT)) == NULL) {
		json_decref(body);
		memset(r, 0, sizeof *r);
		r->status = -1;
		return -1;
	}
	json_decref(body);
	rc = e2e_req(s, method, path, token, text, r);
	free(text);
	return rc;
}

void e2e_resp_free(e2e_resp *r)
{
	free(r->body);
	json_decref(r->json);
	memset(r, 0, sizeof *r);
}

/* ---- JSON ---- */

json_t *e2e_jget(const json_t *root, const char *path)
{
	const json_t *cur = root;
	const char *p = path;

	while (cur != NULL && *p != '\0') {
		char key[128];
		size_t n = strcspn(p, "/");

		if (n >= sizeof key)
			return NULL;
		memcpy(key, p, n);
		key[n] = '\0';
		p += n;
		if (*p == '/')
			p++;
		if (json_is_object(cur)) {
			cur = json_object_get(cur, key);
		} else if (json_is_array(cur)) {
			char *end;
			long i = strtol(key, &end, 10);

			cur = (*end == '\0' && end != key && i >= 0) ? json_array_get(cur, (size_t)i) : NULL;
		} else {
			cur = NULL;
		}
	}
	return (json_t *)cur;
}

const char *e2e_jstr(const json_t *root, const char *path)
{
	return json_string_value(e2e_jget(root, path));
}

long long e2e_jint(const json_t *root, const char *path)
{
	json_t *v = e2e_jget(root, path);

	return json_is_integer(v) ? (long long)json_integer_value(v) : -1;
}

int e2e_jbool(const json_t *root, const char *path)
{
	json_t *v = e2e_jget(root, path);

	return json_is_boolean(v) ? json_is_true(v) : -1;
}

int e2e_jarray_has(const json_t *root, const char *path, const char *s)
{
	json_t *a = e2e_jget(root, path), *v;
	size_t i;

	json_array_foreach(a, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return 1;
	return 0;
}

char *e2e_jdup(const json_t *root, const char *path)
{
	const char *v = e2e_jstr(root, path);

	return v ? strdup(v) : NULL;
}

/* ---- TOTP ---- */

int64_t e2e_totp_step(void)
{
	return (int64_t)time(NULL) / TOTP_STEP;
}

/* The base32 secret= parameter of the URI, decoded, into out (malloc'd). */
static int uri_secret(const char *uri, char **out, size_t *outlen)
{
	const char *p = strstr(uri, "?secret="), *end;
	char *b32;
	size_t n, padded;
	int rc;

	if (p == NULL)
		p = strstr(uri, "&secret=");
	if (p == NULL)
		return -1;
	p += strlen("?secret=");
	end = p + strcspn(p, "&");
	n = (size_t)(end - p);
	padded = (n + 7) / 8 * 8;
	if ((b32 = malloc(padded + 1)) == NULL)
		return -1;
	memcpy(b32, p, n);
	memset(b32 + n, '=', padded - n);
	b32[padded] = '\0';
	rc = oath_base32_decode(b32, padded, out, outlen);
	sodium_memzero(b32, padded);
	free(b32);
	return rc == OATH_OK ? 0 : -1;
}

int e2e_totp_at(const char *otpauth_uri, int64_t step, char code[7])
{
	char *secret = NULL;
	size_t n = 0;
	int rc;

	if (libs_init() != 0 || otpauth_uri == NULL || uri_secret(otpauth_uri, &secret, &n) != 0)
		return -1;
	rc = oath_totp_generate(secret, n, (time_t)(step * TOTP_STEP), TOTP_STEP, 0, 6, code);
	sodium_memzero(secret, n);
	free(secret);
	return rc == OATH_OK ? 0 : -1;
}

int e2e_totp_offset(const char *otpauth_uri, int offset, char code[7])
{
	return e2e_totp_at(otpauth_uri, e2e_totp_step() + offset, code);
}

int e2e_totp_now(const char *otpauth_uri, char code[7])
{
	return e2e_totp_offset(otpauth_uri, 0, code);
}

void e2e_totp_fresh(const char *otpauth_uri, int64_t *last, char code[7])
{
	for (;;) {
		time_t t = time(NULL);
		int64_t now = (int64_t)t / TOTP_STEP, step = now - 1;
		int into = (int)(t % TOTP_STEP);

		if (into >= TOTP_STEP - 3)
			step = now; /* now-1 would fall out of the window before the server sees it */
		if (step <= *last)
			step = *last + 1;
		if (step <= now + 1) {
			if (e2e_totp_at(otpauth_uri, step, code) != 0) {
				strcpy(code, "000000");
				fprintf(stderr, "e2e: no TOTP secret in the URI\n");
			}
			*last = step;
			return;
		}
		sleep_ms((long)(TOTP_STEP - into) * 1000 + 200);
	}
}

/* ---- Merkle proofs ---- */

static void node_hash(const unsigned char l[32], const unsigned char r[32], unsigned char out[32])
{
	crypto_hash_sha256_state st;
	const unsigned char one = 0x01;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, &one, 1);
	crypto_hash_sha256_update(&st, l, 32);
	crypto_hash_sha256_update(&st, r, 32);
	crypto_hash_sha256_final(&st, out);
}

void e2e_leaf_hash(const void *entry, size_t n, unsigned char out[32])
{
	crypto_hash_sha256_state st;
	const unsigned char zero = 0x00;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, &zero, 1);
	crypto_hash_sha256_update(&st, entry, n);
	crypto_hash_sha256_final(&st, out);
}

/* RFC 9162, 2.1.3.2. */
int e2e_verify_inclusion(int64_t index, int64_t size, const unsigned char leaf[32], const unsigned char *proof,
    size_t nproof, const unsigned char root[32])
{
	uint64_t fn, sn;
	unsigned char r[32];
	size_t i;

	if (index < 0 || size <= 0 || index >= size)
		return 0;
	fn = (uint64_t)index;
	sn = (uint64_t)size - 1;
	memcpy(r, leaf, 32);
	for (i = 0; i < nproof; i++) {
		const unsigned char *p = proof + 32 * i;

		if (sn == 0)
			return 0;
		if ((fn & 1) || fn == sn) {
			node_hash(p, r, r);
			if (!(fn & 1))
				while (!(fn & 1) && fn != 0) {
					fn >>= 1;
					sn >>= 1;
				}
		} else {
			node_hash(r, p, r);
		}
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && memcmp(r, root, 32) == 0;
}

/* RFC 9162, 2.1.4.2. */
int e2e_verify_consistency(int64_t m, int64_t n, const unsigned char root1[32], const unsigned char root2[32],
    const unsigned char *proof, size_t nproof)
{
	uint64_t fn, sn;
	unsigned char fr[32], sr[32];
	const unsigned char *first;
	size_t i = 0;

	if (m <= 0 || m > n)
		return 0;
	if (m == n)
		return nproof == 0 && memcmp(root1, root2, 32) == 0;
	if (nproof == 0)
		return 0;
	if ((m & (m - 1)) == 0) {
		first = root1; /* m a power of two: the proof starts with root1, left implicit */
	} else {
		first = proof;
		i = 1;
	}
	fn = (uint64_t)m - 1;
	sn = (uint64_t)n - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	memcpy(fr, first, 32);
	memcpy(sr, first, 32);
	for (; i < nproof; i++) {
		const unsigned char *c = proof + 32 * i;

		if (sn == 0)
			return 0;
		if ((fn & 1) || fn == sn) {
			node_hash(c, fr, fr);
			node_hash(c, sr, sr);
			if (!(fn & 1))
				while (!(fn & 1) && fn != 0) {
					fn >>= 1;
					sn >>= 1;
				}
		} else {
			node_hash(sr, c, sr);
		}
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && memcmp(fr, root1, 32) == 0 && memcmp(sr, root2, 32) == 0;
}

static int b64_32(const char *s, unsigned char out[32])
{
	size_t n = 0;

	return s != NULL &&
	               sodium_base642bin(out, 32, s, strlen(s), NULL, &n, NULL, sodium_base64_VARIANT_ORIGINAL) == 0 &&
	               n == 32
	           ? 0
	           : -1;
}

int e2e_hashes_decode(const json_t *array, unsigned char **out, size_t *n)
{
	size_t i, len = json_array_size(array);
	json_t *v;

	*out = NULL;
	*n = 0;
	if (!json_is_array(array))
		return -1;
	if ((*out = malloc(32 * len + 1)) == NULL)
		return -1;
	json_array_foreach(array, i, v)
		if (b64_32(json_string_value(v), *out + 32 * i) != 0) {
			free(*out);
			*out = NULL;
			return -1;
		}
	*n = len;
	return 0;
}

int e2e_checkpoint_parse(const char *note, const unsigned char *pk, char *origin, size_t origin_n, int64_t *size,
    unsigned char root[32])
{
	const char *l1, *l2, *l3, *blank, *sig;
	char line[256], *end;
	size_t n;

	if (note == NULL)
		return -1;
	l1 = note;
	if ((l2 = strchr(l1, '\n')) == NULL || (l3 = strchr(++l2, '\n')) == NULL || (blank = strchr(++l3, '\n')) == NULL)
		return -1;
	if (origin != NULL) {
		n = (size_t)(l2 - 1 - l1);
		if (n >= origin_n)
			return -1;
		memcpy(origin, l1, n);
		origin[n] = '\0';
	}
	n = (size_t)(l3 - 1 - l2);
	if (n == 0 || n >= sizeof line)
		return -1;
	memcpy(line, l2, n);
	line[n] = '\0';
	*size = strtoll(line, &end, 10);
	if (*end != '\0' || *size < 0)
		return -1;
	n = (size_t)(blank - l3);
	if (n == 0 || n >= sizeof line)
		return -1;
	memcpy(line, l3, n);
	line[n] = '\0';
	if (b64_32(line, root) != 0)
		return -1;
	if (pk == NULL)
		return 0;
	/* "\n— NAME BASE64(keyhash[4] || sig[64])\n", over the text up to and including line 3 */
	sig = blank + 1;
	if (*sig != '\n' || strncmp(sig + 1, "\xe2\x80\x94 ", 4) != 0)
		return -1;
	sig += 5;
	{
		const char *sp = strchr(sig, ' '), *nl;
		unsigned char raw[68];
		size_t rawn = 0;

		if (sp == NULL || (nl = strchr(sp, '\n')) == NULL || (size_t)(nl - sp - 1) >= sizeof line)
			return -1;
		memcpy(line, sp + 1, (size_t)(nl - sp - 1));
		line[nl - sp - 1] = '\0';
		if (sodium_base642bin(raw, sizeof raw, line, strlen(line), NULL, &rawn, NULL, sodium_base64_VARIANT_ORIGINAL) !=
		        0 ||
		    rawn != sizeof raw)
			return -1;
		if (crypto_sign_ed25519_verify_detached(raw + 4, (const unsigned char *)note, (size_t)(blank + 1 - note), pk) != 0)
			return -1;
	}
	return 0;
}

void e2e_tree_root(const unsigned char *leaves, int64_t n, unsigned char out[32])
{
	unsigned char l[32], r[32];
	int64_t k = 1;

	if (n <= 0) {
		crypto_hash_sha256(out, (const unsigned char *)"", 0);
		return;
	}
	if (n == 1) {
		memcpy(out, leaves, 32);
		return;
	}
	while (k * 2 < n)
		k *= 2; /* the largest power of two below n */
	e2e_tree_root(leaves, k, l);
	e2e_tree_root(leaves + 32 * k, n - k, r);
	node_hash(l, r, out);
}

/* ---- checks ---- */

void e2e_call_at(e2e_server *s, long want, const char *method, const char *path, const char *token, json_t *body,
    e2e_resp *r, const char *file, int line)
{
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	long got;

	json_decref(body);
	got = e2e_req(s, method, path, token, text, r);
	if (got != want) {
		fprintf(stderr, "%s:%d: %s %s%s%s: expected %ld, got %ld: %s\n", file, line, method, path,
		    text ? " " : "", text ? text : "", want, got, r->body ? r->body : "");
		free(text);
		_fail(file, line);
	}
	free(text);
}

int e2e_problem_check(const e2e_resp *r, long status, const char *code, char *why, size_t whyn)
{
	char type[200];

	snprintf(type, sizeof type, "https://vaultd.dev/problems/%s", code);
	if (r->status != status)
		snprintf(why, whyn, "status %ld, not %ld", r->status, status);
	else if (strncmp(r->content_type, "application/problem+json", 24) != 0)
		snprintf(why, whyn, "Content-Type \"%s\", not application/problem+json", r->content_type);
	else if (r->json == NULL)
		snprintf(why, whyn, "the body is not JSON");
	else if (e2e_jstr(r->json, "code") == NULL || strcmp(e2e_jstr(r->json, "code"), code) != 0)
		snprintf(why, whyn, "code \"%s\", not \"%s\"", e2e_jstr(r->json, "code") ? e2e_jstr(r->json, "code") : "(none)",
		    code);
	else if (e2e_jstr(r->json, "type") == NULL || strcmp(e2e_jstr(r->json, "type"), type) != 0)
		snprintf(why, whyn, "type \"%s\", not \"%s\"", e2e_jstr(r->json, "type") ? e2e_jstr(r->json, "type") : "(none)",
		    type);
	else if (e2e_jint(r->json, "status") != status)
		snprintf(why, whyn, "\"status\" member %lld, not %ld", e2e_jint(r->json, "status"), status);
	else if (e2e_jstr(r->json, "title") == NULL || e2e_jstr(r->json, "detail") == NULL)
		snprintf(why, whyn, "no title or no detail");
	else
		return 0;
	return -1;
}

void e2e_problem_at(const e2e_resp *r, long status, const char *code, const char *file, int line)
{
	char why[300];

	if (e2e_problem_check(r, status, code, why, sizeof why) != 0) {
		fprintf(stderr, "%s:%d: expected a %ld %s problem: %s; body: %s\n", file, line, status, code, why,
		    r->body ? r->body : "");
		_fail(file, line);
	}
}

/* ---- request bodies ---- */

json_t *e2e_strings(const char *first, ...)
{
	json_t *a = json_array();
	va_list ap;
	const char *s;

	va_start(ap, first);
	for (s = first; s != NULL; s = va_arg(ap, const char *))
		json_array_append_new(a, json_string(s));
	va_end(ap);
	return a;
}

json_t *e2e_body_agency(const char *name, const char *const *roles, size_t nroles)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < nroles; i++)
		json_array_append_new(a, json_string(roles[i]));
	return json_pack("{s:s, s:o}", "name", name, "roles", a);
}

char *e2e_agency(e2e_server *s, const char *name, const char *const *roles, size_t nroles, char **id)
{
	e2e_resp r;
	char *tok;

	e2e_call_at(s, 201, "POST", "/v1/agencies", s->admin_token, e2e_body_agency(name, roles, nroles), &r, __FILE__,
	    __LINE__);
	tok = e2e_jdup(r.json, "token");
	if (id != NULL)
		*id = e2e_jdup(r.json, "id");
	e2e_resp_free(&r);
	return tok;
}

json_t *e2e_body_purpose(const char *agency_id, const char *code, const char *desc_en, const char *basis,
    const char *legal_reference, json_t *fields, int max_days, int retention_days)
{
	json_t *o = json_pack("{s:s, s:s, s:{s:s, s:s}, s:s, s:o, s:i, s:i}", "agency_id", agency_id, "code", code,
	    "description", "vi", desc_en, "en", desc_en, "legal_basis", basis, "fields", fields, "max_days", max_days,
	    "retention_days", retention_days);

	if (o != NULL && legal_reference != NULL)
		json_object_set_new(o, "legal_reference", json_string(legal_reference));
	return o;
}

json_t *e2e_body_officer(const char *name)
{
	return json_pack("{s:s}", "name", name);
}

json_t *e2e_body_citizen(const char *national_id, json_t *fields)
{
	return json_pack("{s:s, s:o}", "national_id", national_id, "fields", fields);
}

json_t *e2e_body_rectify(json_t *fields)
{
	return json_pack("{s:o}", "fields", fields);
}

json_t *e2e_body_consent_request(const char *national_id, const char *purpose_code, json_t *fields, int days)
{
	json_t *o = json_pack("{s:s, s:s, s:i}", "national_id", national_id, "purpose", purpose_code, "days", days);

	if (o != NULL && fields != NULL)
		json_object_set_new(o, "fields", fields);
	return o;
}

json_t *e2e_body_lookup(const char *national_id, const char *purpose_code, json_t *fields, const char *justification)
{
	json_t *o = json_pack("{s:s, s:s}", "national_id", national_id, "purpose", purpose_code);

	if (o != NULL && fields != NULL)
		json_object_set_new(o, "fields", fields);
	if (o != NULL && justification != NULL)
		json_object_set_new(o, "justification", json_string(justification));
	return o;
}

json_t *e2e_body_citizen_login(const char *national_id, const char *totp)
{
	return json_pack("{s:s, s:s}", "national_id", national_id, "totp", totp);
}

json_t *e2e_body_officer_login(const char *officer_id, const char *totp)
{
	return json_pack("{s:s, s:s}", "officer_id", officer_id, "totp", totp);
}

json_t *e2e_body_approve(const char *totp, json_t *fields)
{
	json_t *o = json_pack("{s:s}", "totp", totp);

	if (o != NULL)
		json_object_set_new(o, fields != NULL ? "fields" : "all_fields", fields != NULL ? fields : json_true());
	return o;
}

json_t *e2e_body_totp(const char *totp)
{
	return json_pack("{s:s}", "totp", totp);
}

json_t *e2e_body_review(const char *outcome, const char *note)
{
	json_t *o = json_pack("{s:s}", "outcome", outcome);

	if (o != NULL && note != NULL)
		json_object_set_new(o, "note", json_string(note));
	return o;
}

const char *e2e_or_null(const char *s)
{
	return s ? s : "(absent)";
}
