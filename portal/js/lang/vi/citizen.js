// Vietnamese: the citizen's pages (citizen.*).
export default {
	'citizen.nav.requests': 'Yêu cầu chờ duyệt',
	'citizen.nav.consents': 'Đồng ý của tôi',
	'citizen.nav.restriction': 'Hạn chế xử lý',
	'citizen.nav.timeline': 'Ai đã dùng dữ liệu của tôi',
	'citizen.nav.data': 'Dữ liệu của tôi',
	'citizen.requests.title': 'Yêu cầu chờ duyệt',
	'citizen.consents.title': 'Đồng ý của tôi',
	'citizen.restriction.title': 'Hạn chế xử lý dữ liệu',
	'citizen.timeline.title': 'Ai đã dùng dữ liệu của tôi',
	'citizen.data.title': 'Dữ liệu của tôi',
};
