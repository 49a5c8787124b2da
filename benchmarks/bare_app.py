"""The floor of bench_load.py: a Flask app with one route answering "ok", served by gunicorn with
the portal's settings (`gunicorn benchmarks.bare_app:app`)."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def ok():
    return "ok"
