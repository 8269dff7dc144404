#!/usr/bin/env bash
# Extract the interface strings, merge them into each catalogue, and compile the catalogues.
set -euo pipefail
cd "$(dirname "$0")/.."
PYBABEL=${PYBABEL:-.venv/bin/pybabel}
$PYBABEL extract -F babel.cfg -k lazy_gettext -k _ --no-location --sort-output \
  --project Ardoise -o web/translations/messages.pot .
for lang in fr en; do
  if [ -f "web/translations/$lang/LC_MESSAGES/messages.po" ]; then
    $PYBABEL update --no-fuzzy-matching -i web/translations/messages.pot -d web/translations -l "$lang"
  else
    $PYBABEL init -i web/translations/messages.pot -d web/translations -l "$lang"
  fi
done
$PYBABEL compile -d web/translations
