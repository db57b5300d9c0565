"""What the untranslated-string test reads: the messages the code marks,
extracted by Django's makemessages into a copy of the tree (the repo's .po
files are never written), checked against each app's committed Portuguese."""

import ast
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from django.core.management import call_command

LOCALE = "pt_PT"
PO_PATH = Path("locale") / LOCALE / "LC_MESSAGES" / "django.po"
# What makemessages must not read: tests mark nothing staff or guests see,
# and compiled catalogs are build output.
IGNORED = shutil.ignore_patterns("tests", "__pycache__", "*.mo", "node_modules")


@dataclass
class Entry:
    msgid: str = ""
    msgctxt: str | None = None
    msgstrs: list[str] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False


def read_po(path: Path) -> list[Entry]:
    """A .po file's entries: enough of the format for makemessages' output
    (flags, msgctxt, plurals, continued strings, obsolete #~ entries)."""
    entries: list[Entry] = []
    entry = Entry()
    current: str | None = None

    def finish():
        nonlocal entry, current
        if current is not None:
            entries.append(entry)
        entry, current = Entry(), None

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        obsolete = line.startswith("#~")
        if obsolete:
            line = line[2:].strip()
        if not line:
            finish()
            continue
        if line.startswith("#,"):
            if current is not None and current.startswith("msgstr"):
                finish()
            entry.flags |= {flag.strip() for flag in line[2:].split(",")}
            continue
        if line.startswith("#"):
            if current is not None and current.startswith("msgstr"):
                finish()
            continue
        keyword, _, rest = line.partition(" ")
        if line.startswith('"'):
            value = ast.literal_eval(line)
            keyword = current
        else:
            if (
                keyword in ("msgctxt", "msgid")
                and current
                and current.startswith("msgstr")
            ):
                finish()
            value = ast.literal_eval(rest)
            current = keyword
            if keyword.startswith("msgstr"):
                entry.msgstrs.append("")
        entry.obsolete = entry.obsolete or obsolete
        if keyword == "msgid":
            entry.msgid += value
        elif keyword == "msgctxt":
            entry.msgctxt = (entry.msgctxt or "") + value
        elif keyword and keyword.startswith("msgstr"):
            entry.msgstrs[-1] += value
        # msgid_plural needs no keeping: its translations are the msgstr[n].
    finish()
    return entries


def untranslated(root: Path) -> list[str]:
    """Every problem with the Portuguese of the tree under root (a backend/
    directory): a marked message missing from its app's .po or untranslated
    there, a fuzzy entry, or marked text in a directory with no locale/."""
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "backend"
        shutil.copytree(root, copy, ignore=IGNORED)
        # An app without locale/ gets one in the copy, so that what it marks
        # is reported by name below rather than by makemessages' refusal.
        apps = [copy / "common", *(copy / "apps").iterdir()]
        created = {
            app / "locale"
            for app in apps
            if (app / "__init__.py").exists() and not (app / "locale").exists()
        }
        for locale in created:
            locale.mkdir()
        cwd = os.getcwd()
        os.chdir(copy)
        try:
            call_command("makemessages", locale=[LOCALE], verbosity=0, no_obsolete=True)
        except Exception as error:  # makemessages names the file with no locale dir
            problems.append(f"makemessages: {error}")
            return problems
        finally:
            os.chdir(cwd)
        for po in sorted(copy.rglob(str(PO_PATH))):
            name = po.relative_to(copy)
            if po.parents[2] in created:
                sources = sorted(
                    {
                        ref.rsplit(":", 1)[0]
                        for line in po.read_text(encoding="utf-8").splitlines()
                        if line.startswith("#: ")
                        for ref in line[3:].split()
                    }
                )
                problems.append(
                    f"{po.parents[3].relative_to(copy)}: marks text but has no "
                    f"locale/ ({', '.join(sources)})"
                )
                continue
            if not (root / name).exists():
                problems.append(
                    f"{name}: missing (run makemessages -l {LOCALE} in its app)"
                )
                continue
            for entry in read_po(po):
                if entry.obsolete or not entry.msgid:
                    continue
                if "fuzzy" in entry.flags:
                    problems.append(f"{name}: fuzzy: {entry.msgid!r}")
                elif not all(entry.msgstrs):
                    problems.append(f"{name}: untranslated: {entry.msgid!r}")
    return problems


def compiled_catalogs() -> None:
    """Compile every app's .po whose .mo is missing or older (git keeps no
    .mo; scripts/_venv.sh compiles them), then drop the catalogs this process
    has loaded, so that a test reading Portuguese reads the committed .po."""
    backend = Path(__file__).resolve().parents[2]
    stale = [
        po
        for po in backend.rglob(str(PO_PATH))
        if not po.with_suffix(".mo").exists()
        or po.with_suffix(".mo").stat().st_mtime < po.stat().st_mtime
    ]
    if stale:
        cwd = os.getcwd()
        os.chdir(backend)
        try:
            call_command("compilemessages", locale=[LOCALE], verbosity=0)
        finally:
            os.chdir(cwd)
    from django.utils.translation import trans_real

    trans_real._translations = {}
    trans_real._default = None


def conflicting(root: Path) -> list[str]:
    """A message translated one way in one app and another way in another:
    Django merges the apps' catalogs, so only one of them would be read."""
    seen: dict[tuple, tuple[list[str], Path]] = {}
    problems = []
    for po in sorted(root.rglob(str(PO_PATH))):
        for entry in read_po(po):
            if entry.obsolete or not entry.msgid:
                continue
            key = (entry.msgctxt, entry.msgid)
            if key in seen and seen[key][0] != entry.msgstrs:
                first, where = seen[key]
                problems.append(
                    f"{entry.msgid!r}: {first} in {where.relative_to(root)}, "
                    f"{entry.msgstrs} in {po.relative_to(root)}"
                )
            seen.setdefault(key, (entry.msgstrs, po))
    return problems
