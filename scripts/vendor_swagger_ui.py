"""Refresh the Swagger UI files served at ``/docs`` (``src/brandloom/api/static/swagger-ui``).

    python scripts/vendor_swagger_ui.py                  # the version pinned below
    python scripts/vendor_swagger_ui.py --version 5.36.0
    python scripts/vendor_swagger_ui.py --tarball swagger-ui-dist-5.36.0.tgz

The files come from the ``swagger-ui-dist`` package of the npm registry (Apache-2.0), fetched
with ``npm pack`` into a temporary folder (or taken from a tarball already downloaded). Only what
the ``/docs`` page loads is kept: the JavaScript bundle, its stylesheet and a favicon, with the
package's LICENSE and NOTICE and the bundle's third-party license list beside them. The
``sourceMappingURL`` comments are removed because the maps are not shipped (a browser with
developer tools open would ask for them and get 404s). ``MANIFEST.json`` records the version
and the sha256 of every file, so a refresh shows up in ``git diff``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import tarfile
import tempfile
from pathlib import Path

VERSION = "5.36.0"
ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "src" / "brandloom" / "api" / "static" / "swagger-ui"
FILES = (
    "swagger-ui-bundle.js",
    "swagger-ui-bundle.js.LICENSE.txt",
    "swagger-ui.css",
    "favicon-32x32.png",
    "LICENSE",
    "NOTICE",
)
_SOURCE_MAP = re.compile(rb"\n?/[/*]# sourceMappingURL=[^\n]*\s*$")


def _pack(version: str, folder: Path) -> Path:
    subprocess.run(
        ["npm", "pack", f"swagger-ui-dist@{version}", "--pack-destination", str(folder)],
        check=True,
        capture_output=True,
    )
    return folder / f"swagger-ui-dist-{version}.tgz"


def vendor(tarball: Path) -> dict[str, object]:
    """Copy the kept files out of an ``npm pack`` tarball into :data:`TARGET`."""
    TARGET.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, object] = {"package": "swagger-ui-dist", "files": {}}
    with tarfile.open(tarball) as archive:
        package = json.load(archive.extractfile("package/package.json"))  # type: ignore[arg-type]
        manifest["version"] = package["version"]
        manifest["license"] = package["license"]
        for name in FILES:
            member = archive.extractfile(f"package/{name}")
            if member is None:
                raise SystemExit(f"{name} is missing from {tarball}")
            data = member.read()
            if name.endswith((".js", ".css")):
                data = _SOURCE_MAP.sub(b"\n", data)
            (TARGET / name).write_bytes(data)
            manifest["files"][name] = hashlib.sha256(data).hexdigest()  # type: ignore[index]
    (TARGET / "MANIFEST.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--version", default=VERSION)
    parser.add_argument("--tarball", type=Path, help="an npm pack tarball of swagger-ui-dist")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tarball = args.tarball or _pack(args.version, Path(tmp))
        manifest = vendor(tarball)
    print(f"swagger-ui-dist {manifest['version']} -> {TARGET.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
