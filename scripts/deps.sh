#!/bin/sh
# deps.sh: install the Debian packages vaultd needs to build and test, when any is missing.
# As root it runs apt-get; otherwise it prints the command to run and fails.
set -eu

PKGS="build-essential pkg-config libsodium-dev libsqlcipher-dev libmicrohttpd-dev \
libjansson-dev liboath-dev libcmocka-dev libcurl4-openssl-dev valgrind"

# Extra groups, selected by the caller: "sanitizer" (clang runtime for ASan/UBSan/LSan),
# "bench" (wrk), "demo" (the curl and oathtool commands make run prints), "portal" (node and
# npm, and the pinned npm packages whose files make portal vendors), "browser" (that, and
# Debian's chromium, which the browser tests drive), "peer" (PostgreSQL 15 and pgbench, for the
# plain-PostgreSQL baseline the benchmark can run beside vaultd: BENCH_PEER).
NODE=0
for extra in "$@"; do
	case "$extra" in
	sanitizer) PKGS="$PKGS clang libclang-rt-14-dev" ;;
	bench) PKGS="$PKGS wrk curl" ;;
	demo) PKGS="$PKGS curl oathtool" ;;
	portal) NODE=1 ;;
	browser) PKGS="$PKGS chromium"; NODE=1 ;;
	peer) PKGS="$PKGS postgresql-15 postgresql-client-15 procps gzip" ;;
	*) echo "deps.sh: unknown group '$extra'" >&2; exit 2 ;;
	esac
done

# The npm packages of package-lock.json, exactly, when node_modules/ is not there yet (npm ci
# runs no package's install script: none is needed, and playwright-core downloads no browser).
npm_ci() {
	[ "$NODE" = 1 ] || return 0
	root=$(cd "$(dirname "$0")/.." && pwd)
	[ -d "$root/node_modules" ] && return 0
	echo "deps.sh: npm ci (the pinned packages of package-lock.json)" >&2
	(cd "$root" && npm ci --ignore-scripts --no-audit --no-fund >/dev/null)
}

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
# node and npm may come from Debian (nodejs, npm) or another package of nodejs that ships npm
if [ "$NODE" = 1 ] && ! command -v npm >/dev/null 2>&1; then
	missing="$missing nodejs npm"
fi
if [ -z "$missing" ]; then
	npm_ci
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing Debian packages:$missing" >&2
	echo "deps.sh: run: sudo apt-get install -y$missing" >&2
	exit 1
fi
echo "deps.sh: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
npm_ci
