/* agency.c: a consumer agency's routes: consent requests, the lookup, and a batch of lookups. */
#include "api_private.h"

#include <stdlib.h>
#include <string.h>

/* A consent request, kept across the suspension in r->state while the group commit writes it. */
typedef struct request_new {
	const char *nid, *purpose, *names[POLICY_MAX_FIELDS]; /* point into r->json */
	size_t n;
	int days;
	char id[POLICY_ID_MAX + 1];
} request_new;

static void request_new_free(void *p)
{
	request_new *q = p;

	sodium_memzero(q, sizeof *q);
	free(q);
}

/* The group's thread: the request, as a unit of the group commit. */
static int request_unit(api_req *r, vault *v, api_err *err)
{
	request_new *q = r->state;

	if (policy_request_create(v, r->caller.agency.id, q->purpose, q->nid, q->names, q->n, q->days, q->id, &err->u) == 0)
		return 0;
	if (err->u.code == UTIL_ENOTFOUND)
		return api_fail(err, API_P_INVALID_INPUT, "no such purpose for this agency");
	if (err->u.code == UTIL_ESTATE) /* the cap: alike whoever the ID is */
		return api_fail(err, API_P_TOO_MANY_PENDING_REQUESTS, "%s", err->u.msg);
	return -1;
}

/* Answered once the request is durable. */
static int request_done(api_req *r, api_err *err)
{
	request_new *q = r->state;

	if (r->change.rc != 0) {
		*err = r->change.err;
		return -1;
	}
	api_reply(r, 202, json_pack("{s:s, s:s}", "id", q->id, "status", "pending"));
	return 0;
}

int api_h_request_create(api_req *r, api_err *err)
{
	request_new *q;
	json_t *fields = NULL;
	json_int_t days;

	if ((q = calloc(1, sizeof *q)) == NULL)
		return api_fail(err, API_P_INTERNAL, "out of memory");
	r->state = q;
	r->state_free = request_new_free;
	if (api_unpack(r, err, "{s:s, s:s, s?o, s:I}", "national_id", &q->nid, "purpose", &q->purpose, "fields", &fields,
	        "days", &days) != 0 ||
	    api_name_list(fields, q->names, &q->n, "fields is empty: name a field, or leave fields out for the purpose's",
	        err) != 0)
		return -1;
	if (days < 1 || days > 3650)
		return api_fail(err, API_P_INVALID_INPUT, "days must be 1..the purpose's max_days");
	q->days = (int)days;
	api_suspend_for_change(r, request_unit, request_done);
	return 0;
}

int api_h_request_get(api_req *r, api_err *err)
{
	char status[16];

	if (policy_request_status(r->v, r->caller.agency.id, r->params[0], status, &err->u) != 0)
		return -1;
	api_reply(r, 200, json_pack("{s:s, s:s}", "id", r->params[0], "status", status));
	return 0;
}

/*
 * A lookup waiting for its audit entry to be durable: what the continuation needs, in the
 * request's state slot (r->state) from the handler until the request ends.
 */
typedef struct lookup_wait {
	policy_lookup l; /* its entry points into l and into names: the wait is never copied */
	const char *names[POLICY_MAX_FIELDS];
	util_err failed; /* a lookup that failed: the error to answer once its entry is written */
} lookup_wait;

/* The request's end: whatever the lookup read and never sent is wiped. */
static void lookup_wait_free(void *p)
{
	lookup_wait *w = p;

	policy_lookup_clear(&w->l);
	sodium_memzero(w, sizeof *w);
	free(w);
}

/*
 * A lookup's body ({national_id, purpose, fields?, justification?}) into a, its field names
 * into names: -1 (err) when it is bad input, refused before anything is decided or logged.
 */
static int lookup_parse(api_req *r, json_t *body, const char **names, policy_lookup_ask *a, api_err *err)
{
	const char *just = NULL;
	json_t *fields = NULL;

	if (api_unpack_json(body, err, "{s:s, s:s, s?o, s?s}", "national_id", &a->nid, "purpose", &a->code, "fields",
	        &fields, "justification", &just) != 0 ||
	    api_name_list(fields, names, &a->nfields, "fields is empty: name a field, or leave fields out for the consented",
	        err) != 0)
		return -1;
	if (just != NULL && strlen(just) > POLICY_JUSTIFICATION_MAX)
		return api_fail(err, API_P_INVALID_INPUT, "justification is at most 500 bytes");
	/* refused before anything is decided or logged: free text reaches an access log only where the law asks for it */
	if (just != NULL && policy_justification_check(r->v, &r->caller.agency, a->code, just, &err->u) != 0) {
		if (err->u.code == UTIL_EINVAL)
			return api_fail(err, API_P_JUSTIFICATION_NOT_ACCEPTED, "%s", err->u.msg);
		return -1;
	}
	a->fields = names;
	a->justification = just;
	return 0;
}

/*
 * One lookup of body: policy decides, the vault releases what is granted, in one snapshot,
 * and policy builds the entry into w. 0: decided (w->l.d says how; its entry still to be
 * written unless w->l.seq > 0); 1: it was understood but failed (storage, a record that does
 * not decrypt): w->failed, and its entry, still an access attempt, is to be written before the
 * error goes back; -1: bad input, err filled, nothing decided or logged.
 */
static int lookup_prepare(api_req *r, json_t *body, lookup_wait *w, api_err *err)
{
	policy_lookup_ask a = {0};

	if (lookup_parse(r, body, w->names, &a, err) != 0)
		return -1;
	if (policy_lookup_prepare(r->v, &r->caller.agency, a.code, a.nid, a.fields, a.nfields, a.justification, util_now(),
	        &w->l, &err->u) != 0) {
		if (err->u.code == UTIL_EINVAL)
			return -1;
		w->failed = err->u;
		return 1;
	}
	return 0;
}

/*
 * A decided lookup whose entry is durable as seq: the answer's body, which takes the released
 * fields from w; NULL with err (not_permitted) when it was denied. Counts the decision.
 */
static json_t *lookup_answer(api_req *r, lookup_wait *w, int64_t seq, api_err *err)
{
	json_t *out, *withheld;
	char pseudonym[33];
	size_t i;

	atomic_fetch_add(w->l.d.allow ? &r->srv->decisions_allow : &r->srv->decisions_deny, 1);
	if (!w->l.d.allow) {
		policy_lookup_clear(&w->l);
		api_fail(err, API_P_NOT_PERMITTED, "not permitted");
		return NULL;
	}
	out = w->l.fields; /* the reply takes it, and frees it (wiped) once serialized */
	w->l.fields = NULL;
	withheld = json_array();
	for (i = 0; i < w->l.d.nwithheld; i++)
		json_array_append_new(withheld, json_string(w->l.d.withheld[i]));
	policy_pseudonym(r->v, r->caller.agency.id, w->l.cid, pseudonym);
	return json_pack("{s:s, s:o, s:o, s:s, s:s?, s:I}", "citizen_id", pseudonym, "fields", out, "withheld", withheld,
	    "basis", policy_basis_name(w->l.d.basis), "consent_id", w->l.d.consent_id[0] ? w->l.d.consent_id : NULL,
	    "access_id", (json_int_t)seq);
}

/*
 * The second half of a lookup: its audit entry is durable (or failed). Now, and only now, send
 * what lookup_prepare read; on every other path drop it unsent.
 */
static int lookup_finish(api_req *r, api_err *err)
{
	lookup_wait *w = r->state;
	json_t *out;

	if (r->audit.rc != 0) {
		policy_lookup_clear(&w->l);
		return api_fail_util(err, &r->audit.err);
	}
	if ((out = lookup_answer(r, w, r->audit.seq, err)) == NULL)
		return -1;
	api_reply(r, 200, out);
	return 0;
}

/* A failed lookup's entry is written (by the same writer): now its error goes back. */
static int lookup_failed(api_req *r, api_err *err)
{
	lookup_wait *w = r->state;

	if (r->audit.rc != 0)
		util_log(UTIL_LOG_ERROR, r->rid, "a failed lookup could not be logged", "code=%s",
		    util_code_name(r->audit.err.code));
	return api_fail_util(err, &w->failed);
}

/*
 * A lookup: lookup_prepare; the group-commit writer makes the entry durable while the
 * connection is suspended (no worker thread waits on the disk), then lookup_finish sends it.
 * Nothing is sent before the entry is durable; lookup_wait_free drops what a request never
 * sent. A use-limited consent's entry is already durable, written with its use. A failed
 * lookup's entry goes through the same writer before its error goes back.
 */
int api_h_lookup(api_req *r, api_err *err)
{
	lookup_wait *w;
	int rc;

	if ((w = calloc(1, sizeof *w)) == NULL)
		return api_fail(err, API_P_INTERNAL, "out of memory");
	r->state = w;
	r->state_free = lookup_wait_free;
	if ((rc = lookup_prepare(r, r->json, w, err)) < 0)
		return -1;
	if (rc > 0) {
		api_suspend_for_audit(r, &w->l.entry, lookup_failed);
		return 0;
	}
	if (w->l.seq > 0) { /* written with the consent's use */
		r->audit.rc = 0;
		r->audit.seq = w->l.seq;
		return lookup_finish(r, err);
	}
	api_suspend_for_audit(r, &w->l.entry, lookup_finish);
	return 0;
}

/* ---- a batch of lookups: POST /v1/lookups ---- */

#define BATCH_MAX POLICY_BATCH_MAX

enum { ITEM_BAD, ITEM_FAILED, ITEM_DECIDED };

typedef struct lookup_batch lookup_batch;

/* One lookup of a batch: prepared like a single one, in the batch's snapshot, its entry written on its own. */
typedef struct batch_item {
	lookup_wait w;
	lookup_batch *b;
	policy_lookup_ask ask; /* what policy decides it on, and how it ended */
	int state;     /* ITEM_*: how its preparing ended */
	api_err bad;   /* ITEM_BAD: the problem it is answered with (no entry) */
	int rc;        /* what the writer said of its entry: rc, seq, werr */
	int64_t seq;
	util_err werr;
} batch_item;

struct lookup_batch {
	api_req *r;
	atomic_size_t pending; /* entries not yet durable, plus one while they are being submitted */
	policy_lookup_batch pb;
	size_t n;
	batch_item it[];
};

static void batch_free(void *p)
{
	lookup_batch *b = p;
	size_t i;

	for (i = 0; i < b->n; i++)
		policy_lookup_clear(&b->it[i].w.l);
	sodium_memzero(b, sizeof *b + b->n * sizeof b->it[0]);
	free(b);
}

/* The writer's thread: one item's entry is durable (or failed); the last one wakes the request. */
static void batch_item_done(void *ctx, int rc, int64_t seq, const util_err *err)
{
	batch_item *it = ctx;
	lookup_batch *b = it->b;

	it->rc = rc;
	it->seq = seq;
	if (err != NULL)
		it->werr = *err;
	if (atomic_fetch_sub(&b->pending, 1) == 1)
		api_resume(b->r);
}

/* Item i's answer, as a single lookup would have answered: its body, or its problem's. */
static json_t *batch_answer(api_req *r, batch_item *it)
{
	api_err e = {0};
	json_t *out;

	if (it->state == ITEM_BAD)
		return api_problem_json(&it->bad);
	if (it->state == ITEM_FAILED) {
		if (it->rc != 0)
			util_log(UTIL_LOG_ERROR, r->rid, "a failed lookup could not be logged", "code=%s",
			    util_code_name(it->werr.code));
		api_fail_util(&e, &it->w.failed);
		return api_problem_json(&e);
	}
	if (it->rc != 0) {
		policy_lookup_clear(&it->w.l);
		api_fail_util(&e, &it->werr);
		return api_problem_json(&e);
	}
	if ((out = lookup_answer(r, &it->w, it->seq, &e)) == NULL)
		return api_problem_json(&e);
	return out;
}

/* Every entry of the batch is durable (or failed): each item's answer, in the order asked. */
static int batch_finish(api_req *r, api_err *err)
{
	lookup_batch *b = r->state;
	json_t *results = json_array();
	size_t i;

	if (results == NULL)
		return api_fail(err, API_P_INTERNAL, "out of memory");
	for (i = 0; i < b->n; i++)
		json_array_append_new(results, batch_answer(r, &b->it[i]));
	api_reply(r, 200, json_pack("{s:o}", "results", results));
	return 0;
}

/* Submits item it's entry to the writer, or notes it durable already; counted in b->pending. */
static void batch_submit(api_req *r, batch_item *it, int stopping, const util_err *why)
{
	util_err e;

	if (it->state == ITEM_BAD)
		return;
	if (it->state == ITEM_DECIDED && it->w.l.seq > 0) { /* written with the consent's use */
		it->seq = it->w.l.seq;
		return;
	}
	if (stopping) {
		it->rc = -1;
		it->werr = *why;
		return;
	}
	atomic_fetch_add(&it->b->pending, 1);
	if (audit_writer_submit(r->srv->writer, &it->w.l.entry, batch_item_done, it, &e) != 0) {
		it->rc = -1;
		it->werr = e;
		atomic_fetch_sub(&it->b->pending, 1);
	}
}

/*
 * Every item of the batch prepared as lookup_prepare would a single lookup, but in one read
 * snapshot for all (policy_lookup_batch_*), which ends before any entry goes to the writer.
 */
static void batch_prepare(api_req *r, lookup_batch *b, json_t *items)
{
	size_t i;

	policy_lookup_batch_begin(&b->pb, r->v, &r->caller.agency, util_now());
	for (i = 0; i < b->n; i++) {
		batch_item *it = &b->it[i];

		it->b = b;
		it->ask.l = &it->w.l;
		it->state = ITEM_BAD;
		if (lookup_parse(r, json_array_get(items, i), it->w.names, &it->ask, &it->bad) == 0) {
			(void)policy_lookup_batch_item(&b->pb, &it->ask);
			it->state = ITEM_DECIDED;
		}
	}
	policy_lookup_batch_end(&b->pb); /* the uses are spent: each item's outcome is final */
	for (i = 0; i < b->n; i++) {
		batch_item *it = &b->it[i];

		if (it->state == ITEM_BAD || it->ask.rc == 0)
			continue;
		if (it->ask.err.code == UTIL_EINVAL) {
			it->state = ITEM_BAD;
			it->bad = (api_err){.u = it->ask.err};
		} else {
			it->state = ITEM_FAILED;
			it->w.failed = it->ask.err;
		}
	}
}

/*
 * Up to BATCH_MAX lookups in one request, each decided, logged and answered as a single lookup
 * would be: their entries go to the group-commit writer together, and the answer, sent once
 * all are durable, lists each lookup's answer (its body, or its problem) in the order asked.
 */
int api_h_lookups(api_req *r, api_err *err)
{
	lookup_batch *b;
	json_t *items;
	util_err why;
	size_t i, n;
	int stopping;

	if (api_unpack(r, err, "{s:o}", "lookups", &items) != 0)
		return -1;
	if (!json_is_array(items) || (n = json_array_size(items)) == 0 || n > BATCH_MAX)
		return api_fail(err, API_P_INVALID_INPUT, "lookups must be a list of 1 to 100 lookups");
	if ((b = calloc(1, sizeof *b + n * sizeof b->it[0])) == NULL)
		return api_fail(err, API_P_INTERNAL, "out of memory");
	b->r = r;
	b->n = n;
	r->state = b;
	r->state_free = batch_free;
	batch_prepare(r, b, items);
	atomic_store(&b->pending, 1); /* held until every entry is submitted */
	stopping = api_suspend(r, batch_finish, &why) != 0;
	for (i = 0; i < n; i++)
		batch_submit(r, &b->it[i], stopping, &why);
	if (atomic_fetch_sub(&b->pending, 1) == 1)
		api_resume(r);
	return 0;
}
