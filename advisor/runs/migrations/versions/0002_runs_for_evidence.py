"""Runs for evidence and paging: a unique content hash (a run is stored once), who posted it (a token's name) and
whether it is the user's own or shared, the start time and the fields evidence reads as columns, indexes for
newest-first paging by plan and GPU, and a generation counter that tells every worker when runs arrived.

Rows of 0001 are copied with their ids; a row whose record no longer parses keeps its text (listing skips it and
says so) with its save time as start time.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""
import datetime as dt
import hashlib
import json

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UTC = dt.UTC


def _when(text, fallback):
    try:
        value = dt.datetime.fromisoformat(str(text))
    except (TypeError, ValueError):
        return fallback
    return (value.replace(tzinfo=UTC) if value.tzinfo is None else value).astimezone(UTC)


def _columns():
    run_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    when = sa.DateTime(timezone=True)
    return [
        sa.Column("id", run_id, primary_key=True, autoincrement=True),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("saved_at", when, nullable=False),
        sa.Column("started_at", when, nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("device_kind", sa.String(8), nullable=False),
        sa.Column("device_name", sa.String(200), nullable=False),
        sa.Column("gpu_id", sa.String(100)),
        sa.Column("memory_gib", sa.Float()),
        sa.Column("platform", sa.String(100)),
        sa.Column("partial", sa.Boolean(), nullable=False),
        sa.Column("ai", sa.Float()),
        sa.Column("inference", sa.Float()),
        sa.Column("training", sa.Float()),
        sa.Column("ai_low", sa.Float()),
        sa.Column("ai_high", sa.Float()),
        sa.Column("poster", sa.String(100), nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("record", sa.Text(), nullable=False),
    ]


def _number(value):
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _row(old, sqlite: bool) -> dict:
    saved = _when(old.saved_at, dt.datetime(2018, 10, 1, tzinfo=UTC))
    try:
        record = json.loads(old.record)
        if not isinstance(record, dict):
            raise ValueError
        digest = hashlib.sha256(json.dumps(record, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    except ValueError:
        record, digest = {}, hashlib.sha256(str(old.record).encode()).hexdigest()
    found_device, found_scores = record.get("device"), record.get("scores")
    device: dict = found_device if isinstance(found_device, dict) else {}
    scores: dict = found_scores if isinstance(found_scores, dict) else {}
    started = _when(record.get("started_at"), saved)

    def stamp(value):  # SQLite keeps UTC text without an offset, as the store's UtcDateTime type writes it
        return value.replace(tzinfo=None) if sqlite else value

    return {"id": old.id, "content_hash": digest, "saved_at": stamp(saved), "started_at": stamp(started),
            "mode": str(record.get("mode") or old.mode)[:16], "device_kind": str(device.get("kind") or "?")[:8],
            "device_name": str(device.get("name") or old.device)[:200],
            "gpu_id": device.get("gpu_id") if isinstance(device.get("gpu_id"), str) else None,
            "memory_gib": _number(device.get("memory_gib")), "platform": old.platform,
            "partial": bool(record.get("partial", False)), "ai": _number(scores.get("ai")),
            "inference": _number(scores.get("inference")), "training": _number(scores.get("training")),
            "ai_low": _number(scores.get("ai_low")), "ai_high": _number(scores.get("ai_high")),
            "poster": "local", "origin": "local", "record": old.record}


def upgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    new = op.create_table("runs_v2", *_columns(), sqlite_autoincrement=True)
    old = sa.table("runs", sa.column("id"), sa.column("saved_at"), sa.column("platform"), sa.column("mode"),
                   sa.column("device"), sa.column("ai"), sa.column("record"))
    seen: set[str] = set()
    batch = []
    for row in bind.execute(sa.select(old).order_by(old.c.id)):
        values = _row(row, sqlite)
        if values["content_hash"] in seen:  # the same run imported twice before: keep the first (D18)
            continue
        seen.add(values["content_hash"])
        batch.append(values)
        if len(batch) >= 500:
            bind.execute(new.insert(), batch)
            batch = []
    if batch:
        bind.execute(new.insert(), batch)
    # Ids are never reused, not even those of duplicates left out above: continue after the largest ever given.
    last_id = bind.execute(sa.select(sa.func.max(old.c.id))).scalar() or 0
    if sqlite:
        given = bind.execute(sa.text("SELECT seq FROM sqlite_sequence WHERE name = 'runs'")).scalar()
        last_id = max(last_id, given or 0)
    op.drop_table("runs")
    op.rename_table("runs_v2", "runs")
    op.create_index("runs_content_hash", "runs", ["content_hash"], unique=True)
    op.create_index("runs_started", "runs", ["started_at", "id"])
    op.create_index("runs_plan_started", "runs", ["platform", "started_at", "id"])
    op.create_index("runs_gpu_started", "runs", ["gpu_id", "started_at", "id"])
    if sqlite:
        bind.execute(sa.text("DELETE FROM sqlite_sequence WHERE name = 'runs'"))
        bind.execute(sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES ('runs', :seq)"), {"seq": last_id})
    else:
        bind.execute(sa.text("SELECT setval(pg_get_serial_sequence('runs', 'id'), :next, false)"),
                     {"next": last_id + 1})
    state = op.create_table("store_state", sa.Column("id", sa.Integer(), primary_key=True),
                            sa.Column("generation", sa.BigInteger(), nullable=False))
    op.bulk_insert(state, [{"id": 1, "generation": 1}])


def downgrade() -> None:
    raise NotImplementedError("the run store is not downgraded; restore a backup made before the upgrade")
