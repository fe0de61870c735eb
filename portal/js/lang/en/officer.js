// English: the officer's pages (officer.*).
export default {
	'officer.nav.dashboard': 'Dashboard',
	'officer.nav.audit': 'Audit search',
	'officer.nav.reviews': 'Emergency reviews',
	'officer.nav.log': 'Log state',
	'officer.dashboard.title': 'Dashboard',
	'officer.audit.title': 'Audit search',
	'officer.reviews.title': 'Emergency access reviews',
	'officer.log.title': 'The log\'s state',
};
