/* lockout.c: budgets of failed codes in memory, under one mutex: a slot is taken before a code is checked. */
#include "api_private.h"

#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROBE 16u /* slots looked at for one key: a lookup never walks further */

typedef struct rule {
	uint32_t window;
	unsigned limit;
} rule;

/* One table of budgets: slot i holds a key and its failures' times, ascending. */
typedef struct table {
	size_t cap;         /* a power of two */
	unsigned depth;     /* times kept per slot: the largest limit */
	uint32_t span;      /* the longest window: older times are dropped */
	const rule *rules;
	size_t nrules;
	unsigned char *keys;  /* cap × API_LOCK_KEY */
	unsigned char *owner; /* cap × API_LOCK_KEY: the identity of a pair (API_LOCK_PAIR only) */
	uint32_t *times;      /* cap × depth */
	uint16_t *n;          /* cap: 0 is an empty slot */
} table;

struct api_lockout {
	pthread_mutex_t mu;
	table t[API_LOCK_TABLES];
	table known; /* (identity, address) pairs that gave a good code, by pair key: the last time */
};

static const rule pair_rules[] = {{API_LOCK_WINDOW, API_LOCK_FAILURES}, {API_LOCK_DAY, API_LOCK_PAIR_DAY}};
static const rule ident_rules[] = {{API_LOCK_DAY, API_LOCK_IDENT_DAY}};
static const rule addr_rules[] = {{API_LOCK_WINDOW, API_LOCK_ADDR_FAILURES}};
static const rule known_rules[] = {{API_LOCK_KNOWN_TTL, 1}};

static int table_init(table *t, size_t cap, const rule *rules, size_t nrules, int owned)
{
	size_t i;

	t->cap = cap;
	t->rules = rules;
	t->nrules = nrules;
	for (i = 0; i < nrules; i++) {
		if (rules[i].limit > t->depth)
			t->depth = rules[i].limit;
		if (rules[i].window > t->span)
			t->span = rules[i].window;
	}
	t->keys = calloc(cap, API_LOCK_KEY);
	t->owner = owned ? calloc(cap, API_LOCK_KEY) : NULL;
	t->times = calloc(cap * t->depth, sizeof *t->times);
	t->n = calloc(cap, sizeof *t->n);
	return t->keys && (t->owner || !owned) && t->times && t->n ? 0 : -1;
}

static void table_free(table *t)
{
	free(t->keys);
	free(t->owner);
	free(t->times);
	free(t->n);
}

api_lockout *api_lockout_new(void)
{
	api_lockout *l = calloc(1, sizeof *l);

	if (l == NULL)
		return NULL;
	pthread_mutex_init(&l->mu, NULL);
	/* about 2.4, 6.8, 1.1 and 1.2 MB, touched only as they fill */
	if (table_init(&l->t[API_LOCK_PAIR], 1u << 15, pair_rules, 2, 1) != 0 ||
	    table_init(&l->t[API_LOCK_IDENT], 1u << 14, ident_rules, 1, 0) != 0 ||
	    table_init(&l->t[API_LOCK_ADDR], 1u << 13, addr_rules, 1, 0) != 0 ||
	    table_init(&l->known, 1u << 15, known_rules, 1, 1) != 0) {
		api_lockout_free(l);
		return NULL;
	}
	return l;
}

void api_lockout_free(api_lockout *l)
{
	int i;

	if (l == NULL)
		return;
	for (i = 0; i < API_LOCK_TABLES; i++)
		table_free(&l->t[i]);
	table_free(&l->known);
	pthread_mutex_destroy(&l->mu);
	free(l);
}

/* ---- keys ---- */

static void keyed(vault *v, const char *what, const void *m, size_t n, unsigned char out[API_LOCK_KEY])
{
	unsigned char buf[256], h[32];
	size_t w = strlen(what) + 1;

	if (n > sizeof buf - w)
		n = sizeof buf - w; /* labels are bounded well below this */
	memcpy(buf, what, w);
	memcpy(buf + w, m, n);
	vault_keyed_hash(v, KEYS_RING_LOCKOUT, buf, w + n, h);
	memcpy(out, h, API_LOCK_KEY);
	sodium_memzero(buf, sizeof buf);
	sodium_memzero(h, sizeof h);
}

/* The bytes that name an address: IPv4 whole (also when mapped into IPv6), IPv6 by its /64. */
static size_t addr_bytes(const struct sockaddr *sa, unsigned char out[9])
{
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	out[0] = 0;
	if (sa != NULL && sa->sa_family == AF_INET) {
		out[0] = 4;
		memcpy(out + 1, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
		return 5;
	}
	if (sa != NULL && sa->sa_family == AF_INET6) {
		const unsigned char *a = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr;

		if (memcmp(a, mapped, sizeof mapped) == 0) {
			out[0] = 4;
			memcpy(out + 1, a + 12, 4);
			return 5;
		}
		out[0] = 6;
		memcpy(out + 1, a, 8);
		return 9;
	}
	return 1;
}

void api_lockout_keys(vault *v, const char *label, const struct sockaddr *sa, api_lockout_slot *s)
{
	unsigned char a[9], pair[2 * API_LOCK_KEY];

	memset(s, 0, sizeof *s);
	keyed(v, "vaultd/lockout/ident", label, strlen(label), s->key[API_LOCK_IDENT]);
	keyed(v, "vaultd/lockout/addr", a, addr_bytes(sa, a), s->key[API_LOCK_ADDR]);
	memcpy(pair, s->key[API_LOCK_IDENT], API_LOCK_KEY);
	memcpy(pair + API_LOCK_KEY, s->key[API_LOCK_ADDR], API_LOCK_KEY);
	keyed(v, "vaultd/lockout/pair", pair, sizeof pair, s->key[API_LOCK_PAIR]);
}

/* ---- tables (the caller holds the mutex) ---- */

/* Seconds since at; 0 for a time ahead of now (the clock stepped back). */
static uint32_t age(uint32_t now, uint32_t at)
{
	return now >= at ? now - at : 0;
}

static uint32_t *times_of(table *t, size_t i)
{
	return t->times + i * t->depth;
}

/* Drops slot i's times older than the table's longest window. */
static void expire(table *t, size_t i, uint32_t now)
{
	uint32_t *ts = times_of(t, i);
	unsigned k = 0, n = t->n[i];

	while (k < n && age(now, ts[k]) >= t->span)
		k++;
	if (k > 0) {
		memmove(ts, ts + k, (n - k) * sizeof *ts);
		t->n[i] = (uint16_t)(n - k);
	}
}

/*
 * The slot holding key, or -1. With create, a slot for it: an empty one among the probed, else
 * the one whose last failure is the oldest (the least recently used budget is forgotten).
 */
static long find(table *t, const unsigned char *key, uint32_t now, int create)
{
	uint64_t h;
	size_t k, i, best = 0;
	uint32_t best_last = UINT32_MAX;

	memcpy(&h, key, sizeof h);
	for (k = 0; k < PROBE; k++) {
		uint32_t last;

		i = (size_t)(h + k) & (t->cap - 1);
		expire(t, i, now);
		if (t->n[i] > 0 && sodium_memcmp(t->keys + i * API_LOCK_KEY, key, API_LOCK_KEY) == 0)
			return (long)i;
		last = t->n[i] > 0 ? times_of(t, i)[t->n[i] - 1] : 0;
		if (last < best_last) {
			best_last = last;
			best = i;
		}
	}
	if (!create)
		return -1;
	t->n[best] = 0;
	memcpy(t->keys + best * API_LOCK_KEY, key, API_LOCK_KEY);
	return (long)best;
}

/* Seconds until slot i has room in every rule of its table; 0 if it has now. */
static int64_t wait_of(table *t, size_t i, uint32_t now)
{
	const uint32_t *ts = times_of(t, i);
	unsigned n = t->n[i], in;
	int64_t wait = 0, w;
	size_t r;

	for (r = 0; r < t->nrules; r++) {
		for (in = 0; in < n && age(now, ts[n - 1 - in]) < t->rules[r].window; in++)
			;
		if (in < t->rules[r].limit)
			continue;
		/* the oldest time still in this window frees the next slot */
		w = (int64_t)t->rules[r].window - age(now, ts[n - in]);
		if (w > wait)
			wait = w;
	}
	return wait;
}

static void push(table *t, size_t i, uint32_t at)
{
	uint32_t *ts = times_of(t, i);

	if (t->n[i] == t->depth) { /* cannot happen while the rules are checked first; stay bounded anyway */
		memmove(ts, ts + 1, (t->depth - 1u) * sizeof *ts);
		t->n[i]--;
	}
	ts[t->n[i]++] = at;
}

/* Removes one time equal to at from slot i, the newest such. */
static void pull(table *t, size_t i, uint32_t at)
{
	uint32_t *ts = times_of(t, i);
	unsigned k = t->n[i];

	while (k > 0 && ts[k - 1] != at)
		k--;
	if (k == 0)
		return;
	memmove(ts + k - 1, ts + k, (t->n[i] - k) * sizeof *ts);
	t->n[i]--;
}

/* ---- budgets ---- */

int api_lockout_reserve(api_lockout *l, api_lockout_slot *s, int64_t *retry_after)
{
	uint32_t now = (uint32_t)util_now();
	int64_t wait = 0, w;
	unsigned use = (1u << API_LOCK_TABLES) - 1u;
	long i;
	int j;

	pthread_mutex_lock(&l->mu);
	/* a pair that gave a good code before is held to its own budget, not the identity's */
	if (find(&l->known, s->key[API_LOCK_PAIR], now, 0) >= 0)
		use &= ~(1u << API_LOCK_IDENT);
	for (j = 0; j < API_LOCK_TABLES; j++)
		if ((use & (1u << j)) && (i = find(&l->t[j], s->key[j], now, 0)) >= 0 &&
		    (w = wait_of(&l->t[j], (size_t)i, now)) > wait)
			wait = w;
	s->taken = wait == 0 ? use : 0;
	for (j = 0; j < API_LOCK_TABLES; j++)
		if (s->taken & (1u << j)) {
			i = find(&l->t[j], s->key[j], now, 1);
			push(&l->t[j], (size_t)i, now);
			if (l->t[j].owner != NULL)
				memcpy(l->t[j].owner + (size_t)i * API_LOCK_KEY, s->key[API_LOCK_IDENT], API_LOCK_KEY);
		}
	pthread_mutex_unlock(&l->mu);
	s->at = now;
	*retry_after = wait;
	return wait > 0 ? -1 : 0;
}

static void give_back(api_lockout *l, const api_lockout_slot *s, int good)
{
	uint32_t now = (uint32_t)util_now();
	long i;
	int j;

	pthread_mutex_lock(&l->mu);
	for (j = 0; j < API_LOCK_TABLES; j++)
		if ((s->taken & (1u << j)) && (i = find(&l->t[j], s->key[j], now, 0)) >= 0)
			pull(&l->t[j], (size_t)i, s->at);
	if (good) { /* the pair is known from now: its last good code's time */
		i = find(&l->known, s->key[API_LOCK_PAIR], now, 1);
		l->known.n[i] = 0;
		push(&l->known, (size_t)i, now);
		memcpy(l->known.owner + (size_t)i * API_LOCK_KEY, s->key[API_LOCK_IDENT], API_LOCK_KEY);
	}
	pthread_mutex_unlock(&l->mu);
}

void api_lockout_release(api_lockout *l, const api_lockout_slot *s)
{
	give_back(l, s, 0);
}

void api_lockout_success(api_lockout *l, const api_lockout_slot *s)
{
	give_back(l, s, 1);
}

/* Empties every entry of t owned by identity key ident. */
static void forget_owned(table *t, const unsigned char *ident)
{
	size_t i;

	for (i = 0; i < t->cap; i++)
		if (t->n[i] > 0 && sodium_memcmp(t->owner + i * API_LOCK_KEY, ident, API_LOCK_KEY) == 0)
			t->n[i] = 0;
}

void api_lockout_clear(api_lockout *l, vault *v, const char *label)
{
	api_lockout_slot s;
	uint32_t now = (uint32_t)util_now();
	long k;

	api_lockout_keys(v, label, NULL, &s);
	pthread_mutex_lock(&l->mu);
	if ((k = find(&l->t[API_LOCK_IDENT], s.key[API_LOCK_IDENT], now, 0)) >= 0)
		l->t[API_LOCK_IDENT].n[k] = 0;
	/* the old authenticator's pairs are known no more: it may be the thief's address */
	forget_owned(&l->t[API_LOCK_PAIR], s.key[API_LOCK_IDENT]);
	forget_owned(&l->known, s.key[API_LOCK_IDENT]);
	pthread_mutex_unlock(&l->mu);
}

/* ---- the answers of an attempt ---- */

/* One failure for the identity's own log, written by the audit writer later: the answer waits for nothing. */
typedef struct note {
	audit_entry e;
	char actor[POLICY_ID_MAX + 16];
	unsigned char cid[KEYS_CID_BYTES];
} note;

static void note_done(void *ctx, int rc, int64_t seq, const util_err *err)
{
	(void)seq;
	if (rc != 0)
		fprintf(stderr, "{\"level\":\"error\",\"msg\":\"audit\",\"code\":\"%s\"}\n",
		    util_code_name(err ? err->code : UTIL_EIO));
	free(ctx);
}

static void note_failure(api_req *r, const char *actor, const unsigned char *cid)
{
	note *n = calloc(1, sizeof *n);
	util_err err;

	if (n == NULL)
		return;
	snprintf(n->actor, sizeof n->actor, "%s", actor);
	n->e.actor = n->actor;
	/* a login has no caller yet; a step-up comes from the citizen's session */
	n->e.action = r->caller.kind == API_NONE ? "auth.login_failed" : "auth.step_up_failed";
	if (cid != NULL) {
		memcpy(n->cid, cid, KEYS_CID_BYTES);
		n->e.cid = n->cid;
	}
	/* not now: the writer's work would make a known identity's wrong code slower than an unknown one's */
	if (audit_writer_submit_later(r->srv->writer, &n->e, note_done, n, &err) != 0)
		free(n);
}

int api_lockout_take(api_req *r, const char *label, api_lockout_slot *slot)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	int64_t wait;

	api_lockout_keys(r->v, label, ci ? ci->client_addr : NULL, slot);
	if (api_lockout_reserve(r->srv->lockout, slot, &wait) == 0)
		return 0;
	r->retry_after = wait;
	api_problem(r, 429, "rate_limited", "too many failed codes: try again once Retry-After has passed");
	return -1;
}

int api_lockout_wrong(api_req *r, const char *actor, const unsigned char *cid)
{
	if (actor != NULL)
		note_failure(r, actor, cid);
	api_problem(r, 401, "invalid_totp", "the code is wrong, expired or already used");
	return -1;
}

int api_lockout_storage(const util_err *err)
{
	return err->code == UTIL_ENOSPC || err->code == UTIL_EIO || err->code == UTIL_EBUSY;
}

int api_lockout_unavailable(api_req *r, const api_lockout_slot *slot, const util_err *err)
{
	api_lockout_release(r->srv->lockout, slot);
	if (err->code == UTIL_ENOSPC)
		api_problem(r, 503, "storage_full", "the vault's disk is full: nothing was written");
	else if (err->code == UTIL_EBUSY)
		api_problem(r, 503, "busy", "the vault is busy: try again");
	else
		api_problem(r, 503, "storage_unavailable", "the vault's storage cannot be written: nothing was written");
	return -1;
}
