#!/bin/sh
# deps.sh: install the Debian packages vaultd needs to build and test, when any is missing.
# As root it runs apt-get; otherwise it prints the command to run and fails.
set -eu

PKGS="build-essential pkg-config libsodium-dev libsqlcipher-dev libmicrohttpd-dev \
libjansson-dev liboath-dev libcmocka-dev libcurl4-openssl-dev valgrind"

# Extra groups, selected by the caller: "sanitizer" (clang runtime for ASan/UBSan/LSan),
# "bench" (wrk), "demo" (the curl and oathtool commands make run prints).
for extra in "$@"; do
	case "$extra" in
	sanitizer) PKGS="$PKGS clang libclang-rt-14-dev" ;;
	bench) PKGS="$PKGS wrk curl" ;;
	demo) PKGS="$PKGS curl oathtool" ;;
	*) echo "deps.sh: unknown group '$extra'" >&2; exit 2 ;;
	esac
done

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

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
