"""French typography: a non-breaking space before « : ; ? ! » and inside « », so that no line starts with a colon
or a closing guillemet on a phone."""

import io
import re
import tokenize
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"
ORDINARY = re.compile(r"(?<=[\w)\]»'’.%}\">]) [:;?!»](?!=)|« ")


def _python_strings(path: Path):
    for token in tokenize.generate_tokens(io.StringIO(path.read_text()).readline):
        body = token.string
        if token.type != tokenize.STRING or body.lstrip("rbfuRBFU").startswith(('"""', "'''")):
            continue  # docstrings and SQL are not read by users
        if not re.match(r"[rbRB]", body):
            yield token.start[0], body


def test_no_ordinary_space_before_high_punctuation_in_what_people_read():
    found = []
    for path in sorted(APP.rglob("*.html")):
        source = re.sub(r"{#.*?#}", lambda comment: "\n" * comment.group().count("\n"), path.read_text(), flags=re.S)
        for number, line in enumerate(source.splitlines(), 1):
            if ORDINARY.search(re.sub(r"{%.*?%}", "", line)):
                found.append(f"{path.relative_to(APP)}:{number}: {line.strip()[:90]}")
    for path in sorted(p for p in APP.rglob("*.py") if "migrations" not in p.parts):  # SQL, operators' logs
        found += [f"{path.relative_to(APP)}:{n}: {s[:90]}" for n, s in _python_strings(path) if ORDINARY.search(s)]
    assert not found, "\n".join(found)


def test_a_rendered_page_keeps_its_colons_with_their_words(client):
    html = client.get("/accessibilite").get_data(as_text=True)
    text = re.sub(r"<[^>]+>", "", html)
    assert "\u00a0:" in text and not re.search(r"[\w>] [:;?!»]", text)
