/*
 * reviews.c: the emergency accesses as officers list them: pending, decided or all, each with
 * its review. Each module reads its own table: audit walks the accesses (allowed lookups on
 * the vital-interest basis), policy's reviews say which are decided and how.
 */
#include "policy_private.h"

/* A page's walk: its limit, how many it took, whether more follow, and where each goes. */
typedef struct list_walk {
	vault *v;
	int64_t limit, taken;
	int more;
	policy_access_fn fn;
	void *arg;
	/* the decided walk: the entry of the access under review */
	const policy_review_info *ri;
} list_walk;

/* Takes one access onto the page: 1 when the page is full (and so more follow), else fn's answer. */
static int take(list_walk *w, int64_t seq, const void *entry, size_t len, const policy_review_info *ri, util_err *err)
{
	if (w->taken >= w->limit) {
		w->more = 1;
		return 1;
	}
	w->taken++;
	return w->fn(w->arg, seq, entry, len, ri, err) == 0 ? 0 : -1;
}

/* The walk over every access, each with its review if it has one. */
static int each_access(void *arg, int64_t seq, const void *entry, size_t len, util_err *err)
{
	list_walk *w = arg;
	policy_review_info ri;

	if (policy_store_review_load(w->v, seq, &ri, err) == 0)
		return take(w, seq, entry, len, &ri, err);
	if (err->code != UTIL_ENOTFOUND)
		return -1;
	return take(w, seq, entry, len, NULL, err);
}

/* The queue (emergency.c pages it): each access as pending. */
static int each_pending(void *arg, int64_t seq, const void *entry, size_t len, util_err *err)
{
	list_walk *w = arg;

	return w->fn(w->arg, seq, entry, len, NULL, err);
}

/* The decided walk, second step: the access's entry, with the review in hand. */
static int decided_entry(void *arg, int64_t seq, const void *entry, size_t len, util_err *err)
{
	list_walk *w = arg;

	return take(w, seq, entry, len, w->ri, err);
}

/* The decided walk: each review in order of seq, and its access's entry from the log. */
static int each_review(void *arg, int64_t seq, const policy_review_info *ri, util_err *err)
{
	list_walk *w = arg;
	int rc;

	if (w->taken >= w->limit) {
		w->more = 1;
		return 1;
	}
	w->ri = ri;
	rc = audit_allowed_on_basis_get(w->v, policy_basis_name(POLICY_BASIS_VITAL_INTEREST), seq, decided_entry, w, err);
	if (rc != 0 && err->code == UTIL_ENOTFOUND)
		return 0; /* a review of no emergency access: nothing to show */
	return rc;
}

int policy_reviews_list(vault *v, policy_review_state state, int64_t after, int64_t limit, policy_access_fn fn,
    void *arg, int *more, util_err *err)
{
	list_walk w = {.v = v, .limit = limit, .fn = fn, .arg = arg};
	int rc;

	*more = 0;
	if (state == POLICY_REVIEWS_PENDING)
		return policy_emergency_pending(v, after, limit, each_pending, &w, more, err);
	if (vault_read_begin(v, err) != 0)
		return -1;
	if (state == POLICY_REVIEWS_DECIDED)
		rc = policy_store_reviews_after(v, after, each_review, &w, err);
	else
		rc = audit_allowed_on_basis(v, policy_basis_name(POLICY_BASIS_VITAL_INTEREST), after, each_access, &w, err);
	vault_read_end(v);
	*more = w.more;
	return rc;
}
