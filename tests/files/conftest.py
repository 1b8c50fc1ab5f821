"""Helpers for the file tests: run the CLI in-process, read the App catalog back."""
from __future__ import annotations

import io

import pytest

from app.cli import main
from app.store.catalog import Catalog
from app.store.connection import open_store
from contract.records import Entity


class Shop:
    def __init__(self, home) -> None:
        self.home = home

    def cli(self, *argv: str, lang: str = "vi") -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        code = main(["--home", str(self.home.home), "--lang", lang, *argv], out=out, err=err,
                    environ={}, stdin_is_tty=False)
        return code, out.getvalue(), err.getvalue()

    def products(self) -> dict[str, object]:
        """SKU → product, read from a fresh connection (what the import committed)."""
        db = open_store(self.home)
        try:
            catalog = Catalog(db)
            return {p.variants[0].sku if p.variants else p.key: p
                    for p in catalog.iter_records(Entity.PRODUCT)}
        finally:
            db.close()

    def records(self, entity: Entity) -> list:
        db = open_store(self.home)
        try:
            return list(Catalog(db).iter_records(entity))
        finally:
            db.close()


@pytest.fixture
def shop(home) -> Shop:
    return Shop(home)
