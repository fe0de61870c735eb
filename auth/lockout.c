/* lockout.c: budgets of failed codes in memory, under one mutex: a slot is taken before a code is checked. */
#include "auth.h"

#include <netinet/in.h>
#include <pthread.h>
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
	unsigned char *keys;  /* cap × AUTH_LOCK_KEY */
	unsigned char *owner; /* cap × AUTH_LOCK_KEY: the identity of a pair (AUTH_LOCK_PAIR only) */
	uint32_t *times;      /* cap × depth */
	uint16_t *n;          /* cap: 0 is an empty slot */
} table;

struct auth_lockout {
	pthread_mutex_t mu;
	table t[AUTH_LOCK_TABLES];
	table known; /* (identity, address) pairs that gave a good code, by pair key: the last time */
};

static const rule pair_rules[] = {{AUTH_LOCK_WINDOW, AUTH_LOCK_FAILURES}, {AUTH_LOCK_DAY, AUTH_LOCK_PAIR_DAY}};
static const rule ident_rules[] = {{AUTH_LOCK_DAY, AUTH_LOCK_IDENT_DAY}};
static const rule addr_rules[] = {{AUTH_LOCK_WINDOW, AUTH_LOCK_ADDR_FAILURES}};
static const rule known_rules[] = {{AUTH_LOCK_KNOWN_TTL, 1}};

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
	t->keys = calloc(cap, AUTH_LOCK_KEY);
	t->owner = owned ? calloc(cap, AUTH_LOCK_KEY) : NULL;
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

auth_lockout *auth_lockout_new(void)
{
	auth_lockout *l = calloc(1, sizeof *l);

	if (l == NULL)
		return NULL;
	pthread_mutex_init(&l->mu, NULL);
	/* about 2.4, 6.8, 1.1 and 1.2 MB, touched only as they fill */
	if (table_init(&l->t[AUTH_LOCK_PAIR], 1u << 15, pair_rules, 2, 1) != 0 ||
	    table_init(&l->t[AUTH_LOCK_IDENT], 1u << 14, ident_rules, 1, 0) != 0 ||
	    table_init(&l->t[AUTH_LOCK_ADDR], 1u << 13, addr_rules, 1, 0) != 0 ||
	    table_init(&l->known, 1u << 15, known_rules, 1, 1) != 0) {
		auth_lockout_free(l);
		return NULL;
	}
	return l;
}

void auth_lockout_free(auth_lockout *l)
{
	int i;

	if (l == NULL)
		return;
	for (i = 0; i < AUTH_LOCK_TABLES; i++)
		table_free(&l->t[i]);
	table_free(&l->known);
	pthread_mutex_destroy(&l->mu);
	free(l);
}

/* ---- keys ---- */

static void keyed(vault *v, const char *what, const void *m, size_t n, unsigned char out[AUTH_LOCK_KEY])
{
	unsigned char buf[256], h[32];
	size_t w = strlen(what) + 1;

	if (n > sizeof buf - w)
		n = sizeof buf - w; /* labels are bounded well below this */
	memcpy(buf, what, w);
	memcpy(buf + w, m, n);
	vault_keyed_hash(v, KEYS_RING_LOCKOUT, buf, w + n, h);
	memcpy(out, h, AUTH_LOCK_KEY);
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

void auth_lockout_keys(vault *v, const char *label, const struct sockaddr *sa, auth_lockout_slot *s)
{
	unsigned char a[9], pair[2 * AUTH_LOCK_KEY];

	memset(s, 0, sizeof *s);
	keyed(v, "vaultd/lockout/ident", label, strlen(label), s->key[AUTH_LOCK_IDENT]);
	keyed(v, "vaultd/lockout/addr", a, addr_bytes(sa, a), s->key[AUTH_LOCK_ADDR]);
	memcpy(pair, s->key[AUTH_LOCK_IDENT], AUTH_LOCK_KEY);
	memcpy(pair + AUTH_LOCK_KEY, s->key[AUTH_LOCK_ADDR], AUTH_LOCK_KEY);
	keyed(v, "vaultd/lockout/pair", pair, sizeof pair, s->key[AUTH_LOCK_PAIR]);
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
		if (t->n[i] > 0 && sodium_memcmp(t->keys + i * AUTH_LOCK_KEY, key, AUTH_LOCK_KEY) == 0)
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
	memcpy(t->keys + best * AUTH_LOCK_KEY, key, AUTH_LOCK_KEY);
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

int auth_lockout_reserve(auth_lockout *l, auth_lockout_slot *s, int64_t *retry_after)
{
	uint32_t now = (uint32_t)util_now();
	int64_t wait = 0, w;
	unsigned use = (1u << AUTH_LOCK_TABLES) - 1u;
	long i;
	int j;

	pthread_mutex_lock(&l->mu);
	/* a pair that gave a good code before is held to its own budget, not the identity's */
	if (find(&l->known, s->key[AUTH_LOCK_PAIR], now, 0) >= 0)
		use &= ~(1u << AUTH_LOCK_IDENT);
	for (j = 0; j < AUTH_LOCK_TABLES; j++)
		if ((use & (1u << j)) && (i = find(&l->t[j], s->key[j], now, 0)) >= 0 &&
		    (w = wait_of(&l->t[j], (size_t)i, now)) > wait)
			wait = w;
	s->taken = wait == 0 ? use : 0;
	for (j = 0; j < AUTH_LOCK_TABLES; j++)
		if (s->taken & (1u << j)) {
			i = find(&l->t[j], s->key[j], now, 1);
			push(&l->t[j], (size_t)i, now);
			if (l->t[j].owner != NULL)
				memcpy(l->t[j].owner + (size_t)i * AUTH_LOCK_KEY, s->key[AUTH_LOCK_IDENT], AUTH_LOCK_KEY);
		}
	pthread_mutex_unlock(&l->mu);
	s->at = now;
	*retry_after = wait;
	return wait > 0 ? -1 : 0;
}

static void give_back(auth_lockout *l, const auth_lockout_slot *s, int good)
{
	uint32_t now = (uint32_t)util_now();
	long i;
	int j;

	pthread_mutex_lock(&l->mu);
	for (j = 0; j < AUTH_LOCK_TABLES; j++)
		if ((s->taken & (1u << j)) && (i = find(&l->t[j], s->key[j], now, 0)) >= 0)
			pull(&l->t[j], (size_t)i, s->at);
	if (good) { /* the pair is known from now: its last good code's time */
		i = find(&l->known, s->key[AUTH_LOCK_PAIR], now, 1);
		l->known.n[i] = 0;
		push(&l->known, (size_t)i, now);
		memcpy(l->known.owner + (size_t)i * AUTH_LOCK_KEY, s->key[AUTH_LOCK_IDENT], AUTH_LOCK_KEY);
	}
	pthread_mutex_unlock(&l->mu);
}

void auth_lockout_release(auth_lockout *l, const auth_lockout_slot *s)
{
	give_back(l, s, 0);
}

void auth_lockout_success(auth_lockout *l, const auth_lockout_slot *s)
{
	give_back(l, s, 1);
}

/* Empties every entry of t owned by identity key ident. */
static void forget_owned(table *t, const unsigned char *ident)
{
	size_t i;

	for (i = 0; i < t->cap; i++)
		if (t->n[i] > 0 && sodium_memcmp(t->owner + i * AUTH_LOCK_KEY, ident, AUTH_LOCK_KEY) == 0)
			t->n[i] = 0;
}

void auth_lockout_clear(auth_lockout *l, vault *v, const char *label)
{
	auth_lockout_slot s;
	uint32_t now = (uint32_t)util_now();
	long k;

	auth_lockout_keys(v, label, NULL, &s);
	pthread_mutex_lock(&l->mu);
	if ((k = find(&l->t[AUTH_LOCK_IDENT], s.key[AUTH_LOCK_IDENT], now, 0)) >= 0)
		l->t[AUTH_LOCK_IDENT].n[k] = 0;
	/* the old authenticator's pairs are known no more: it may be the thief's address */
	forget_owned(&l->t[AUTH_LOCK_PAIR], s.key[AUTH_LOCK_IDENT]);
	forget_owned(&l->known, s.key[AUTH_LOCK_IDENT]);
	pthread_mutex_unlock(&l->mu);
}
