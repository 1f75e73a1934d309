#!/usr/bin/env bash
# Re-vendor front-end assets from the npm registry into portal/static/portal/vendor (committed).
# Versions come from portal/package.json. Run after changing a version there.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cd "$work"
version=$(python3 -c "import json;print(json.load(open('$root/portal/package.json'))['dependencies']['htmx.org'])")
npm pack --silent "htmx.org@$version" >/dev/null
tar xzf htmx.org-*.tgz
cp package/dist/htmx.min.js "$root/portal/static/portal/vendor/htmx.min.js"
echo "vendored htmx.org@$version" >&2
