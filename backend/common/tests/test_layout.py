"""The shared core depends on no app: checked by reading the imports."""

import ast
from pathlib import Path

COMMON = Path(__file__).resolve().parent.parent


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module)
    return modules


def test_common_imports_no_app():
    offenders = {
        f"{path.relative_to(COMMON)}: {module}"
        for path in COMMON.rglob("*.py")
        if "tests" not in path.relative_to(COMMON).parts
        for module in _imported_modules(path)
        if module == "apps" or module.startswith("apps.")
    }
    assert offenders == set()


def test_the_check_sees_an_app_import(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from apps.bookings import models\n")
    assert _imported_modules(sample) == {"apps.bookings"}
