"""Signed, expiring links to a note (itsdangerous)."""
import os
from typing import Optional

from itsdangerous import BadSignature, URLSafeTimedSerializer

_serializer = URLSafeTimedSerializer(os.environ.get("SECRET_KEY", "bench-not-secret"), salt="notes")


def sign(note_id: int) -> str:
    return _serializer.dumps(note_id)


def unsign(token: str, max_age: int = 86400) -> Optional[int]:
    try:
        return int(_serializer.loads(token, max_age=max_age))
    except (BadSignature, ValueError):
        return None
