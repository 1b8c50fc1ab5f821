"""The App catalog: the shop's own records, kept as canonical JSON with indexed columns.

The sync engine, the command line and the App data view all go through `Catalog`; nothing
else writes `CatalogItem`/`CatalogKey` rows, so the natural keys used for matching before a
create (COM-02) and the search index can never drift from the records.
"""
from __future__ import annotations

import dataclasses
import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Container, Iterable, Iterator

import orjson
import peewee as pw

from contract.records import (Branch, Category, Customer, Entity, InvalidValue, NewsArticle, Order,
                        Product, Record, RECORD_TYPES, from_plain, now_utc, text, to_plain)
from app.store.models import CatalogItem, CatalogKey, IdSequence

# Prefix of App ids per entity: P000123 is a product, K000045 a customer (khách hàng).
ID_PREFIX: dict[Entity, str] = {
    Entity.BRANCH: "B", Entity.CATEGORY: "C", Entity.PRODUCT: "P",
    Entity.CUSTOMER: "K", Entity.ORDER: "O", Entity.NEWS: "N",
}

_NON_DIGITS = re.compile(r"\D+")
# The id_sequence row that counts catalog writes (no entity is spelled with "~").
REVISION_SEQUENCE = "~revision"


# --------------------------------------------------------------------------------------------
# Normalising natural keys (COM-02): both sides are compared in this one spelling
# --------------------------------------------------------------------------------------------

def fold(value: object | None) -> str:
    """NFC, stripped, casefolded: 'Cà Phê ' and 'cà phê' are the same name."""
    return text(value).casefold()


def normalise_phone(value: object | None) -> str:
    """Digits only, Vietnamese national form: '+84 912-345-678' → '0912345678'.

    Spreadsheets drop the leading zero ('912345678'); the POS and the App may or may not
    keep the country code. Without one spelling the same customer would be created twice.
    """
    digits = _NON_DIGITS.sub("", text(value))
    if digits.startswith("0084"):
        digits = digits[4:]
        digits = digits if digits.startswith("0") else "0" + digits
    elif digits.startswith("84") and len(digits) in (11, 12):
        digits = digits[2:]   # "+84 (0)912…" keeps its 0: never double it
        digits = digits if digits.startswith("0") else "0" + digits
    elif len(digits) == 9 and digits[0] in "35789":   # mobile without its leading 0
        digits = "0" + digits
    elif len(digits) == 10 and digits[0] == "2":      # landline 02x without its leading 0
        digits = "0" + digits
    return digits


def category_name_key(name: object, parent_key: str | None = None) -> str:
    """Matching value of a category: its name under its parent ("parent|name")."""
    return fold(f"{parent_key or ''}|{text(name)}")


def match_value(kind: str, value: object) -> str:
    """The stored spelling of a natural key of `kind` (what `find` compares against)."""
    if kind == "phone":
        return normalise_phone(value)
    return fold(value)


def search_text(value: object | None) -> str:
    """Casefolded, accents removed ('đ' → 'd'): shop owners often type without accents."""
    decomposed = unicodedata.normalize("NFD", fold(value).replace("đ", "d"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def natural_keys(entity: Entity, record: Record) -> set[tuple[str, str]]:
    """(kind, value) pairs a record can be matched by; empty values are never keys."""
    keys: set[tuple[str, str]] = set()
    if isinstance(record, Product):
        for variant in record.variants:
            keys.add(("sku", match_value("sku", variant.sku)))
            keys.add(("barcode", match_value("barcode", variant.barcode)))
    elif isinstance(record, Customer):
        keys.add(("phone", match_value("phone", record.phone)))
        keys.add(("email", match_value("email", record.email)))
    elif isinstance(record, Category):
        if text(record.name):
            keys.add(("name", category_name_key(record.name, record.parent_key)))
    elif isinstance(record, Order):
        keys.add(("number", match_value("number", record.number)))
    elif isinstance(record, Branch):
        keys.add(("name", match_value("name", record.name)))
    return {(kind, value) for kind, value in keys if value}


def _columns(record: Record) -> tuple[str, str, str]:
    """(name, code, status) shown and searched in the App data view."""
    if isinstance(record, Product):
        code = next((v.sku for v in record.variants if v.sku), "")
        return record.name, code, "" if record.visible else "hidden"
    if isinstance(record, Customer):
        return record.name, normalise_phone(record.phone) or record.email, ""
    if isinstance(record, Order):
        return record.customer_name, record.number, record.status.value
    if isinstance(record, NewsArticle):
        return record.title, "", "" if record.visible else "hidden"
    if isinstance(record, Category):
        return record.name, "", "" if record.visible else "hidden"
    if isinstance(record, Branch):
        return record.name, record.phone, "" if record.active else "inactive"
    raise InvalidValue(f"not a catalog record: {type(record).__name__}")


@dataclass(frozen=True)
class CatalogRow:
    """One line of the App data table: enough to show and search without parsing JSON."""

    app_id: str
    name: str
    code: str
    status: str
    origin: str
    updated_at: datetime


def serialise(record: Record) -> str:
    """The stored JSON of a record (what `get` reads back): to_plain's content, compact.

    orjson encodes the dataclasses, enums, dates and tuples itself (only amounts come back
    here), which cut a twelfth of a 100,000-product first pull. Nothing compares stored text,
    only what it reads back to, so its spelling (key order, spacing) is free; the content is
    pinned by tests/unit/test_record_encoding.py."""
    try:
        return orjson.dumps(record, default=_amount_text).decode()
    except orjson.JSONEncodeError:   # an integer past 64 bits: the json module writes it
        return json.dumps(to_plain(record), ensure_ascii=False, sort_keys=True)


def _amount_text(value: object) -> str:
    """Amounts are stored as exact decimal text, as to_plain writes them ("150000.0")."""
    if isinstance(value, Decimal):
        return format(value, "f")
    raise TypeError(f"not storable: {type(value).__name__}")


class IdAllocator:
    """Hands out the next App ids of one entity inside the caller's transaction: the sequence
    is read once and written once (`save`), existing ids are skipped a chunk at a time."""

    CHUNK = 100

    def __init__(self, db: pw.Database, entity: Entity,
                 reserved: Iterable[str] = ()) -> None:
        self.db, self.entity = db, entity
        self.prefix = ID_PREFIX[entity]
        self.last: int | None = None
        self.ready: list[tuple[int, str]] = []
        # Ids given explicitly in the same write, not stored yet: never handed out.
        self.reserved = set(reserved)

    def next(self) -> str:
        if not self.ready:
            self._refill()
        number, candidate = self.ready.pop(0)
        self.last = number
        return candidate

    def _refill(self) -> None:
        if self.last is None:
            IdSequence.insert(entity=self.entity.value, last=0).on_conflict_ignore().execute()
            self.last = IdSequence.get_by_id(self.entity.value).last
        number = self.last
        while not self.ready:
            candidates = [(n, f"{self.prefix}{n:06d}")
                          for n in range(number + 1, number + 1 + self.CHUNK)]
            number += self.CHUNK
            # An id may exist already if it was given explicitly (import, older data).
            marks = ", ".join("?" * len(candidates))
            taken = {row[0] for row in self.db.execute_sql(
                f"SELECT app_id FROM catalog_item WHERE entity = ? AND app_id IN ({marks})",
                [self.entity.value, *(c for _, c in candidates)])}
            self.ready = [(n, c) for n, c in candidates
                          if c not in taken and c not in self.reserved]

    def save(self) -> None:
        """Record the last id handed out (ids taken but never used stay free)."""
        if self.last is not None:
            IdSequence.update(last=self.last).where(
                (IdSequence.entity == self.entity.value)
                & (IdSequence.last < self.last)).execute()


class Catalog:
    """The App catalog over one database (bound through `database_proxy`)."""

    STREAM_CHUNK = 500
    WRITE_CHUNK = 100   # rows per INSERT: well under SQLite's bound-variable limit

    def __init__(self, db: pw.Database) -> None:
        self.db = db

    # -- reading ------------------------------------------------------------------------------

    def get(self, entity: Entity, app_id: str) -> Record | None:
        item = CatalogItem.get_or_none((CatalogItem.entity == Entity(entity).value)
                                       & (CatalogItem.app_id == app_id))
        return None if item is None else from_plain(Entity(entity), json.loads(item.data))

    def get_many(self, entity: Entity, app_ids: Iterable[str]) -> dict[str, Record]:
        """Records by App id for a whole page at once (ids not in the catalog are absent)."""
        entity = Entity(entity)
        wanted = list(dict.fromkeys(app_ids))
        found: dict[str, Record] = {}
        for start in range(0, len(wanted), self.STREAM_CHUNK):
            rows = (CatalogItem.select(CatalogItem.app_id, CatalogItem.data)
                    .where((CatalogItem.entity == entity.value)
                           & (CatalogItem.app_id.in_(wanted[start:start + self.STREAM_CHUNK])))
                    .tuples())
            found.update((app_id, from_plain(entity, json.loads(data))) for app_id, data in rows)
        return found

    def origin(self, entity: Entity, app_id: str) -> str | None:
        """Who created the record: "app", or the platform key it was pulled from."""
        return (CatalogItem.select(CatalogItem.origin)
                .where((CatalogItem.entity == Entity(entity).value)
                       & (CatalogItem.app_id == app_id)).scalar())

    def find(self, entity: Entity, kind: str, value: object) -> list[str]:
        """App ids of records whose natural key `kind` equals `value` (COM-02)."""
        wanted = match_value(kind, value)
        if not wanted:
            return []
        query = (CatalogItem.select(CatalogItem.app_id).join(CatalogKey)
                 .where((CatalogKey.entity == Entity(entity).value) & (CatalogKey.kind == kind)
                        & (CatalogKey.value == wanted))
                 .distinct().order_by(CatalogItem.app_id))
        return [row.app_id for row in query]

    def _query(self, entity: Entity, search: str):
        query = CatalogItem.select().where(CatalogItem.entity == Entity(entity).value)
        needle = search_text(search)
        if needle:
            escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            pattern = f"%{escaped}%"
            hits = pw.SQL("(SELECT rowid FROM catalog_search WHERE body LIKE ? ESCAPE '\\')",
                          [pattern])
            query = query.where(CatalogItem.id.in_(hits))
        return query

    def list(self, entity: Entity, search: str = "", limit: int | None = None,
             offset: int = 0) -> list[CatalogRow]:
        """A page of rows ordered by name, filtered by `search` over name and code."""
        query = (self._query(entity, search)
                 .select(CatalogItem.app_id, CatalogItem.name, CatalogItem.code,
                         CatalogItem.status, CatalogItem.origin, CatalogItem.updated_at)
                 .order_by(CatalogItem.name, CatalogItem.app_id))
        if limit is not None:
            query = query.limit(limit)
        if offset:
            query = query.offset(offset) if limit is not None else query.limit(-1).offset(offset)
        return [CatalogRow(r.app_id, r.name, r.code, r.status, r.origin, r.updated_at)
                for r in query]

    def count(self, entity: Entity, search: str = "") -> int:
        return self._query(entity, search).count()

    def iter_records(self, entity: Entity) -> Iterator[Record]:
        """Every record of `entity`, read in short chunks so no read transaction stays open
        while the caller works (a writer thread is never held back)."""
        entity = Entity(entity)
        last_id = 0
        while True:
            chunk = list(CatalogItem.select(CatalogItem.id, CatalogItem.data)
                         .where((CatalogItem.entity == entity.value) & (CatalogItem.id > last_id))
                         .order_by(CatalogItem.id).limit(self.STREAM_CHUNK).tuples())
            if not chunk:
                return
            for item_id, data in chunk:
                yield from_plain(entity, json.loads(data))
            last_id = chunk[-1][0]

    def iter_raw(self, entity: Entity, without_data: Container[str] = ()
                 ) -> Iterator[tuple[str, str, str | None]]:
        """(app_id, origin, stored JSON) of every record of `entity`, in short chunks, so a
        caller that needs only some of them parses only those (see `parse`). Records whose
        App id is in `without_data` come with None instead of their JSON, which is then not
        read at all (after a 100k first pull, the push step needs none of them)."""
        entity = Entity(entity)
        last_id = 0
        while True:
            if not without_data:   # every record's JSON: one read of each chunk
                rows = self.db.execute_sql(
                    "SELECT id, app_id, origin, data FROM catalog_item WHERE entity = ? AND id > ? "
                    "ORDER BY id LIMIT ?", (entity.value, last_id, self.STREAM_CHUNK)).fetchall()
                if not rows:
                    return
                yield from ((app_id, origin, data) for _, app_id, origin, data in rows)
                last_id = rows[-1][0]
                continue
            chunk = self.db.execute_sql(
                "SELECT id, app_id, origin FROM catalog_item WHERE entity = ? AND id > ? "
                "ORDER BY id LIMIT ?", (entity.value, last_id, self.STREAM_CHUNK)).fetchall()
            if not chunk:
                return
            wanted = [item_id for item_id, app_id, _ in chunk if app_id not in without_data]
            data: dict[int, str] = {}
            if wanted:
                marks = ", ".join("?" * len(wanted))
                data = dict(self.db.execute_sql(
                    f"SELECT id, data FROM catalog_item WHERE id IN ({marks})",
                    wanted).fetchall())
            for item_id, app_id, origin in chunk:
                if app_id in without_data:
                    yield app_id, origin, None
                elif item_id in data:       # else deleted (in the window) since the first read
                    yield app_id, origin, data[item_id]
            last_id = chunk[-1][0]

    @staticmethod
    def parse(entity: Entity, data: str) -> Record:
        return from_plain(Entity(entity), json.loads(data))

    def find_many(self, entity: Entity, pairs: Iterable[tuple[str, str]]
                  ) -> dict[tuple[str, str], list[str]]:
        """`find` for many (kind, stored value) pairs at once: pair → App ids, in id order
        (pairs with no record are absent). Values must already be in `match_value` form."""
        entity = Entity(entity)
        by_kind: dict[str, list[str]] = {}
        for kind, value in dict.fromkeys(p for p in pairs if p[1]):
            by_kind.setdefault(kind, []).append(value)
        found: dict[tuple[str, str], list[str]] = {}
        for kind, values in by_kind.items():
            for start in range(0, len(values), self.STREAM_CHUNK):
                chunk = values[start:start + self.STREAM_CHUNK]
                marks = ", ".join("?" * len(chunk))
                rows = self.db.execute_sql(
                    "SELECT DISTINCT k.value, i.app_id FROM catalog_key k "
                    "JOIN catalog_item i ON i.id = k.item_id WHERE k.entity = ? AND k.kind = ? "
                    f"AND k.value IN ({marks}) ORDER BY i.app_id",
                    [entity.value, kind, *chunk]).fetchall()
                for value, app_id in rows:
                    found.setdefault((kind, value), []).append(app_id)
        return found

    # -- writing ------------------------------------------------------------------------------

    def new_id(self, entity: Entity) -> str:
        """Next App id of `entity` ("P000123"); never reused, even after a delete."""
        with self.db.atomic():
            ids = self.id_allocator(entity)
            found = ids.next()
            ids.save()
            return found

    def id_allocator(self, entity: Entity, reserved: Iterable[str] = ()) -> "IdAllocator":
        """New App ids handed out one by one without a query each (a page of a first pull
        needs a hundred). Use inside a transaction and call `save()` before it commits;
        `reserved` ids (given explicitly, not stored yet) are never handed out."""
        return IdAllocator(self.db, Entity(entity), reserved)

    def put(self, entity: Entity, record: Record, origin: str = "app") -> Record:
        """Insert or replace the record with App id `record.key` (a new id when empty).

        `origin` is kept from the first write: a product pulled from the POS and later edited
        in the App is still a POS product.
        """
        return self.put_many(entity, [record], origin)[0]

    def put_many(self, entity: Entity, records: Iterable[Record],
                 origin: str = "app") -> list[Record]:
        """`put` for many records in one transaction and a few statements per chunk: a page
        of a pull commits together, and a 100k first sync is not 100k round trips."""
        entity = Entity(entity)
        kind = RECORD_TYPES[entity]
        stored: list[Record] = []
        records = list(records)
        with self.db.atomic():
            ids: IdAllocator | None = None
            batch: list[tuple[Record, str, str]] = []
            explicit = {text(r.key) for r in records if text(getattr(r, "key", ""))}
            for record in records:
                if not isinstance(record, kind):
                    raise InvalidValue(f"{entity.value}: expected {kind.__name__}, "
                                       f"got {type(record).__name__}")
                if not text(record.key):
                    ids = ids or self.id_allocator(entity, explicit)
                    record = dataclasses.replace(record, key=ids.next())
                batch.append((record, origin, serialise(record)))
                if len(batch) == self.WRITE_CHUNK:
                    self.write_serialised(entity, batch)
                    stored.extend(r for r, _, _ in batch)
                    batch = []
            self.write_serialised(entity, batch)
            stored.extend(r for r, _, _ in batch)
            if ids is not None:
                ids.save()
        return stored

    def write_serialised(self, entity: Entity, rows: list[tuple[Record, str, str]]) -> None:
        """Upsert (record, origin, JSON from `serialise`) rows that already carry their App
        ids, with their keys and search text. The sync engine serialises once and stores the
        same text for undo (B-02). Plain executemany: peewee's per-row SQL building cost more
        than SQLite itself on a 100k first pull."""
        entity = Entity(entity)
        for start in range(0, len(rows), self.WRITE_CHUNK):
            self._write_chunk(entity, rows[start:start + self.WRITE_CHUNK])

    def _write_chunk(self, entity: Entity, records: list[tuple[Record, str, str]]) -> None:
        if not records:
            return
        # The last spelling wins when a chunk holds the same id twice, as sequential puts would.
        unique = list({r.key: (r, origin, data) for r, origin, data in records}.values())
        now = now_utc()
        revision = self._next_revision()
        rows, search = [], {}
        for record, origin, data in unique:
            name, code, status = _columns(record)
            rows.append((entity.value, record.key, text(name), text(code), status, origin, data,
                         now, now, revision))
            search[record.key] = search_text(f"{name} {code} {record.key}")
        cursor = self.db.cursor()
        # One multi-row statement per chunk (executemany would run one statement per row).
        values = ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"] * len(rows))
        cursor.execute(
            'INSERT INTO "catalog_item" (entity, app_id, name, code, status, origin, data, '
            f"created_at, updated_at, revision) VALUES {values} "
            "ON CONFLICT (entity, app_id) DO UPDATE SET name = excluded.name, "
            "code = excluded.code, status = excluded.status, data = excluded.data, "
            "updated_at = excluded.updated_at, revision = excluded.revision",
            [v for row in rows for v in row])
        wanted = list(search)
        marks = ", ".join("?" * len(wanted))
        ids = dict(self.db.execute_sql(
            f"SELECT app_id, id FROM catalog_item WHERE entity = ? AND app_id IN ({marks})",
            [entity.value, *wanted]).fetchall())
        item_ids = [(item_id,) for item_id in ids.values()]
        cursor.executemany("DELETE FROM catalog_key WHERE item_id = ?", item_ids)
        cursor.executemany(
            "INSERT INTO catalog_key (item_id, entity, kind, value) VALUES (?, ?, ?, ?)",
            [(ids[r.key], entity.value, k, v) for r, _, _ in unique
             for k, v in sorted(natural_keys(entity, r))])
        cursor.executemany("DELETE FROM catalog_search WHERE rowid = ?", item_ids)
        cursor.executemany("INSERT INTO catalog_search (rowid, entity, body) VALUES (?, ?, ?)",
                           [(ids[key], entity.value, body) for key, body in search.items()])

    def _next_revision(self) -> int:
        """The next catalog-wide revision, taken once per written chunk inside the caller's
        transaction (a write first, so two processes can never take the same number)."""
        cursor = self.db.execute_sql(
            "UPDATE id_sequence SET last = last + 1 WHERE entity = ? RETURNING last",
            (REVISION_SEQUENCE,))
        row = cursor.fetchone()
        if row is not None:
            return row[0]
        self.db.execute_sql("INSERT INTO id_sequence (entity, last) VALUES (?, 1)",
                            (REVISION_SEQUENCE,))
        return 1

    def revision(self) -> int:
        """The revision of the catalog's latest write (0 before any)."""
        row = self.db.execute_sql("SELECT last FROM id_sequence WHERE entity = ?",
                                  (REVISION_SEQUENCE,)).fetchone()
        return row[0] if row is not None else 0

    def iter_raw_changed(self, entity: Entity, since: int, also: Iterable[str] = (),
                         without_data: Container[str] = ()
                         ) -> Iterator[tuple[str, str, str | None]]:
        """`iter_raw` restricted to the records written after revision `since`, plus the App
        ids in `also` (those still unsettled at the last look): a run with no App change
        reads no row of a 100k catalog."""
        entity = Entity(entity)
        seen: set[str] = set()
        after = (since, 0)
        while True:
            # In (revision, id) order: the (entity, revision) index serves both the range and
            # the order, so only the changed rows are touched.
            rows = self.db.execute_sql(
                "SELECT revision, id, app_id, origin FROM catalog_item WHERE entity = ? "
                "AND revision > ? AND (revision, id) > (?, ?) ORDER BY revision, id LIMIT ?",
                (entity.value, since, *after, self.STREAM_CHUNK)).fetchall()
            if not rows:
                break
            yield from self._with_data(entity, [(a, o) for _, _, a, o in rows], without_data)
            seen.update(app_id for _, _, app_id, _ in rows)
            after = (rows[-1][0], rows[-1][1])
        rest = [app_id for app_id in dict.fromkeys(also) if app_id not in seen]
        for start in range(0, len(rest), self.STREAM_CHUNK):
            chunk = rest[start:start + self.STREAM_CHUNK]
            marks = ", ".join("?" * len(chunk))
            rows = self.db.execute_sql(
                f"SELECT app_id, origin FROM catalog_item WHERE entity = ? AND app_id IN ({marks}) "
                "ORDER BY id", [entity.value, *chunk]).fetchall()
            yield from self._with_data(entity, rows, without_data)

    def _with_data(self, entity: Entity, rows: list[tuple[str, str]],
                   without_data: Container[str]) -> Iterator[tuple[str, str, str | None]]:
        wanted = [app_id for app_id, _ in rows if app_id not in without_data]
        data: dict[str, str] = {}
        if wanted:
            marks = ", ".join("?" * len(wanted))
            data = dict(self.db.execute_sql(
                f"SELECT app_id, data FROM catalog_item WHERE entity = ? AND app_id IN ({marks})",
                [entity.value, *wanted]).fetchall())
        for app_id, origin in rows:
            if app_id in without_data:
                yield app_id, origin, None
            elif app_id in data:        # else deleted (in the window) since the first read
                yield app_id, origin, data[app_id]

    def delete(self, entity: Entity, app_id: str) -> bool:
        """Remove a record and its keys; True if it existed."""
        entity = Entity(entity)
        with self.db.atomic():
            item = CatalogItem.get_or_none((CatalogItem.entity == entity.value)
                                           & (CatalogItem.app_id == app_id))
            if item is None:
                return False
            CatalogKey.delete().where(CatalogKey.item == item.id).execute()
            self.db.execute_sql("DELETE FROM catalog_search WHERE rowid = ?", (item.id,))
            item.delete_instance()
            return True
