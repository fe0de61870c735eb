/*
 * emergency.c: the emergency accesses officers review. An emergency access is an allowed
 * lookup on the vital-interest basis: an entry of the audit log (audit's), which policy's
 * reviews table answers or not. Each module reads its own table: audit walks the accesses,
 * policy leaves out the reviewed ones.
 */
#include "policy_private.h"

#define EMERGENCY_BASIS "vital_interest"

/* A walk over the accesses no officer reviewed yet. */
typedef struct pending_walk {
	vault *v;
	int64_t limit, taken; /* limit < 0: count only */
	int more;
	audit_report_entry_fn fn;
	void *arg;
} pending_walk;

static int pending_one(void *arg, int64_t seq, const void *entry, size_t len, util_err *err)
{
	pending_walk *w = arg;
	int reviewed;

	if (policy_review_exists(w->v, seq, &reviewed, err) != 0)
		return -1;
	if (reviewed)
		return 0;
	if (w->limit >= 0 && w->taken >= w->limit) {
		w->more = 1; /* one more: there is a next page; the walk stops here */
		return 1;
	}
	w->taken++;
	return w->fn == NULL ? 0 : w->fn(w->arg, seq, entry, len, err) == 0 ? 0 : -1;
}

int policy_emergency_pending_count(vault *v, int64_t *n, util_err *err)
{
	pending_walk w = {.v = v, .limit = -1};

	*n = 0;
	if (audit_allowed_on_basis(v, EMERGENCY_BASIS, -1, pending_one, &w, err) != 0)
		return -1;
	*n = w.taken;
	return 0;
}

int policy_emergency_pending(vault *v, int64_t after, int64_t limit, audit_report_entry_fn fn, void *arg, int *more,
    util_err *err)
{
	pending_walk w = {.v = v, .limit = limit, .fn = fn, .arg = arg};
	int rc;

	rc = audit_allowed_on_basis(v, EMERGENCY_BASIS, after, pending_one, &w, err);
	*more = w.more;
	return rc;
}

int policy_emergency_get(vault *v, int64_t seq, audit_report_entry_fn fn, void *arg, util_err *err)
{
	if (audit_allowed_on_basis_get(v, EMERGENCY_BASIS, seq, fn, arg, err) == 0)
		return 0;
	if (err->code == UTIL_ENOTFOUND)
		return util_fail(err, UTIL_ENOTFOUND, "no such emergency access");
	return -1;
}
