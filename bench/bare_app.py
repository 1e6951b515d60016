"""The limit for the intake benchmark: a bare Flask endpoint doing one INSERT + COMMIT on the same
database, served by the same gunicorn settings."""

from __future__ import annotations

import os

from flask import Flask, request
from sqlalchemy import Column, Integer, MetaData, String, Table, Text, create_engine, event

metadata = MetaData()
submissions = Table(
    "bare_submissions", metadata,
    Column("id", Integer, primary_key=True),
    Column("tax_code", String(20)),
    Column("body", Text),
)


def create_app() -> Flask:
    url = os.environ["BARE_DATABASE_URL"]
    engine = create_engine(url)
    if url.startswith("sqlite"):
        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record):  # the same pragmas as doithoai's SQLite
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()
    metadata.create_all(engine)
    app = Flask(__name__)

    @app.post("/insert")
    def insert():
        data = request.get_json()
        with engine.begin() as conn:
            conn.execute(submissions.insert().values(tax_code=data["enterprise"]["tax_code"],
                                                     body=request.get_data(as_text=True)))
        return {"ok": True}, 201

    return app
