"""The baseline: a bare Flask "hello" under the same gunicorn settings as the portal."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "Bonjour"
