// test_shell.mjs: the shell around the pages: every route of each area opens from the header's
// navigation with its heading focused and marked current; a signed-in page opened by lib.mjs.
import assert from 'node:assert/strict';
import { world, openSignedIn } from './lib.mjs';

async function walkNav(env, page, prefix) {
	const links = page.getByRole('navigation').getByRole('link');
	const n = await links.count();
	assert.ok(n >= 4, `${prefix}: ${n} links in the navigation`);
	for (let i = 0; i < n; i++) {
		const link = links.nth(i);
		const name = (await link.textContent()).trim();
		const href = await link.getAttribute('href');
		await link.click();
		// the new page is there when its heading has focus (the link had it before): a locator's hasText
		// (any part) also matched the page before ("Ai đã dùng dữ liệu của tôi" holds "Dữ liệu của tôi"),
		// and a click on the current page's link renders it again after its old heading is found
		await page.waitForFunction((n) => {
			const a = document.activeElement;
			return a && a.tagName === 'H1' && a.closest('main') && a.textContent.toLowerCase().includes(n.toLowerCase());
		}, name);
		assert.ok(page.url().endsWith(href), `${page.url()} after ${href}`);
		assert.equal(await link.getAttribute('aria-current'), 'page');
		assert.equal(await page.evaluate(() => document.activeElement && document.activeElement.tagName), 'H1');
		const heading = (await page.locator('main h1').first().textContent()).trim();
		assert.ok((await page.title()).startsWith(`${heading} · `), `the title names the page: ${await page.title()}`);
		await env.check(page, `shell-${href.replace(/^#\//, '').replace(/\//g, '-')}`);
	}
}

export async function testEveryRouteOpens(env) {
	const w = await world(env.v);
	const citizen = await openSignedIn(env, w.citizen, '/citizen/requests');
	await walkNav(env, citizen, 'citizen');
	const officer = await openSignedIn(env, w.officer, '/officer/dashboard');
	await walkNav(env, officer, 'officer');
	// an unknown route goes home
	await officer.goto(env.v.base + '/#/no/such/page');
	await officer.locator('main h1', { hasText: 'Tổng quan' }).waitFor();
	assert.match(officer.url(), /#\/officer\/dashboard$/);
}
