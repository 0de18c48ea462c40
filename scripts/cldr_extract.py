"""Extract the CLDR data Babel does not ship (quotation marks, person-name order) for every
locale brandloom's culture checks support (dev-only tool).

    python scripts/cldr_extract.py                      # npm pack the packages into a temp folder
    python scripts/cldr_extract.py --from /tmp/cldr     # use packages already unpacked there
    python scripts/cldr_extract.py --version 48.2.0     # another cldr-json release

Sources are the Unicode Consortium's cldr-json npm packages ``cldr-misc-full`` (``delimiters``:
quotation marks) and ``cldr-person-names-full`` (``personNames``: which name order a locale
uses for its own names, and the formal/informal addressing patterns), both under the Unicode
License v3. Without ``--from`` the script runs ``npm pack`` in a temporary folder (the npm
registry must be reachable) and reads the tarballs there; with ``--from`` it reads
``<dir>/cldr-misc-full/`` and ``<dir>/cldr-person-names-full/`` (an unpacked tarball's
``package/`` folder renamed to the package's name) or the tarballs themselves.

The locales are those with a hand file in ``src/brandloom/analysis/data/culture/locales/``;
each is looked up as CLDR inherits (``zh-TW`` -> ``zh-Hant-TW``, ``zh-Hant``, ``zh``). The
output, ``src/brandloom/analysis/data/culture/cldr.json``, is deterministic (sorted keys, no
timestamp): rerunning with the same release gives the same file, so ``git diff`` shows what a
new release changed.
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from babel.core import get_global

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "src" / "brandloom" / "analysis" / "data" / "culture"
PACKAGES = ("cldr-misc-full", "cldr-person-names-full")
DEFAULT_VERSION = "48.2.0"


class Package:
    """One cldr-json package, read from a folder or a tarball (``package/...`` inside)."""

    def __init__(self, name: str, source: Path) -> None:
        self.name = name
        self._dir: Path | None = None
        self._tar: tarfile.TarFile | None = None
        if source.is_dir():
            self._dir = source
        else:
            self._tar = tarfile.open(source, "r:gz")  # noqa: SIM115 - kept open while reading
        self.meta = self.read("package.json")
        self.license = (self.text("LICENSE") or "").strip().splitlines()[0].strip()

    def text(self, path: str) -> str | None:
        if self._dir is not None:
            file = self._dir / path
            return file.read_text(encoding="utf-8") if file.is_file() else None
        assert self._tar is not None
        try:
            member = self._tar.extractfile(f"package/{path}")
        except KeyError:
            return None
        return None if member is None else io.TextIOWrapper(member, encoding="utf-8").read()

    def read(self, path: str) -> Any:
        found = self.text(path)
        return None if found is None else json.loads(found)

    def main(self, cldr_locale: str, file: str) -> dict[str, Any] | None:
        data = self.read(f"main/{cldr_locale}/{file}")
        return None if data is None else data["main"][cldr_locale]


def candidates(tag: str) -> list[str]:
    """The CLDR locales to try for ``tag``, most specific first (``zh-TW`` -> ``zh-Hant-TW``,
    ``zh-TW``, ``zh-Hant``, ``zh``)."""
    language, _, region = tag.partition("-")
    likely: dict[str, str] = get_global("likely_subtags")
    full = likely.get(f"{language}_{region}") or likely.get(language) or language
    parts = full.split("_")
    script = parts[1] if len(parts) > 1 and len(parts[1]) == 4 else ""
    found = [
        f"{language}-{script}-{region}" if script and region else "",
        tag,
        f"{language}-{script}" if script else "",
        language,
    ]
    return list(dict.fromkeys(c for c in found if c))


def quotation_marks(misc: Package, tag: str) -> tuple[str, dict[str, str]]:
    for cldr_locale in candidates(tag):
        found = misc.main(cldr_locale, "delimiters.json")
        if found is not None:
            d = found["delimiters"]
            return cldr_locale, {
                "start": d["quotationStart"],
                "end": d["quotationEnd"],
                "alternate_start": d["alternateQuotationStart"],
                "alternate_end": d["alternateQuotationEnd"],
            }
    raise SystemExit(f"no delimiters for {tag} in {misc.name}")


def name_order(names: Package, tag: str) -> tuple[str, dict[str, Any]]:
    """The order a locale uses for names of its own language, as CLDR's ``nameOrderLocales``
    decide it: the most specific of the locale's tags listed under ``givenFirst`` or
    ``surnameFirst``, else the list holding ``und``."""
    for cldr_locale in candidates(tag):
        found = names.main(cldr_locale, "personNames.json")
        if found is None:
            continue
        data = found["personNames"]
        lists = {"given_first": data["givenFirst"], "surname_first": data["surnameFirst"]}
        order = None
        for key in [*candidates(tag), "und"]:
            order = next((o for o, tags in lists.items() if key in tags), None)
            if order is not None:
                break
        assert order is not None
        camel = "givenFirst" if order == "given_first" else "surnameFirst"
        addressing = data["personName"][camel]["medium"]["addressing"]
        return cldr_locale, {
            "order": order,
            "addressing": {"formal": addressing["formal"], "informal": addressing["informal"]},
            "formality": data.get("formality"),
        }
    raise SystemExit(f"no personNames for {tag} in {names.name}")


def locales() -> list[str]:
    return sorted(p.stem for p in (DATA / "locales").glob("*.yaml"))


def extract(misc: Package, names: Package) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for tag in locales():
        quotes_from, quotes = quotation_marks(misc, tag)
        names_from, order = name_order(names, tag)
        out[tag] = {
            "quotes": quotes,
            "quotes_cldr_locale": quotes_from,
            "name_order": order["order"],
            "addressing": order["addressing"],
            "names_cldr_locale": names_from,
        }
    versions = {p.name: p.meta["version"] for p in (misc, names)}
    return {
        "cldr_version": misc.meta.get("cldr-version", misc.meta["version"]),
        "license": "Unicode License v3",
        "license_spdx": misc.meta.get("license", "Unicode-3.0"),
        "copyright": "Copyright © 2004-2026 Unicode, Inc.",
        "source_packages": versions,
        "generated_by": "scripts/cldr_extract.py",
        "locales": out,
    }


def fetch(version: str, into: Path) -> dict[str, Path]:
    specs = [f"{name}@{version}" for name in PACKAGES]
    subprocess.run(
        ["npm", "pack", "--silent", *specs], cwd=into, check=True, stdout=subprocess.DEVNULL
    )
    return {name: into / f"{name}-{version}.tgz" for name in PACKAGES}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--from", dest="source", type=Path, help="folder with the packages")
    parser.add_argument("--version", default=DEFAULT_VERSION, help="cldr-json release")
    parser.add_argument("--out", type=Path, default=DATA / "cldr.json")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        if args.source is None:
            paths = fetch(args.version, Path(tmp))
        else:
            paths = {}
            for name in PACKAGES:
                folder = args.source / name
                tarball = args.source / f"{name}-{args.version}.tgz"
                paths[name] = folder if folder.is_dir() else tarball
        misc, names = (Package(name, paths[name]) for name in PACKAGES)
        data = extract(misc, names)
    text = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out} ({len(data['locales'])} locales, CLDR {data['cldr_version']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
