#!/usr/bin/env bash
# System packages from Debian that cyplan needs beyond Python and Node.js: Chromium's headless shell, which prints
# the PDF board papers (docs/decisions/0020-pdf-renderer.md), and Pango for WeasyPrint, which prints them where
# Chromium is missing or fails; and for the tests Chromium (driven by Playwright), pdftotext, LibreOffice Writer (no GUI: it converts
# the Word board paper to PDF, to show it opens) and PostgreSQL's server (the PostgreSQL
# tests start a throwaway server of their own with its initdb and pg_ctl, from /usr/lib/postgresql/*/bin), and
# wrk, the web load benchmark's load generator (tests/test_benchmark_web_load.py runs its script).
# Installs only what is missing: when everything is there it only asks dpkg, and changes nothing.
set -euo pipefail
want=(chromium-headless-shell libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core)
if [[ "${1:-}" == "--test" ]]; then want+=(chromium poppler-utils postgresql libreoffice-writer-nogui wrk); fi
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0
echo "Installing system packages: ${missing[*]}"
sudo=""; [[ $(id -u) -ne 0 ]] && sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
