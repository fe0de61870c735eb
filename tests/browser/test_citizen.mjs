// test_citizen.mjs: the citizen's pages against a real vaultd: a pending request explained, a
// subset of its fields approved (after a wrong code), another request denied, the agency's lookup
// in the timeline verified in the browser, the consent revoked and the agency's next lookup in the
// timeline as refused; restriction set and lifted with step-up codes; my data exported, printed
// and corrected.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { world, createAgency, createPurpose, enrolCitizen, freshCode, wrongCode, totpAt, must, call, openSignedIn } from './lib.mjs';

async function waitH1(page, text) {
	await page.locator('main h1', { hasText: text }).first().waitFor();
}

async function nav(page, name, h1) {
	await page.getByRole('navigation').getByRole('link', { name }).click();
	await waitH1(page, h1);
}

// Every entry of the timeline's page checked, none failed; returns the entries' text.
async function allVerified(page) {
	await page.locator('ol.timeline').waitFor();
	await page.waitForFunction(() => document.querySelectorAll('ol.timeline .verify.verified').length ===
		document.querySelectorAll('ol.timeline .verify').length);
	assert.equal(await page.locator('ol.timeline .verify.failed').count(), 0);
	return page.locator('ol.timeline').textContent();
}

async function download(page, click) {
	const [dl] = await Promise.all([page.waitForEvent('download'), click()]);
	return { name: dl.suggestedFilename(), text: readFileSync(await dl.path(), 'utf8') };
}

// A citizen with a record, and two agencies asking for consent: a hospital (three basic fields)
// and an insurer (a sensitive field and a masked one).
async function story(v) {
	const w = await world(v);
	const citizen = await enrolCitizen(v, w.registrar.token,
		{ full_name: 'Nguyễn Thị Lan', date_of_birth: '1995-03-21', phone: '0912345678', chronic_conditions: 'Hen suyễn' });
	const insurer = await createAgency(v, 'Bảo hiểm xã hội quận 1', ['consumer']);
	await createPurpose(v, insurer.id, 'claims', { fields: ['chronic_conditions', { name: 'phone', masked: true }],
		vi: 'Giải quyết hồ sơ bảo hiểm', en: 'Settling insurance claims', maxDays: 180, retentionDays: 365 });
	await must(v, 202, 'POST', '/v1/consent-requests', w.hospital.token, { national_id: citizen.nid, purpose: 'treatment', days: 90 });
	await must(v, 202, 'POST', '/v1/consent-requests', insurer.token, { national_id: citizen.nid, purpose: 'claims', days: 180 });
	return { ...w, citizen, insurer };
}

export async function testCitizenStory(env) {
	const v = env.v;
	const s = await story(v);
	const page = await openSignedIn(env, s.citizen, '/citizen/requests');
	await waitH1(page, 'Yêu cầu chờ duyệt');

	// each request explained in plain Vietnamese
	const hospital = page.locator('section.request', { hasText: 'Bệnh viện Bạch Mai' });
	const insurer = page.locator('section.request', { hasText: 'Bảo hiểm xã hội quận 1' });
	await hospital.waitFor();
	const text = await hospital.textContent();
	for (const want of ['Khám chữa bệnh', 'Sự đồng ý của bạn', '90 ngày kể từ khi bạn đồng ý', 'tối đa 30 ngày', 'Họ và tên', 'Ngày sinh', 'Số điện thoại']) {
		assert.ok(text.includes(want), `the hospital's request says "${want}": ${text}`);
	}
	const itext = await insurer.textContent();
	assert.match(itext, /Bệnh mãn tính.*Dữ liệu nhạy cảm/s);
	assert.match(itext, /Số điện thoại.*Chỉ một phần \(đã che\)/s);
	assert.match(itext, /tối đa 365 ngày/);
	assert.equal(await hospital.getByRole('checkbox', { checked: true }).count(), 0, 'nothing is chosen for the citizen');
	await env.check(page, 'citizen-requests');

	// nothing chosen, then a wrong code: each says what to do, and nothing is approved
	await hospital.getByRole('button', { name: 'Đồng ý chia sẻ thông tin đã chọn' }).click();
	assert.match(await hospital.getByRole('alert').textContent(), /Hãy chọn ít nhất một thông tin/);
	await hospital.getByLabel('Họ và tên').check();
	await hospital.getByLabel('Số điện thoại').check();
	await hospital.getByLabel('Mã xác thực để xác nhận').fill(wrongCode(s.citizen));
	await hospital.getByRole('button', { name: 'Đồng ý chia sẻ thông tin đã chọn' }).click();
	await hospital.getByRole('alert').filter({ hasText: 'không đúng' }).waitFor();
	assert.doesNotMatch(await hospital.getByRole('alert').textContent(), /vừa được dùng/);
	await env.check(page, 'citizen-requests-wrong-code');

	// the code the sign-in just used: "wait for the next code", counting down, never "wrong code"
	await hospital.getByLabel('Mã xác thực để xác nhận').fill(totpAt(s.citizen.secret, s.citizen.lastStep));
	await hospital.getByRole('button', { name: 'Đồng ý chia sẻ thông tin đã chọn' }).click();
	const reused = hospital.getByRole('alert').filter({ hasText: 'vừa được dùng' });
	await reused.waitFor();
	assert.match(await reused.textContent(), /Mã tiếp theo sẽ có sau \d+ giây/);
	assert.doesNotMatch(await reused.textContent(), /không đúng/);
	await env.check(page, 'citizen-requests-reused-code');

	// the right code: two of the three fields, and the signed receipt
	await hospital.getByLabel('Mã xác thực để xác nhận').fill(await freshCode(s.citizen));
	await hospital.getByRole('button', { name: 'Đồng ý chia sẻ thông tin đã chọn' }).click();
	await hospital.getByText('Biên nhận đồng ý').waitFor();
	assert.match(await hospital.textContent(), /Bạn đã đồng ý cho Bệnh viện Bạch Mai đọc 2 thông tin đã chọn/);
	await hospital.locator('.receipt .verify.verified', { hasText: 'hợp lệ' }).waitFor(); // its signature, checked in the browser
	const receipt = await download(page, () => hospital.getByRole('button', { name: 'Tải biên nhận (JSON)' }).click());
	const r = JSON.parse(receipt.text);
	assert.deepEqual(r.receipt.receipt.fields.map((f) => f.name).sort(), ['full_name', 'phone']);
	assert.equal(r.receipt.alg, 'Ed25519');
	await env.check(page, 'citizen-requests-approved');

	// the other request denied, after a confirmation
	await insurer.getByRole('button', { name: 'Từ chối' }).click();
	await insurer.getByRole('button', { name: 'Xác nhận từ chối' }).click();
	await insurer.getByText('Bạn đã từ chối yêu cầu của Bảo hiểm xã hội quận 1.').first().waitFor();

	// the agency reads what was approved, no more
	const look = await must(v, 200, 'POST', '/v1/lookup', s.hospital.token, { national_id: s.citizen.nid, purpose: 'treatment' });
	assert.equal(look.fields.full_name, 'Nguyễn Thị Lan');
	assert.equal(look.fields.phone, '0912345678');
	assert.equal(look.fields.date_of_birth, undefined);

	// the lookup in the timeline, proved in the browser
	await nav(page, 'Ai đã dùng dữ liệu của tôi', 'Ai đã dùng dữ liệu của tôi');
	const lookup = page.locator('ol.timeline > li.allow', { hasText: 'Bệnh viện Bạch Mai đã đọc thông tin của bạn' }).first();
	await lookup.waitFor();
	await lookup.locator('.verify.verified').waitFor();
	assert.match(await lookup.textContent(), /Họ và tên, Số điện thoại/);
	const tl = await allVerified(page);
	for (const want of ['Bạn đã đồng ý cho Bệnh viện Bạch Mai.', 'Bạn đã từ chối yêu cầu của Bảo hiểm xã hội quận 1.',
		'Bệnh viện Bạch Mai đã gửi yêu cầu xin bạn đồng ý.', 'Có lần xác nhận thao tác với mã xác thực sai.', 'Bạn đã đăng nhập.']) {
		assert.ok(tl.includes(want), `the timeline says "${want}"`);
	}
	assert.ok(!tl.includes('Sự kiện khác'), 'every event in plain words');
	await env.check(page, 'citizen-timeline');

	// the consent, active; revoked after a confirmation
	await nav(page, 'Đồng ý của tôi', 'Đồng ý của tôi');
	const consent = page.locator('section.consent', { hasText: 'Bệnh viện Bạch Mai' });
	await consent.waitFor();
	assert.match(await consent.locator('.state').textContent(), /Đang hiệu lực/);
	assert.match(await consent.textContent(), /không giới hạn số lần/);
	await consent.getByRole('button', { name: 'Xem biên nhận' }).click();
	await consent.locator('.receipt .verify.verified').waitFor(); // the same receipt, fetched again, still verifies
	assert.match(await consent.locator('.receipt').textContent(), /Họ và tên\s*Số điện thoại/);
	await env.check(page, 'citizen-consents');
	await consent.getByRole('button', { name: 'Rút lại đồng ý' }).click();
	await consent.getByRole('button', { name: 'Xác nhận rút lại' }).click();
	await consent.locator('.state', { hasText: 'Đã rút lại' }).waitFor();
	assert.equal(await consent.getByRole('button', { name: 'Rút lại đồng ý' }).count(), 0);
	await page.reload();
	await page.locator('section.consent .state', { hasText: 'Đã rút lại' }).waitFor();
	await env.check(page, 'citizen-consents-revoked');

	// the agency's next lookup is refused, and the timeline says so, proved
	const denied = await call(v, 'POST', '/v1/lookup', s.hospital.token, { national_id: s.citizen.nid, purpose: 'treatment' });
	assert.equal(denied.status, 403);
	await nav(page, 'Ai đã dùng dữ liệu của tôi', 'Ai đã dùng dữ liệu của tôi');
	const refused = page.locator('ol.timeline > li.deny', { hasText: 'Bệnh viện Bạch Mai muốn đọc thông tin của bạn nhưng bị từ chối' }).first();
	await refused.waitFor();
	assert.match(await refused.textContent(), /bạn đã rút lại sự đồng ý/);
	await refused.locator('.verify.verified').waitFor();
	const tl2 = await allVerified(page);
	assert.ok(tl2.indexOf('bị từ chối') < tl2.indexOf('Bệnh viện Bạch Mai đã đọc'), 'newest first');
	assert.ok(tl2.includes('Bạn đã rút lại sự đồng ý cho Bệnh viện Bạch Mai.'));
	await env.check(page, 'citizen-timeline-refused');
}

// A one-time consent (use_limit 1, given through the API the page uses): after one lookup it
// reads "used up" with its count, cannot be withdrawn any more, and the next lookup appears
// refused with the reason in words.
export async function testConsentUsedUp(env) {
	const v = env.v;
	const w = await world(v);
	await must(v, 202, 'POST', '/v1/consent-requests', w.hospital.token, { national_id: w.citizen.nid, purpose: 'treatment', days: 30 });
	const page = await openSignedIn(env, w.citizen, '/citizen/consents');
	await page.locator('main').getByText('Bạn chưa đồng ý cho cơ quan nào.').waitFor();
	const status = await page.evaluate(async (totp) => {
		const s = await (await fetch('/v1/session')).json();
		const list = await (await fetch('/v1/me/consent-requests')).json();
		const r = await fetch(`/v1/me/consent-requests/${list.requests[0].id}/approve`, {
			method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf_token },
			body: JSON.stringify({ totp, all_fields: true, use_limit: 1 }),
		});
		return r.status;
	}, await freshCode(w.citizen));
	assert.equal(status, 201);
	await must(v, 200, 'POST', '/v1/lookup', w.hospital.token, { national_id: w.citizen.nid, purpose: 'treatment' });
	await page.reload();
	const consent = page.locator('section.consent', { hasText: 'Bệnh viện Bạch Mai' });
	await consent.locator('.state', { hasText: 'Đã dùng hết' }).waitFor();
	assert.match(await consent.textContent(), /1 trên tối đa 1 lần/);
	assert.equal(await consent.getByRole('button', { name: 'Rút lại đồng ý' }).count(), 0);
	await env.check(page, 'citizen-consents-used-up');
	const again = await call(v, 'POST', '/v1/lookup', w.hospital.token, { national_id: w.citizen.nid, purpose: 'treatment' });
	assert.equal(again.status, 403);
	await nav(page, 'Ai đã dùng dữ liệu của tôi', 'Ai đã dùng dữ liệu của tôi');
	const refused = page.locator('ol.timeline > li.deny', { hasText: 'đã dùng hết số lần được phép' }).first();
	await refused.locator('.verify.verified').waitFor();
}

// The page's own check, not the server's word: a proof changed in transit (a hash of its path,
// or the entry's bytes when the path is empty) makes every entry "not verified".
export async function testTimelineDetectsATamperedProof(env) {
	const w = await world(env.v);
	const page = await openSignedIn(env, w.citizen, '/citizen/requests');
	await page.route('**/v1/me/access-log/*/proof', async (route) => {
		const res = await route.fetch();
		const body = await res.json();
		if (body.proof.length > 0) body.proof[0] = Buffer.alloc(32, 7).toString('base64');
		else body.entry = body.entry.replace('"auth.login"', '"auth.logout"');
		await route.fulfill({ response: res, json: body });
	});
	await nav(page, 'Ai đã dùng dữ liệu của tôi', 'Ai đã dùng dữ liệu của tôi');
	const login = page.locator('ol.timeline > li', { hasText: 'Bạn đã đăng nhập.' }).first();
	await login.locator('.verify.failed').waitFor();
	assert.match(await login.textContent(), /không xác minh được/);
	await page.waitForFunction(() => document.querySelectorAll('ol.timeline .verify.failed').length ===
		document.querySelectorAll('ol.timeline .verify').length);
	assert.equal(await page.locator('ol.timeline .verify.verified').count(), 0);
}

// A browser that cannot check (no secure context, so no crypto.subtle) is told so, and its
// entries read "not checked", never "verified".
export async function testTimelineWithoutWebCrypto(env) {
	const w = await world(env.v);
	const page = await openSignedIn(env, w.citizen, '/citizen/timeline');
	await page.addInitScript(() => Object.defineProperty(window, 'isSecureContext', { value: false }));
	await page.reload();
	await page.locator('main').getByText('Trình duyệt này không tự kiểm tra được nhật ký').waitFor();
	await page.locator('ol.timeline .verify', { hasText: 'chưa kiểm tra' }).first().waitFor();
	assert.equal(await page.locator('ol.timeline .verify.verified').count(), 0);
	await env.check(page, 'citizen-timeline-unverifiable');
}

// An emergency access in the timeline: said as one, with the agency's reason, pending review,
// then with the privacy officer's finding once reviewed; proved like every entry.
export async function testTimelineEmergencyReview(env) {
	const v = env.v;
	const w = await world(v);
	const ambulance = await createAgency(v, 'Trung tâm cấp cứu 115', ['emergency']);
	await createPurpose(v, ambulance.id, 'emergency_care', { basis: 'vital_interest', fields: ['full_name', 'blood_type'],
		vi: 'Cấp cứu', en: 'Emergency care' });
	const look = await must(v, 200, 'POST', '/v1/lookup', ambulance.token,
		{ national_id: w.citizen.nid, purpose: 'emergency_care', justification: 'Bệnh nhân bất tỉnh khi nhập viện' });
	const page = await openSignedIn(env, w.citizen, '/citizen/timeline');
	const entry = page.locator('ol.timeline > li.allow', { hasText: 'Trung tâm cấp cứu 115 đã truy cập khẩn cấp' }).first();
	await entry.locator('.verify.verified').waitFor();
	assert.match(await entry.textContent(), /Bệnh nhân bất tỉnh khi nhập viện/);
	assert.match(await entry.textContent(), /Đang chờ xem xét/);

	const session = await must(v, 201, 'POST', '/v1/sessions', null, { officer_id: w.officer.id, totp: await freshCode(w.officer) });
	await must(v, 200, 'POST', `/v1/reviews/${look.access_id}`, session.token, { outcome: 'unjustified' });
	await page.reload();
	const reviewed = page.locator('ol.timeline > li.allow', { hasText: 'Trung tâm cấp cứu 115 đã truy cập khẩn cấp' }).first();
	await reviewed.locator('.verify.verified').waitFor();
	assert.match(await reviewed.textContent(), /Đã xem xét: truy cập là không chính đáng/);
	await env.check(page, 'citizen-timeline-emergency');
}

// The timeline in pages of 20, newest first, each page's entries proved: 25 refused lookups
// (no consent) and the rest of the citizen's story span two pages.
export async function testTimelinePages(env) {
	const w = await world(env.v);
	for (let i = 0; i < 25; i++) {
		const r = await call(env.v, 'POST', '/v1/lookup', w.hospital.token, { national_id: w.citizen.nid, purpose: 'treatment' });
		assert.equal(r.status, 403);
	}
	const page = await openSignedIn(env, w.citizen, '/citizen/timeline');
	await allVerified(page);
	assert.equal(await page.locator('ol.timeline > li').count(), 20);
	assert.match(await page.locator('ol.timeline > li').first().textContent(), /Bạn đã đăng nhập/);
	assert.match(await page.locator('ol.timeline > li').last().textContent(), /bạn chưa đồng ý/);
	await page.getByRole('button', { name: 'Trang sau' }).click();
	await page.getByText('Trang 2', { exact: true }).waitFor();
	const rest = await allVerified(page);
	assert.ok(rest.includes('Công an phường đã tạo hồ sơ của bạn.'), 'the oldest event on the last page');
	assert.equal(await page.locator('ol.timeline > li.deny').count(), 25 - 19);
	assert.ok(await page.getByRole('button', { name: 'Trang sau' }).isDisabled());
	await page.getByRole('button', { name: 'Trang trước' }).click();
	await page.getByText('Trang 1', { exact: true }).waitFor();
	await allVerified(page);
}

// Restricting and lifting with step-up codes (a wrong code, a code just used); while restricted,
// the consent reads "restricted" and the agency's lookup is refused, and the timeline says why.
export async function testRestriction(env) {
	const v = env.v;
	const w = await world(v);
	await must(v, 202, 'POST', '/v1/consent-requests', w.hospital.token, { national_id: w.citizen.nid, purpose: 'treatment', days: 30 });
	const page = await openSignedIn(env, w.citizen, '/citizen/requests');
	const card = page.locator('section.request').first();
	await card.getByLabel('Họ và tên').check();
	await card.getByLabel('Mã xác thực để xác nhận').fill(await freshCode(w.citizen));
	await card.getByRole('button', { name: 'Đồng ý chia sẻ thông tin đã chọn' }).click();
	await card.getByText('Biên nhận đồng ý').waitFor();

	await nav(page, 'Hạn chế xử lý', 'Hạn chế xử lý dữ liệu');
	assert.match(await page.locator('#restriction-status').textContent(), /không bị hạn chế xử lý/);
	await env.check(page, 'citizen-restriction');
	await page.getByLabel('Mã xác thực để xác nhận').fill(wrongCode(w.citizen));
	await page.getByRole('button', { name: 'Hạn chế xử lý', exact: true }).click();
	await page.getByRole('alert').filter({ hasText: 'không đúng' }).waitFor();

	await page.getByLabel('Mã xác thực để xác nhận').fill(await freshCode(w.citizen));
	await page.getByRole('button', { name: 'Hạn chế xử lý', exact: true }).click();
	await page.locator('main').getByText('Đã hạn chế xử lý dữ liệu của bạn.').waitFor();
	assert.match(await page.locator('#restriction-status').textContent(), /đang bị hạn chế xử lý/);
	assert.equal(await page.getByRole('button', { name: 'Hạn chế xử lý', exact: true }).count(), 0);
	await env.check(page, 'citizen-restriction-on');

	// the code just used again: wait for the next one, with a live countdown
	await page.getByLabel('Mã xác thực để xác nhận').fill(totpAt(w.citizen.secret, w.citizen.lastStep));
	await page.getByRole('button', { name: 'Bỏ hạn chế' }).click();
	const reused = page.getByRole('alert').filter({ hasText: 'vừa được dùng' });
	await reused.waitFor();
	const before = await reused.locator('.countdown').textContent();
	assert.match(before, /Mã tiếp theo sẽ có sau \d+ giây/);
	await page.waitForFunction((t) => document.querySelector('.countdown').textContent !== t, before, { timeout: 3000 });
	await env.check(page, 'citizen-restriction-reused-code');

	await page.reload();
	await waitH1(page, 'Hạn chế xử lý dữ liệu');
	assert.match(await page.locator('#restriction-status').textContent(), /đang bị hạn chế xử lý/);

	// the consent is held, the agency refused, and the timeline says why
	await nav(page, 'Đồng ý của tôi', 'Đồng ý của tôi');
	await page.locator('section.consent .state', { hasText: 'Đang bị hạn chế' }).waitFor();
	const denied = await call(v, 'POST', '/v1/lookup', w.hospital.token, { national_id: w.citizen.nid, purpose: 'treatment' });
	assert.equal(denied.status, 403);
	await nav(page, 'Ai đã dùng dữ liệu của tôi', 'Ai đã dùng dữ liệu của tôi');
	const refused = page.locator('ol.timeline > li.deny', { hasText: 'bạn đang hạn chế xử lý dữ liệu' }).first();
	await refused.locator('.verify.verified').waitFor();

	// in English, lifted
	await nav(page, 'Hạn chế xử lý', 'Hạn chế xử lý dữ liệu');
	await page.getByRole('button', { name: 'English' }).click();
	await waitH1(page, 'Restriction of processing');
	await page.getByLabel('Authentication code to confirm').fill(await freshCode(w.citizen));
	await page.getByRole('button', { name: 'Lift the restriction' }).click();
	await page.locator('main').getByText('The restriction is lifted.').waitFor();
	assert.match(await page.locator('#restriction-status').textContent(), /is not restricted/);
	await nav(page, 'My consents', 'My consents');
	await page.locator('section.consent .state', { hasText: 'Active' }).waitFor();
	await nav(page, 'Who used my data', 'Who used my data');
	const tl = await allVerified(page);
	assert.ok(tl.includes('You restricted the processing of your data.') && tl.includes('You lifted the restriction of processing.'));
}

// My data: the export downloaded and parsed, the page to print (print CSS), a correction asked
// for, answered by the registrar, and seen answered.
export async function testMyDataAndCorrection(env) {
	const v = env.v;
	const w = await world(v);
	const page = await openSignedIn(env, w.citizen, '/citizen/data');
	await waitH1(page, 'Dữ liệu của tôi');
	await page.locator('main').getByText('Không có mục nào.').waitFor();
	await env.check(page, 'citizen-data');

	const file = await download(page, () => page.getByRole('button', { name: 'Tải về (JSON)' }).click());
	assert.equal(file.name, 'vaultd-my-data.json');
	const data = JSON.parse(file.text);
	assert.equal(data.format, 'vaultd-export/1');
	assert.equal(data.fields.full_name, 'Nguyễn Thị Lan');
	assert.equal(data.access_log.entries[0].action, 'record.export');

	// the page to print: the record, and nothing of the page around it on paper
	await page.getByRole('button', { name: 'Xem bản để in' }).click();
	const view = page.locator('.print-view');
	await view.getByRole('heading', { name: 'Dữ liệu của tôi (bản in)' }).waitFor();
	assert.match(await view.textContent(), /Họ và tên\s*Nguyễn Thị Lan/);
	await page.emulateMedia({ media: 'print' });
	assert.ok(await view.isVisible());
	for (const sel of ['header.top', 'form', '.print-view button']) assert.ok(await page.locator(sel).first().isHidden(), `${sel} is not printed`);
	await page.emulateMedia({ media: 'screen' });
	await env.check(page, 'citizen-data-print');

	// a correction: a date in the wrong form is caught on the page, then sent
	await page.getByLabel('Thông tin cần sửa').selectOption('date_of_birth');
	await page.getByLabel('Giá trị đúng').fill('21/03/1995');
	await page.getByRole('button', { name: 'Gửi yêu cầu sửa' }).click();
	assert.match(await page.getByRole('alert').textContent(), /năm-tháng-ngày/);
	await page.getByLabel('Giá trị đúng').fill('1995-03-21');
	await page.getByLabel('Ghi chú (không bắt buộc)').fill('Ngày sinh trên hồ sơ bị sai.');
	await page.getByRole('button', { name: 'Gửi yêu cầu sửa' }).click();
	await page.locator('main').getByText('Đã gửi yêu cầu sửa thông tin.').waitFor();
	const row = page.locator('table tbody tr', { hasText: 'Ngày sinh' });
	await row.waitFor();
	assert.match(await row.textContent(), /1995-03-21.*Đang chờ/s);

	// the registrar applies it; the citizen sees it applied, and in the timeline
	const pending = await must(v, 200, 'GET', '/v1/corrections?state=pending', w.registrar.token);
	assert.equal(pending.corrections.length, 1);
	assert.equal(pending.corrections[0].value, '1995-03-21');
	await must(v, 200, 'POST', `/v1/corrections/${pending.corrections[0].id}`, w.registrar.token, { outcome: 'applied' });
	await page.reload();
	await page.locator('table tbody tr', { hasText: 'Đã sửa' }).waitFor();
	await env.check(page, 'citizen-data-corrected');
	await nav(page, 'Ai đã dùng dữ liệu của tôi', 'Ai đã dùng dữ liệu của tôi');
	const tl = await allVerified(page);
	for (const want of ['Bạn đã tải về dữ liệu của mình.', 'Bạn đã yêu cầu sửa thông tin.', 'Công an phường đã sửa thông tin theo yêu cầu của bạn.']) {
		assert.ok(tl.includes(want), `the timeline says "${want}": ${tl}`);
	}
}
