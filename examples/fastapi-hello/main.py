"""A small FastAPI service: the example `npx create-pyimage examples/fastapi-hello` wraps in a stack."""
import os

from fastapi import FastAPI

app = FastAPI(title="fastapi-hello")


@app.get("/health")
def health() -> dict:
    """Answers 200 while the process can serve requests: the container healthcheck probes it."""
    return {"status": "ok"}


@app.get("/")
def hello(name: str = "world") -> dict:
    return {"hello": name, "served_by_uid": os.getuid()}
