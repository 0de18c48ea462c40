"""The demo's brand: its guidelines and visual kit, stored in the workspace before its job."""

from __future__ import annotations

import tempfile
from importlib import resources
from pathlib import Path

from sqlalchemy.orm import Session

from brandloom.analysis.guidelines import load_guidelines_file
from brandloom.brands.kit import load_kit_file
from brandloom.brands.models import Brand
from brandloom.brands.service import save_brand
from brandloom.demo.data import BRAND, BRAND_FILES
from brandloom.workspaces.models import Workspace

__all__ = ["save_demo_brand"]


def save_demo_brand(session: Session, workspace: Workspace, *, folder: Path | None = None) -> Brand:
    """Create the demo brand (guidelines, kit and logo), or bring it up to date when a previous
    demo created it; read from ``folder`` (the demo's inputs, see
    :func:`~brandloom.demo.data.write_demo`), else from the files shipped with the package."""
    if folder is None:
        package = resources.files("brandloom.demo")
        if isinstance(package, Path):
            return save_demo_brand(session, workspace, folder=package)
        with tempfile.TemporaryDirectory(prefix="brandloom-demo-") as tmp:  # a zipped package
            for name in BRAND_FILES:
                (Path(tmp) / name).write_bytes(package.joinpath(name).read_bytes())
            return save_demo_brand(session, workspace, folder=Path(tmp))
    kit, logo = load_kit_file(folder / "kit.yaml")
    guidelines = load_guidelines_file(folder / "guidelines.yaml")
    return save_brand(
        session, workspace, name=BRAND, guidelines=guidelines, kit=kit, logo=logo
    ).brand
