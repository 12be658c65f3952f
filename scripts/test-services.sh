#!/usr/bin/env bash
# Makes sure the services the tests talk to are there: PostgreSQL on
# 127.0.0.1:5432 (trust auth for user postgres) and Debian's Chromium.
# On a fresh Debian machine, as root, it installs and starts what is missing.
# Without root it only reports: the tests needing a missing service then skip
# (or, with CI=true, fail).
set -uo pipefail

log() { echo "test-services: $*" >&2; }
is_root() { [ "$(id -u)" = 0 ]; }
have() { type -P "$1" >/dev/null 2>&1; } # an executable on PATH, not a function of this script (chromium is one)
apt_updated=
apt_install() {
	is_root && have apt-get || return 1
	if [ -z "$apt_updated" ]; then
		DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null || return 1
		apt_updated=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# ---- PostgreSQL -----------------------------------------------------------
postgres() {
	if [ -n "${TRUSTCRED_TEST_DATABASE_URL:-}" ]; then
		log "using TRUSTCRED_TEST_DATABASE_URL"
		return 0
	fi
	port_open 127.0.0.1 5432 && return 0
	local fresh=
	if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
		log "PostgreSQL not installed; installing Debian's postgresql"
		apt_install postgresql || { log "cannot install PostgreSQL (need root and apt-get): PostgreSQL tests will skip"; return 0; }
		fresh=1
	fi
	local ver
	ver=$(ls /etc/postgresql | sort -V | tail -n 1)
	if [ -n "$fresh" ]; then
		# A throwaway test server: let the postgres user in over loopback
		# without a password, as the tests expect.
		local hba="/etc/postgresql/$ver/main/pg_hba.conf"
		sed -i '1i host all postgres 127.0.0.1/32 trust\nhost all postgres ::1/128 trust' "$hba"
	fi
	log "starting PostgreSQL $ver"
	pg_ctlcluster --skip-systemctl-redirect "$ver" main start 2>/dev/null ||
		pg_ctlcluster --skip-systemctl-redirect "$ver" main reload 2>/dev/null || true
	for _ in $(seq 1 60); do
		port_open 127.0.0.1 5432 && return 0
		sleep 0.5
	done
	log "PostgreSQL did not come up on 127.0.0.1:5432: PostgreSQL tests will skip"
}

# ---- Chromium -------------------------------------------------------------
chromium() {
	if [ -n "${CHROMIUM:-}" ] || have chromium || have chromium-browser || have google-chrome; then
		return 0
	fi
	log "Chromium not installed; installing Debian's chromium"
	apt_install chromium fonts-liberation || log "cannot install Chromium (need root and apt-get): browser tests will skip"
}

# ---- Node.js ---------------------------------------------------------------
# The browser tests' axe-core and the interop verifier are npm packages,
# installed by the tests themselves (npm ci) into the user cache.
node() {
	if have node && have npm; then
		return 0
	fi
	log "Node.js or npm not installed; installing Debian's nodejs and npm"
	apt_install nodejs npm || log "cannot install Node.js (need root and apt-get): axe and interop tests will skip"
}

# ---- PDF and QR tools --------------------------------------------------------
# The certificate tests read PDFs as people do: poppler's pdftotext, pdffonts,
# pdfdetach and pdftoppm, and zbar's zbarimg for the QR code.
pdftools() {
	if have pdftotext && have pdfdetach && have pdftoppm && have zbarimg; then
		return 0
	fi
	log "poppler-utils or zbar-tools not installed; installing Debian's"
	apt_install poppler-utils zbar-tools || log "cannot install poppler-utils and zbar-tools (need root and apt-get): PDF tests will skip"
}

postgres
chromium
node
pdftools
exit 0
