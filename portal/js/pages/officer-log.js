// pages/officer-log.js: the log's state: the result of a full verification (GET /v1/audit/verify)
// and the latest signed checkpoint (GET /v1/checkpoint), shown plainly, with the vault's key.
import { fmtTime, fmtNumber } from '../i18n.js';

// A C2SP signed note: origin, size, root hash, then after a blank line "— <key name> <signature>".
export function parseCheckpoint(note) {
	const [body, sigs] = String(note || '').split('\n\n');
	const lines = (body || '').split('\n');
	const sig = /^\u2014 (\S+) (\S+)/.exec((sigs || '').trim());
	return { origin: lines[0] || '', size: lines[1] || '', root: lines[2] || '', signer: sig ? sig[1] : '' };
}

function facts(h, rows) {
	return h('dl', { class: 'facts' }, rows.filter(Boolean).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

async function verification(ctx, box) {
	const { h, clear } = ctx.ui;
	const t = ctx.t;
	clear(box).append(h('p', { class: 'muted' }, t('app.loading')));
	let v;
	try {
		v = await ctx.api('GET', '/v1/audit/verify');
	} catch (e) {
		clear(box).append(ctx.ui.problem(e));
		return;
	}
	const when = fmtTime(Math.floor(Date.now() / 1000));
	const verdict = v.ok
		? h('div', { class: 'alert ok verdict' }, h('p', {}, h('strong', {}, t('officer.log.ok'))),
			h('p', {}, t('officer.log.ok_detail', { n: fmtNumber(v.entries) })))
		: h('div', { class: 'alert verdict' }, h('p', {}, h('strong', {}, t('officer.log.bad'))),
			h('p', {}, t('officer.log.bad_detail', { problem: v.problem || '' })),
			v.first_bad_entry >= 0 ? h('p', {}, t('officer.log.first_bad', { n: v.first_bad_entry })) : null);
	clear(box).append(verdict, facts(h, [
		[t('officer.log.entries'), fmtNumber(v.entries)],
		[t('officer.log.head'), fmtNumber(v.head)],
		[t('officer.log.checked_at'), when],
	]));
	ctx.announce(v.ok ? t('officer.log.ok') : t('officer.log.bad'));
}

async function checkpoint(ctx, box) {
	const { h, clear } = ctx.ui;
	const t = ctx.t;
	let cp = null, keys = null;
	try {
		keys = await ctx.api('GET', '/v1/keys');
		cp = await ctx.api('GET', '/v1/checkpoint');
	} catch (e) {
		if (e.status !== 404) {
			clear(box).append(ctx.ui.problem(e));
			return;
		}
	}
	clear(box);
	if (!cp) {
		box.append(h('p', {}, t('officer.log.no_checkpoint')));
	} else {
		const c = parseCheckpoint(cp.checkpoint);
		box.append(facts(h, [
			[t('officer.log.size'), fmtNumber(cp.size)],
			[t('officer.log.root'), h('code', { class: 'hash' }, c.root)],
			[t('officer.log.origin'), h('code', {}, c.origin)],
			[t('officer.log.signer'), h('code', {}, c.signer)],
		]), h('details', { class: 'raw' }, h('summary', {}, t('officer.log.note')),
			h('pre', { class: 'note', tabindex: '0' }, cp.checkpoint)));
	}
	if (keys) {
		box.append(facts(h, [[t('officer.log.public_key'), h('code', { class: 'hash' }, keys.public_key)]]),
			h('p', { class: 'hint' }, t('officer.log.key_hint')));
	}
}

export async function render(root, ctx) {
	const { h } = ctx.ui;
	const t = ctx.t;
	const verifyBox = h('div', { id: 'log-verify' });
	const cpBox = h('div', { id: 'log-checkpoint' });
	const again = h('button', { type: 'button', class: 'secondary', onclick: async () => {
		again.disabled = true;
		await Promise.all([verification(ctx, verifyBox), checkpoint(ctx, cpBox)]);
		again.disabled = false;
	} }, t('officer.log.verify_again'));
	root.append(
		h('h1', {}, t('officer.log.title')),
		h('p', {}, t('officer.log.intro')),
		h('section', { 'aria-labelledby': 'log-verify-h' }, h('h2', { id: 'log-verify-h' }, t('officer.log.verify_title')),
			verifyBox, h('div', { class: 'actions' }, again)),
		h('section', { 'aria-labelledby': 'log-cp-h' }, h('h2', { id: 'log-cp-h' }, t('officer.log.checkpoint_title')),
			cpBox));
	await Promise.all([verification(ctx, verifyBox), checkpoint(ctx, cpBox)]);
}
