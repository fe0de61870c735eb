// Vietnamese: the officer's pages (officer.*).
export default {
	'officer.nav.dashboard': 'Tổng quan',
	'officer.nav.audit': 'Tra cứu nhật ký',
	'officer.nav.reviews': 'Truy cập khẩn cấp',
	'officer.nav.log': 'Trạng thái nhật ký',
	'officer.dashboard.title': 'Tổng quan',
	'officer.audit.title': 'Tra cứu nhật ký kiểm toán',
	'officer.reviews.title': 'Xem xét truy cập khẩn cấp',
	'officer.log.title': 'Trạng thái nhật ký',
};
