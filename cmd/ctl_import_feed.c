/* ctl_import_feed.c: vaultctl import's reading of its FILE, and the two threads that help it write. */
#include "ctl_import.h"

#include <string.h>

ssize_t ctl_next_line(FILE *in, char **line, size_t *cap, size_t *lines)
{
	ssize_t n;

	while ((n = getline(line, cap, in)) != -1) {
		++*lines;
		if (n > 0 && (*line)[n - 1] == '\n')
			(*line)[--n] = '\0';
		if (n > 0)
			return n;
	}
	return -1;
}

int ctl_import_read(const vault_catalog *cat, const char *line, size_t n, vault_input *in, json_t **doc,
    util_err *err)
{
	*doc = NULL;
	if (n > IMPORT_LINE_MAX)
		return util_fail(err, UTIL_EINVAL, "longer than %u bytes", IMPORT_LINE_MAX);
	if (vault_record_scan(cat, line, n, in))
		return 0;
	if (vault_record_parse(line, n, in->nid, doc, err) != 0)
		return -1;
	return vault_input_from_json(cat, in->nid, *doc, in, err);
}


/* With f->mu held: waits for a change. */
static void feed_wait(import_feed *f)
{
	f->waiting++;
	pthread_cond_wait(&f->cond, &f->mu);
	f->waiting--;
}

/* With f->mu held: wakes the other thread if it waits (a wake-up is a system call or two). */
static void feed_changed(import_feed *f)
{
	if (f->waiting > 0)
		pthread_cond_broadcast(&f->cond);
}

void *ctl_import_sealer(void *arg)
{
	import_feed *f = arg;
	char *line = NULL;
	size_t cap = 0, lines = 0, sealed = 0;
	int64_t shift = 0;
	ssize_t n;
	util_err err = {0};
	int failed = 0;

	while (!failed && (n = ctl_next_line(f->in, &line, &cap, &lines)) != -1) {
		json_t *doc;
		size_t slot;

		pthread_mutex_lock(&f->mu);
		while (f->head - f->tail == IMPORT_RING && !f->stop)
			feed_wait(f);
		slot = f->head % IMPORT_RING;
		failed = f->stop;
		shift = f->shift;
		pthread_mutex_unlock(&f->mu);
		if (failed)
			break;
		/* the slot is the sealer's until head moves past it */
		failed = ctl_import_read(f->cat, line, (size_t)n, f->input, &doc, &err) != 0 ||
		         vault_citizen_prepare(f->v, f->input, vault_prepared_at(f->ring, slot), &err) != 0;
		if (!failed) {
			audit_entry ae = ctl_import_entry(vault_prepared_at(f->ring, slot));

			failed = audit_entry_prepare(&ae, f->seq0 + shift + (int64_t)sealed++, util_now(), &f->entries[slot], &err) !=
			         0;
		}
		json_decref(doc);
		sodium_memzero(f->input, sizeof *f->input);
		sodium_memzero(line, (size_t)n);
		if (failed) {
			/* the file changed since it was checked */
			pthread_mutex_lock(&f->mu);
			f->err = err;
			f->err_line = lines;
			pthread_mutex_unlock(&f->mu);
			break;
		}
		f->line[slot] = lines;
		pthread_mutex_lock(&f->mu);
		f->head++;
		feed_changed(f);
		pthread_mutex_unlock(&f->mu);
	}
	if (!failed && ferror(f->in)) {
		pthread_mutex_lock(&f->mu);
		util_fail(&f->err, UTIL_EIO, "cannot read the file again");
		f->err_line = lines + 1;
		pthread_mutex_unlock(&f->mu);
	}
	if (line != NULL) {
		sodium_memzero(line, cap);
		free(line);
	}
	pthread_mutex_lock(&f->mu);
	f->done = 1;
	feed_changed(f);
	pthread_mutex_unlock(&f->mu);
	return NULL;
}

vault_prepared *ctl_import_next(import_feed *f, size_t *line, util_err *err)
{
	vault_prepared *p = NULL;

	pthread_mutex_lock(&f->mu);
	while (f->head == f->tail && !f->done)
		feed_wait(f);
	if (f->head != f->tail) {
		p = vault_prepared_at(f->ring, f->tail % IMPORT_RING);
		*line = f->line[f->tail % IMPORT_RING];
	} else if (f->err.code != UTIL_OK) {
		*err = f->err;
		*line = f->err_line;
	}
	pthread_mutex_unlock(&f->mu);
	return p;
}

audit_entry ctl_import_entry(const vault_prepared *p)
{
	return (audit_entry){.actor = "operator", .action = "record.create", .cid = vault_prepared_cid(p), .note = "import"};
}

const audit_prepared *ctl_import_next_entry(import_feed *f)
{
	/* the slot at tail stays the storing thread's until ctl_import_taken moves tail */
	return &f->entries[f->tail % IMPORT_RING];
}

void ctl_import_reseq(import_feed *f, size_t k, int64_t seq)
{
	pthread_mutex_lock(&f->mu);
	f->shift = seq - f->seq0 - (int64_t)k;
	pthread_mutex_unlock(&f->mu);
}

void ctl_import_taken(import_feed *f, vault_prepared *p)
{
	vault_prepared_wipe(p);
	pthread_mutex_lock(&f->mu);
	f->tail++;
	/* a sealer waits only on a full ring: woken when it is half empty, it seals several in a row */
	if (f->head - f->tail <= IMPORT_RING / 2)
		feed_changed(f);
	pthread_mutex_unlock(&f->mu);
}

void ctl_import_stop(import_feed *f, pthread_t th)
{
	pthread_mutex_lock(&f->mu);
	f->stop = 1;
	feed_changed(f);
	pthread_mutex_unlock(&f->mu);
	pthread_join(th, NULL);
}


void *ctl_import_checkpointer(void *arg)
{
	import_ckpt *k = arg;
	struct timespec until;
	uint64_t asked;

	pthread_mutex_lock(&k->mu);
	while (!k->stop) {
		asked = k->asked; /* a pass that begins now copies every frame committed before the ask */
		pthread_mutex_unlock(&k->mu);
		vault_checkpoint_passive(k->v);
		pthread_mutex_lock(&k->mu);
		if (asked > k->answered) {
			k->answered = asked;
			pthread_cond_broadcast(&k->cond);
		}
		if (k->stop || k->asked != asked)
			continue; /* a new ask: another pass at once */
		until = util_mono_after(50u * 1000000u);
		pthread_cond_timedwait(&k->cond, &k->mu, &until);
	}
	pthread_mutex_unlock(&k->mu);
	return NULL;
}

/*
 * Waits for one whole checkpoint pass that began after the ask, at most IMPORT_DRAIN_MS. One
 * pass, whether it copied every frame or not: when it leaves frames behind, a reader of an
 * older snapshot holds them (vaultd's verify, say) or another process writes, and the next
 * batch appends to the WAL, as it would without the wait. 0 when the pass answered, -1 when
 * the wait reached its limit first.
 */
int ctl_import_ckpt_drain(import_ckpt *k)
{
	struct timespec until = util_mono_after((uint64_t)IMPORT_DRAIN_MS * 1000000u);
	uint64_t want;
	int answered;

	pthread_mutex_lock(&k->mu);
	want = ++k->asked;
	pthread_cond_broadcast(&k->cond);
	while (k->answered < want && !k->stop && pthread_cond_timedwait(&k->cond, &k->mu, &until) == 0)
		;
	answered = k->answered >= want;
	pthread_mutex_unlock(&k->mu);
	return answered ? 0 : -1;
}

void ctl_import_ckpt_stop(import_ckpt *k, pthread_t th)
{
	pthread_mutex_lock(&k->mu);
	k->stop = 1;
	pthread_cond_broadcast(&k->cond);
	pthread_mutex_unlock(&k->mu);
	pthread_join(th, NULL);
}
