// pages/citizen-timeline.js: "who used my data": every event of the audit log about the citizen,
// newest first, in pages, each said in plain words, and each proved in the browser to be in the
// vault's signed log (citizen-verify.js); the page says when this browser cannot check.
import * as cc from './citizen-common.js';
import { available, verifier } from './citizen-verify.js';

export async function render(root, ctx) {
	const { h } = ctx.ui;
	const t = ctx.t;
	const canVerify = await available();
	const verify = canVerify ? verifier(ctx.api) : null;
	root.append(h('h1', {}, t('citizen.timeline.title')), h('p', { class: 'lead' }, t('citizen.timeline.intro')),
		canVerify ? h('p', { class: 'hint' }, t('citizen.timeline.verify_how'))
			: cc.alertBox(ctx, 'warn', t('citizen.timeline.verify_unavailable')));
	const list = ctx.ui.pager(async (after) => {
		const q = after !== undefined ? `?limit=20&after=${encodeURIComponent(after)}` : '?limit=20';
		const r = await ctx.api('GET', '/v1/me/access-log' + q);
		return { items: r.entries, next: r.next };
	}, (items) => show(ctx, items, verify));
	root.append(list);
	await list.ready;
}

function show(ctx, items, verify) {
	const { h } = ctx.ui;
	if (items.length === 0) return h('p', { class: 'muted' }, ctx.t('citizen.timeline.none'));
	const rows = items.map((e) => entry(ctx, e));
	// one proof after another: a page of 20 is 20 small requests, not 20 at once
	(async () => {
		for (const r of rows) await r.check(verify);
	})();
	return h('ol', { class: 'timeline' }, rows.map((r) => r.li));
}

function actorAgency(ctx, e) {
	return e.agency_name || ctx.t('citizen.tl.an_agency');
}

// The sentence of an entry: citizen.tl.<action>[.<variant>] with {agency}.
export function sentence(ctx, e) {
	const vars = { agency: actorAgency(ctx, e) };
	const a = e.action || '';
	let key = 'citizen.tl.' + a;
	if (a === 'lookup') {
		if (e.reason === 'error') key += '.error';
		else if (e.decision === 'deny') key += '.deny';
		else key += '.' + (e.basis || 'consent');
	} else if (a === 'consent.revoke' || a === 'record.read') {
		key += e.actor === 'citizen' ? '.self' : '.other';
	}
	return cc.tOr(ctx, key, ctx.t('citizen.tl.other', { action: a }), vars);
}

function details(ctx, e) {
	const t = ctx.t;
	const review = e.review;
	let reviewText = null;
	if (review && review.status === 'reviewed') reviewText = t('citizen.tl.review.' + review.outcome);
	else if (review && review.status === 'pending') reviewText = t('citizen.tl.review.pending');
	return cc.facts(ctx, [
		[t('citizen.label.purpose'), e.purpose_description ? cc.inLang(ctx, e.purpose_description) : null],
		[t('citizen.label.fields'), e.fields && e.fields.length ? e.fields.map((f) => cc.fieldLabel(ctx, f)).join(', ') : null],
		[t('citizen.tl.why_denied'), e.decision === 'deny' && e.reason ? cc.tOr(ctx, 'citizen.reason.' + e.reason, e.reason) : null],
		[t('citizen.tl.justification'), e.justification || null],
		[t('citizen.tl.review'), reviewText],
	]);
}

function entry(ctx, e) {
	const { h } = ctx.ui;
	const t = ctx.t;
	const status = h('span', { class: 'verify' }, t('citizen.timeline.checking'));
	const kind = e.decision === 'deny' ? 'deny' : e.decision === 'allow' ? 'allow' : 'event';
	const li = h('li', { class: 'event ' + kind, 'data-seq': String(e.seq) },
		h('p', { class: 'when' }, cc.time(ctx, e.time)),
		h('p', { class: 'what' }, sentence(ctx, e),
			e.decision ? h('span', { class: 'badge ' + kind }, t('citizen.tl.decision.' + e.decision)) : null),
		details(ctx, e),
		h('p', { class: 'verify-line' }, t('citizen.timeline.proof'), ' ', status));
	async function check(verify) {
		if (!verify) {
			status.textContent = t('citizen.timeline.unchecked');
			return;
		}
		const res = await verify(e);
		status.className = 'verify ' + res;
		status.textContent = t('citizen.timeline.' + res);
	}
	return { li, check };
}
