// pages/citizen-consents.js: the consents the citizen gave, each with its state (active,
// restricted, expired, used up, revoked) in words; revoking one (after a confirmation), and its
// signed receipt shown again and downloaded.
import * as cc from './citizen-common.js';

let seq = 0;

// The consent's state: the API's `state`, or, from an older answer, what its `status` says.
export function stateOf(c) {
	if (c.state) return c.state;
	return c.status === 'used' ? 'used_up' : c.status || 'active';
}

export async function render(root, ctx) {
	const { h } = ctx.ui;
	root.append(h('h1', {}, ctx.t('citizen.consents.title')), h('p', { class: 'lead' }, ctx.t('citizen.consents.intro')));
	const list = ctx.ui.pager(async (after) => {
		const q = after ? `?limit=10&after=${encodeURIComponent(after)}` : '?limit=10';
		const r = await ctx.api('GET', '/v1/me/consents' + q);
		return { items: r.consents, next: r.next };
	}, (items) => (items.length === 0 ? h('p', { class: 'muted' }, ctx.t('citizen.consents.none'))
		: h('div', {}, items.map((c) => card(ctx, c)))));
	root.append(list);
	await list.ready;
}

function uses(ctx, c) {
	if (c.use_limit) return ctx.t('citizen.consent.uses_of', { n: c.uses || 0, limit: c.use_limit });
	// without a limit the vault does not count uses: the timeline lists each one
	return ctx.t('citizen.consent.uses_unlimited_short');
}

function card(ctx, c) {
	const { h, clear } = ctx.ui;
	const t = ctx.t;
	const id = `cs${++seq}`;
	const sec = h('section', { class: 'card consent', 'aria-labelledby': id + '-h' });
	const agency = (c.agency && c.agency.name) || t('citizen.tl.an_agency');
	const extra = h('div', {});

	function draw() {
		const state = stateOf(c);
		const revocable = state === 'active' || state === 'restricted';
		const revokeBtn = revocable ? h('button', { type: 'button', class: 'danger', onclick: askRevoke }, t('citizen.consents.revoke')) : null;
		clear(sec).append(
			h('h2', { id: id + '-h', tabindex: '-1' }, agency),
			h('p', {}, h('span', { class: `state state-${state}` }, cc.tOr(ctx, 'citizen.state.' + state, state)), ' ',
				cc.tOr(ctx, 'citizen.state_help.' + state, '')),
			cc.facts(ctx, [
				[t('citizen.label.purpose'), cc.purposeText(ctx, c.purpose)],
				[t('citizen.label.basis'), cc.basisText(ctx, c.legal_basis)],
				[t('citizen.label.fields'), cc.fieldList(ctx, c.fields)],
				[t('citizen.label.granted'), cc.time(ctx, c.granted_at)],
				[t('citizen.label.expires'), cc.time(ctx, c.expires_at)],
				[t('citizen.label.revoked'), c.revoked_at ? cc.time(ctx, c.revoked_at) : null],
				[t('citizen.label.uses'), uses(ctx, c)],
				[t('citizen.requests.keeps'), c.retention_days === undefined || c.retention_days === null ? null
					: t('citizen.requests.keep_days', { n: c.retention_days })],
			]),
			h('div', { class: 'actions' },
				h('button', { type: 'button', class: 'secondary', onclick: showReceipt }, t('citizen.consents.receipt')),
				revokeBtn),
			extra);
	}

	async function showReceipt() {
		clear(extra).append(h('p', { class: 'muted' }, t('app.loading')));
		try {
			const res = await ctx.api('GET', `/v1/me/consents/${encodeURIComponent(c.id)}/receipt`);
			clear(extra).append(cc.receiptView(ctx, res, 'h3'));
			extra.querySelector('h3').setAttribute('tabindex', '-1');
			extra.querySelector('h3').focus();
		} catch (err) {
			clear(extra).append(ctx.ui.problem(err));
		}
	}

	function askRevoke() {
		clear(extra).append(h('div', { class: 'alert warn' },
			h('p', {}, t('citizen.consents.revoke_confirm', { agency })),
			h('div', { class: 'actions' },
				h('button', { type: 'button', class: 'danger', onclick: revoke }, t('citizen.consents.revoke_yes')),
				h('button', { type: 'button', class: 'secondary', onclick: () => clear(extra) }, t('citizen.action.cancel')))));
		extra.querySelector('button').focus();
	}

	async function revoke() {
		try {
			await ctx.api('DELETE', `/v1/me/consents/${encodeURIComponent(c.id)}`);
			c.state = 'revoked';
			c.status = 'revoked';
			c.revoked_at = c.revoked_at || new Date().toISOString().replace(/\.\d+Z$/, 'Z');
			clear(extra);
			draw();
			extra.append(cc.alertBox(ctx, 'ok', t('citizen.consents.revoked', { agency })));
			ctx.announce(t('citizen.consents.revoked', { agency }));
			sec.querySelector('h2').focus();
		} catch (err) {
			clear(extra).append(ctx.ui.problem(err));
		}
	}

	draw();
	return sec;
}
