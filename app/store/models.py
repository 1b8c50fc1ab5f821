"""Tables of the local database: the App catalog and the sync bookkeeping.

The App catalog keeps each record as its canonical JSON (`contract.records.to_plain`) plus a few
indexed columns for search and matching, so one table serves every entity and a new field of a
record needs no migration. `CatalogKey` rows index natural keys (SKU, barcode, phone, email,
name) for matching before create (COM-02).
"""
from __future__ import annotations

import peewee as pw

# Bound to a real database by app.store.connection.open_store(); models never hold a global one.
database_proxy = pw.DatabaseProxy()


class BaseModel(pw.Model):
    class Meta:
        database = database_proxy
        legacy_table_names = False


class SchemaVersion(BaseModel):
    version = pw.IntegerField()
    applied_at = pw.DateTimeField()


class Profile(BaseModel):
    """A saved connection. Secrets are NOT here: only the names of the keyring entries."""

    name = pw.CharField(unique=True)
    platform = pw.CharField()
    fields = pw.TextField(default="{}")          # JSON: non-secret credential fields
    options = pw.TextField(default="{}")         # JSON: option name → value
    hosts = pw.TextField(default="{}")           # JSON: host setting → URL (default = real host)
    secret_names = pw.TextField(default="[]")    # JSON: field names stored in the keyring
    schedule_minutes = pw.IntegerField(default=0)  # 0 = on demand only (COM-10)
    token_expires_at = pw.DateTimeField(null=True)
    created_at = pw.DateTimeField()


class CatalogItem(BaseModel):
    """One App record (branch, category, product, customer, order, news)."""

    # No single-column indexes on name, code or updated_at: (entity, app_id) and (entity,
    # name, app_id) serve every query; each extra index cost every row a pull writes. The
    # one on entity stays: it holds (entity, id), the order the catalog is read in chunks.
    entity = pw.CharField(index=True)
    app_id = pw.CharField()
    name = pw.CharField(default="")              # for search and display
    code = pw.CharField(default="")              # first SKU / phone / order number
    status = pw.CharField(default="")             # orders: OrderStatus value
    origin = pw.CharField(default="app")          # "app" = created in the App; else platform key
    data = pw.TextField()                         # canonical record JSON
    created_at = pw.DateTimeField()
    updated_at = pw.DateTimeField()
    # Catalog-wide counter value of the write that last changed this row (every write path
    # goes through Catalog._write_chunk): the push step reads only rows changed since its
    # last complete scan (PushMark) instead of parsing the whole catalog every run (COM-10).
    revision = pw.IntegerField(default=0)

    class Meta:
        indexes = ((("entity", "app_id"), True), (("entity", "revision"), False))


class CatalogKey(BaseModel):
    """Natural keys of a catalog item, for matching (COM-02)."""

    item = pw.ForeignKeyField(CatalogItem, backref="keys", on_delete="CASCADE")
    entity = pw.CharField()
    kind = pw.CharField()                         # "sku" | "barcode" | "phone" | "email" | "name"
    value = pw.CharField()

    class Meta:
        indexes = ((("entity", "kind", "value"), False),)


class Link(BaseModel):
    """App id ↔ POS id for one profile and entity, with both sides' fingerprints at last sync."""

    # Found by profile through the unique indexes below, which begin with it.
    profile = pw.ForeignKeyField(Profile, backref="links", on_delete="CASCADE", index=False)
    entity = pw.CharField()
    app_id = pw.CharField()
    pos_id = pw.CharField()
    app_fingerprint = pw.CharField(default="")
    pos_fingerprint = pw.CharField(default="")
    synced_at = pw.DateTimeField()
    pos_deleted_at = pw.DateTimeField(null=True)  # COM-01: gone on the POS, kept in the App
    pushed_status = pw.CharField(default="")      # orders: last App status the POS knows

    class Meta:
        indexes = ((("profile", "entity", "app_id"), True),
                   (("profile", "entity", "pos_id"), True))


class Run(BaseModel):
    profile = pw.ForeignKeyField(Profile, backref="runs", on_delete="CASCADE")
    kind = pw.CharField(default="sync")           # sync | push | retry | undo
    dry_run = pw.BooleanField(default=False)
    entities = pw.TextField(default="[]")         # JSON list
    status = pw.CharField(default="running")      # running | done | failed | interrupted | cancelled
    started_at = pw.DateTimeField()
    finished_at = pw.DateTimeField(null=True)
    counts = pw.TextField(default="{}")           # JSON: outcome → n
    request_count = pw.IntegerField(default=0)
    error = pw.TextField(default="")              # vi/en message of a run-stopping error
    resumed_from = pw.ForeignKeyField("self", null=True, backref="resumes", on_delete="SET NULL")
    # An undo run: the run whose App-side changes it put back (B-02; migration 4).
    undoes = pw.ForeignKeyField("self", null=True, backref="undone_by", on_delete="SET NULL")


class ItemResult(BaseModel):
    """One row per item per run (COM-06)."""

    run = pw.ForeignKeyField(Run, backref="results", on_delete="CASCADE")
    entity = pw.CharField()                       # read within a run: run_id's index serves
    direction = pw.CharField()                    # pos_to_app | app_to_pos
    app_id = pw.CharField(default="")
    pos_id = pw.CharField(default="")
    name = pw.CharField(default="")
    action = pw.CharField()                       # create | update | skip | conflict | blocked | deleted_on_pos | manual | status
    outcome = pw.CharField(index=True)            # planned | ok | failed | skipped
    rule = pw.CharField(default="", index=True)
    message_vi = pw.TextField(default="")
    message_en = pw.TextField(default="")
    at = pw.DateTimeField()


class Conflict(BaseModel):
    profile = pw.ForeignKeyField(Profile, backref="conflicts", on_delete="CASCADE")
    run = pw.ForeignKeyField(Run, null=True, on_delete="SET NULL")
    entity = pw.CharField()
    app_id = pw.CharField()
    pos_id = pw.CharField()
    app_data = pw.TextField()                     # canonical JSON of each side when detected
    pos_data = pw.TextField()
    rule = pw.CharField(default="COM-04")
    status = pw.CharField(default="open")         # open | resolved
    resolution = pw.CharField(default="")         # app | pos | skip
    created_at = pw.DateTimeField()
    resolved_at = pw.DateTimeField(null=True)


class Checkpoint(BaseModel):
    """Where an entity's sync stands: `watermark` for the next incremental run; `resume` and
    `run` while a run is under way (cleared when it finishes)."""

    profile = pw.ForeignKeyField(Profile, on_delete="CASCADE")
    entity = pw.CharField()
    direction = pw.CharField()
    watermark = pw.DateTimeField(null=True)
    resume = pw.TextField(null=True)
    run = pw.ForeignKeyField(Run, null=True, on_delete="SET NULL")
    updated_at = pw.DateTimeField()

    class Meta:
        indexes = ((("profile", "entity", "direction"), True),)


class WriteIntent(BaseModel):
    """Committed before a POS create; the link commits after. An intent without a link on
    resume is resolved by looking the record up on the POS, never by creating again (COM-09)."""

    profile = pw.ForeignKeyField(Profile, on_delete="CASCADE")
    run = pw.ForeignKeyField(Run, null=True, on_delete="SET NULL")
    entity = pw.CharField()
    app_id = pw.CharField()
    created_at = pw.DateTimeField()

    class Meta:
        indexes = ((("profile", "entity", "app_id"), True),)


class AppChange(BaseModel):
    """App-side change made by a run, for undo (B-02). `before` null = the item was created
    (undo deletes it; `after` is not stored, the catalog row is the record as created);
    `after` null otherwise = the item was deleted; both set = updated."""

    run = pw.ForeignKeyField(Run, backref="changes", on_delete="CASCADE")
    entity = pw.CharField()
    app_id = pw.CharField()
    before = pw.TextField(null=True)
    after = pw.TextField(null=True)
    at = pw.DateTimeField()


class RecycledItem(BaseModel):
    """A record an undo took out of the App catalog (B-02), kept whole so `restore` brings it
    back with its App id and its link: hidden from the catalog, never lost. `restored_at` is
    set when it went back."""

    profile = pw.ForeignKeyField(Profile, on_delete="CASCADE")
    undo_run = pw.ForeignKeyField(Run, null=True, on_delete="SET NULL")
    entity = pw.CharField()
    app_id = pw.CharField()
    name = pw.CharField(default="")
    origin = pw.CharField(default="app")
    data = pw.TextField()                          # the catalog JSON as it was
    link_pos_id = pw.CharField(default="")          # "" = it had no link
    link_app_fingerprint = pw.CharField(default="")
    link_pos_fingerprint = pw.CharField(default="")
    link_pushed_status = pw.CharField(default="")
    recycled_at = pw.DateTimeField()
    restored_at = pw.DateTimeField(null=True)

    class Meta:
        indexes = ((("profile", "restored_at"), False),)


class PushMark(BaseModel):
    """How far one connection's push step has looked at one entity: every App record whose
    revision is at most `revision` was settled then, except the App ids in `pending` (failed,
    blocked or in conflict: looked at again every run). `basis` names the push rules the
    mark was made under; when the connection's options change it, the next scan is whole."""

    profile = pw.ForeignKeyField(Profile, on_delete="CASCADE", index=False)
    entity = pw.CharField()
    revision = pw.IntegerField(default=0)
    basis = pw.CharField(default="")
    pending = pw.TextField(default="[]")          # JSON list of App ids
    updated_at = pw.DateTimeField()

    class Meta:
        indexes = ((("profile", "entity"), True),)


class IdSequence(BaseModel):
    """Last App id number handed out per entity, so ids are never reused after a delete
    (a reused id would inherit the deleted record's links)."""

    entity = pw.CharField(primary_key=True)
    last = pw.IntegerField(default=0)


ALL_MODELS = (SchemaVersion, Profile, CatalogItem, CatalogKey, Link, Run, ItemResult, Conflict,
              Checkpoint, WriteIntent, AppChange, RecycledItem, IdSequence, PushMark)
