/* officer.c: a data protection officer's routes: the audit log, its verification, reports, emergency reviews. */
#include "api_private.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>


static void officer_audit(api_req *r, const char *action)
{
	char actor[POLICY_ID_MAX + 16];
	audit_entry e = {.actor = actor, .action = action};
	util_err err;

	snprintf(actor, sizeof actor, "officer:%s", r->caller.officer);
	if (audit_record(r->v, &e, NULL, &err) != 0)
		util_log(UTIL_LOG_ERROR, r->rid, "audit", "code=%s", util_code_name(err.code));
}

/* A string query argument of 1..max bytes; *bad names the first one that is not. */
static const char *query_str(api_req *r, const char *name, size_t max, const char **bad)
{
	const char *s = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);

	if (s != NULL && (strlen(s) == 0 || strlen(s) > max) && *bad == NULL)
		*bad = name;
	return s;
}

/* One page of an audit search: the entries' views, the last one's number, the names of their ids. */
typedef struct search_page {
	json_t *list;
	int64_t last;
	api_names names;
} search_page;

static int search_entry(void *arg, int64_t seq, const void *entry, size_t len, util_err *err)
{
	search_page *p = arg;
	json_t *e = api_entry_view(entry, len);

	(void)err;
	p->last = seq;
	if (e != NULL) {
		api_names_note(&p->names, e);
		json_array_append_new(p->list, e);
	}
	return 0;
}

int api_h_audit(api_req *r, api_err *err)
{
	const char *bad = NULL;
	const char *agency = query_str(r, "agency_id", POLICY_ID_MAX, &bad);
	const char *decision = query_str(r, "decision", 5, &bad);
	const char *action = query_str(r, "action", 40, &bad);
	int64_t from, to, after, limit;
	search_page p = {.last = -1};
	audit_query q;
	int more = 0;

	if (bad != NULL || (decision && strcmp(decision, "allow") != 0 && strcmp(decision, "deny") != 0))
		return api_fail(err, API_P_INVALID_INPUT, "query argument %s is empty, too long or not a value it takes",
		    bad != NULL ? bad : "decision");
	/* api_query_int fills err and returns -1 when an argument is malformed */
	if ((from = api_query_int(r, "from", 0, 0, INT64_MAX, err)) < 0 ||
	    (to = api_query_int(r, "to", INT64_MAX, 0, INT64_MAX, err)) < 0)
		return -1;
	if ((after = api_query_int(r, "after", -2, 0, INT64_MAX, err)) == -1 ||
	    (limit = api_query_int(r, "limit", 100, 1, 1000, err)) < 0)
		return -1;
	if (after == -2)
		after = -1; /* from the first entry */
	q = (audit_query){.after = after, .from = from, .to = to, .limit = limit, .agency_id = agency,
		.decision = decision, .action = action};
	if ((p.list = json_array()) == NULL)
		return api_fail(err, API_P_INTERNAL, "out of memory");
	api_names_init(&p.names, r->v);
	if (audit_search(r->v, &q, search_entry, &p, &more, &err->u) != 0) {
		api_names_free(&p.names);
		json_decref(p.list);
		return -1;
	}
	officer_audit(r, "audit.query");
	api_reply(r, 200, json_pack("{s:o, s:o, s:o}", "entries", p.list, "next", more ? json_integer(p.last) : json_null(),
	                     "names", api_names_view(&p.names)));
	api_names_free(&p.names);
	return 0;
}

int api_h_audit_verify(api_req *r, api_err *err)
{
	char note[AUDIT_CHECKPOINT_MAX] = "";
	audit_checkpoint c;
	audit_report rep;
	json_t *o;

	officer_audit(r, "audit.verify");
	if (audit_verify(r->v, &rep, &err->u) != 0)
		return -1;
	if (audit_latest_checkpoint(r->v, note, &c, &err->u) != 0)
		note[0] = '\0';
	o = json_pack("{s:b, s:I, s:I, s:s}", "ok", rep.ok, "entries", (json_int_t)rep.entries, "head",
	    (json_int_t)rep.head_size, "checkpoint", note);
	if (!rep.ok) {
		json_object_set_new(o, "problem", json_string(rep.problem));
		json_object_set_new(o, "first_bad_entry", json_integer(rep.first_bad));
	}
	api_reply(r, 200, o);
	return 0;
}

/* The access report's rows: one per agency and purpose, in order of first appearance. */
typedef struct report_rows {
	json_t *rows, *index; /* index: "agency purpose" -> row */
} report_rows;

static void count_in(json_t *row, const char *key)
{
	json_object_set_new(row, key, json_integer(json_integer_value(json_object_get(row, key)) + 1));
}

static int report_entry(void *arg, int64_t seq, const void *entry, size_t len, util_err *err)
{
	report_rows *rr = arg;
	json_t *e = json_loadb(entry, len, 0, NULL), *row;
	const char *agency, *purpose, *basis, *decision;
	char key[2 * POLICY_ID_MAX + 2];

	(void)seq;
	(void)err;
	if (e == NULL)
		return 0;
	agency = json_string_value(json_object_get(e, "agency"));
	purpose = json_string_value(json_object_get(e, "purpose"));
	basis = json_string_value(json_object_get(e, "basis"));
	decision = json_string_value(json_object_get(e, "decision"));
	snprintf(key, sizeof key, "%s %s", agency ? agency : "-", purpose ? purpose : "-");
	if ((row = json_object_get(rr->index, key)) == NULL) {
		row = json_pack("{s:s?, s:s?, s:i, s:i, s:{}}", "agency_id", agency, "purpose_id", purpose, "allowed", 0,
		    "denied", 0, "by_basis");
		json_array_append_new(rr->rows, row);
		json_object_set(rr->index, key, row);
	}
	if (decision && strcmp(decision, "allow") == 0) {
		count_in(row, "allowed");
		if (basis)
			count_in(json_object_get(row, "by_basis"), basis);
	} else {
		count_in(row, "denied");
	}
	json_decref(e);
	return 0;
}

int api_h_report(api_req *r, api_err *err)
{
	int64_t from = api_query_int(r, "from", 0, 0, INT64_MAX, err), to, after, limit, next;
	report_rows rr;
	json_t *page;
	int rc;

	/* its pages are runs of rows, in order of first appearance: the cursor is an offset */
	if (from < 0 || (to = api_query_int(r, "to", INT64_MAX, 0, INT64_MAX, err)) < 0 ||
	    api_page_args(r, 0, &after, &limit, err) != 0)
		return -1;
	rr.rows = json_array();
	rr.index = json_object();
	if (rr.rows == NULL || rr.index == NULL) {
		json_decref(rr.rows);
		json_decref(rr.index);
		return api_fail(err, API_P_INTERNAL, "out of memory");
	}
	rc = audit_report_lookups(r->v, from, to, report_entry, &rr, &err->u);
	json_decref(rr.index);
	if (rc != 0) {
		json_decref(rr.rows);
		return -1;
	}
	officer_audit(r, "report.access");
	page = api_page_slice(rr.rows, after, limit, &next);
	json_decref(rr.rows);
	api_reply(r, 200, json_pack("{s:I, s:I, s:o, s:o}", "from", (json_int_t)from, "to", (json_int_t)to, "rows", page,
	                     "next", api_page_next(next >= 0, next)));
	return 0;
}

/* A page of the emergency accesses as it is read, and the names of the ids their entries name. */
typedef struct review_page {
	json_t *list;
	int64_t last; /* the seq of the last access on the page, -1 before the first */
	api_names names;
} review_page;

static json_t *time_view(int64_t t)
{
	char when[21];

	util_iso8601(t, when);
	return json_string(when);
}

/*
 * Adds one emergency access to the page: its entry, its state, and for a decided one its
 * review; an entry that does not parse is left out, as before.
 */
static int add_review(void *arg, int64_t seq, const void *entry, size_t len, const policy_review_info *ri, util_err *err)
{
	review_page *p = arg;
	json_t *e = api_entry_view(entry, len), *item, *rv;

	(void)err;
	p->last = seq;
	if (e == NULL)
		return 0;
	api_names_note(&p->names, e);
	item = json_pack("{s:I, s:o, s:s}", "access_id", (json_int_t)seq, "entry", e, "state", ri ? "decided" : "pending");
	if (item != NULL && ri != NULL) {
		rv = json_pack("{s:s, s:s, s:o}", "outcome", ri->outcome, "reviewer", ri->officer, "reviewed_at",
		    time_view(ri->reviewed_at));
		if (rv != NULL && ri->note[0] != '\0')
			json_object_set_new(rv, "note", json_string(ri->note));
		json_object_set_new(item, "review", rv);
	}
	if (item != NULL)
		json_array_append_new(p->list, item);
	return 0;
}

/* ?state=pending (the default), decided or all into *st: 0, or -1 with err 400. */
static int review_state(api_req *r, policy_review_state *st, api_err *err)
{
	const char *bad = NULL, *s = query_str(r, "state", 8, &bad);

	*st = POLICY_REVIEWS_PENDING;
	if (s == NULL)
		return 0;
	if (bad == NULL && strcmp(s, "pending") == 0)
		return 0;
	if (bad == NULL && strcmp(s, "decided") == 0)
		*st = POLICY_REVIEWS_DECIDED;
	else if (bad == NULL && strcmp(s, "all") == 0)
		*st = POLICY_REVIEWS_ALL;
	else
		return api_fail(err, API_P_INVALID_INPUT, "query argument state must be pending, decided or all");
	return 0;
}

int api_h_reviews(api_req *r, api_err *err)
{
	review_page p = {.last = -1};
	policy_review_state st;
	int64_t after, limit;
	int more = 0, rc;

	if (review_state(r, &st, err) != 0 || api_page_args(r, -1, &after, &limit, err) != 0)
		return -1; /* err: the arguments */
	if ((p.list = json_array()) == NULL)
		return api_fail(err, API_P_INTERNAL, "out of memory");
	api_names_init(&p.names, r->v);
	rc = policy_reviews_list(r->v, st, after, limit, add_review, &p, &more, &err->u);
	if (rc != 0) {
		api_names_free(&p.names);
		json_decref(p.list);
		return api_fail(err, API_P_INTERNAL, "database");
	}
	officer_audit(r, "review.list");
	api_reply(r, 200, json_pack("{s:o, s:o, s:o}", "reviews", p.list, "next", api_page_next(more, p.last), "names",
	                     api_names_view(&p.names)));
	api_names_free(&p.names);
	return 0;
}

/* ---- the dashboard ---- */

/* A query argument "YYYY-MM-DD" (a UTC day) into *day (days since the epoch), def when absent: 0, or -1 with err 400. */
static int query_day(api_req *r, const char *name, int64_t def, int64_t *day, api_err *err)
{
	const char *s = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
	struct tm tm = {0};
	char back[11];
	time_t t;

	*day = def;
	if (s == NULL)
		return 0;
	if (strlen(s) == 10 && strspn(s, "0123456789-") == 10 && s[4] == '-' && s[7] == '-' &&
	    strptime(s, "%Y-%m-%d", &tm) != NULL && (t = timegm(&tm)) >= 0 &&
	    strftime(back, sizeof back, "%Y-%m-%d", gmtime_r(&t, &tm)) == 10 && strcmp(back, s) == 0) {
		*day = (int64_t)t / 86400;
		return 0;
	}
	return api_fail(err, API_P_INVALID_INPUT, "query argument %s must be a day as YYYY-MM-DD, from 1970-01-01", name);
}

int api_h_dashboard(api_req *r, api_err *err)
{
	int64_t today = util_now() / 86400, first, last;
	json_t *out;

	if (query_day(r, "to", today, &last, err) != 0 || query_day(r, "from", last - 29 < 0 ? 0 : last - 29, &first, err) != 0)
		return -1;
	if (last < first || last - first >= POLICY_DASHBOARD_DAYS)
		return api_fail(err, API_P_INVALID_INPUT, "from must not be after to, and the period at most %d days",
		    POLICY_DASHBOARD_DAYS);
	if (policy_dashboard(r->v, first, last, &out, &err->u) != 0)
		return -1;
	officer_audit(r, "report.dashboard");
	api_reply(r, 200, out);
	return 0;
}

/* The agency and purpose of the emergency access under review. */
typedef struct review_subject {
	char agency[POLICY_ID_MAX + 1], purpose[POLICY_ID_MAX + 1];
} review_subject;

static int note_subject(void *arg, int64_t seq, const void *entry, size_t len, util_err *err)
{
	review_subject *rs = arg;
	json_t *j = json_loadb(entry, len, 0, NULL);

	(void)seq;
	(void)err;
	snprintf(rs->agency, sizeof rs->agency, "%s", json_string_value(json_object_get(j, "agency")) ?: "");
	snprintf(rs->purpose, sizeof rs->purpose, "%s", json_string_value(json_object_get(j, "purpose")) ?: "");
	json_decref(j);
	return 0;
}

int api_h_review(api_req *r, api_err *err)
{
	const char *outcome, *note = NULL;
	review_subject rs = {"", ""};
	policy_review rv;
	char *end;
	long long seq = strtoll(r->params[0], &end, 10);

	if (api_unpack(r, err, "{s:s, s?s}", "outcome", &outcome, "note", &note) != 0)
		return -1;
	if (strcmp(outcome, "justified") != 0 && strcmp(outcome, "unjustified") != 0)
		return api_fail(err, API_P_INVALID_INPUT, "outcome must be justified or unjustified");
	if (note != NULL && strlen(note) > 1000)
		return api_fail(err, API_P_INVALID_INPUT, "note is at most 1000 bytes");
	if (*end != '\0' || seq < 0 || policy_emergency_get(r->v, seq, note_subject, &rs, &err->u) != 0)
		return api_fail(err, API_P_NOT_FOUND, "no such emergency access");
	rv = (policy_review){.seq = seq, .agency_id = rs.agency, .purpose_id = rs.purpose, .outcome = outcome,
		.note = note, .officer = r->caller.officer};
	if (policy_review_record(r->v, &rv, &err->u) != 0)
		return -1;
	api_reply(r, 200, json_pack("{s:I, s:s}", "access_id", (json_int_t)seq, "outcome", outcome));
	return 0;
}
