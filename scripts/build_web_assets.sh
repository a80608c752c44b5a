#!/usr/bin/env bash
# The web app's front-end files, from the npm registry (the machine has no CDN): GOV.UK Frontend compiled
# without its font or crown images, htmx, Vega for the charts and Swagger UI for /api/docs. They land in src/cyplan/web/static/vendor/ (not committed).
set -euo pipefail
cd "$(dirname "$0")/.."
# with the dev packages: sass, and oauth2-mock-server (the OpenID Connect provider the sign-in tests start)
npm ci --silent --no-audit --no-fund
out=src/cyplan/web/static/vendor
rm -rf "$out" && mkdir -p "$out/govuk" "$out/swagger-ui"
npm run -s build
cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js "$out/govuk/"
cp node_modules/htmx.org/dist/htmx.min.js "$out/"
cp node_modules/vega/build/vega.min.js node_modules/vega-lite/build/vega-lite.min.js \
   node_modules/vega-embed/build/vega-embed.min.js "$out/"
cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css \
   node_modules/swagger-ui-dist/favicon-32x32.png "$out/swagger-ui/"
touch "$out/.built"
