#!/bin/sh
# pageweight.sh BASE EMAIL PASSWORD: the bytes on the wire of a cold first
# load (HTML + its CSS and JS) of the login page, the dashboard and a public
# credential page (/v/{id}, the first one on /credentials), as a client that
# accepts no coding, gzip only, and gzip + brotli (a browser) receives them.
#   ./scripts/pageweight.sh http://127.0.0.1:8080 admin@northfield.edu 'password'
set -eu
base=$1 email=$2 password=$3
jar=$(mktemp) && trap 'rm -f "$jar"' EXIT

# bytes URL ENCODING: size of the body as sent (not decoded).
bytes() { curl -s -o /dev/null -w '%{size_download}' -b "$jar" -H "Accept-Encoding: $2" "$base$1"; }
assets() { grep -o '/static/[^"]*\.\(css\|js\)?v=[0-9a-f]*' | sort -u; }
weigh() { # weigh NAME PATH: the page and its assets in each coding
	html=$(curl -s -b "$jar" "$base$2")
	for enc in identity gzip "gzip, deflate, br"; do
		page=$(bytes "$2" "$enc") sub=0
		for a in $(printf '%s' "$html" | assets); do sub=$((sub + $(bytes "$a" "$enc"))); done
		printf '%-12s %-20s html %6d  css+js %6d  total %6d\n' "$1" "$enc" "$page" "$sub" $((page + sub))
	done
}

weigh login /login
token=$(curl -s -c "$jar" -b "$jar" "$base/login" | sed -n 's/.*name="csrf-token" content="\([^"]*\)".*/\1/p' | head -n1)
curl -s -o /dev/null -c "$jar" -b "$jar" --data-urlencode "email=$email" --data-urlencode "password=$password" \
	--data-urlencode "csrf_token=$token" "$base/login"
weigh dashboard /
id=$(curl -s -b "$jar" "$base/credentials" | grep -o 'href="/credentials/[0-9a-f-]\{36\}"' | head -n1 | sed 's/.*\/credentials\/\([^"]*\)"/\1/')
pub=$(curl -s -b "$jar" "$base/credentials/$id" | grep -o '/v/[A-Za-z0-9_-]*' | head -n1)
curl -s -o /dev/null "$base$pub" # made and cached
: >"$jar"
weigh "$pub" "$pub"
