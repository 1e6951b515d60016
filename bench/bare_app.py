"""The limit for the intake benchmark: a bare Flask endpoint doing one INSERT + COMMIT on the same
database, served by the same gunicorn settings."""

from __future__ import annotations

import os

from flask import Flask, request
from sqlalchemy import Column, Integer, MetaData, String, Table, Text, create_engine
from sqlalchemy.exc import IntegrityError, ProgrammingError

from bench.common import like_doithoai

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
    like_doithoai(engine)
    try:
        metadata.create_all(engine)
    except (ProgrammingError, IntegrityError):  # PostgreSQL: the other gunicorn worker created it meanwhile
        pass
    app = Flask(__name__)

    @app.post("/insert")
    def insert():
        data = request.get_json()
        with engine.begin() as conn:
            conn.execute(submissions.insert().values(tax_code=data["enterprise"]["tax_code"],
                                                     body=request.get_data(as_text=True)))
        return {"ok": True}, 201

    return app
