/* group.c: group commit of write units: one thread, one transaction and one commit for many callers' changes. */
#include "vault_private.h"

#include <pthread.h>
#include <stdlib.h>

/*
 * Each consent change was a transaction of its own: its commit (an fsync of vault.db's WAL,
 * then one of audit.db's) was most of its time, and a client doing request, approve, revoke
 * reached 44 to 94 changes a second. Here callers queue units; the thread takes what is
 * queued (VAULT_GROUP_BATCH_MAX at most), opens one transaction, runs each unit in a savepoint
 * of its own, commits once, and only then tells each caller, outside the lock. While one batch
 * commits the next one gathers, so the more callers wait, the more each commit carries.
 */
typedef struct unit {
	vault_unit_fn fn;
	vault_unit_done done;
	void *ctx;
	int rc;
	util_err err; /* the unit's own error, when it failed */
	struct unit *next;
} unit;

struct vault_group {
	vault *v; /* the group's own connection */
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t work, space; /* queued units; room in the queue */
	unit *head, *tail;
	unsigned queued;
	int stopping;
	vault_group_stats st;
};

/*
 * Runs u in its own savepoint of v's open transaction: 0 when its changes are kept; -1 when
 * it failed (its changes undone, u->err says why); -2 when the transaction is gone (err).
 */
static int run_unit(vault *v, unit *u, util_err *err)
{
	u->err = (util_err){0};
	if (vault_savepoint(v, &u->err) != 0) {
		u->rc = -1;
		if (vault_in_tx(v))
			return -1;
		*err = u->err;
		return -2;
	}
	u->rc = u->fn(v, u->ctx, &u->err);
	if (!vault_in_tx(v)) { /* a unit that ended the transaction: whatever it did is in doubt */
		util_fail(err, UTIL_ESTATE, "a change ended the group's transaction");
		return -2;
	}
	if (u->rc == 0 && vault_savepoint_release(v, &u->err) == 0)
		return 0;
	u->rc = -1;
	if (u->err.code == UTIL_OK)
		util_fail(&u->err, UTIL_EIO, "the change failed");
	return vault_savepoint_rollback(v, err) == 0 ? -1 : -2;
}

/* One batch: one transaction, a savepoint per unit, one commit; then every unit is told. */
static void run_batch(vault_group *g, unit *batch, unsigned n)
{
	util_err err = {0};
	unit *u, *next;
	uint64_t failed = 0;
	int ok, rc;

	ok = vault_begin(g->v, &err) == 0;
	vault_group_running(g->v, 1);
	for (u = batch; ok && u != NULL; u = u->next) {
		if ((rc = run_unit(g->v, u, &err)) == -2)
			ok = 0;
		else if (rc != 0)
			failed++;
	}
	if (ok)
		ok = vault_commit(g->v, &err) == 0; /* durable (synchronous = FULL) when it returns */
	else
		vault_rollback(g->v);
	vault_group_running(g->v, 0);
	pthread_mutex_lock(&g->mu);
	g->st.units += n;
	g->st.failed += failed;
	if (ok)
		g->st.commits++;
	if (n > g->st.max_batch)
		g->st.max_batch = n;
	pthread_mutex_unlock(&g->mu);
	for (u = batch; u != NULL; u = next) {
		next = u->next;
		if (ok && u->rc == 0)
			u->done(u->ctx, 0, NULL);
		else /* its own error if it failed, else the commit's (or the transaction's) */
			u->done(u->ctx, -1, u->rc != 0 && u->err.code != UTIL_OK ? &u->err : &err);
		free(u);
	}
}

static void *group_main(void *arg)
{
	vault_group *g = arg;

	pthread_mutex_lock(&g->mu);
	for (;;) {
		unit *batch, *last;
		unsigned n;

		while (g->head == NULL && !g->stopping)
			pthread_cond_wait(&g->work, &g->mu);
		if (g->head == NULL)
			break; /* stopping, and nothing left to run */
		batch = last = g->head;
		for (n = 1; n < VAULT_GROUP_BATCH_MAX && last->next != NULL; n++)
			last = last->next;
		g->head = last->next;
		if (g->head == NULL)
			g->tail = NULL;
		last->next = NULL;
		g->queued -= n;
		pthread_cond_broadcast(&g->space);
		pthread_mutex_unlock(&g->mu);
		run_batch(g, batch, n);
		pthread_mutex_lock(&g->mu);
	}
	pthread_mutex_unlock(&g->mu);
	return NULL;
}

int vault_group_start(vault_group **out, vault *v, util_err *err)
{
	vault_group *g = calloc(1, sizeof *g);

	if (g == NULL)
		return util_fail(err, UTIL_ENOMEM, "out of memory");
	if (vault_clone(&g->v, v, err) != 0) {
		free(g);
		return -1;
	}
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->work, NULL);
	pthread_cond_init(&g->space, NULL);
	if (pthread_create(&g->thread, NULL, group_main, g) != 0) {
		pthread_cond_destroy(&g->space);
		pthread_cond_destroy(&g->work);
		pthread_mutex_destroy(&g->mu);
		vault_close(g->v);
		free(g);
		return util_fail(err, UTIL_ENOMEM, "cannot start the group commit");
	}
	*out = g;
	return 0;
}

/* Queues u; with wait, waits for room in a full queue, else fails with UTIL_EBUSY. */
static int enqueue(vault_group *g, unit *u, int wait, util_err *err)
{
	pthread_mutex_lock(&g->mu);
	while (wait && !g->stopping && g->queued >= VAULT_GROUP_QUEUE_MAX)
		pthread_cond_wait(&g->space, &g->mu);
	if (g->stopping || g->queued >= VAULT_GROUP_QUEUE_MAX) {
		int stopping = g->stopping;

		pthread_mutex_unlock(&g->mu);
		free(u);
		return stopping ? util_fail(err, UTIL_ESTATE, "the group commit is stopping")
		                : util_fail(err, UTIL_EBUSY, "too many changes waiting to be written");
	}
	if (g->tail != NULL)
		g->tail->next = u;
	else
		g->head = u;
	g->tail = u;
	g->queued++;
	pthread_cond_signal(&g->work);
	pthread_mutex_unlock(&g->mu);
	return 0;
}

static int submit(vault_group *g, vault_unit_fn fn, vault_unit_done done, void *ctx, int wait, util_err *err)
{
	unit *u = calloc(1, sizeof *u);

	if (u == NULL)
		return util_fail(err, UTIL_ENOMEM, "out of memory");
	u->fn = fn;
	u->done = done;
	u->ctx = ctx;
	return enqueue(g, u, wait, err);
}

int vault_group_submit(vault_group *g, vault_unit_fn fn, vault_unit_done done, void *ctx, util_err *err)
{
	return submit(g, fn, done, ctx, 0, err);
}

/* A thread waiting in vault_group_run, woken alone (a shared condition woke every waiter at each unit). */
typedef struct waiter {
	vault_group *g;
	vault_unit_fn fn;
	void *ctx;
	pthread_cond_t cv;
	int done, rc;
	util_err err;
} waiter;

static int waiter_unit(vault *v, void *ctx, util_err *err)
{
	waiter *k = ctx;

	return k->fn(v, k->ctx, err);
}

static void waiter_done(void *ctx, int rc, const util_err *err)
{
	waiter *k = ctx;

	pthread_mutex_lock(&k->g->mu);
	k->rc = rc;
	if (err != NULL)
		k->err = *err;
	k->done = 1;
	pthread_cond_signal(&k->cv);
	pthread_mutex_unlock(&k->g->mu);
}

int vault_group_run(vault_group *g, vault_unit_fn fn, void *ctx, util_err *err)
{
	waiter k = {.g = g, .fn = fn, .ctx = ctx};

	pthread_cond_init(&k.cv, NULL);
	if (submit(g, waiter_unit, waiter_done, &k, 1, err) != 0) {
		pthread_cond_destroy(&k.cv);
		return -1;
	}
	pthread_mutex_lock(&g->mu);
	while (!k.done)
		pthread_cond_wait(&k.cv, &g->mu);
	pthread_mutex_unlock(&g->mu);
	pthread_cond_destroy(&k.cv);
	if (k.rc != 0 && err != NULL)
		*err = k.err;
	return k.rc;
}

void vault_group_stats_get(vault_group *g, vault_group_stats *st)
{
	pthread_mutex_lock(&g->mu);
	*st = g->st;
	st->queued = g->queued;
	pthread_mutex_unlock(&g->mu);
}

void vault_group_stop(vault_group *g)
{
	if (g == NULL)
		return;
	pthread_mutex_lock(&g->mu);
	g->stopping = 1;
	pthread_cond_signal(&g->work);
	pthread_cond_broadcast(&g->space);
	pthread_mutex_unlock(&g->mu);
	pthread_join(g->thread, NULL);
	pthread_cond_destroy(&g->space);
	pthread_cond_destroy(&g->work);
	pthread_mutex_destroy(&g->mu);
	vault_close(g->v);
	free(g);
}
