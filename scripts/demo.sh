#!/bin/sh
# demo.sh: `make run`: a demo vault with synthetic citizens, served on loopback until Ctrl-C.
set -eu
BUILD=${BUILD:-build}
DEMO=${DEMO_DIR:-$BUILD/demo}
LISTEN=${LISTEN:-127.0.0.1:8443}

if [ ! -f "$DEMO/data/vault.db" ]; then
	mkdir -p "$DEMO"
	echo "demo: creating a vault in $DEMO/data (the key file sits beside it: a demo, not production)"
	"$BUILD/vaultctl" init --data "$DEMO/data" >"$DEMO/init.json"
	"$BUILD/gencitizens" 200 42 >"$DEMO/citizens.jsonl"
	"$BUILD/vaultctl" import "$DEMO/citizens.jsonl" --data "$DEMO/data" --enrolments "$DEMO/enrolments.jsonl"
fi
cat <<MSG

vault:        $(sed -n 's/.*"vault_id": "\([0-9a-f]*\)".*/\1/p' "$DEMO/init.json")
data:         $DEMO/data (synthetic citizens from $DEMO/citizens.jsonl)
enrolments:   $DEMO/enrolments.jsonl (each citizen's TOTP enrolment URI)

try, in another terminal:
  curl -s http://$LISTEN/healthz
  $BUILD/vaultctl stats --data $DEMO/data
  head -1 $DEMO/citizens.jsonl | sed 's/.*"national_id":"\([0-9]*\)".*/\1/' | $BUILD/vaultctl get --national-id-stdin --data $DEMO/data

serving on http://$LISTEN (Ctrl-C stops; make run again reuses the vault; rm -rf $DEMO starts afresh)
MSG
exec "$BUILD/vaultd" --data "$DEMO/data" --listen "$LISTEN"
