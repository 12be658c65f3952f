#!/bin/sh
# Copies the display fonts an organization may pick for its public pages
# (internal/branding.Fonts) from their @fontsource packages into static/fonts:
# Latin subset, weights 400 and 700, woff2, each with its licence (SIL OFL 1.1,
# Apache 2.0 for Roboto Slab). Run by `make generate`; the copies are committed,
# so running TrustCred needs only Go.
set -eu
for f in inter source-sans-3 source-serif-4 merriweather playfair-display roboto-slab; do
	src=node_modules/@fontsource/$f
	mkdir -p static/fonts/$f
	for w in 400 700; do
		cp "$src/files/$f-latin-$w-normal.woff2" static/fonts/$f/$w.woff2
	done
	cp "$src/LICENSE" static/fonts/$f/LICENSE
done
