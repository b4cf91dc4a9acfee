#!/usr/bin/env bash
# Copy front-end libraries from the npm registry into static/vendor/, so that the site
# serves every asset itself (no CDN). Run after changing a version below; commit the result.
set -euo pipefail
cd "$(dirname "$0")/.."
BOOTSTRAP=5.3.8
# QR decoding on the check-in page for browsers without BarcodeDetector.
JSQR=1.4.0

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm init -y >/dev/null && npm install --no-audit --no-fund --silent "bootstrap@$BOOTSTRAP" "jsqr@$JSQR")

dest=static/vendor
rm -rf "$dest/bootstrap"
mkdir -p "$dest/bootstrap"
cp "$work/node_modules/bootstrap/dist/css/bootstrap.min.css" "$dest/bootstrap/"
cp "$work/node_modules/bootstrap/dist/js/bootstrap.bundle.min.js" "$dest/bootstrap/"
cp "$work/node_modules/bootstrap/LICENSE" "$dest/bootstrap/LICENSE"
# The source maps are not shipped; drop the references so the manifest storage does not
# look for them.
sed -i "/sourceMappingURL/d" "$dest/bootstrap/"*.min.*

rm -rf "$dest/jsqr"
mkdir -p "$dest/jsqr"
cp "$work/node_modules/jsqr/dist/jsQR.js" "$dest/jsqr/"
cp "$work/node_modules/jsqr/LICENSE" "$dest/jsqr/LICENSE"

cat > "$dest/README.md" <<TXT
# Vendored front-end libraries

Copied from the npm registry by \`scripts/vendor-static.sh\`; do not edit by hand.

| library | version | licence |
|---|---|---|
| bootstrap | $BOOTSTRAP | MIT (bootstrap/LICENSE) |
| jsqr | $JSQR | Apache-2.0 (jsqr/LICENSE) |
TXT
echo "vendored into $dest"
