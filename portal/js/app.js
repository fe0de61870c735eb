// app.js: the portal's shell: the route table, the header (name, navigation, language, sign out),
// the hash router, focus after each page change, and a live region for messages.
import * as apiMod from './api.js';
import { t, getLang, setLang, LANGS } from './i18n.js';
import * as ui from './ui.js';

const { h, clear } = ui;

// The routes. area: who may open the page ('public': anyone). nav: its link in the header.
export const routes = [
	{ path: '/sign-in', area: 'public', page: () => import('./pages/sign-in.js') },
	{ path: '/citizen/requests', area: 'citizen', nav: 'citizen.nav.requests', page: () => import('./pages/citizen-requests.js') },
	{ path: '/citizen/consents', area: 'citizen', nav: 'citizen.nav.consents', page: () => import('./pages/citizen-consents.js') },
	{ path: '/citizen/restriction', area: 'citizen', nav: 'citizen.nav.restriction', page: () => import('./pages/citizen-restriction.js') },
	{ path: '/citizen/timeline', area: 'citizen', nav: 'citizen.nav.timeline', page: () => import('./pages/citizen-timeline.js') },
	{ path: '/citizen/data', area: 'citizen', nav: 'citizen.nav.data', page: () => import('./pages/citizen-data.js') },
	{ path: '/officer/dashboard', area: 'officer', nav: 'officer.nav.dashboard', page: () => import('./pages/officer-dashboard.js') },
	{ path: '/officer/audit', area: 'officer', nav: 'officer.nav.audit', page: () => import('./pages/officer-audit.js') },
	{ path: '/officer/reviews', area: 'officer', nav: 'officer.nav.reviews', page: () => import('./pages/officer-reviews.js') },
	{ path: '/officer/log', area: 'officer', nav: 'officer.nav.log', page: () => import('./pages/officer-log.js') },
];

const home = { citizen: '/citizen/requests', officer: '/officer/dashboard' };

const state = {
	session: null, // {kind, expires_at} or null
	path: null,
	notice: null, // a message to show once on the next page (signed out, session ended)
	seq: 0, // the render in progress: a slower earlier one never overwrites a later one
};

const $ = (id) => document.getElementById(id);

// A message for screen readers (and, with show, on the page too).
export function announce(text) {
	const live = $('live');
	live.textContent = '';
	setTimeout(() => { live.textContent = text; }, 50);
}

function currentPath() {
	const p = location.hash.replace(/^#/, '');
	return p.startsWith('/') ? p.split('?')[0] : '';
}

export function go(path) {
	if (currentPath() === path) render();
	else location.hash = '#' + path;
}

function renderHeader() {
	const top = clear($('top'));
	const s = state.session;
	const bar = h('div', { class: 'top-bar' },
		h('a', { class: 'brand', href: '#' + (s ? home[s.kind] : '/sign-in') }, t('app.name')),
		h('button', {
			type: 'button', lang: getLang() === 'vi' ? 'en' : 'vi',
			onclick: () => { setLang(LANGS.find((l) => l !== getLang())); render(); },
		}, t('app.lang_switch')),
		s ? h('button', { type: 'button', onclick: signOut }, t('app.sign_out')) : null);
	top.append(bar);
	if (s) {
		const links = routes.filter((r) => r.area === s.kind && r.nav).map((r) =>
			h('li', {}, h('a', {
				href: '#' + r.path, 'aria-current': r.path === state.path ? 'page' : null,
				// the current page's link shows it afresh (no hashchange comes for it)
				onclick: (e) => { if (r.path === state.path) { e.preventDefault(); render(); } },
			}, t(r.nav))));
		top.append(h('nav', { class: 'nav', 'aria-label': t('app.nav_label') }, h('ul', {}, links)));
	}
	const skip = clear($('skip'));
	skip.append(h('a', {
		class: 'skip-link', href: '#main',
		onclick: (e) => { e.preventDefault(); $('main').focus(); },
	}, t('app.skip')));
}

async function signOut() {
	try {
		await apiMod.signOut();
	} catch {
		/* the session may be over already: the page forgets it either way */
	}
	state.session = null;
	state.notice = t('app.signed_out');
	go('/sign-in');
}

function sessionEnded() {
	if (!state.session) return;
	state.session = null;
	state.notice = t('app.session_ended');
	go('/sign-in');
}

// What a page gets: ctx = {api, t, lang, session, go, ui, announce, signedIn}.
function context() {
	return {
		api: apiMod.api,
		t,
		lang: getLang(),
		session: state.session,
		go,
		ui,
		announce,
		signedIn: (session) => { state.session = session; go(home[session.kind]); },
		signIn: apiMod.signIn,
	};
}

// The route for path and the signed-in state: the page to show, or another path to go to.
function resolve(path) {
	const s = state.session;
	const r = routes.find((x) => x.path === path);
	if (!r) return { redirect: s ? home[s.kind] : '/sign-in' };
	if (r.area === 'public') return s && path === '/sign-in' ? { redirect: home[s.kind] } : { route: r };
	if (!s) return { redirect: '/sign-in' };
	if (r.area !== s.kind) return { redirect: home[s.kind] };
	return { route: r };
}

async function render() {
	const seq = ++state.seq;
	const path = currentPath();
	const res = resolve(path);
	if (res.redirect) {
		if (res.redirect !== path) {
			history.replaceState(null, '', '#' + res.redirect);
			return render();
		}
	}
	state.path = path;
	renderHeader();
	const main = $('main');
	const root = h('div', { class: 'page' });
	if (state.notice) {
		root.append(h('div', { class: 'alert ok', role: 'status' }, state.notice));
		state.notice = null;
	}
	main.setAttribute('aria-busy', 'true');
	try {
		const mod = await res.route.page();
		if (seq !== state.seq) return;
		await mod.render(root, context());
	} catch (e) {
		if (seq !== state.seq) return;
		root.append(h('h1', {}, t('app.page_error')), ui.problem(e));
	}
	if (seq !== state.seq) return;
	clear(main).append(root);
	main.removeAttribute('aria-busy');
	const h1 = main.querySelector('h1');
	document.title = (h1 ? h1.textContent + ' · ' : '') + t('app.name');
	if (h1) {
		h1.setAttribute('tabindex', '-1');
		h1.focus();
	}
}

async function start() {
	apiMod.setUnauthorizedHandler(sessionEnded);
	try {
		state.session = await apiMod.currentSession();
	} catch {
		state.session = null;
	}
	window.addEventListener('hashchange', render);
	await render();
}

start();
