// English: the citizen's pages (citizen.*).
export default {
	'citizen.nav.requests': 'Pending requests',
	'citizen.nav.consents': 'My consents',
	'citizen.nav.restriction': 'Restrict processing',
	'citizen.nav.timeline': 'Who used my data',
	'citizen.nav.data': 'My data',
	'citizen.requests.title': 'Pending requests',
	'citizen.consents.title': 'My consents',
	'citizen.restriction.title': 'Restriction of processing',
	'citizen.timeline.title': 'Who used my data',
	'citizen.data.title': 'My data',
};
