// test_signin.mjs: signing in and out, as a citizen and as an officer; a wrong code; the
// lockout's countdown; the language switch.
import assert from 'node:assert/strict';
import { world, enrolCitizen, createAgency, freshCode, wrongCode, call } from './lib.mjs';

async function h1(page) {
	return (await page.locator('main h1').first().textContent()).trim();
}

async function waitH1(page, text) {
	await page.locator('main h1', { hasText: text }).first().waitFor();
}

// The session is only in the HttpOnly cookie: never in the page's reach or its storage.
async function assertNoTokenInPage(page) {
	const seen = await page.evaluate(() => [document.cookie, JSON.stringify(localStorage), JSON.stringify(sessionStorage), location.href].join(' '));
	assert.ok(!seen.includes('vk_session_'), `the session token is visible to the page: ${seen}`);
}

export async function testCitizenSignInWrongCodeLanguageSignOut(env) {
	const w = await world(env.v);
	const page = await env.newPage();
	await page.goto(env.v.base + '/');
	await waitH1(page, 'Đăng nhập');
	assert.match(page.url(), /#\/sign-in$/);
	assert.equal(await page.getAttribute('html', 'lang'), 'vi');
	await env.check(page, 'sign-in');

	// a wrong code: a Vietnamese message, and still on the sign-in page
	await page.getByLabel('Số định danh cá nhân (CCCD)').fill(w.citizen.nid);
	await page.getByLabel('Mã xác thực').fill(wrongCode(w.citizen));
	await page.getByRole('button', { name: 'Đăng nhập' }).click();
	const alert = page.getByRole('alert');
	await alert.waitFor();
	assert.match(await alert.textContent(), /Mã xác thực không đúng, đã hết hạn hoặc đã được dùng/);
	await env.check(page, 'sign-in-wrong-code');

	// the right code: the citizen's first page
	await page.getByLabel('Mã xác thực').fill(await freshCode(w.citizen));
	await page.getByRole('button', { name: 'Đăng nhập' }).click();
	await waitH1(page, 'Yêu cầu chờ duyệt');
	assert.match(page.url(), /#\/citizen\/requests$/);
	assert.ok(await page.getByRole('navigation').getByRole('link', { name: 'Ai đã dùng dữ liệu của tôi' }).isVisible());
	await assertNoTokenInPage(page);
	const cookies = await page.context().cookies();
	const c = cookies.find((x) => x.name === 'vaultd_session');
	assert.ok(c && c.httpOnly && c.sameSite === 'Strict', 'an HttpOnly, SameSite=Strict cookie');
	await env.check(page, 'citizen-home');

	// English one click away; the choice outlives a reload, and so does the session
	await page.getByRole('button', { name: 'English' }).click();
	await waitH1(page, 'Pending requests');
	assert.equal(await page.getAttribute('html', 'lang'), 'en');
	await page.reload();
	await waitH1(page, 'Pending requests');
	await env.check(page, 'citizen-home-en');

	// an officer's page is not the citizen's: back to their own
	await page.goto(env.v.base + '/#/officer/audit');
	await waitH1(page, 'Pending requests');

	// sign out: the cookie is gone and the API says so
	await page.getByRole('button', { name: 'Sign out' }).click();
	await waitH1(page, 'Sign in');
	assert.match(await page.getByRole('status').first().textContent(), /You have signed out/);
	assert.equal((await page.context().cookies()).find((x) => x.name === 'vaultd_session'), undefined);
	const status = await page.evaluate(async () => (await fetch('/v1/session')).status);
	assert.equal(status, 401);
	await page.goto(env.v.base + '/#/citizen/consents');
	await waitH1(page, 'Sign in');
}

export async function testOfficerSignIn(env) {
	const w = await world(env.v);
	const page = await env.newPage();
	await page.goto(env.v.base + '/#/sign-in');
	await waitH1(page, 'Đăng nhập');
	await page.getByLabel('Cán bộ bảo vệ dữ liệu').check();
	await page.getByLabel('Mã cán bộ').fill(w.officer.id);
	await page.getByLabel('Mã xác thực').fill(await freshCode(w.officer));
	await page.getByRole('button', { name: 'Đăng nhập' }).click();
	await waitH1(page, 'Tổng quan');
	assert.match(page.url(), /#\/officer\/dashboard$/);
	for (const name of ['Tra cứu nhật ký', 'Truy cập khẩn cấp', 'Trạng thái nhật ký']) {
		assert.ok(await page.getByRole('navigation').getByRole('link', { name }).isVisible(), name);
	}
	await assertNoTokenInPage(page);
	await env.check(page, 'officer-home');
	await page.goto(env.v.base + '/#/citizen/requests');
	await waitH1(page, 'Tổng quan');
	assert.equal(await h1(page), 'Tổng quan');
}

// Past the budget of wrong codes, the page says when to come back and counts down; it does not say "wrong code".
export async function testRateLimitedCountdown(env) {
	const registrar = await createAgency(env.v, 'Sở Tư pháp', ['registrar']);
	const citizen = await enrolCitizen(env.v, registrar.token);
	for (let i = 0; i < 5; i++) {
		const r = await call(env.v, 'POST', '/v1/sessions', null, { national_id: citizen.nid, totp: wrongCode(citizen) });
		assert.equal(r.status, 401);
	}
	const page = await env.newPage();
	await page.goto(env.v.base + '/#/sign-in');
	await waitH1(page, 'Đăng nhập');
	await page.getByLabel('Số định danh cá nhân (CCCD)').fill(citizen.nid);
	await page.getByLabel('Mã xác thực').fill(await freshCode(citizen));
	await page.getByRole('button', { name: 'Đăng nhập' }).click();
	const alert = page.getByRole('alert');
	await alert.waitFor();
	const text = await alert.textContent();
	assert.match(text, /nhập sai quá nhiều lần/);
	assert.match(text, /Thử lại sau \d+ giây/);
	assert.doesNotMatch(text, /không đúng/);
	assert.ok(await page.getByRole('button', { name: 'Đăng nhập' }).isDisabled());
	await env.check(page, 'sign-in-rate-limited');
}
