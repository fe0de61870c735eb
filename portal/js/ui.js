// ui.js: DOM helpers. Data goes into the page as text nodes and attributes only, never as HTML.
import { t } from './i18n.js';

// h('p', {class: 'x', onclick: fn}, 'text', child, [more]) -> an element.
export function h(tag, attrs, ...children) {
	const el = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs || {})) {
		if (v === null || v === undefined || v === false) continue;
		if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
		else if (k === 'class') el.className = v;
		else if (k === 'value' || k === 'checked' || k === 'disabled') el[k] = v;
		else el.setAttribute(k, v === true ? '' : String(v));
	}
	append(el, children);
	return el;
}

function append(el, children) {
	for (const c of children) {
		if (c === null || c === undefined || c === false) continue;
		if (Array.isArray(c)) append(el, c);
		else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
	}
}

export function clear(el) {
	while (el.firstChild) el.removeChild(el.firstChild);
	return el;
}

// ---- problems ----

// A countdown element: render(s) each second from seconds down to 0, then done().
export function countdown(seconds, render, done) {
	const el = h('span', {});
	let left = Math.max(1, Math.ceil(seconds));
	el.textContent = render(left);
	const timer = setInterval(() => {
		left -= 1;
		if (!el.isConnected && left < seconds - 1) {
			clearInterval(timer);
			return;
		}
		if (left <= 0) {
			clearInterval(timer);
			el.textContent = t('ui.countdown_done');
			if (done) done();
			return;
		}
		el.textContent = render(left);
	}, 1000);
	return el;
}

// The text of an ApiError (or any error) in the reader's language.
export function problemText(err) {
	const code = err && err.code ? err.code : 'unknown';
	const key = 'problem.' + code;
	const s = t(key);
	return s === key ? t('problem.unknown') : s;
}

// A message for an error: role=alert; a 429 counts Retry-After down, and calls done at 0.
export function problem(err, done) {
	const box = h('div', { class: 'alert', role: 'alert' }, h('p', {}, problemText(err)));
	if (err && err.code === 'rate_limited') {
		box.append(h('p', {}, countdown(err.retryAfter || 1, (s) => t('ui.countdown', { s }), done)));
	}
	return box;
}

// ---- tables ----

// A cell for a CSV file: quoted (RFC 4180), and text that a spreadsheet would take for a formula
// (= + - @ first, also after blanks, or a tab or line break first) defused by a leading '.
// A number stays a number (a negative one is not a formula).
export function csvCell(v) {
	if (typeof v === 'number' && Number.isFinite(v)) return String(v);
	let s = v === null || v === undefined ? '' : String(v);
	if (/^\s*[=+\-@\uff1d\uff0b\uff0d\uff20]/.test(s) || /^[\t\r\n]/.test(s)) s = "'" + s;
	return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}

// The CSV of a table: its columns' labels, then each row; a column with csv: false is left out.
export function toCsv(columns, rows) {
	const cols = columns.filter((c) => c.csv !== false);
	const lines = [cols.map((c) => csvCell(c.label)).join(',')];
	for (const r of rows) lines.push(cols.map((c) => csvCell(c.csv ? c.csv(r) : r[c.key])).join(','));
	return '\ufeff' + lines.join('\r\n') + '\r\n'; // the BOM: spreadsheets then read UTF-8 (Vietnamese) right
}

export function download(filename, text, type) {
	const url = URL.createObjectURL(new Blob([text], { type }));
	const a = h('a', { href: url, download: filename, hidden: true });
	document.body.append(a);
	a.click();
	a.remove();
	setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// table(columns, rows, {caption, filename}): a table with headers and a CSV export button.
// columns: [{key, label, cell?(row) -> node|text, csv?(row) -> text, num?}]
export function table(columns, rows, opts = {}) {
	const head = h('tr', {}, columns.map((c) => h('th', { scope: 'col', class: c.num ? 'num' : null }, c.label)));
	const body = rows.map((r) =>
		h('tr', {}, columns.map((c) => h('td', { class: c.num ? 'num' : null }, c.cell ? c.cell(r) : r[c.key] ?? ''))));
	const tbl = h('table', {}, opts.caption ? h('caption', {}, opts.caption) : null, h('thead', {}, head),
		h('tbody', {}, body));
	const wrap = h('div', { class: 'table-block' });
	if (rows.length === 0) wrap.append(h('p', { class: 'muted' }, t('ui.empty')));
	else wrap.append(h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': opts.caption || '' }, tbl));
	const name = opts.filename || 'export.csv';
	wrap.append(h('div', { class: 'actions' }, h('button', {
		type: 'button', class: 'secondary', disabled: rows.length === 0,
		onclick: () => download(name, toCsv(columns, rows), 'text/csv;charset=utf-8'),
	}, t('ui.export_csv'))));
	return wrap;
}

// pager(load, show): pages over a list's `after`/`next`. load(after) -> {items, next}
// (after undefined for the first page); show(items) -> a node. Previous pages are remembered.
export function pager(load, show) {
	const box = h('div', { class: 'pager-block' });
	const cursors = [undefined];
	let page = 0;
	async function go(n) {
		const res = await load(cursors[n]);
		page = n;
		if (res.next !== null && res.next !== undefined) cursors[n + 1] = res.next;
		else cursors.length = n + 1;
		clear(box).append(show(res.items || []), h('nav', { class: 'pager', 'aria-label': t('ui.page', { n: n + 1 }) },
			h('button', { type: 'button', class: 'secondary', disabled: n === 0, onclick: () => go(page - 1) }, t('ui.previous')),
			h('span', {}, t('ui.page', { n: n + 1 })),
			h('button', { type: 'button', class: 'secondary', disabled: cursors.length <= n + 1, onclick: () => go(page + 1) }, t('ui.next'))));
	}
	box.ready = go(0).catch((e) => {
		clear(box).append(problem(e));
	});
	return box;
}
