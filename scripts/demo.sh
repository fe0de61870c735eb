#!/bin/sh
# demo.sh: `make run`: a demo vault with synthetic citizens and a few agencies, served on loopback
# with the portal (make portal's $BUILD/portal); prints whom to sign in as and how to get their codes.
set -eu
BUILD=${BUILD:-build}
DEMO=${DEMO_DIR:-$BUILD/demo}
LISTEN=${LISTEN:-127.0.0.1:8443}
URL=http://$LISTEN
umask 077

json() { sed -n "s/.*\"$1\": *\"\([^\"]*\)\".*/\1/p" | head -n 1; }
post() { curl -sf -X POST "$URL$2" -H "Authorization: Bearer $1" -H 'Content-Type: application/json' -d "$3"; }

fresh=0
if [ ! -f "$DEMO/data/vault.db" ]; then
	fresh=1
	mkdir -p "$DEMO"
	echo "demo: creating a vault in $DEMO/data (its key file sits beside it: a demo, not production)"
	"$BUILD/vaultctl" init --data "$DEMO/data" >"$DEMO/init.json"
	"$BUILD/gencitizens" 200 42 >"$DEMO/citizens.jsonl"
	"$BUILD/vaultctl" import "$DEMO/citizens.jsonl" --data "$DEMO/data" --enrolments "$DEMO/enrolments.jsonl"
fi

"$BUILD/vaultd" --data "$DEMO/data" --listen "$LISTEN" --portal "$BUILD/portal" 2>>"$DEMO/vaultd.log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; exit 0' INT TERM
for i in $(seq 50); do curl -sf "$URL/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
if ! curl -sf "$URL/healthz" >/dev/null 2>&1; then
	echo "demo: vaultd did not start; the end of $DEMO/vaultd.log:" >&2
	tail -n 5 "$DEMO/vaultd.log" >&2
	exit 1
fi

if [ "$fresh" = 1 ]; then
	admin=$(json admin_token <"$DEMO/init.json")
	reg=$(post "$admin" /v1/agencies '{"name":"Công an phường (registrar)","roles":["registrar"]}')
	hosp=$(post "$admin" /v1/agencies '{"name":"Bệnh viện Bạch Mai","roles":["consumer"]}')
	hosp_id=$(echo "$hosp" | sed -n 's/.*"id":"\([^"]*\)".*/\1/p')
	post "$admin" /v1/purposes "{\"agency_id\":\"$hosp_id\",\"code\":\"treatment\",\"description\":{\"vi\":\"Khám chữa bệnh\",\"en\":\"Medical treatment\"},\"legal_basis\":\"consent\",\"fields\":[\"full_name\",\"date_of_birth\",{\"name\":\"phone\",\"masked\":true},\"blood_type\",\"chronic_conditions\"],\"max_days\":365,\"retention_days\":30}" >/dev/null
	officer=$(post "$admin" /v1/officers '{"name":"Privacy officer"}')
	# an emergency centre and a few accesses, so that the officer's dashboard and review queue show some
	amb=$(post "$admin" /v1/agencies '{"name":"Trung tâm Cấp cứu 115 Hà Nội","roles":["consumer","emergency"]}')
	amb_id=$(echo "$amb" | sed -n 's/.*"id":"\([^"]*\)".*/\1/p')
	amb_token=$(echo "$amb" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
	post "$admin" /v1/purposes "{\"agency_id\":\"$amb_id\",\"code\":\"emergency_care\",\"description\":{\"vi\":\"Cấp cứu khi người bệnh không thể đồng ý\",\"en\":\"Emergency care when the patient cannot consent\"},\"legal_basis\":\"vital_interest\",\"fields\":[\"full_name\",\"blood_type\",\"chronic_conditions\"],\"max_days\":1,\"retention_days\":30}" >/dev/null
	hosp_token=$(echo "$hosp" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
	items=""
	for n in $(sed -n '2,4s/.*"national_id":"\([0-9]*\)".*/\1/p' "$DEMO/citizens.jsonl"); do
		items="$items${items:+,}{\"national_id\":\"$n\",\"purpose\":\"emergency_care\",\"justification\":\"Bệnh nhân bất tỉnh, cần nhóm máu\"}"
	done
	post "$amb_token" /v1/lookups "{\"lookups\":[$items]}" >/dev/null
	items=""
	for n in $(sed -n '2,6s/.*"national_id":"\([0-9]*\)".*/\1/p' "$DEMO/citizens.jsonl"); do
		items="$items${items:+,}{\"national_id\":\"$n\",\"purpose\":\"treatment\"}"
	done
	post "$hosp_token" /v1/lookups "{\"lookups\":[$items]}" >/dev/null # denied: no consent yet
	{
		echo "ADMIN=$admin"
		echo "REGISTRAR=$(echo "$reg" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')"
		echo "HOSPITAL=$(echo "$hosp" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')"
		echo "OFFICER_ID=$(echo "$officer" | sed -n 's/.*"id":"\([^"]*\)".*/\1/p')"
		echo "OFFICER_TOTP=$(echo "$officer" | sed -n 's/.*"totp_uri":"[^"]*secret=\([A-Z2-7]*\).*/\1/p')"
	} >"$DEMO/tokens.env"
fi
. "$DEMO/tokens.env"
nid=$(head -n 1 "$DEMO/citizens.jsonl" | sed 's/.*"national_id":"\([0-9]*\)".*/\1/')
secret=$(head -n 1 "$DEMO/enrolments.jsonl" | sed 's/.*secret=\([A-Z2-7]*\).*/\1/')
# the demo citizen has a consent request waiting, so the portal shows one (at most 5 pile up: 409 then)
post "$HOSPITAL" /v1/consent-requests "{\"national_id\":\"$nid\",\"purpose\":\"treatment\",\"fields\":[\"full_name\",\"date_of_birth\",\"blood_type\"],\"days\":30}" >/dev/null 2>&1 || true

cat <<MSG

The portal: open $URL/ in a browser (Vietnamese first; English is one click away).
  a citizen  national ID $nid     code: oathtool --totp -b $secret
  an officer officer ID  $OFFICER_ID   code: oathtool --totp -b $OFFICER_TOTP
  (each code works once: for the next sign-in or approval, wait for the next 30-second code)
  The citizen has a consent request from Bệnh viện Bạch Mai waiting; the officer has three
  emergency accesses (Trung tâm Cấp cứu 115) to review and five denied lookups on the dashboard.

vaultd is serving $URL (log: $DEMO/vaultd.log). Tokens are in $DEMO/tokens.env (0600).
  admin     $ADMIN
  registrar $REGISTRAR
  hospital  $HOSPITAL   (purpose "treatment", legal basis consent)
The first synthetic citizen has national ID $nid; their TOTP secret is in $DEMO/enrolments.jsonl.

Try, in another terminal (. $DEMO/tokens.env first):
  curl -s -XPOST $URL/v1/lookup -H "Authorization: Bearer \$HOSPITAL" -H 'Content-Type: application/json' \\
       -d '{"national_id":"$nid","purpose":"treatment"}'                      # 403: no consent yet
  curl -s -XPOST $URL/v1/consent-requests -H "Authorization: Bearer \$HOSPITAL" -H 'Content-Type: application/json' \\
       -d '{"national_id":"$nid","purpose":"treatment","days":30}'
  curl -s -XPOST $URL/v1/sessions -H 'Content-Type: application/json' \\
       -d "{\"national_id\":\"$nid\",\"totp\":\"\$(oathtool --totp -b $secret)\"}"   # the citizen's session
  curl -s $URL/v1/me/consent-requests -H "Authorization: Bearer <session token>"
  curl -s -XPOST $URL/v1/me/consent-requests/<id>/approve -H "Authorization: Bearer <session token>" \\
       -H 'Content-Type: application/json' -d "{\"totp\":\"\$(oathtool --totp -b $secret)\",\"fields\":[\"full_name\",\"phone\"]}"
       # a fresh code: each code is accepted once, so wait for the next 30-second step
  curl -s $URL/v1/checkpoint; curl -s $URL/metrics

Ctrl-C stops it; make run again reuses the vault; rm -rf $DEMO starts afresh.
MSG
wait $pid
