#!/usr/bin/env bash
# Re-vendor front-end assets from the npm registry into portal/static/portal/vendor (committed), each with its
# package's licence beside it (<package>.LICENSE). Versions come from portal/package.json; nothing is ever
# loaded from a CDN. Run after changing a version there.
#   htmx.org  dist/htmx.min.js  -> vendor/htmx.min.js   (every page)
#   jsqr      dist/jsQR.js      -> vendor/jsQR.js       (pages that scan a QR code: js/qr-scan.js)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
vendor="$root/portal/static/portal/vendor"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cd "$work"

# vendor <npm package> <file in the package> <name in vendor/>
vendor() {
  local package=$1 source=$2 target=$3 version
  version=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['dependencies'][sys.argv[2]])" \
    "$root/portal/package.json" "$package")
  rm -rf package ./*.tgz
  npm pack --silent "$package@$version" >/dev/null
  tar xzf ./*.tgz
  cp "package/$source" "$vendor/$target"
  cp package/LICENSE "$vendor/$package.LICENSE"
  echo "vendored $package@$version" >&2
}

vendor htmx.org dist/htmx.min.js htmx.min.js
vendor jsqr dist/jsQR.js jsQR.js
