"""Brand services on both databases: versions never change, deletes take everything, imports
skip duplicates, voices use the newest texts, and every query stays in its workspace."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from brandloom.analysis.guidelines import Guidelines, parse_guidelines
from brandloom.brands import service
from brandloom.brands.errors import BrandExists, BrandNotFound
from brandloom.brands.kit import parse_kit
from brandloom.brands.library import read_library
from brandloom.brands.repository import BrandRepository
from brandloom.db.engine import unit_of_work
from brandloom.workspaces.models import Workspace
from brandloom.workspaces.service import create_workspace
from tests.brands.factories import GUIDELINES, LIBRARY


def _rules(**changes: object) -> Guidelines:
    return parse_guidelines({**GUIDELINES, **changes}, source="test")


def test_guidelines_versions_are_never_rewritten(
    factory: sessionmaker[Session], default_workspace: Workspace
) -> None:
    ws = default_workspace
    with unit_of_work(factory) as session:
        brand = service.create_brand(session, ws, name="Lumen", guidelines=_rules())
        service.set_guidelines(session, ws, brand=brand, guidelines=_rules(emoji="none"))
        row, changed = service.set_guidelines(
            session,
            ws,
            brand=brand,
            guidelines=_rules(emoji="none"),
        )
        assert (row.version, changed) == (2, False)
        brand_id = brand.id
    with unit_of_work(factory) as session:
        brand = service.get_brand(session, ws, brand_id=brand_id)
        versions = service.list_guidelines_versions(session, ws, brand=brand, before=None, limit=10)
        assert [(v.version, v.data["emoji"]) for v in versions] == [(2, "none"), (1, "allowed")]
        assert service.current_guidelines(session, ws, brand=brand).version == 2


def test_save_brand_creates_updates_or_refuses(
    factory: sessionmaker[Session], default_workspace: Workspace
) -> None:
    ws = default_workspace
    with unit_of_work(factory) as session:
        first = service.save_brand(session, ws, name="  Lumen   Loom ")
        assert first.created and first.brand.name == "Lumen Loom"
        with pytest.raises(BrandExists):
            service.save_brand(session, ws, name="Lumen Loom")
        kit = parse_kit({"font": "Noto Sans"})
        second = service.save_brand(session, ws, name="Lumen Loom", guidelines=_rules(), kit=kit)
        assert (second.created, second.guidelines_changed) == (False, True)
        assert second.brand.kit == {"font": "Noto Sans"} and second.brand.guidelines_version == 1
        third = service.save_brand(session, ws, name="Lumen Loom", guidelines=_rules())
        assert (third.guidelines_changed, third.brand.guidelines_version) == (False, 1)


def test_imports_skip_what_the_library_holds_and_cap_the_listed_rejects(
    factory: sessionmaker[Session], default_workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = default_workspace
    monkeypatch.setattr(service, "MAX_REPORTED_REJECTS", 2)
    monkeypatch.setattr(service, "_INSERT_BATCH", 2)  # several batches, duplicates across them
    with unit_of_work(factory) as session:
        brand = service.create_brand(session, ws, name="Lumen")
        first = service.import_file(
            session, ws, brand=brand, data=b"one\ntwo\nthree\n", filename="a.txt"
        )
        assert (first.accepted, first.duplicates) == (3, 0)
        data = b'{"text": "two "}\n{"text": " one"}\n{"text": "four"}\n{"text": "four"}\n' + (
            b"{}\n" * 5
        )
        second = service.import_file(session, ws, brand=brand, data=data, filename="b.jsonl")
        assert (second.accepted, second.duplicates, second.rejected_total) == (1, 3, 5)
        assert second.rejected == [
            {"line": 5, "reason": "no 'text' key"},
            {"line": 6, "reason": "no 'text' key"},
        ]
        assert service.count_texts(session, ws, brand=brand) == 4


def test_a_voice_learns_from_the_newest_texts(
    factory: sessionmaker[Session], default_workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = default_workspace
    monkeypatch.setattr(service, "MAX_VOICE_TEXTS", 5)
    with unit_of_work(factory) as session:
        brand = service.create_brand(session, ws, name="Lumen")
        items = read_library("\n".join(LIBRARY).encode(), format="txt", source="lib")
        service.import_texts(session, ws, brand=brand, items=items, format="txt")
        voice = service.train_voice(session, ws, brand=brand)
        assert voice.n_texts == 5 and voice.guidelines_version is None
        newest = BrandRepository(session, ws).newest_texts(brand.id, limit=5)
        assert [text for text, _ in newest] == LIBRARY[-5:]  # file order kept, oldest first
        assert service.current_voice(session, ws, brand=brand).id == voice.id
        scorer = service.voice_scorer(session, ws, brand=brand)
        assert scorer.linter is None and scorer.guidelines_version is None
        assert len(scorer.score(["One", "Two"])) == 2


def test_deleting_a_brand_takes_everything_it_holds(
    factory: sessionmaker[Session], default_workspace: Workspace
) -> None:
    ws = default_workspace
    with unit_of_work(factory) as session:
        brand = service.create_brand(session, ws, name="Lumen", guidelines=_rules())
        items = read_library("\n".join(LIBRARY).encode(), format="txt", source="lib")
        service.import_texts(session, ws, brand=brand, items=items, format="txt")
        service.train_voice(session, ws, brand=brand)
        brand_id = brand.id
    with unit_of_work(factory) as session:
        service.delete_brand(session, ws, brand=service.get_brand(session, ws, brand_id=brand_id))
    with unit_of_work(factory) as session:
        repo = BrandRepository(session, ws)
        assert repo.get(brand_id) is None
        assert repo.count_texts(brand_id) == 0
        assert repo.current_voice(brand_id) is None
        assert repo.latest_guidelines_version(brand_id) == 0
        # the name is free again
        assert service.create_brand(session, ws, name="Lumen").id != brand_id


def test_queries_stay_in_their_workspace(
    factory: sessionmaker[Session], default_workspace: Workspace
) -> None:
    with unit_of_work(factory) as session:
        other = create_workspace(session, name="globex").workspace
        mine = service.create_brand(session, default_workspace, name="Lumen")
        service.import_file(
            session, default_workspace, brand=mine, data=b"shared text\n", filename="a.txt"
        )
        theirs = service.create_brand(session, other, name="Lumen")  # the same name is fine
        report = service.import_file(
            session, other, brand=theirs, data=b"shared text\n", filename="a.txt"
        )
        assert report.accepted == 1  # duplicates are per brand, never across workspaces
        repo = BrandRepository(session, other)
        assert repo.get(mine.id) is None
        assert repo.by_name("Lumen") is theirs
        assert repo.known_hashes(mine.id, ["x"]) == set()
        assert [b.id for b, _ in service.list_voices(session, other)] == [theirs.id]
        with pytest.raises(BrandNotFound):
            service.get_brand(session, other, brand_id=mine.id)
        with pytest.raises(BrandNotFound, match="brandloom brand create 'Nope'"):
            service.find_brand(session, other, name="Nope")
