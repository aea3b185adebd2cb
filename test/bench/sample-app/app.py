"""A small Flask service for the create-pyimage benchmark.

/health answers without touching the database, so the three images can be compared
without one; /notes reads and writes Postgres through SQLAlchemy (psycopg2).
"""
from flask import Flask, abort, jsonify, request

from notes import db, tokens
from notes.cli import register_cli

app = Flask(__name__)
register_cli(app)


@app.get("/health")
def health():
    return jsonify(status="ok")


@app.get("/notes")
def list_notes():
    return jsonify(notes=db.list_notes())


@app.post("/notes")
def add_note():
    body = request.get_json(silent=True) or {}
    text = str(body.get("text", "")).strip()
    if not text:
        abort(400, "text is required")
    note_id = db.add_note(text)
    return jsonify(id=note_id, token=tokens.sign(note_id)), 201


@app.get("/notes/by-token/<token>")
def note_by_token(token: str):
    note_id = tokens.unsign(token)
    if note_id is None:
        abort(404)
    note = db.get_note(note_id)
    if note is None:
        abort(404)
    return jsonify(note)
