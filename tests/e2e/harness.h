/* harness.h: a real vaultd on loopback for the end-to-end tests: start, HTTP calls, TOTP, proofs. */
#ifndef VAULTD_E2E_HARNESS_H
#define VAULTD_E2E_HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "../unit/support.h"

/*
 * One vaultd child process serving a fresh vault in a temp dir. Everything here is owned by the
 * struct and released by e2e_stop.
 */
typedef struct e2e_server {
	char *dir;             /* the temp dir: data/, vaultd.log, and scratch files of the test */
	char *data;            /* dir/data: the vault */
	char *log;             /* dir/vaultd.log: the server's stderr */
	char *vaultctl;        /* $BUILD/vaultctl */
	char *vaultd;          /* $BUILD/vaultd */
	char base[64];         /* "http://127.0.0.1:PORT" */
	uint16_t port;
	pid_t pid;             /* 0 once stopped */
	char vault_id[128];
	char admin_token[128];
} e2e_server;

/* One HTTP answer. body is malloc'd and NUL-terminated; json is NULL unless the body parses. */
typedef struct e2e_resp {
	long status;
	char content_type[128];
	char *body;
	size_t len;
	json_t *json;
} e2e_resp;

/*
 * Creates the temp dir, runs `vaultctl init`, starts vaultd on 127.0.0.1 port 0 (the port
 * comes from its "listening" line) and waits (up to 5 s) until GET /healthz answers 200.
 * Returns 0, or -1 after printing why (the stage, errno, vaultd's exit status and the end of
 * its log) to stderr; on -1 nothing is left running.
 */
int e2e_start(e2e_server *s);
/* e2e_start with more vaultd arguments (a NULL-terminated list; NULL: none). */
int e2e_start_with(e2e_server *s, const char *const *extra_args);
/*
 * Waits until the vaultd of s->pid (already started, on --listen 127.0.0.1:0) has written its
 * "listening" line to log and answers GET /healthz with 200; sets s->port and s->base. 0, or
 * -1 after printing why (vaultd's exit status or signal, or what it last answered) and the
 * end of the log; s->pid is 0 if vaultd is gone.
 */
int e2e_wait_ready(e2e_server *s, const char *log);
/*
 * SIGTERM, a wait of up to 5 s, then SIGKILL. Leaves the temp dir. Returns the exit status or
 * -1; anything but a clean 0 is printed with the end of vaultd's log.
 */
int e2e_halt(e2e_server *s);
/* e2e_halt, then removes the temp dir and frees what e2e_start allocated. */
void e2e_stop(e2e_server *s);

/*
 * One request. token may be NULL (no Authorization header); body may be NULL (no body, no
 * Content-Type). A body is sent as application/json. Fills *r (free with e2e_resp_free) and
 * returns r->status, or -1 if no HTTP answer came at all.
 */
long e2e_req(e2e_server *s, const char *method, const char *path, const char *token, const char *body, e2e_resp *r);
/* The same with an explicit Content-Type (NULL: none even with a body). */
long e2e_req_ct(e2e_server *s, const char *method, const char *path, const char *token, const char *body,
    const char *content_type, e2e_resp *r);
/* The same with a JSON body it takes ownership of (json_decref'd here; NULL: no body). */
long e2e_req_json(e2e_server *s, const char *method, const char *path, const char *token, json_t *body, e2e_resp *r);
void e2e_resp_free(e2e_resp *r);

/*
 * Member lookups by a '/'-separated path of object keys and array indexes, e.g.
 * "requests/0/agency/name". NULL / -1 / 0 when absent or of another type.
 */
json_t *e2e_jget(const json_t *root, const char *path);
const char *e2e_jstr(const json_t *root, const char *path);
long long e2e_jint(const json_t *root, const char *path); /* -1 when absent or not an integer */
int e2e_jbool(const json_t *root, const char *path);      /* 1 true, 0 false, -1 absent */
/* 1 if the array at path holds a string equal to s. */
int e2e_jarray_has(const json_t *root, const char *path, const char *s);
/* e2e_jstr, strdup'd (NULL if absent). */
char *e2e_jdup(const json_t *root, const char *path);

/* ---- TOTP (RFC 6238: SHA-1, 30 s, 6 digits) from an otpauth:// URI ---- */

/* The current 30-second step. */
int64_t e2e_totp_step(void);
/* The code of the given step. Returns 0, or -1 if the URI has no usable secret. */
int e2e_totp_at(const char *otpauth_uri, int64_t step, char code[7]);
/* The code of the current step plus offset steps. */
int e2e_totp_offset(const char *otpauth_uri, int offset, char code[7]);
int e2e_totp_now(const char *otpauth_uri, char code[7]);
/*
 * A code the server has not seen yet for this identity, given *last (the last step used, 0 at
 * first): the smallest step after *last within [now-1, now+1], avoiding now-1 near the end of
 * a step; sleeps until the next step when none is left. Updates *last. Codes stay strictly
 * increasing, which suits both "each code once" and "no code older than the last".
 */
void e2e_totp_fresh(const char *otpauth_uri, int64_t *last, char code[7]);

/* ---- RFC 6962 / 9162 Merkle proofs (SHA-256), for checking the server's answers ---- */

void e2e_leaf_hash(const void *entry, size_t n, unsigned char out[32]);
/* 1 if proof (n32 hashes of 32 bytes) shows leaf at index in a tree of size with root. */
int e2e_verify_inclusion(int64_t index, int64_t size, const unsigned char leaf[32], const unsigned char *proof,
    size_t nproof, const unsigned char root[32]);
/* 1 if proof shows the tree of size m (root1) is a prefix of the tree of size n (root2). */
int e2e_verify_consistency(int64_t m, int64_t n, const unsigned char root1[32], const unsigned char root2[32],
    const unsigned char *proof, size_t nproof);
/* Decodes a JSON array of base64 hashes into a malloc'd buffer of 32-byte hashes; -1 if malformed. */
int e2e_hashes_decode(const json_t *array, unsigned char **out, size_t *n);
/*
 * Parses a C2SP signed note checkpoint: origin (may be NULL), size and root hash. If pk is not
 * NULL, also checks one Ed25519 signature line by the key. Returns 0 or -1.
 */
int e2e_checkpoint_parse(const char *note, const unsigned char *pk, char *origin, size_t origin_n, int64_t *size,
    unsigned char root[32]);

/* ---- checks that name the request on failure ---- */

/*
 * Sends the request (body: a JSON value this takes, or NULL) and fails the test at the caller's
 * line, printing method, path, status and body, unless the status is want. *r stays filled.
 */
void e2e_call_at(e2e_server *s, long want, const char *method, const char *path, const char *token, json_t *body,
    e2e_resp *r, const char *file, int line);
#define E2E_CALL(s, want, method, path, token, body, r) \
	e2e_call_at((s), (want), (method), (path), (token), (body), (r), __FILE__, __LINE__)
/*
 * Checks that r is a problem+json answer with this status and code, whose type is
 * https://vaultd.dev/problems/<code> and which has title and detail. 0 if so, else -1 and why.
 */
int e2e_problem_check(const e2e_resp *r, long status, const char *code, char *why, size_t whyn);
#define E2E_PROBLEM(r, status, code) e2e_problem_at((r), (status), (code), __FILE__, __LINE__)
void e2e_problem_at(const e2e_resp *r, long status, const char *code, const char *file, int line);

/* NULL-safe string assertions: an absent member fails the test instead of crashing it. */
const char *e2e_or_null(const char *s);
#define assert_str_eq(a, b) assert_string_equal(e2e_or_null(a), e2e_or_null(b))
#define assert_str_ne(a, b) assert_string_not_equal(e2e_or_null(a), e2e_or_null(b))

/* ---- request bodies the contract's summary does not spell out: one place to change ---- */

json_t *e2e_body_agency(const char *name, const char *const *roles, size_t nroles);
/* Registers an agency with these roles as the admin (201 asserted): its token; its id in *id unless id is NULL. */
char *e2e_agency(e2e_server *s, const char *name, const char *const *roles, size_t nroles, char **id);
/* fields: a JSON array of names or {"name", "masked": true}, taken. legal_reference may be NULL. */
json_t *e2e_body_purpose(const char *agency_id, const char *code, const char *desc_en, const char *basis,
    const char *legal_reference, json_t *fields, int max_days, int retention_days);
json_t *e2e_body_officer(const char *name);
/* fields: a JSON object of catalog values, taken. */
json_t *e2e_body_citizen(const char *national_id, json_t *fields);
json_t *e2e_body_rectify(json_t *fields);
/* fields: a JSON array of names, taken; may be NULL (all of the purpose's). */
json_t *e2e_body_consent_request(const char *national_id, const char *purpose_code, json_t *fields, int days);
/* fields may be NULL (all); justification may be NULL. */
json_t *e2e_body_lookup(const char *national_id, const char *purpose_code, json_t *fields, const char *justification);
json_t *e2e_body_citizen_login(const char *national_id, const char *totp);
json_t *e2e_body_officer_login(const char *officer_id, const char *totp);
/* fields may be NULL: then "all_fields": true, every requested field. */
json_t *e2e_body_approve(const char *totp, json_t *fields);
json_t *e2e_body_totp(const char *totp);
json_t *e2e_body_review(const char *outcome, const char *note);
/* A JSON array of strings from a NULL-terminated list. */
json_t *e2e_strings(const char *first, ...);

/* The RFC 6962 root of n leaf hashes (32 bytes each). */
void e2e_tree_root(const unsigned char *leaves, int64_t n, unsigned char out[32]);

#endif
