/* writer.c: group commit for the audit log: one thread, one transaction and one fsync per batch. */
#include "audit.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit_db.h"

/*
 * Callers queue a request; the writer takes everything queued, appends it in one transaction,
 * signs the head once, commits (synchronous=FULL: the fsync), and then tells each caller, by
 * its callback, outside the lock. The caller keeps its entry alive until told, so nothing is
 * copied. audit_writer_append is the same with a callback that wakes the waiting thread.
 */
typedef struct request {
	const audit_entry *e;
	int64_t seq;
	audit_done done;
	void *ctx;
	struct request *next;
} request;

struct audit_writer {
	vault *v;    /* the writer's own connection, to audit.db alone */
	vault *ckpt; /* the checkpointer's, the same */
	pthread_t thread, ckpt_thread;
	pthread_mutex_t mu;
	pthread_cond_t work, done, tick; /* work and tick wait on the monotonic clock */
	request *head, *tail;
	unsigned queued, last_batch; /* entries in the queue; in the batch taken last */
	unsigned gather_us, gather_min;
	unsigned restart_frames; /* the WAL's size, in frames, that makes the checkpointer restart it */
	int restarted_at;        /* the checkpointer's: the WAL's frames at its last RESTART, or -1 */
	uint64_t busy_since;     /* the checkpointer's: when its current wait for a lock began */
	int stopping, ckpt_started;
	audit_writer_stats st;
};

/*
 * Copying the log's WAL into audit.db (a checkpoint, with its fsync) is not the writer's job:
 * SQLite's automatic checkpoint ran in the committing thread and held every waiting lookup
 * up to tens of milliseconds. A thread of its own does it, PASSIVE (it never blocks the
 * writer), every CKPT_EVERY_MS.
 *
 * A PASSIVE checkpoint alone never lets the WAL start over under a steady stream of batches.
 * SQLite starts it over only when a write begins after a checkpoint has copied every frame,
 * and new frames land while the checkpoint copies. At 10,000 lookups/s the WAL grew by about
 * 15 MB/s for as long as the load lasted, and every commit extended the file: new blocks to
 * allocate and zero, and an fsync that also had to write the file's size. So once the WAL
 * holds restart_frames frames, all of them copied, the PASSIVE copy is followed by a RESTART.
 * That takes the write lock between two batches, copies the frames written since the PASSIVE
 * copy, syncs, and leaves the WAL to start over at the next write. The writer waits while it
 * holds the lock, so it waits for the lock and for readers at most CKPT_WAIT_MS in all
 * (ckpt_busy), then gives up until the next tick. A PASSIVE copy that left frames behind
 * means a reader of an older snapshot (a verify, a citizen's history): no RESTART is tried
 * then, since it would wait for that reader with the lock held.
 */
#define CKPT_EVERY_MS 250
#define CKPT_WAIT_MS 20
#define CKPT_POLL_US 200

/* The checkpointer's busy handler: CKPT_WAIT_MS of polling from the first wait of a checkpoint. */
static int ckpt_busy(void *ctx, int count)
{
	audit_writer *w = ctx;

	if (count == 0)
		w->busy_since = util_mono_ns();
	else if (util_mono_ns() - w->busy_since >= (uint64_t)CKPT_WAIT_MS * 1000000u)
		return 0;
	usleep(CKPT_POLL_US);
	return 1;
}

static void checkpoint(audit_writer *w, unsigned restart_frames)
{
	int frames = 0, copied = 0;

	/* a failure (busy, full disk) is left to the next round: the WAL only grows meanwhile */
	if (audit_db_wal_checkpoint(w->ckpt, 0, &frames, &copied) != 0 ||
	    restart_frames == 0 || frames < 0 || (unsigned)frames < restart_frames || copied < frames)
		return;
	/*
	 * A RESTART leaves the WAL's frames in place until the next write: with nothing written
	 * since the last one, there is nothing to restart (and nothing to count).
	 */
	if (frames == w->restarted_at)
		return;
	if (audit_db_wal_checkpoint(w->ckpt, 1, &frames, &copied) == 0) {
		w->restarted_at = frames;
		pthread_mutex_lock(&w->mu);
		w->st.wal_restarts++;
		pthread_mutex_unlock(&w->mu);
	}
}

static void *ckpt_main(void *arg)
{
	audit_writer *w = arg;
	struct timespec t;
	unsigned limit;

	pthread_mutex_lock(&w->mu);
	while (!w->stopping) {
		t = util_mono_after((uint64_t)CKPT_EVERY_MS * 1000000u); /* tick waits on the monotonic clock */
		pthread_cond_timedwait(&w->tick, &w->mu, &t);
		if (w->stopping)
			break;
		if (w->head != NULL) /* entries submitted for later */
			pthread_cond_signal(&w->work);
		limit = w->restart_frames;
		pthread_mutex_unlock(&w->mu);
		checkpoint(w, limit);
		pthread_mutex_lock(&w->mu);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

static void run_batch(audit_writer *w, request *batch)
{
	util_err err;
	request *r, *next;
	uint64_t t0, dt;
	int ok, n = 0, pages = 0;

	ok = vault_begin(w->v, &err) == 0;
	for (r = batch; ok && r != NULL; r = r->next, n++)
		ok = audit_append(w->v, r->e, &r->seq, &err) == 0;
	if (ok)
		ok = audit_seal(w->v, 0, &err) == 0;
	t0 = util_mono_ns();
	if (ok)
		ok = vault_commit(w->v, &err) == 0;
	else
		vault_rollback(w->v);
	dt = util_mono_ns() - t0;
	/* the pages this connection wrote to the WAL since the last batch (in WAL mode, all it writes) */
	pages = audit_db_pages_written(w->v);

	pthread_mutex_lock(&w->mu);
	if (ok) {
		w->st.batches++;
		w->st.entries += (uint64_t)n;
		w->st.wal_frames += (uint64_t)pages;
		if ((uint64_t)n > w->st.max_batch)
			w->st.max_batch = (uint64_t)n;
		w->st.fsync_ns_total += dt;
		if (dt > w->st.fsync_ns_max)
			w->st.fsync_ns_max = dt;
	}
	pthread_mutex_unlock(&w->mu);
	/* every entry of the batch is durable (or none is): tell their owners */
	for (r = batch; r != NULL; r = next) {
		next = r->next;
		r->done(r->ctx, ok ? 0 : -1, ok ? r->seq : -1, ok ? NULL : &err);
		free(r);
	}
}

/*
 * Every batch costs the same fsync, signature and rewrite of the log's last pages, whatever
 * its size. Under load, which the last batch shows by holding more than one entry, the
 * writer waits up to gather_us for as many entries as the last batch held, at most
 * gather_min, before it takes the queue: with fewer callers in flight than gather_min, it
 * does not wait for entries that cannot come. Alone, an entry is written at once.
 */
static void gather(audit_writer *w)
{
	unsigned want = w->last_batch < w->gather_min ? w->last_batch : w->gather_min;
	struct timespec t;

	if (w->gather_us == 0 || w->last_batch < 2 || w->queued >= want)
		return;
	t = util_mono_after((uint64_t)w->gather_us * 1000u);
	while (w->queued < want && !w->stopping && pthread_cond_timedwait(&w->work, &w->mu, &t) == 0)
		;
}

static void *writer_main(void *arg)
{
	audit_writer *w = arg;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		request *batch;

		while (w->head == NULL && !w->stopping)
			pthread_cond_wait(&w->work, &w->mu);
		if (w->head == NULL && w->stopping)
			break;
		gather(w);
		batch = w->head;
		w->last_batch = w->queued;
		w->queued = 0;
		w->head = w->tail = NULL;
		pthread_mutex_unlock(&w->mu);
		run_batch(w, batch);
		pthread_mutex_lock(&w->mu);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

int audit_writer_start(audit_writer **out, vault *v, util_err *err)
{
	audit_writer *w = calloc(1, sizeof *w);

	if (w == NULL)
		return util_fail(err, UTIL_ENOMEM, "out of memory");
	if (audit_log_clone(&w->v, v, err) != 0) {
		free(w);
		return -1;
	}
	if (audit_log_clone(&w->ckpt, v, err) != 0) {
		vault_close(w->v);
		free(w);
		return -1;
	}
	audit_db_writer_tune(w->v, w->ckpt, ckpt_busy, w);
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->done, NULL);
	{
		pthread_condattr_t a;

		pthread_condattr_init(&a);
		pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
		pthread_cond_init(&w->work, &a);
		pthread_cond_init(&w->tick, &a);
		pthread_condattr_destroy(&a);
	}
	w->gather_us = AUDIT_GATHER_US;
	w->gather_min = AUDIT_GATHER_MIN;
	w->restart_frames = AUDIT_WAL_RESTART_FRAMES;
	w->restarted_at = -1;
	if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
		vault_close(w->ckpt);
		vault_close(w->v);
		free(w);
		return util_fail(err, UTIL_ENOMEM, "cannot start the audit writer");
	}
	if (pthread_create(&w->ckpt_thread, NULL, ckpt_main, w) == 0) {
		w->ckpt_started = 1;
	} else {
		audit_writer_stop(w); /* joins the writer; the checkpointer was never started */
		return util_fail(err, UTIL_ENOMEM, "cannot start the audit log's checkpointer");
	}
	*out = w;
	return 0;
}

void audit_writer_set_gather(audit_writer *w, unsigned wait_us, unsigned batch)
{
	pthread_mutex_lock(&w->mu);
	w->gather_us = wait_us;
	w->gather_min = batch;
	pthread_mutex_unlock(&w->mu);
}

void audit_writer_set_wal_restart(audit_writer *w, unsigned frames)
{
	pthread_mutex_lock(&w->mu);
	w->restart_frames = frames;
	pthread_mutex_unlock(&w->mu);
}

static int enqueue(audit_writer *w, const audit_entry *e, audit_done done, void *ctx, int wake, util_err *err)
{
	request *r = calloc(1, sizeof *r);

	if (r == NULL)
		return util_fail(err, UTIL_ENOMEM, "out of memory");
	r->e = e;
	r->done = done;
	r->ctx = ctx;
	pthread_mutex_lock(&w->mu);
	if (w->stopping) {
		pthread_mutex_unlock(&w->mu);
		free(r);
		return util_fail(err, UTIL_ESTATE, "the audit writer is stopping");
	}
	if (w->tail != NULL)
		w->tail->next = r;
	else
		w->head = r;
	w->tail = r;
	w->queued++;
	if (wake)
		pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->mu);
	return 0;
}

int audit_writer_submit(audit_writer *w, const audit_entry *e, audit_done done, void *ctx, util_err *err)
{
	return enqueue(w, e, done, ctx, 1, err);
}

int audit_writer_submit_later(audit_writer *w, const audit_entry *e, audit_done done, void *ctx, util_err *err)
{
	return enqueue(w, e, done, ctx, 0, err);
}

/* A thread waiting in audit_writer_append. */
typedef struct waiter {
	audit_writer *w;
	int done, rc;
	int64_t seq;
	util_err err;
} waiter;

static void wake(void *ctx, int rc, int64_t seq, const util_err *err)
{
	waiter *k = ctx;

	pthread_mutex_lock(&k->w->mu);
	k->rc = rc;
	k->seq = seq;
	if (err != NULL)
		k->err = *err;
	k->done = 1;
	pthread_cond_broadcast(&k->w->done);
	pthread_mutex_unlock(&k->w->mu);
}

int audit_writer_append(audit_writer *w, const audit_entry *e, int64_t *seq, util_err *err)
{
	waiter k = {.w = w};

	if (audit_writer_submit(w, e, wake, &k, err) != 0)
		return -1;
	pthread_mutex_lock(&w->mu);
	while (!k.done)
		pthread_cond_wait(&w->done, &w->mu);
	pthread_mutex_unlock(&w->mu);
	if (k.rc != 0) {
		if (err != NULL)
			*err = k.err;
		return -1;
	}
	if (seq != NULL)
		*seq = k.seq;
	return 0;
}

void audit_writer_stats_get(audit_writer *w, audit_writer_stats *st)
{
	pthread_mutex_lock(&w->mu);
	*st = w->st;
	pthread_mutex_unlock(&w->mu);
}

void audit_writer_stop(audit_writer *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->stopping = 1;
	pthread_cond_signal(&w->work);
	pthread_cond_signal(&w->tick);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	if (w->ckpt_started)
		pthread_join(w->ckpt_thread, NULL);
	pthread_cond_destroy(&w->work);
	pthread_cond_destroy(&w->done);
	pthread_cond_destroy(&w->tick);
	pthread_mutex_destroy(&w->mu);
	vault_close(w->ckpt);
	vault_close(w->v);
	free(w);
}
