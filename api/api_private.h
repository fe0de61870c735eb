/* api_private.h: what the API's files share: the request, the caller, replies, auth, routes. */
#ifndef VAULTD_API_PRIVATE_H
#define VAULTD_API_PRIVATE_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>

#include "../audit/audit.h"
#include "../auth/auth.h"
#include "../policy/policy.h"
#include "api.h"

#define API_BODY_MAX (64u * 1024u)
#define API_DEPTH_MAX 16
#define API_PARAM_MAX 64
#define API_URI_MAX 2048         /* bytes of a request-target */
#define API_HEADERS_MAX 8192     /* bytes of header fields, names and values */
#define API_HEADERS_COUNT_MAX 64 /* header fields */

typedef enum api_kind { API_NONE = 0, API_ADMIN, API_AGENCY, API_CITIZEN, API_OFFICER } api_kind;

/* Who is calling, once the bearer token is checked. */
typedef struct api_caller {
	api_kind kind;
	policy_agency agency;            /* API_AGENCY */
	unsigned char cid[KEYS_CID_BYTES]; /* API_CITIZEN */
	char officer[POLICY_ID_MAX + 1]; /* API_OFFICER */
	unsigned char token[32];         /* the keyed hash of the token the request came with */
	int64_t last_used;               /* its stored last use (auth_touches_note) */
	int64_t expires_at;              /* when the token ends (INT64_MAX: never) */
	int by_cookie;                   /* the token came in the vaultd_session cookie, not a header */
} api_caller;

/* Route access: who may call. */
enum {
	API_PUBLIC = 1u << 0,
	API_R_ADMIN = 1u << 1,
	API_R_REGISTRAR = 1u << 2,
	API_R_CONSUMER = 1u << 3, /* consumer or emergency role */
	API_R_CITIZEN = 1u << 4,
	API_R_OFFICER = 1u << 5,
};

typedef struct api_req api_req;
/*
 * Errors (problem.c). A handler answers, or fails with an api_err: a library error, as the
 * library filled u (its code decides the problem), or one of the API's own problems (prob,
 * with its detail in u.msg). api_reply_problem is the one place either becomes a reply:
 * problem+json with the problem's status and stable code, the detail, and Retry-After on a 429.
 */
typedef enum api_prob {
	API_P_UTIL = 0, /* u.code says which */
	API_P_INVALID_INPUT,
	API_P_INVALID_JSON,
	API_P_NESTING_TOO_DEEP,
	API_P_FIELDS_EMPTY,
	API_P_FIELDS_REQUIRED,
	API_P_JUSTIFICATION_NOT_ACCEPTED,
	API_P_BAD_FRAMING,
	API_P_BAD_REQUEST,
	API_P_INVALID_PATH,
	API_P_UNAUTHORIZED,
	API_P_INVALID_TOTP,
	API_P_TOTP_REUSED,
	API_P_FORBIDDEN,
	API_P_CSRF_FAILED,
	API_P_NOT_PERMITTED,
	API_P_NOT_FOUND,
	API_P_METHOD_NOT_ALLOWED,
	API_P_CONFLICT,
	API_P_TOO_MANY_PENDING_REQUESTS,
	API_P_BODY_TOO_LARGE,
	API_P_URI_TOO_LONG,
	API_P_UNSUPPORTED_MEDIA_TYPE,
	API_P_RATE_LIMITED,
	API_P_HEADERS_TOO_LARGE,
	API_P_INTERNAL,
	API_P_STORAGE_FULL,
	API_P_STORAGE_UNAVAILABLE,
	API_P_BUSY,
	API_P_COUNT
} api_prob;

typedef struct api_err {
	api_prob prob;       /* API_P_UTIL (zero): a library error */
	util_err u;          /* the library's error; for an API problem, its detail in u.msg */
	int64_t retry_after; /* API_P_RATE_LIMITED: seconds until a new attempt is taken; API_P_TOTP_REUSED: until the next code */
} api_err;

/*
 * A handler, or a suspended request's continuation: 0 once it has answered (or suspended the
 * connection), -1 with err filled when it fails: the server answers err (api_reply_problem).
 */
typedef int (*api_handler)(api_req *r, api_err *err);

typedef struct api_portal api_portal;

typedef struct api_route {
	const char *method;
	const char *path; /* with {name} placeholders, as in openapi.yaml */
	unsigned access;
	int body;         /* 1: takes a JSON object body */
	api_handler fn;
} api_route;

#define API_METRIC_ROUTES 64

struct api_server {
	struct MHD_Daemon *d;
	vault *v;          /* the main connection: handlers never use it */
	audit_writer *writer;
	vault_group *group;    /* the group commit of consent changes (api_suspend_for_change) */
	auth_lockout *lockout; /* budgets of failed TOTP codes (auth/auth.h) */
	auth_touches *touches; /* tokens' last uses not yet stored (auth/tokens.c) */
	uint16_t port;
	pthread_mutex_t mu; /* conns */
	vault *conns[256];  /* one per worker thread, closed at stop */
	size_t nconns;
	char *tls_key, *tls_cert;
	api_portal *portal; /* --portal's files, or NULL */
	/* metrics */
	atomic_ulong by_route[API_METRIC_ROUTES][6]; /* status class 1xx..5xx, index 1..5 */
	atomic_ulong unmatched[6];
	atomic_ulong decisions_allow, decisions_deny;
	/* the request deadline (conn.c): every open connection, and the thread that cuts them */
	pthread_mutex_t guard_mu;
	struct api_conn *guard_head;
	uint64_t deadline_ns;
	pthread_t guard_th;
	atomic_int guard_stop;
	/* MHD_stop_daemon aborts if a connection is suspended: api_stop sets stopping, so no
	   request suspends any more, and waits for suspended (those waiting on the writer) to be 0 */
	atomic_int stopping, suspended;
	atomic_int draining; /* set first by api_stop: new connections are refused, answers close theirs */
	/* request ids: a random start, then one more for each request (server.c, request_id) */
	uint64_t rid_base;
	atomic_ullong rid_next;
	int guard_running;
};

/* What the audit writer said of the entry a suspended request waited for (api_suspend_for_audit). */
typedef struct api_audit_outcome {
	int rc;       /* 0: durable, as entry seq; -1: err says why */
	int64_t seq;
	util_err err;
} api_audit_outcome;

/*
 * A change written by the group commit (api_suspend_for_change): fn runs on the group's
 * connection, inside its transaction, as a unit of its own; rc and err say how it ended, once
 * its commit is durable or failed.
 */
typedef int (*api_change_fn)(api_req *r, vault *v, api_err *err);
typedef struct api_change_outcome {
	api_change_fn fn;
	int rc;   /* 0: committed and durable; -1: err says why */
	int own;  /* the change itself failed (err is its own), not the commit */
	api_err err;
} api_change_outcome;

struct api_req {
	struct MHD_Connection *conn;
	api_server *srv;
	vault *v; /* this worker thread's connection */
	const char *method, *url;
	size_t raw_url_len; /* the request-target as sent, before MHD unescapes it */
	int encoded_slash;  /* its path held %2F */
	int escaped_path;   /* its path held a percent-escape: never a portal file's */
	int close;          /* the answer closes the connection */
	util_wbuf body_buf; /* wiped when it grows and when it is freed */
	char *body;         /* body_buf's bytes, NUL-terminated; NULL when there is no body */
	size_t body_len;
	int overflow;
	const api_route *route;
	int route_index;
	json_t *json; /* the parsed body, when the route takes one */
	char params[2][API_PARAM_MAX + 1];
	api_caller caller;
	char set_cookie[AUTH_TOKEN_MAX + 96]; /* a Set-Cookie for the answer, or "" (may hold a token: wiped with r) */
	unsigned status;
	int64_t retry_after; /* seconds, sent as Retry-After with a 429 or a totp_reused */
	uint64_t t0;
	char rid[17]; /* the request id in the log lines it causes: 16 hex digits, nothing of the caller's */
	int replied;
	const char *attachment; /* a file name: the answer is sent as an attachment (Content-Disposition) */
	/* a handler that suspended the connection sets cont, called when MHD resumes it */
	int suspended;
	api_handler cont;
	api_audit_outcome audit;
	api_change_outcome change;
	/* a handler's own state, kept across a suspension: the server never looks inside; it calls
	   state_free(state) when the request ends, whether the continuation ran or not */
	void *state;
	void (*state_free)(void *state);
};

/*
 * conn.c. The deadline: api_guard_start/stop run the thread that shuts down connections whose
 * request is not whole within the deadline; api_guard_notify is MHD's connection callback;
 * api_guard_mark says a request is whole (0) or that the next one's clock starts (1).
 */
int api_guard_start(api_server *s, unsigned deadline_s, util_err *err) UTIL_WARN_UNUSED;
void api_guard_stop(api_server *s);
void api_guard_notify(void *cls, struct MHD_Connection *mc, void **ctx, enum MHD_ConnectionNotificationCode toe);
void api_guard_mark(api_server *s, struct MHD_Connection *mc, int receiving);
/* MHD's URI log callback: allocates the api_req (owned by on_request's *state from then on). */
void *api_guard_uri(void *cls, const char *uri, struct MHD_Connection *mc);
/*
 * Framing, Host, header and request-target bounds, encoded slashes: 0, or -1 with err filled
 * (and r->close set: a request whose framing is in doubt leaves nothing after it to be read).
 */
int api_http_check(api_req *r, const char *version, api_err *err);

/*
 * Suspends r's connection until the audit writer has made e durable (or failed), then runs
 * cont with r->audit filled. e and everything it points to must live until then (in r->state).
 */
void api_suspend_for_audit(api_req *r, const audit_entry *e, api_handler cont);
/*
 * Suspends r's connection while fn(r, v, err) runs as a unit of vaultd's group commit of
 * consent changes (vault_group_submit), on the group's connection v, then runs cont on r's
 * worker once the unit's commit is durable (r->change.rc 0) or it failed (-1, r->change.err:
 * fn's own error, or the commit's). No worker waits on the disk meanwhile. fn runs on the
 * group's thread: it reads r (its params, caller, body, r->state), which nothing else touches
 * while r is suspended, and writes only to r->state and err.
 */
void api_suspend_for_change(api_req *r, api_change_fn fn, api_handler cont);
/*
 * The general form: suspends r's connection, counted so that vaultd's stop waits for it, until
 * api_resume(r) (from any thread), after which cont runs on r's worker. 0; -1 (err) when vaultd
 * is stopping: r is suspended all the same, and the caller notes why and resumes it at once.
 */
int api_suspend(api_req *r, api_handler cont, util_err *err) UTIL_WARN_UNUSED;
void api_resume(api_req *r);

/* Replies. The body is serialized into a buffer of ours, wiped after MHD sends it. */
void api_reply(api_req *r, unsigned status, json_t *body); /* steals body */
void api_reply_text(api_req *r, unsigned status, const char *type, const char *text, size_t n);
/*
 * A portal file's answer: data (which must outlive the server: MHD sends it without a copy)
 * with type and the portal's security headers (CSP, no framing, no sniffing, no referrer).
 */
void api_reply_static(api_req *r, const char *type, const void *data, size_t n);
/* An API problem into err, its detail printf-formatted (rules and names, never values): -1. */
int api_fail(api_err *err, api_prob prob, const char *fmt, ...) UTIL_PRINTF(3, 4);
/* A library error into err: -1. */
int api_fail_util(api_err *err, const util_err *u);
/* A 429 into err: no more attempts for retry_after seconds: -1. */
int api_rate_limited(api_err *err, int64_t retry_after);
/* A 409 totp_reused into err: the next code comes in retry_after seconds: -1. */
int api_totp_reused(api_err *err, int64_t retry_after);
/* The one mapping from an error to its reply (problem.c). */
void api_reply_problem(api_req *r, const api_err *err);
/* api_reply_problem for a library error. */
void api_reply_err(api_req *r, const util_err *err);
/* api_reply_problem for an API problem, for the server's own last resorts (no response, no body): -1. */
int api_reply_fail(api_req *r, api_prob prob, const char *detail);
/*
 * What err answers with, apart from sending it: the status, the stable code and the detail
 * (err's own, or the problem's when a library's message is not passed on). The mapping itself.
 */
void api_problem_of(const api_err *err, unsigned *status, const char **code, const char **detail);
/* The problem+json body err is answered with, as a new object (a batch's item); NULL when out of memory. */
json_t *api_problem_json(const api_err *err);

/*
 * Checks the Authorization header (auth_token_check); fills r->caller and notes the token's
 * use. 0, or -1 with err 401 unauthorized.
 */
int api_authenticate(api_req *r, api_err *err);

/*
 * The handlers (api_handler), one file per kind of caller; routes.c puts them in the table.
 * Each answers (or suspends the connection, see api_suspend_for_audit) or fails with err.
 */
/* public.c: anyone */
int api_h_healthz(api_req *r, api_err *err);
int api_h_metrics(api_req *r, api_err *err);
int api_h_keys(api_req *r, api_err *err);
int api_h_checkpoint(api_req *r, api_err *err);
int api_h_consistency(api_req *r, api_err *err);
/* sessions.c, tokens.c: logging in and out */
int api_h_sessions(api_req *r, api_err *err);
int api_h_session_end(api_req *r, api_err *err);
int api_h_session_get(api_req *r, api_err *err);
/* operator.c, tokens.c: the operator (and an agency, for its own tokens) */
int api_h_agency_create(api_req *r, api_err *err);
int api_h_agency_suspend(api_req *r, api_err *err);
int api_h_tokens_list(api_req *r, api_err *err);
int api_h_tokens_issue(api_req *r, api_err *err);
int api_h_token_revoke(api_req *r, api_err *err);
int api_h_purpose_create(api_req *r, api_err *err);
int api_h_officer_create(api_req *r, api_err *err);
int api_h_officer_deactivate(api_req *r, api_err *err);
int api_h_officer_reactivate(api_req *r, api_err *err);
/* registrar.c: a registrar agency */
int api_h_citizen_create(api_req *r, api_err *err);
int api_h_citizen_search(api_req *r, api_err *err);
int api_h_citizen_patch(api_req *r, api_err *err);
int api_h_citizen_delete(api_req *r, api_err *err);
int api_h_citizen_totp(api_req *r, api_err *err);
/* agency.c: a consumer (or emergency) agency */
int api_h_request_create(api_req *r, api_err *err);
int api_h_request_get(api_req *r, api_err *err);
int api_h_lookup(api_req *r, api_err *err);
int api_h_lookups(api_req *r, api_err *err);
/* citizen.c: a citizen, in a session */
int api_h_me(api_req *r, api_err *err);
int api_h_me_requests(api_req *r, api_err *err);
int api_h_me_approve(api_req *r, api_err *err);
int api_h_me_deny(api_req *r, api_err *err);
int api_h_me_consents(api_req *r, api_err *err);
int api_h_me_receipt(api_req *r, api_err *err);
int api_h_me_revoke(api_req *r, api_err *err);
int api_h_me_restriction(api_req *r, api_err *err);
int api_h_me_restrict(api_req *r, api_err *err);
int api_h_me_unrestrict(api_req *r, api_err *err);
int api_h_me_access_log(api_req *r, api_err *err);
int api_h_me_proof(api_req *r, api_err *err);
/*
 * The citizen's access log: the entries before after (-1: from the newest), at most limit,
 * newest first, as GET /v1/me/access-log shows them, into *list (a new array), and the page's
 * next into *next (a new reference: the cursor, or null). 0, or -1 with err filled.
 */
int api_access_log_collect(api_req *r, int64_t after, int64_t limit, json_t **list, json_t **next, api_err *err);
/* rights.c: a citizen's copy of their data and correction requests; a registrar's answers */
int api_h_me_export(api_req *r, api_err *err);
int api_h_me_corrections(api_req *r, api_err *err);
int api_h_me_correction_create(api_req *r, api_err *err);
int api_h_corrections(api_req *r, api_err *err);
int api_h_correction_answer(api_req *r, api_err *err);
/* officer.c: a data protection officer, in a session */
int api_h_audit(api_req *r, api_err *err);
int api_h_audit_verify(api_req *r, api_err *err);
int api_h_report(api_req *r, api_err *err);
int api_h_reviews(api_req *r, api_err *err);
int api_h_review(api_req *r, api_err *err);
int api_h_dashboard(api_req *r, api_err *err);
/* officer_registry.c: the registry, for an officer or the operator */
int api_h_agencies(api_req *r, api_err *err);
int api_h_purposes(api_req *r, api_err *err);

/* helpers.c: what several handler files share. */
/*
 * A list of field names from a JSON array (NULL: none given; names point into a). 0, or -1
 * with err 400; an empty array is fields_empty with the detail empty.
 */
int api_name_list(json_t *a, const char **names, size_t *n, const char *empty, api_err *err);
/* "agency:<id>" of the calling agency, in buf; returns buf. */
const char *api_agency_actor(const api_req *r, char buf[POLICY_ID_MAX + 8]);
/* An unsigned integer query argument min..max; def when absent; -1 (err filled: 400) when malformed. */
int64_t api_query_int(api_req *r, const char *name, int64_t def, int64_t min, int64_t max, api_err *err);
/* The hashes as a new JSON array of base64 strings. */
json_t *api_b64_hashes(const audit_hash *h, size_t n);
/* The public view of a stored entry (its time in RFC 3339), a new object; NULL if it does not parse. */
json_t *api_entry_view(const char *text, size_t n);

/*
 * names.c: ids resolved to names for an officer's answer, each looked up once per answer (a
 * page names few agencies and purposes many times). init makes the caches (api_names_free
 * drops them); agency gives the agency's name, purpose {code, description: {vi, en}}, both
 * borrowed from the cache, NULL when the id names nothing registered (or memory ran out).
 * note looks up the ids an entry names (its "agency" and "purpose") and leaves the entry as
 * it is: a client recomputes an entry's bytes from its view, so names never go inside one.
 * view gives what was looked up, as the answer's sibling of its entries (a new object):
 * {"agencies": {id: name}, "purposes": {id: {code, description}}}, ids that name nothing left out.
 */
typedef struct api_names {
	vault *v;
	json_t *agencies, *purposes; /* id -> name / purpose, or null when unknown */
} api_names;
void api_names_init(api_names *n, vault *v);
void api_names_free(api_names *n);
json_t *api_names_agency(api_names *n, const char *id);
json_t *api_names_purpose(api_names *n, const char *id);
void api_names_note(api_names *n, const json_t *entry);
json_t *api_names_view(api_names *n);

/*
 * TOTP for a citizen (cid) or an officer, from the request's address (auth_totp_citizen,
 * auth_totp_officer say what is checked and kept): 0 when the code is good and spent; -1 with
 * err 429 rate_limited with Retry-After (no slot left), 401 invalid_totp (a wrong code), 409
 * totp_reused with Retry-After (a step-up's right code of a step already spent), 503 (the
 * storage failed) or 500 (no memory).
 */
int api_totp_citizen(api_req *r, const unsigned char cid[KEYS_CID_BYTES], const char *code, api_err *err);
int api_totp_officer(api_req *r, const char *officer_id, const char *code, api_err *err);
/*
 * api_totp_citizen in two halves, for a step-up checked on another thread's connection (a unit
 * of the group commit, api_suspend_for_change): api_totp_attempt notes r's address and
 * budgets in a, on r's worker; api_totp_citizen_on checks the code on a->v, which the caller
 * sets to the connection the change is written on.
 */
void api_totp_attempt(api_req *r, auth_attempt *a);
int api_totp_citizen_on(auth_attempt *a, const unsigned char cid[KEYS_CID_BYTES], const char *code, api_err *err);
/* A login for an identity not known (a national ID not enrolled): the same answers, nothing kept but the budget. */
int api_totp_unknown(api_req *r, const char *ident_label, const char *code, api_err *err);

/*
 * Lists come in pages: ?limit=N (1..API_PAGE_MAX, API_PAGE_DEFAULT when absent) and ?after=C,
 * the `next` of the page before (a list's own cursor: a row, an entry's number, an offset);
 * each page says `next`, null on the last one. api_page_args reads them, *after = def_after
 * when absent: 0, or -1 with err 400 invalid_input naming the argument.
 */
#define API_PAGE_DEFAULT 50
#define API_PAGE_MAX 200
int api_page_args(api_req *r, int64_t def_after, int64_t *after, int64_t *limit, api_err *err);
/* A page's `next`: the cursor, or null when there is no more (more 0). A new reference. */
json_t *api_page_next(int more, int64_t next);
/* api_page_args for a citizen's list whose cursor is an item's id (policy_page): after "" when absent. */
int api_page_args_id(api_req *r, policy_page *pg, api_err *err);
/* Items offset..offset+limit-1 of all, a new array; *next their follower's offset, or -1. */
json_t *api_page_slice(json_t *all, int64_t offset, int64_t limit, int64_t *next);

/* Prometheus text of the server's counters into out (cap bytes); *len its length. */
void api_metrics_text(api_server *s, char *out, size_t cap, size_t *len);

/*
 * portal.c. api_portal_load reads every servable file under dir (names of letters, digits,
 * '.', '_', '-'; known extensions; no symlinks; bounded in count, size and depth) into *out:
 * 0, or -1 with err (dir has no index.html too). api_portal_serve answers r with the file its
 * exact path names ("/" is index.html), GET and HEAD only: 1 if it did, 0 if no file is named.
 */
int api_portal_load(api_portal **out, const char *dir, util_err *err) UTIL_WARN_UNUSED;
void api_portal_free(api_portal *p);
int api_portal_serve(api_req *r);

/*
 * Sessions in a browser (cookie.c). The session's cookie, vaultd_session, set or cleared by
 * the answer to r (r->set_cookie); the CSRF token of a session's token hash (43 base64url
 * characters and a NUL); the checks of a cookie-authenticated write (X-CSRF-Token, Origin): 0,
 * or -1 with err 403 csrf_failed; api_origin_ok: 1 if r has no Origin or vaultd's own.
 */
#define API_CSRF_MAX 44
void api_cookie_set(api_req *r, const char *token, int64_t max_age);
void api_cookie_clear(api_req *r);
void api_csrf_token(const unsigned char hash[32], char out[API_CSRF_MAX]);
int api_csrf_check(api_req *r, api_err *err);
int api_origin_ok(api_req *r);

/* The route table. */
const api_route *api_route_table(size_t *n);

/*
 * Unpacks the JSON body with jansson's format fmt (JSON_STRICT: every key known) (unpack.c).
 * 0, or -1 with err 400 invalid_input, its detail naming the key that is unknown, missing
 * or of the wrong type (an unknown key only when it looks like a key name).
 */
int api_unpack(api_req *r, api_err *err, const char *fmt, ...);
/* api_unpack of j, a part of the body (an item of a list). */
int api_unpack_json(json_t *j, api_err *err, const char *fmt, ...);

#endif
