"""The limit for page benchmarks: a bare Flask endpoint returning "ok" under the same gunicorn."""

from flask import Flask


def create_app() -> Flask:
    app = Flask(__name__)

    @app.get("/ok")
    def ok():
        return "ok"

    return app
