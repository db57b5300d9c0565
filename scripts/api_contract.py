"""Regenerate the API contract files from the code, or check they are current.

    .venv/bin/python scripts/api_contract.py          # rewrite both files
    .venv/bin/python scripts/api_contract.py --check  # exit 1 if one is stale

docs/openapi.yaml is the schema exactly as /api/schema/ serves it, and the
error table in docs/api.md lists every error code (common.errors). The test
suite fails while either differs from what the code produces.
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_FILE = ROOT / "docs" / "openapi.yaml"
API_GUIDE = ROOT / "docs" / "api.md"


def main(check: bool) -> int:
    sys.path.insert(0, str(ROOT / "backend"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    from common.errors import with_error_table
    from common.schema import schema_document

    wanted = {
        SCHEMA_FILE: schema_document(),
        API_GUIDE: with_error_table(API_GUIDE.read_text()),
    }
    stale = [path for path, text in wanted.items() if path.read_text() != text]
    if check:
        for path in stale:
            print(f"{path.relative_to(ROOT)} is stale: run scripts/api_contract.py")
        return 1 if stale else 0
    for path in stale:
        path.write_text(wanted[path])
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(check="--check" in sys.argv[1:]))
