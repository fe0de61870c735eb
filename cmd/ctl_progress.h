/* ctl_progress.h: a progress line on stderr while a long command runs, and nothing when stderr is not a terminal. */
#ifndef VAULTD_CTL_PROGRESS_H
#define VAULTD_CTL_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

/*
 * One progress line: what is done, how fast, how long is left, redrawn in place (a carriage
 * return) at most every CTL_PROGRESS_MS. Off (every call does nothing) unless on was set,
 * which callers take from isatty(2): logs and pipes never see it.
 */
#define CTL_PROGRESS_MS 200u

typedef struct ctl_progress {
	int on;
	const char *what, *unit; /* "importing", "records" */
	size_t total;            /* 0: not known, and then the caller's fraction says how far */
	uint64_t t0, next;       /* start; the next draw not before */
	unsigned calls;          /* update calls since the last look at the clock */
	int drawn;               /* a line is on the screen */
} ctl_progress;

/* Starts a line for what (a verb), counting unit, total of them (0 if not known). */
void ctl_progress_start(ctl_progress *p, int on, const char *what, const char *unit, size_t total);
/*
 * done of them so far; frac, in [0, 1], how far along when total is 0 (a file's bytes read,
 * say), else ignored. Cheap: looks at the clock once in 64 calls.
 */
void ctl_progress_update(ctl_progress *p, size_t done, double frac);
/* Draws done as the last state and ends the line. */
void ctl_progress_end(ctl_progress *p, size_t done, double frac);
/* Wipes the line off the screen, if one is drawn (before other output, or at the end of a pass). */
void ctl_progress_clear(ctl_progress *p);
/* Formats the line into buf (cap bytes): the rate is done / secs; exposed for its test. */
void ctl_progress_format(char *buf, size_t cap, const ctl_progress *p, size_t done, double frac, double secs);

#endif
