/* ctl_progress.c: the progress line of long vaultctl commands (import): done, rate, time left. */
#include "ctl_progress.h"

#include <stdio.h>
#include <string.h>

#include "../util/util.h"

#define BAR_WIDTH 24
#define CLOCK_EVERY 64u

void ctl_progress_start(ctl_progress *p, int on, const char *what, const char *unit, size_t total)
{
	*p = (ctl_progress){.on = on, .what = what, .unit = unit, .total = total};
	if (on)
		p->t0 = p->next = util_mono_ns();
}

/* n with thousands separators ("1,234,567"). */
static void grouped(char *buf, size_t cap, size_t n)
{
	char digits[32];
	size_t len, i, o = 0;

	len = (size_t)snprintf(digits, sizeof digits, "%zu", n);
	for (i = 0; i < len && o + 2 < cap; i++) {
		if (i > 0 && (len - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
}

/* secs as h:mm:ss or m:ss. */
static void clock_text(char *buf, size_t cap, double secs)
{
	unsigned long s = secs > 0 && secs < 360000.0 ? (unsigned long)(secs + 0.5) : 0;

	if (s >= 3600)
		snprintf(buf, cap, "%lu:%02lu:%02lu", s / 3600, s / 60 % 60, s % 60);
	else
		snprintf(buf, cap, "%lu:%02lu", s / 60, s % 60);
}

void ctl_progress_format(char *buf, size_t cap, const ctl_progress *p, size_t done, double frac, double secs)
{
	char d[32], t[32], r[32], left[32], bar[BAR_WIDTH + 1];
	double rate = secs > 0 ? (double)done / secs : 0;
	int i, fill;

	if (p->total > 0)
		frac = (double)done / (double)p->total;
	frac = frac < 0 ? 0 : frac > 1 ? 1 : frac;
	fill = (int)(frac * BAR_WIDTH);
	for (i = 0; i < BAR_WIDTH; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[BAR_WIDTH] = '\0';
	grouped(d, sizeof d, done);
	grouped(r, sizeof r, (size_t)(rate + 0.5));
	/* time left at the rate so far: the work left over the work done, times the time taken */
	if (frac > 0 && secs > 0)
		clock_text(left, sizeof left, secs * (1 - frac) / frac);
	else
		snprintf(left, sizeof left, "-:--");
	if (p->total > 0) {
		grouped(t, sizeof t, p->total);
		snprintf(buf, cap, "%s [%s] %s / %s %s (%d%%), %s %s/s, %s left", p->what, bar, d, t, p->unit,
		    (int)(frac * 100), r, p->unit, left);
	} else {
		snprintf(buf, cap, "%s [%s] %s %s (%d%%), %s %s/s, %s left", p->what, bar, d, p->unit, (int)(frac * 100),
		    r, p->unit, left);
	}
}

/* Draws the line over the last one ("\033[K" clears what a longer one left). */
static void draw(ctl_progress *p, size_t done, double frac, uint64_t now)
{
	char line[256];

	ctl_progress_format(line, sizeof line, p, done, frac, (double)(now - p->t0) / 1e9);
	fprintf(stderr, "\r%s\033[K", line);
	fflush(stderr);
	p->drawn = 1;
	p->next = now + (uint64_t)CTL_PROGRESS_MS * 1000000u;
}

void ctl_progress_update(ctl_progress *p, size_t done, double frac)
{
	uint64_t now;

	if (!p->on || ++p->calls < CLOCK_EVERY)
		return;
	p->calls = 0;
	if ((now = util_mono_ns()) >= p->next)
		draw(p, done, frac, now);
}

void ctl_progress_end(ctl_progress *p, size_t done, double frac)
{
	if (!p->on)
		return;
	draw(p, done, frac, util_mono_ns());
	fputc('\n', stderr);
	p->drawn = 0;
}

void ctl_progress_clear(ctl_progress *p)
{
	if (p->drawn) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
		p->drawn = 0;
	}
}
