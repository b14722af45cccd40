"""The benchmark's yardstick: Flask's own hello world, nothing added.

``bench/patient_steps.py`` serves this with the same gunicorn settings as
``voordeur serve`` and reports every patient step as a share of its
throughput, so "half the speed of hello world" means the same thing on any
machine.
"""

from __future__ import annotations

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello, World!"
