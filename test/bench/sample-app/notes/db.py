"""Postgres access through SQLAlchemy Core and psycopg2; the engine is created lazily."""
import os
from functools import lru_cache

import sqlalchemy as sa

metadata = sa.MetaData()
notes_table = sa.Table(
    "notes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
)


def _password() -> str:
    path = os.environ.get("POSTGRES_PASSWORD_FILE")
    if path:
        with open(path, encoding="utf-8") as handle:
            return handle.read().strip()
    return os.environ.get("POSTGRES_PASSWORD", "")


@lru_cache(maxsize=1)
def engine() -> sa.engine.Engine:
    url = sa.engine.URL.create(
        "postgresql+psycopg2",
        username=os.environ.get("POSTGRES_USER", "postgres"),
        password=_password(),
        host=os.environ.get("POSTGRES_HOST", "localhost"),
        port=int(os.environ.get("POSTGRES_PORT", "5432")),
        database=os.environ.get("POSTGRES_DB", "postgres"),
    )
    return sa.create_engine(url, pool_pre_ping=True, future=True)


def create_schema() -> None:
    metadata.create_all(engine())


def list_notes() -> list:
    with engine().connect() as conn:
        rows = conn.execute(sa.select(notes_table).order_by(notes_table.c.id))
        return [dict(row._mapping) for row in rows]


def add_note(text: str) -> int:
    with engine().begin() as conn:
        result = conn.execute(notes_table.insert().values(text=text).returning(notes_table.c.id))
        return int(result.scalar_one())


def get_note(note_id: int):
    with engine().connect() as conn:
        row = conn.execute(sa.select(notes_table).where(notes_table.c.id == note_id)).first()
        return dict(row._mapping) if row else None
