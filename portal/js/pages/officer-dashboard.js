// pages/officer-dashboard.js: the dashboard over a period of UTC days (GET /v1/reports/dashboard):
// lookups per agency per day, allowed and denied; denials by reason; emergency accesses by the
// state of their review. Each plot has a text summary and the table of its figures (with CSV).
import { fmtNumber, getLang } from '../i18n.js';
import { reasonText, stateText, dayField, isDay, addDays } from './officer-common.js';
import { PALETTE, linesByDay, bars } from './officer-charts.js';

const MAX_DAYS = 366;
const period = { from: '', to: '' }; // '' : the API's default (the last 30 days); outlives a re-render

const daySeconds = (day) => Date.parse(`${day}T00:00:00Z`) / 1000;

// Every day from..to, as YYYY-MM-DD.
export function daysOf(from, to) {
	const out = [];
	for (let d = from; d <= to && out.length <= MAX_DAYS; d = addDays(d, 1)) out.push(d);
	return out;
}

function fmtDayLabel(seconds, opts) {
	return new Intl.DateTimeFormat(getLang() === 'vi' ? 'vi-VN' : 'en-GB', { timeZone: 'UTC', ...opts })
		.format(new Date(seconds * 1000));
}

const agencyName = (t, a) => a.agency.name || t('officer.dashboard.unknown_agency', { id: a.agency.id });

function summary(h, t, d) {
	const e = d.emergency || {};
	const card = (label, n, extra) => h('div', { class: 'figure' }, h('span', { class: 'figure-n' }, fmtNumber(n)),
		h('span', { class: 'figure-label' }, label), extra ? h('span', { class: 'hint' }, extra) : null);
	return h('div', { class: 'figures' },
		card(t('officer.dashboard.allowed'), d.lookups.allowed),
		card(t('officer.dashboard.denied'), d.lookups.denied),
		card(t('officer.dashboard.emergency'), e.total || 0, t('officer.dashboard.emergency_pending', { n: fmtNumber(e.pending || 0) })));
}

// A plot and its words: a figure of the plot (role img, labelled by its summary), its legend, and
// the summary as its caption (the section's heading names it; the table after it holds the figures).
function figure(h, id, text, legend) {
	const plot = h('div', { class: 'chart', role: 'img', 'aria-label': text });
	return { plot, node: h('figure', { class: 'chart-figure', 'aria-labelledby': `${id}-cap` },
		plot, legend || null, h('figcaption', { id: `${id}-cap`, class: 'hint' }, text)) };
}

function legendOf(h, items) {
	return h('ul', { class: 'legend' }, items.map((it) =>
		h('li', {}, h('span', { class: `swatch swatch-${it.i % PALETTE.length}${it.dash ? ' dashed' : ''}`, 'aria-hidden': 'true' }), it.label)));
}

function lookupsSection(ctx, d) {
	const { h } = ctx.ui;
	const t = ctx.t;
	const days = daysOf(d.from, d.to);
	const xs = days.map(daySeconds);
	const series = [], legend = [];
	d.agencies.forEach((a, i) => {
		const by = new Map(a.days.map((x) => [x.day, x]));
		const name = agencyName(t, a);
		const color = PALETTE[i % PALETTE.length];
		series.push({ label: name, color, values: days.map((day) => (by.get(day) || {}).allowed || 0) });
		series.push({ label: name, color, dash: [6, 4], values: days.map((day) => (by.get(day) || {}).denied || 0) });
		legend.push({ i, label: t('officer.dashboard.legend_allowed', { agency: name }) },
			{ i, dash: true, label: t('officer.dashboard.legend_denied', { agency: name }) });
	});
	const text = t('officer.dashboard.lookups_summary', {
		from: d.from, to: d.to, agencies: d.agencies.length, allowed: fmtNumber(d.lookups.allowed), denied: fmtNumber(d.lookups.denied),
	});
	const fig = figure(h, 'fig-lookups', text, legendOf(h, legend));
	if (series.length) linesByDay(fig.plot, xs, series, (s) => fmtDayLabel(s, { day: 'numeric', month: 'numeric' }));
	else fig.plot.append(h('p', { class: 'muted' }, t('officer.dashboard.none')));
	const rows = [];
	for (const a of d.agencies) for (const x of a.days) rows.push({ day: x.day, agency: agencyName(t, a), allowed: x.allowed, denied: x.denied });
	rows.sort((p, q) => (p.day === q.day ? p.agency.localeCompare(q.agency, ctx.lang) : p.day < q.day ? -1 : 1));
	const totals = d.agencies.map((a) => ({
		agency: agencyName(t, a), allowed: a.allowed, denied: a.denied,
		pending: a.emergency.pending, justified: a.emergency.justified, unjustified: a.emergency.unjustified,
	}));
	const n = (key, label) => ({ key, label, num: true, cell: (r) => fmtNumber(r[key]) });
	return h('section', { 'aria-labelledby': 'dash-lookups-h' },
		h('h2', { id: 'dash-lookups-h' }, t('officer.dashboard.lookups_title')), fig.node,
		ctx.ui.table([{ key: 'day', label: t('officer.col.day') }, { key: 'agency', label: t('officer.col.agency') },
			n('allowed', t('officer.dashboard.allowed')), n('denied', t('officer.dashboard.denied'))], rows,
		{ caption: t('officer.dashboard.per_day_caption'), filename: `lookups-per-agency-per-day_${d.from}_${d.to}.csv` }),
		ctx.ui.table([{ key: 'agency', label: t('officer.col.agency') }, n('allowed', t('officer.dashboard.allowed')),
			n('denied', t('officer.dashboard.denied')), n('pending', t('officer.dashboard.emergency_state_pending')),
			n('justified', t('officer.dashboard.emergency_state_justified')),
			n('unjustified', t('officer.dashboard.emergency_state_unjustified'))], totals,
		{ caption: t('officer.dashboard.per_agency_caption'), filename: `lookups-per-agency_${d.from}_${d.to}.csv` }));
}

function reasonsSection(ctx, d) {
	const { h } = ctx.ui;
	const t = ctx.t;
	const rows = Object.entries(d.denials_by_reason || {}).map(([code, count]) => ({ code, reason: reasonText(code), count }))
		.sort((p, q) => q.count - p.count || p.code.localeCompare(q.code));
	const text = rows.length
		? t('officer.dashboard.reasons_summary', { list: rows.map((r) => `${r.reason}: ${fmtNumber(r.count)}`).join('; ') })
		: t('officer.dashboard.none');
	const fig = figure(h, 'fig-reasons', text);
	if (rows.length) bars(fig.plot, rows.map((r) => r.reason), rows.map((r) => r.count), PALETTE[1]);
	return h('section', { 'aria-labelledby': 'dash-reasons-h' },
		h('h2', { id: 'dash-reasons-h' }, t('officer.dashboard.reasons_title')), fig.node,
		ctx.ui.table([{ key: 'reason', label: t('officer.col.reason') }, { key: 'code', label: t('officer.col.code') },
			{ key: 'count', label: t('officer.col.count'), num: true, cell: (r) => fmtNumber(r.count) }], rows,
		{ caption: t('officer.dashboard.reasons_caption'), filename: `denials-by-reason_${d.from}_${d.to}.csv` }));
}

function emergencySection(ctx, d) {
	const { h } = ctx.ui;
	const t = ctx.t;
	const e = d.emergency || {};
	const rows = ['pending', 'justified', 'unjustified'].map((s) => ({ state: s, label: stateText(s), count: e[s] || 0 }));
	const text = t('officer.dashboard.emergency_summary', {
		total: fmtNumber(e.total || 0), list: rows.map((r) => `${r.label}: ${fmtNumber(r.count)}`).join('; '),
	});
	const fig = figure(h, 'fig-emergency', text);
	bars(fig.plot, rows.map((r) => r.label), rows.map((r) => r.count), PALETTE[3]);
	return h('section', { 'aria-labelledby': 'dash-emergency-h' },
		h('h2', { id: 'dash-emergency-h' }, t('officer.dashboard.emergency_title')), fig.node,
		ctx.ui.table([{ key: 'label', label: t('officer.col.state') },
			{ key: 'count', label: t('officer.col.count'), num: true, cell: (r) => fmtNumber(r.count) }], rows,
		{ caption: t('officer.dashboard.emergency_caption'), filename: `emergency-by-review-state_${d.from}_${d.to}.csv` }),
		h('p', {}, h('a', { href: '#/officer/reviews' }, t('officer.dashboard.to_reviews'))));
}

function periodForm(ctx, onChange) {
	const { h, clear } = ctx.ui;
	const t = ctx.t;
	const errors = h('div', {});
	const from = dayField(h, 'dash-from', t('officer.dashboard.from'), period.from, t('officer.dashboard.utc_hint'));
	const to = dayField(h, 'dash-to', t('officer.dashboard.to'), period.to, t('officer.dashboard.utc_hint'));
	async function submit(e) {
		e.preventDefault();
		clear(errors);
		const f = from[2].value, l = to[2].value;
		if (!isDay(f) || !isDay(l) || f > l || daysOf(f, l).length > MAX_DAYS) {
			errors.append(h('div', { class: 'alert', role: 'alert' }, h('p', {}, t('officer.dashboard.period_invalid', { n: MAX_DAYS }))));
			from[2].setAttribute('aria-invalid', 'true');
			from[2].focus();
			return;
		}
		from[2].removeAttribute('aria-invalid');
		period.from = f;
		period.to = l;
		await onChange();
	}
	const form = h('form', { class: 'filters', novalidate: true, onsubmit: submit, 'aria-label': t('officer.dashboard.period') },
		h('div', { class: 'filter-grid' }, h('div', {}, from), h('div', {}, to)), errors,
		h('div', { class: 'actions' }, h('button', { type: 'submit' }, t('officer.dashboard.show'))));
	form.fill = (d) => { from[2].value = d.from; to[2].value = d.to; };
	return form;
}

export async function render(root, ctx) {
	const { h, clear } = ctx.ui;
	const t = ctx.t;
	const body = h('div', { id: 'dashboard-body' });
	async function load() {
		const q = period.from ? `?from=${encodeURIComponent(period.from)}&to=${encodeURIComponent(period.to)}` : '';
		let d;
		try {
			d = await ctx.api('GET', `/v1/reports/dashboard${q}`);
		} catch (e) {
			clear(body).append(ctx.ui.problem(e));
			return;
		}
		form.fill(d);
		clear(body).append(
			h('p', { class: 'period' }, t('officer.dashboard.period_is', { from: d.from, to: d.to, days: d.days })),
			summary(h, t, d), lookupsSection(ctx, d), reasonsSection(ctx, d), emergencySection(ctx, d));
	}
	const form = periodForm(ctx, async () => {
		await load();
		ctx.announce(t('officer.dashboard.updated', { from: period.from, to: period.to }));
	});
	root.append(h('h1', {}, t('officer.dashboard.title')), form, body);
	await load();
}
