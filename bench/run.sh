#!/bin/sh
# run.sh: `make bench`: import, setup, HTTP floor, the ceiling for lookups, lookups, consent churn, memory, audit; one Markdown table.
#
# Environment: BUILD (default build), BENCH_CITIZENS (default 1000000), BENCH_SECONDS (each wrk
# run, default 15), BENCH_CONNECTIONS (default 64), BENCH_THREADS (wrk threads, default 2),
# BENCH_CORE_LOOKUPS (the lookup core's count, default 200000), BENCH_PEER (a folder holding the
# plain-PostgreSQL baseline's run.sh, e.g. ../shared/peer: run after vaultd's steps, with as many
# citizens and seconds, 64 clients, durable commits only; unset: not run, since its load alone
# takes minutes), BENCH_CHURN_CLIENTS (the churn's concurrent clients, sharing one group commit,
# default 32; 0: one client, each change its own transaction, as before the group commit).
# Writes build/bench/results.json (the raw numbers) and build/bench/*.log|*.txt (every log);
# prints the table on stdout. Exits 1 when a step fails or a figure could not be measured,
# and 0 otherwise, whatever the figures: CI runs it small as a smoke test of the harness.
set -eu
LC_ALL=C # numbers are read and printed with a decimal point, whatever the caller's locale
export LC_ALL
cd "$(dirname "$0")/.." # the repository's root, as under make: BUILD and bench/ are relative to it

BUILD=${BUILD:-build}
N=${BENCH_CITIZENS:-}
[ -n "$N" ] || N=1000000
SECS=${BENCH_SECONDS:-15}
CONNS=${BENCH_CONNECTIONS:-64}
CORE_N=${BENCH_CORE_LOOKUPS:-200000}
WRK_THREADS=${BENCH_THREADS:-2}
OUT=$BUILD/bench
DATA=$OUT/data
MODULES="libsodium sqlcipher libmicrohttpd jansson liboath"
umask 077

vaultd_pid=""
churn_pid=""

log() { printf 'bench: %s\n' "$*" >&2; }

stop_children() {
	if [ -n "$churn_pid" ]; then
		kill -TERM "$churn_pid" 2>/dev/null || true
		wait "$churn_pid" 2>/dev/null || true
		churn_pid=""
	fi
	if [ -n "$vaultd_pid" ]; then
		kill -TERM "$vaultd_pid" 2>/dev/null || true
		wait "$vaultd_pid" 2>/dev/null || true
		vaultd_pid=""
	fi
}

die() {
	printf 'bench: FAILED: %s (logs in %s)\n' "$*" "$OUT" >&2
	stop_children
	exit 1
}

trap 'stop_children' EXIT
trap 'die "interrupted"' INT TERM

case "$N" in '' | *[!0-9]*) die "BENCH_CITIZENS must be a number, not '$N'" ;; esac
[ "$N" -ge 2 ] || die "BENCH_CITIZENS must be at least 2"
case "$SECS" in '' | *[!0-9]*) die "BENCH_SECONDS must be a whole number of seconds" ;; esac

now_ns() { date +%s%N; }
# calc EXPR: awk arithmetic, printed with FMT (default %.1f)
calc() { awk "BEGIN { printf \"${2:-%.1f}\", ($1) }"; }
# is_num VALUE: a decimal number
is_num() { printf '%s' "$1" | grep -Eq '^-?[0-9]+(\.[0-9]+)?$'; }
# need NAME VALUE: a figure that must have been measured
need() { is_num "$2" || die "could not measure $1 (got '$2')"; }
# kv KEY LINE: the value of key=value in a WRK_RESULT line
kv() { printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
# metric FILE NAME: a Prometheus sample (name with labels, exactly as printed), 0 if absent
metric() { awk -v k="$2" '$1 == k { v = $2 } END { print (v == "" ? 0 : v) }' "$1"; }
# json_num FILE KEY: a top-level number of a one-line JSON object
json_num() { sed -n "s/.*\"$2\":\(-\{0,1\}[0-9][0-9.]*\).*/\1/p" "$1" | head -n 1; }
# met VALUE OP LIMIT: "met" or "not met"
met() { awk "BEGIN { exit !($1 $2 $3) }" && echo met || echo "not met"; }
# thousands separators for the table
grp() { printf '%s' "$1" | sed -e ':a' -e 's/^\([0-9]\{1,\}\)\([0-9]\{3\}\)/\1,\2/;ta'; }

for t in wrk curl awk; do
	command -v "$t" >/dev/null || die "$t is missing: run scripts/deps.sh bench (as root) or apt-get install wrk curl"
done
for p in vaultd vaultctl gencitizens; do
	[ -x "$BUILD/$p" ] || die "$BUILD/$p is missing: run make bench"
done
mkdir -p "$OUT"
# nothing of an earlier run may pass for this one's (the citizens file stays: same N, same bytes)
rm -f "$OUT"/results.json "$OUT"/table.md "$OUT"/*.log "$OUT"/*.txt "$OUT"/setup.json "$OUT"/churn.json \
	"$OUT"/verify*.json "$OUT"/init.json "$OUT"/setup.env "$OUT"/agencies.txt
t_all=$(now_ns)
# what is measured: the commit, and the tracked files changed in the working tree, as built now
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
changed=$(git status --porcelain --untracked-files=no 2>/dev/null | awk '{ printf "%s%s", (NR > 1 ? " " : ""), $2 }')
dirty=$([ -n "$changed" ] && echo true || echo false)
load_start=$(cut -d" " -f1-3 /proc/loadavg)

# ---- benchsetup: the Makefile's rule if it has one, else the same flags here ----
if grep -q '^$(BUILD)/benchsetup:' Makefile 2>/dev/null; then
	make -s --no-print-directory "$BUILD/benchsetup" || die "make $BUILD/benchsetup failed"
elif [ ! -x "$BUILD/benchsetup" ] || [ bench/benchsetup.c -nt "$BUILD/benchsetup" ] ||
	[ "$BUILD/libvaultd.a" -nt "$BUILD/benchsetup" ]; then
	cc=${CC:-cc} san=""
	if nm "$BUILD/libvaultd.a" 2>/dev/null | grep -q __asan_; then
		cc=clang san="-fsanitize=address,undefined"
	fi
	# shellcheck disable=SC2046,SC2086
	$cc -std=c17 -O2 -D_FORTIFY_SOURCE=2 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
		-Wformat=2 -Wvla -fstack-protector-strong -fPIE -fstack-clash-protection -D_GNU_SOURCE -DSQLITE_HAS_CODEC \
		$(pkg-config --cflags $MODULES) -pie -Wl,-z,relro,-z,now -Wl,--as-needed $san \
		bench/benchsetup.c "$BUILD/libvaultd.a" $(pkg-config --libs $MODULES) -lpthread -o "$BUILD/benchsetup" ||
		die "cannot build $BUILD/benchsetup"
fi

# ---- 1. import ----
CIT=$OUT/citizens-$N.jsonl
if [ ! -s "$CIT" ]; then
	log "generating $N synthetic citizens into $CIT"
	"$BUILD/gencitizens" "$N" 1 >"$CIT.tmp" || die "gencitizens failed"
	mv "$CIT.tmp" "$CIT"
fi
rm -rf "$DATA"
"$BUILD/vaultctl" init --data "$DATA" >"$OUT/init.json" 2>"$OUT/init.log" || die "vaultctl init failed"
log "1/7 importing $N citizens (vaultctl import, its default --batch)"
t0=$(now_ns)
"$BUILD/vaultctl" import "$CIT" --data "$DATA" 2>"$OUT/import.log" || die "vaultctl import failed"
t1=$(now_ns)
import_s=$(calc "($t1 - $t0) / 1e9" %.3f)
import_rate=$(calc "$N / $import_s" %.0f)
import_check_s=$(sed -n 's/.*checking \([0-9.]*\) s, writing \([0-9.]*\) s.*/\1/p' "$OUT/import.log")
import_write_s=$(sed -n 's/.*checking \([0-9.]*\) s, writing \([0-9.]*\) s.*/\2/p' "$OUT/import.log")
import_wait_s=$(sed -n 's/.*, \([0-9.]*\) s of it waiting for the WAL.*/\1/p' "$OUT/import.log")
import_tx=$(sed -n 's/.* in \([0-9]*\) transactions.*/\1/p' "$OUT/import.log")
# vaultctl's peak resident memory: the kernel's high-water mark (getrusage), printed by vaultctl
import_rss_mib=$(sed -n 's/.*; peak memory \([0-9.]*\) MiB).*/\1/p' "$OUT/import.log")
need "import records/s" "$import_rate"
need "vaultctl's peak memory during the import" "$import_rss_mib"

# ---- 2. setup: agencies, purposes, tokens, consents ----
log "2/7 setup: 10 agencies, purposes, tokens; consents for half of the citizens"
"$BUILD/benchsetup" setup "$DATA" "$CIT" "$OUT" >"$OUT/setup.json" 2>"$OUT/setup.log" || die "benchsetup setup failed"
setup_consents=$(json_num "$OUT/setup.json" consents)
setup_s=$(json_num "$OUT/setup.json" consents_s)
setup_rate=$(json_num "$OUT/setup.json" consents_per_s)
registry_s=$(json_num "$OUT/setup.json" registry_s)
need "setup consents" "$setup_consents"
need "setup consents/s" "$setup_rate"
TOKEN=$(sed -n 's/^TOKEN=//p' "$OUT/setup.env")
PURPOSE=$(sed -n 's/^PURPOSE=//p' "$OUT/setup.env")
[ -n "$TOKEN" ] && [ -n "$PURPOSE" ] || die "benchsetup wrote no token"

# the log vaultd starts with (and a first verify time, on the log before any lookup)
t0=$(now_ns)
"$BUILD/vaultctl" audit verify --data "$DATA" >"$OUT/verify-before.json" 2>&1 || die "audit verify (before start) failed"
verify_before_s=$(calc "($(now_ns) - $t0) / 1e9" %.2f)
log_at_start=$(tr -d ' \n' <"$OUT/verify-before.json" | sed -n 's/.*"entries":\([0-9]*\).*/\1/p')
need "audit entries at start-up" "$log_at_start"

# The HTTP runs start with the vault's files read once into the OS page cache, as on a server
# that has been running for a while. This machine's host takes page cache back at times (seen:
# 5.4 GB of cached files down to 1.3 GB within minutes, idle), and lookups then wait on the disk.
cat "$DATA/vault.db" "$DATA/audit.db" >/dev/null || die "cannot read the vault's files"

# ---- vaultd: start-up time (exec to the first 200 on /healthz) ----
log "3/7 starting vaultd (--threads 2) on 127.0.0.1, a free port"
: >"$OUT/vaultd.log"
t0=$(now_ns)
# every client is on 127.0.0.1: wrk's connections and the probes beside them must fit in one
# address's share (64 by default)
"$BUILD/vaultd" --data "$DATA" --listen 127.0.0.1:0 --threads 2 --max-conns-per-ip $((CONNS + 16)) \
	2>>"$OUT/vaultd.log" &
vaultd_pid=$!
port="" startup_ms=""
while :; do
	kill -0 "$vaultd_pid" 2>/dev/null || die "vaultd exited during start-up"
	[ -n "$port" ] || port=$(sed -n 's/.*"msg":"listening".*"port":\([0-9]*\).*/\1/p' "$OUT/vaultd.log" | head -n 1)
	if [ -n "$port" ] && curl -sf -o /dev/null "http://127.0.0.1:$port/healthz"; then
		t1=$(now_ns)
		startup_ms=$(calc "($t1 - $t0) / 1e6" %.0f)
		break
	fi
	[ $(($(now_ns) - t0)) -lt 60000000000 ] || die "vaultd did not answer /healthz within 60 s"
	sleep 0.005
done
URL=http://127.0.0.1:$port

# run_wrk NAME SCRIPT PATH: wrk for SECS, its output in NAME.txt; sets $res to its WRK_RESULT line.
# A 30 s timeout (wrk's default is 2 s) so that slow responses count in the percentiles.
# Also sets $wrk_us, wrk's own CPU time (user + system) per completed request: the shell's
# `times` (run in this shell, not in a subshell) adds up the children that have ended; besides
# wrk only children_cpu's own awk ends meanwhile (a millisecond), except under churn, where the
# figure is not used.
run_wrk() {
	v0=$(vaultd_cpu)
	times >"$OUT/times.txt"
	c0=$(children_cpu)
	[ -n "$c0" ] || die "the shell's times printed no line for its children"
	wrk -t"$WRK_THREADS" -c"$CONNS" -d"${SECS}s" --latency --timeout 30s -s "$2" "$URL$3" >"$OUT/$1.txt" 2>&1 ||
		die "wrk ($1) failed"
	times >"$OUT/times.txt"
	c1=$(children_cpu)
	v1=$(vaultd_cpu)
	res=$(grep '^WRK_RESULT ' "$OUT/$1.txt" | tail -n 1)
	[ -n "$res" ] || die "wrk ($1) printed no result line"
	n=$(kv requests "$res")
	wrk_us=$(calc "1e6 * ($c1 - $c0) / (${n:-0} > 0 ? ${n:-0} : 1)")
	vd_us=$(calc "1e6 * ($v1 - $v0) / (${n:-0} > 0 ? ${n:-0} : 1)")
}
# vaultd_cpu: vaultd's user + system seconds so far, all its threads (/proc/PID/stat fields 14
# and 15, in clock ticks; counted from after the ")" that ends the command's name)
vaultd_cpu() {
	sed 's/.*) //' "/proc/$vaultd_pid/stat" | awk -v hz="$(getconf CLK_TCK)" '{ printf "%.3f", ($12 + $13) / hz }'
}
# children_cpu: the children's user + system seconds from the second line of times.txt ("0m1.23s 0m4.56s")
children_cpu() {
	awk 'NR == 2 { s = 0; for (i = 1; i <= 2; i++) { split($i, t, "m"); sub("s", "", t[2]); s += t[1] * 60 + t[2] }
		printf "%.3f", s }' "$OUT/times.txt"
}
# metrics FILE: /metrics once every connection but this one has closed, and the lookups'
# statuses, decisions and audit entries are the same in two reads 100 ms apart (10 s at most).
# When wrk stops, what it had in flight is still being answered (a batch for a second and more
# under load): read at once, the next run's "before" counted the last answers of this one (a
# ceiling's 400s among the lookups' statuses), and the next wrk's connections met the old ones
# past --max-conns-per-ip and were closed at once (wrk's read errors).
metrics() {
	m_prev="" m_i=0
	while :; do
		curl -sf "$URL/metrics" >"$OUT/$1" || die "GET /metrics failed"
		m_cur=$(grep -E '^vaultd_(requests_total[{][^}]*route="/v1/lookups?"|decisions_total|audit_entries_total)' \
			"$OUT/$1" | awk '{ s = s " " $2 } END { print s }')
		m_open=$(metric "$OUT/$1" vaultd_connections_open)
		{ [ "$m_open" -le 1 ] && [ "$m_cur" = "$m_prev" ]; } || [ "$m_i" -ge 100 ] && return 0
		m_prev=$m_cur m_i=$((m_i + 1))
		sleep 0.1
	done
}
# wrk_clean NAME KIND...: the run fails unless wrk counted none of these errors in $res
wrk_clean() {
	name=$1
	shift
	for e in "$@"; do
		[ "$(kv "$e" "$res")" = 0 ] || die "wrk ($name): $(kv "$e" "$res") $e errors (see $OUT/wrk-$name.txt)"
	done
}

# ---- 3. floor ----
log "3/7 floor: GET /healthz, $WRK_THREADS wrk threads, $CONNS connections, ${SECS} s"
run_wrk wrk-healthz bench/healthz.lua /healthz
floor_rps=$(kv rps "$res")
floor_p50=$(kv p50_ms "$res")
floor_p99=$(kv p99_ms "$res")
floor_p999=$(kv p999_ms "$res")
floor_req=$(kv requests "$res")
floor_wrk_us=$wrk_us floor_vd_us=$vd_us
need "floor req/s" "$floor_rps"
need "vaultd's CPU per request (floor)" "$floor_vd_us"
need "wrk's CPU per request (floor)" "$floor_wrk_us"
wrk_clean healthz connect read write timeout status
[ "$floor_req" -gt 0 ] || die "wrk /healthz completed no request"

# ---- 3. the ceiling for lookups ----
# The same wrk script, connections and token on POST /v1/lookup, with national IDs that fail
# validation: each request is authenticated (its token's and agency's rows), its body read and
# parsed, and answered 400 before any of a lookup's own reads (no purpose, no citizen, no
# consent), with no decision and no audit entry. No lookup can be
# answered faster on this machine with this harness; its ratio to the floor bounds theirs.
LR='vaultd_requests_total{method="POST",route="/v1/lookup",status='
awk 'BEGIN { for (i = 1; i <= 1000; i++) printf "NOTANID%05d\n", i }' >"$OUT/nids_invalid.txt"
log "3/7 ceiling for lookups: POST /v1/lookup answered 400 (IDs that fail validation), ${SECS} s"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
	--data "{\"national_id\":\"NOTANID00001\",\"purpose\":\"$PURPOSE\"}" "$URL/v1/lookup") || code=none
[ "$code" = 400 ] || die "ceiling: a lookup of an invalid national ID answered $code, not 400"
metrics metrics-ceiling-before.txt
BENCH_TOKEN=$TOKEN BENCH_PURPOSE=$PURPOSE BENCH_NIDS_YES=$OUT/nids_invalid.txt BENCH_NIDS_NO=$OUT/nids_invalid.txt \
	BENCH_ALLOW_PCT=100 run_wrk wrk-ceiling bench/lookup.lua /v1/lookup
metrics metrics-ceiling-after.txt
wrk_clean ceiling connect read write timeout
cl_res=$res cl_wrk_us=$wrk_us cl_vd_us=$vd_us # its p50_ms and p99_ms are read from cl_res for the table
cl_rps=$(kv rps "$cl_res")
cl_req=$(kv requests "$cl_res")
for v in "$cl_rps" "$(kv p50_ms "$cl_res")" "$(kv p99_ms "$cl_res")" "$cl_wrk_us" "$cl_vd_us"; do need "ceiling figures" "$v"; done
b=$OUT/metrics-ceiling-before.txt a=$OUT/metrics-ceiling-after.txt
cl_400=$(calc "$(metric "$a" "${LR}\"4xx\"}") - $(metric "$b" "${LR}\"4xx\"}")" %.0f)
cl_other=$(calc "$(metric "$a" "${LR}\"2xx\"}") - $(metric "$b" "${LR}\"2xx\"}") + $(metric "$a" "${LR}\"5xx\"}") - $(metric "$b" "${LR}\"5xx\"}")" %.0f)
cl_work=$(calc "$(metric "$a" vaultd_audit_entries_total) - $(metric "$b" vaultd_audit_entries_total) + $(metric "$a" 'vaultd_decisions_total{outcome="allow"}') - $(metric "$b" 'vaultd_decisions_total{outcome="allow"}') + $(metric "$a" 'vaultd_decisions_total{outcome="deny"}') - $(metric "$b" 'vaultd_decisions_total{outcome="deny"}')" %.0f)
[ "$cl_req" -gt 0 ] && [ "$cl_400" -ge "$cl_req" ] && [ "$cl_other" -eq 0 ] ||
	die "ceiling: $cl_req requests, but $cl_400 answered 4xx and $cl_other something else"
[ "$cl_work" -eq 0 ] || die "ceiling: the 400s made $cl_work decisions or audit entries"
cl_ratio=$(calc "$cl_rps / $floor_rps" %.3f)

# lookup_run NAME MODE: wrk on /v1/lookup with bench/lookup.lua; statuses from /metrics before and after.
# MODE strict: any status but 200/403, any socket error or timeout, or a 200/403 split unlike the
# draw fails the run (the set-up is broken). MODE report (under churn): timeouts and other statuses
# are figures, reported; socket errors and no 200 at all still fail.
lookup_run() {
	metrics "metrics-$1-before.txt"
	BENCH_TOKEN=$TOKEN BENCH_PURPOSE=$PURPOSE BENCH_NIDS_YES=$OUT/nids_consent.txt \
		BENCH_NIDS_NO=$OUT/nids_noconsent.txt BENCH_ALLOW_PCT=80 run_wrk "wrk-$1" bench/lookup.lua /v1/lookup
	metrics "metrics-$1-after.txt"
	b=$OUT/metrics-$1-before.txt a=$OUT/metrics-$1-after.txt
	d() { calc "$(metric "$a" "$1") - $(metric "$b" "$1")" %.0f; }
	st200=$(d "${LR}\"2xx\"}")
	st4xx=$(d "${LR}\"4xx\"}")
	st5xx=$(d "${LR}\"5xx\"}")
	allow=$(d 'vaultd_decisions_total{outcome="allow"}')
	deny=$(d 'vaultd_decisions_total{outcome="deny"}')
	entries=$(d vaultd_audit_entries_total)
	st403=$deny
	other=$((st4xx - deny + st5xx))
	rps=$(kv rps "$res")
	p50=$(kv p50_ms "$res")
	p99=$(kv p99_ms "$res")
	p999=$(kv p999_ms "$res")
	pmax=$(kv max_ms "$res")
	for v in "$st200" "$st403" "$rps" "$p50" "$p99" "$p999" "$pmax" "$entries"; do need "lookup figures ($1)" "$v"; done
	wrk_clean "$1" connect read write
	timeouts=$(kv timeout "$res")
	[ "$st200" -gt 0 ] || die "no lookup returned 200 ($1)"
	[ "$2" = strict ] || return 0
	[ "$timeouts" = 0 ] || die "wrk ($1): $timeouts requests timed out after 30 s (see $OUT/wrk-$1.txt)"
	[ "$other" -eq 0 ] || die "$other lookups ($1) answered neither 200 nor 403 (4xx: $st4xx, 5xx: $st5xx; see $OUT/vaultd.log)"
	[ "$allow" -eq "$st200" ] || die "lookups ($1): $st200 answered 200 but $allow decisions allowed"
	[ "$entries" -ge $((allow + deny)) ] || die "lookups ($1): $((allow + deny)) decisions but only $entries group-commit audit entries"
	# every ID drawn from the consent file is allowed, every other one denied: the set-up is sound
	py=$(kv picked_yes "$res")
	need "requests drawn ($1)" "$py"
	[ "$(calc "($allow - $py) ^ 2 <= ($CONNS + $py / 100) ^ 2" %d)" = 1 ] ||
		die "lookups ($1): $allow allowed but $py drawn from the consent file"
}

# ---- 4. lookups ----
log "4/7 lookups: POST /v1/lookup, 80% with consent, ${SECS} s"
lookup_run lookup strict
lk_rps=$rps lk_p50=$p50 lk_p99=$p99 lk_p999=$p999 lk_max=$pmax lk_200=$st200 lk_403=$st403 lk_entries=$entries
lk_allow=$allow lk_deny=$deny
lk_picked_yes=$(kv picked_yes "$res")
lk_picked_no=$(kv picked_no "$res")
lk_ratio=$(calc "$lk_rps / $floor_rps" %.3f)
lk_wrk_us=$wrk_us lk_vd_us=$vd_us
need "wrk's CPU per request (lookups)" "$lk_wrk_us"
need "vaultd's CPU per request (lookups)" "$lk_vd_us"
lk_ceiling=$(calc "$lk_rps / $cl_rps" %.3f)
lk_share200=$(calc "100 * $lk_200 / ($lk_200 + $lk_403)" %.1f)

# ---- 4. batch lookups: 100 a request ----
# The same draw, 100 lookups a request on POST /v1/lookups: each decided, logged and answered on
# its own. Figure: lookups (decisions) per second, against the single lookups' rate above.
log "4/7 batch lookups: POST /v1/lookups, 100 lookups a request, ${SECS} s"
BR='vaultd_requests_total{method="POST",route="/v1/lookups",status='
metrics metrics-batch-before.txt
BENCH_BATCH=100 BENCH_TOKEN=$TOKEN BENCH_PURPOSE=$PURPOSE BENCH_NIDS_YES=$OUT/nids_consent.txt \
	BENCH_NIDS_NO=$OUT/nids_noconsent.txt BENCH_ALLOW_PCT=80 run_wrk wrk-batch bench/lookup.lua /v1/lookups
metrics metrics-batch-after.txt
wrk_clean batch connect read write timeout
b=$OUT/metrics-batch-before.txt a=$OUT/metrics-batch-after.txt
bt_req=$(kv requests "$res")
bt_200=$(calc "$(metric "$a" "${BR}\"2xx\"}") - $(metric "$b" "${BR}\"2xx\"}")" %.0f)
bt_dec=$(calc "$(metric "$a" 'vaultd_decisions_total{outcome="allow"}') - $(metric "$b" 'vaultd_decisions_total{outcome="allow"}') + $(metric "$a" 'vaultd_decisions_total{outcome="deny"}') - $(metric "$b" 'vaultd_decisions_total{outcome="deny"}')" %.0f)
bt_lps=$(calc "$bt_dec / $(kv duration_s "$res")" %.0f)
bt_p99=$(kv p99_ms "$res")
bt_vd_us=$(calc "$vd_us / 100")
for v in "$bt_req" "$bt_200" "$bt_dec" "$bt_lps" "$bt_p99" "$bt_vd_us"; do need "batch figures" "$v"; done
[ "$bt_200" -ge "$bt_req" ] || die "batch: $bt_req requests but $bt_200 answered 200"
[ "$bt_dec" -ge $((bt_req * 100)) ] || die "batch: $bt_req requests of 100 lookups but $bt_dec decisions"
bt_ratio=$(calc "$bt_lps / $lk_rps" %.2f)

# ---- 5. consent churn while lookups run ----
log "5/7 consent churn (benchsetup churn, a second process, ${BENCH_CHURN_CLIENTS:-32} clients) while lookups run, ${SECS} s"
"$BUILD/benchsetup" churn "$DATA" "$SECS" "$OUT" >"$OUT/churn.json" 2>"$OUT/churn.log" &
churn_pid=$!
lookup_run lookup-churn report
ch_vd_us=$vd_us ch_rps=$rps ch_p50=$p50 ch_p99=$p99 ch_p999=$p999 ch_max=$pmax ch_200=$st200 ch_403=$st403 ch_other=$other ch_timeouts=$timeouts
rc=0
wait "$churn_pid" || rc=$?
churn_pid=""
[ "$rc" -eq 0 ] || die "benchsetup churn failed (exit $rc; see $OUT/churn.log)"
ch_appr=$(json_num "$OUT/churn.json" approvals_per_s)
ch_rev=$(json_num "$OUT/churn.json" revocations_per_s)
ch_ops=$(json_num "$OUT/churn.json" ops_per_s)
ch_n=$(json_num "$OUT/churn.json" approvals)
ch_appr_p99=$(sed -n 's/.*"approve_ms":{"p50":[0-9.]*,"p99":\([0-9.]*\)}.*/\1/p' "$OUT/churn.json")
ch_rev_p99=$(sed -n 's/.*"revoke_ms":{"p50":[0-9.]*,"p99":\([0-9.]*\)}.*/\1/p' "$OUT/churn.json")
for v in "$ch_appr" "$ch_rev" "$ch_ops" "$ch_n" "$ch_appr_p99" "$ch_rev_p99"; do need "churn figures" "$v"; done

# ---- 6. memory and disk; 7. audit batching ----
log "6/7 memory and disk"
metrics metrics-end.txt
rss_kib=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$vaultd_pid/status")
need "vaultd VmHWM" "$rss_kib"
rss_mib=$(calc "$rss_kib / 1024" %.1f)
# both databases and their WALs: vault.db (citizens, consents, ...) and audit.db (the log)
db_kib=$(du -k "$DATA/vault.db" "$DATA/audit.db" | awk '{ s += $1 } END { print s }')
wal_kib=0
for w in "$DATA/vault.db-wal" "$DATA/audit.db-wal"; do
	[ -f "$w" ] && wal_kib=$((wal_kib + $(du -k "$w" | cut -f1)))
done
audit_wal_kib=0
[ -f "$DATA/audit.db-wal" ] && audit_wal_kib=$(du -k "$DATA/audit.db-wal" | cut -f1)
need "vault.db + audit.db size" "$db_kib"
disk_mib=$(calc "($db_kib + $wal_kib) / 1024" %.1f)
per_citizen=$(calc "($db_kib + $wal_kib) * 1024 / $N" %.0f)
au_entries=$(metric "$OUT/metrics-end.txt" vaultd_audit_entries_total)
au_batches=$(metric "$OUT/metrics-end.txt" vaultd_audit_batches_total)
au_max=$(metric "$OUT/metrics-end.txt" vaultd_audit_batch_max)
au_fsync_max=$(metric "$OUT/metrics-end.txt" vaultd_audit_fsync_seconds_max)
au_fsync_total=$(metric "$OUT/metrics-end.txt" vaultd_audit_fsync_seconds_total)
au_restarts=$(metric "$OUT/metrics-end.txt" vaultd_audit_wal_restarts_total)
[ "$au_batches" -gt 0 ] 2>/dev/null || die "vaultd reports no audit batch"
au_per=$(calc "$au_entries / $au_batches" %.2f)
au_fsync_mean_ms=$(calc "1000 * $au_fsync_total / $au_batches" %.3f)

kill -TERM "$vaultd_pid"
rc=0
wait "$vaultd_pid" || rc=$?
vaultd_pid=""
[ "$rc" -eq 0 ] || die "vaultd exited $rc after SIGTERM"

# the lookup's own work without the server: one thread, one worker's page cache, no HTTP, no
# audit entry; what would be left of a lookup's cost if the server took nothing
log "4/7 (now that vaultd has stopped) lookup core: $(grp "$CORE_N") lookups in one process"
cat "$DATA/vault.db" >/dev/null || die "cannot read the vault's files" # as before the HTTP runs
"$BUILD/benchsetup" core "$DATA" "$CORE_N" "$OUT" >"$OUT/core.json" 2>"$OUT/core.log" || die "benchsetup core failed"
core_us=$(json_num "$OUT/core.json" second_half_cpu_us)
core_first_us=$(json_num "$OUT/core.json" first_half_cpu_us)
core_wall_us=$(json_num "$OUT/core.json" second_half_wall_us)
core_allowed=$(json_num "$OUT/core.json" allowed)
for v in "$core_us" "$core_first_us" "$core_wall_us" "$core_allowed"; do need "lookup core figures" "$v"; done
core_rate=$(calc "1000000 / $core_us" %.0f)

log "7/7 audit verify of the whole log"
t0=$(now_ns)
"$BUILD/vaultctl" audit verify --data "$DATA" >"$OUT/verify.json" 2>&1 || die "vaultctl audit verify failed"
t1=$(now_ns)
verify_s=$(calc "($t1 - $t0) / 1e9" %.2f)
verify_entries=$(tr -d ' \n' <"$OUT/verify.json" | sed -n 's/.*"entries":\([0-9]*\).*/\1/p')
need "audit verify entries" "$verify_entries"
verify_target=$(calc "10 * $verify_entries / 1000000" %.2f)
# ---- 8. the plain-PostgreSQL baseline, when asked for (BENCH_PEER) ----
peer_tps="" peer_row=""
if [ -n "${BENCH_PEER:-}" ]; then
	[ -x "$BENCH_PEER/run.sh" ] || die "BENCH_PEER=$BENCH_PEER has no run.sh"
	log "8/8 the plain-PostgreSQL baseline ($BENCH_PEER): $(grp "$N") citizens, 64 clients, durable commits"
	rm -rf "$OUT/peer"
	OUT="$OUT/peer" N=$N DURATION=$SECS CLIENTS=64 SYNC_MODES=on SAMPLE=0 FSYNC_TEST=0 \
		"$BENCH_PEER/run.sh" >"$OUT/peer.log" 2>&1 || die "the baseline's run.sh failed (see $OUT/peer.log)"
	# its best durable variant at 64 clients: the row of the summary with the most tps
	peer_row=$(awk -F'|' '$4 ~ /on/ && $5 ~ /64/ { t = $6 + 0; gsub(/^ +| +$/, "", $2); gsub(/^ +| +$/, "", $3)
		if (t > best) { best = t; row = $2 "; " $3 } }
		END { if (best > 0) printf "%d|%s", best, row }' "$OUT/peer/summary.md" 2>/dev/null)
	peer_tps=${peer_row%%|*}
	need "the baseline's tps" "$peer_tps"
	peer_ratio=$(calc "$lk_rps / $peer_tps" %.1f)
fi

total_s=$(calc "($(now_ns) - $t_all) / 1e9" %.0f)

# ---- the table ----
cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name:[[:space:]]*//p' | head -n 1)
mem_gib=$(awk '/^MemTotal:/ { printf "%.0f", $2 / 1048576 }' /proc/meminfo)
date_utc=$(date -u +%Y-%m-%dT%H:%M:%SZ)

{
	echo
	echo "vaultd benchmark, $(grp "$N") citizens, ${SECS} s per wrk run ($WRK_THREADS threads, $CONNS connections)," \
		"$(nproc) cores ($cpu), $mem_gib GiB; commit $commit$([ "$dirty" = true ] && echo " (with local changes: $changed)"), $date_utc"
	echo
	echo "| step | figure | target | met? |"
	echo "|---|---|---|---|"
	echo "| 1. import | $(grp "$N") records in $import_s s: **$(grp "$import_rate") records/s** | ≥ 50,000 records/s | $(met "$import_rate" '>=' 50000) |"
	echo "| 1. import memory | vaultctl's peak RSS (getrusage) **$import_rss_mib MiB** ($(grp "$N") records in $import_tx transactions) | ≤ 256 MiB whatever the file's size | $(met "$import_rss_mib" '<=' 256) |"
	echo "| 2. setup | 10 agencies, purposes, tokens in $registry_s s; $(grp "$setup_consents") consents in $setup_s s ($setup_rate consents/s) | — | — |"
	echo "| 3. floor | GET /healthz: **$floor_rps req/s**, p50 $floor_p50 ms, p99 $floor_p99 ms; vaultd's CPU **$floor_vd_us µs** per request, wrk's $floor_wrk_us µs | (reference) | — |"
	echo "| 3. ceiling for lookups | POST /v1/lookup with national IDs that fail validation, same script and connections: authenticated, body read and parsed, answered 400 before any of a lookup's own reads, no audit entry: **$cl_rps req/s** = **$cl_ratio × floor**, p50 $(kv p50_ms "$cl_res") ms, p99 $(kv p99_ms "$cl_res") ms; vaultd's CPU **$cl_vd_us µs** per request, wrk's $cl_wrk_us µs | ≤ 15 µs of vaultd's CPU per request | $(met "$cl_vd_us" '<=' 15) |"
	echo "| 4. lookups | POST /v1/lookup: **$lk_rps req/s** = **$lk_ceiling × the ceiling** ($lk_ratio × floor); wrk's CPU $lk_wrk_us µs per request | ≥ 0.5 × the ceiling, each allowed lookup's audit entry durable first | $(met "$lk_ceiling" '>=' 0.5) |"
	echo "| 4. lookup CPU | vaultd's user + system time over the run (/proc), divided by the lookups answered, its durable audit entries included: **$lk_vd_us µs per lookup** | ≤ 60 µs | $(met "$lk_vd_us" '<=' 60) |"
	echo "| 4. lookup latency | p50 $lk_p50 ms, **p99 $lk_p99 ms**, **p99.9 $lk_p999 ms**, max $lk_max ms | p99 ≤ 10 ms, p99.9 ≤ 25 ms at $CONNS connections | $(met "$lk_p99" '<=' 10) / $(met "$lk_p999" '<=' 25) |"
	echo "| 4. lookup statuses | 200: $(grp "$lk_200") ($lk_share200%), 403: $(grp "$lk_403"), other: 0; group-commit audit entries $(grp "$lk_entries") ≥ decisions $(grp $((lk_allow + lk_deny))) | 80% of IDs drawn with consent: as many 200s (checked) | — |"
	echo "| 4. batch lookups | POST /v1/lookups, 100 lookups a request, the same draw: **$(grp "$bt_lps") lookups/s** = **$bt_ratio × the single lookups' rate** ($(grp "$bt_req") requests, p99 $bt_p99 ms a request; vaultd's CPU $bt_vd_us µs per lookup) | ≥ 3 × the single lookups' rate | $(met "$bt_ratio" '>=' 3) |"
	echo "| 4. lookup core | the decision and the released fields' read and decryption alone (\`benchsetup core\`: one thread, no HTTP, no audit entry, a worker's 53 MiB page cache; $(grp "$CORE_N") lookups, 80/20): **$core_us µs of CPU per lookup** in the second half ($core_first_us µs in the first, which also fills the page cache; wall time $core_wall_us µs), at most $(grp "$core_rate")/s per core | — | — |"
	echo "| 5. consent churn | **$ch_appr approvals/s + $ch_rev revocations/s** = $ch_ops changes/s ($(grp "$ch_n") of each; p99 approve $ch_appr_p99 ms, revoke $ch_rev_p99 ms) | ≥ 1,000 changes/s while lookups run | $(met "$ch_ops" '>=' 1000) |"
	echo "| 5. lookups during churn | **$ch_rps req/s**, p50 $ch_p50 ms, **p99 $ch_p99 ms**, **p99.9 $ch_p999 ms**, max $ch_max ms (200: $(grp "$ch_200"), 403: $(grp "$ch_403"), other: $(grp "$ch_other"), timed out (30 s): $ch_timeouts); vaultd's CPU $ch_vd_us µs per lookup (churn included) | p99 ≤ 10 ms, p99.9 ≤ 25 ms | $(met "$ch_p99" '<=' 10) / $(met "$ch_p999" '<=' 25) |"
	echo "| 6. memory | vaultd peak RSS (VmHWM) **$rss_mib MiB** | ≤ 256 MiB (set for 1,000,000 citizens) | $(met "$rss_mib" '<=' 256) |"
	echo "| 6. disk | vault.db + audit.db + WALs $disk_mib MiB: **$(grp "$per_citizen") bytes per citizen** | — | — |"
	echo "| 7. audit batching | $(grp "$au_entries") entries in $(grp "$au_batches") fsyncs: **$au_per entries per fsync**, largest batch $au_max, commit mean $au_fsync_mean_ms ms, max $(calc "1000 * $au_fsync_max" %.1f) ms; the log's WAL started over $(grp "$au_restarts") times, $(grp "$audit_wal_kib") KiB at the end | — | — |"
	echo "| 7. audit verify | $(grp "$verify_entries") entries in **$verify_s s** | ≤ $verify_target s (10 s per 1,000,000) | $(met "$verify_s" '<=' "$verify_target") |"
	echo "| 7. start-up | exec to first 200 on /healthz: **$startup_ms ms**, log of $(grp "$log_at_start") entries | ≤ 1 s | $(met "$startup_ms" '<=' 1000) |"
	if [ -n "$peer_tps" ]; then
		echo "| 8. plain-PostgreSQL baseline | its best durable variant at 64 clients (${peer_row#*|}): $(grp "$peer_tps") lookups/s; vaultd's lookups **$peer_ratio ×** that | ≥ 20 × | $(met "$peer_ratio" '>=' 20) |"
	fi
	echo
	echo "whole run: $total_s s; raw numbers in $OUT/results.json, logs in $OUT/"
} >"$OUT/table.md"

cat >"$OUT/results.json" <<JSON
{
  "date": "$date_utc",
  "commit": "$commit",
  "local_changes": $dirty,
  "changed_files": "$changed",
  "machine": {"nproc": $(nproc), "cpu": "$cpu", "mem_gib": $mem_gib, "loadavg_at_start": "$load_start", "loadavg_at_end": "$(cut -d" " -f1-3 /proc/loadavg)"},
  "citizens": $N,
  "wrk": {"seconds": $SECS, "threads": $WRK_THREADS, "connections": $CONNS},
  "import": {"seconds": $import_s, "records_per_s": $import_rate, "transactions": ${import_tx:-null},
             "vaultctl_peak_rss_mib": $import_rss_mib,
             "vaultctl_checking_s": ${import_check_s:-null}, "vaultctl_writing_s": ${import_write_s:-null},
             "vaultctl_waiting_for_wal_copy_s": ${import_wait_s:-null}},
  "setup": $(cat "$OUT/setup.json"),
  "floor": {"rps": $floor_rps, "p50_ms": $floor_p50, "p99_ms": $floor_p99, "p999_ms": $floor_p999, "requests": $floor_req,
            "wrk_cpu_us_per_request": $floor_wrk_us, "vaultd_cpu_us_per_request": $floor_vd_us},
  "ceiling": {"rps": $cl_rps, "ratio_to_floor": $cl_ratio, "p50_ms": $(kv p50_ms "$cl_res"), "p99_ms": $(kv p99_ms "$cl_res"), "requests": $cl_req,
              "status_4xx": $cl_400, "wrk_cpu_us_per_request": $cl_wrk_us, "vaultd_cpu_us_per_request": $cl_vd_us},
  "lookups": {"rps": $lk_rps, "ratio_to_floor": $lk_ratio, "ratio_to_ceiling": $lk_ceiling, "p50_ms": $lk_p50, "p99_ms": $lk_p99, "p999_ms": $lk_p999, "max_ms": $lk_max,
              "status_200": $lk_200, "status_403": $lk_403, "status_other": 0, "allow": $lk_allow, "deny": $lk_deny,
              "audit_entries": $lk_entries, "picked_with_consent": $lk_picked_yes, "picked_without": $lk_picked_no,
              "wrk_cpu_us_per_request": $lk_wrk_us, "vaultd_cpu_us_per_request": $lk_vd_us},
  "batch_lookups": {"per_request": 100, "requests": $bt_req, "lookups_per_s": $bt_lps, "ratio_to_single": $bt_ratio,
                    "p99_ms_per_request": $bt_p99, "vaultd_cpu_us_per_lookup": $bt_vd_us},
  "lookup_core": $(cat "$OUT/core.json"),
  "churn": $(cat "$OUT/churn.json"),
  "lookups_during_churn": {"rps": $ch_rps, "p50_ms": $ch_p50, "p99_ms": $ch_p99, "p999_ms": $ch_p999, "max_ms": $ch_max,
                           "status_200": $ch_200, "status_403": $ch_403, "status_other": $ch_other, "timeouts": $ch_timeouts,
                           "vaultd_cpu_us_per_request": $ch_vd_us},
  "memory": {"vaultd_vmhwm_kib": $rss_kib, "db_kib": $db_kib, "wal_kib": $wal_kib, "bytes_per_citizen": $per_citizen},
  "audit": {"entries": $au_entries, "batches": $au_batches, "entries_per_fsync": $au_per, "batch_max": $au_max,
            "commit_seconds_total": $au_fsync_total, "commit_seconds_max": $au_fsync_max,
            "wal_restarts": $au_restarts, "wal_kib_at_end": $audit_wal_kib,
            "verify_seconds": $verify_s, "verify_entries": $verify_entries, "verify_target_seconds": $verify_target},
  "startup": {"ms": $startup_ms, "log_entries": $log_at_start, "verify_seconds_at_start": $verify_before_s},
  "targets_met": {"import": "$(met "$import_rate" '>=' 50000)", "import_rss": "$(met "$import_rss_mib" '<=' 256)", "lookup_ratio_to_ceiling": "$(met "$lk_ceiling" '>=' 0.5)",
                  "lookup_cpu": "$(met "$lk_vd_us" '<=' 60)", "ceiling_cpu": "$(met "$cl_vd_us" '<=' 15)",
                  "lookup_p99": "$(met "$lk_p99" '<=' 10)", "lookup_p999": "$(met "$lk_p999" '<=' 25)",
                  "churn_p99": "$(met "$ch_p99" '<=' 10)", "churn_p999": "$(met "$ch_p999" '<=' 25)",
                  "consent_changes": "$(met "$ch_ops" '>=' 1000)", "batch": "$(met "$bt_ratio" '>=' 3)", "rss": "$(met "$rss_mib" '<=' 256)",
                  "startup": "$(met "$startup_ms" '<=' 1000)", "verify": "$(met "$verify_s" '<=' "$verify_target")"},
  "peer": $([ -n "$peer_tps" ] && echo "{\"best_durable_tps_64\": $peer_tps, \"vaultd_ratio\": $peer_ratio}" || echo null),
  "total_seconds": $total_s
}
JSON
cat "$OUT/table.md"
