#!/usr/bin/env bash
# Refresh the gettext template and catalogs after changing UI strings; then fill the new msgstr in zh_Hans_CN.
set -euo pipefail
cd "$(dirname "$0")/.."
L=src/pingan/web/locale
pybabel extract -F babel.cfg -k N_ --no-location --project pingan --copyright-holder "pingan contributors" \
  -o "$L/messages.pot" src/pingan
pybabel update -i "$L/messages.pot" -d "$L" -D messages --no-fuzzy-matching --ignore-obsolete --width 120
