# Sourced by the scripts: make .venv with Python 3.11+ and install requirements.
# Tests, CI and the dev server get requirements-dev.txt (the runtime set plus
# tests and tooling); serve.sh sets VENV_REQUIREMENTS=requirements.txt, the
# runtime set a production host needs. The install is skipped while the
# requirement files are unchanged since the last one.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
VENV_REQUIREMENTS="${VENV_REQUIREMENTS:-requirements-dev.txt}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed"'
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.requirements.sha256
wanted="$(cat requirements.txt requirements-dev.txt | sha256sum | cut -d' ' -f1) ${VENV_REQUIREMENTS}"
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$VENV_REQUIREMENTS"
  echo "$wanted" > "$stamp"
fi
# Translations (issue 29): each app's locale/*.po compiled to .mo, which git
# does not keep. msgfmt comes from Debian's gettext package.
if ! find backend -path '*/locale/*' -name '*.po' | grep -q .; then
  :
elif command -v msgfmt >/dev/null 2>&1; then
  .venv/bin/python manage.py compilemessages --ignore=.venv --ignore=clients \
    --ignore=node_modules --verbosity=0
elif [ "${CI:-}" = "true" ]; then
  echo "msgfmt is missing: install Debian's gettext package" >&2
  exit 1
else
  echo "warning: msgfmt is missing (Debian's gettext); translations stay uncompiled" >&2
fi
