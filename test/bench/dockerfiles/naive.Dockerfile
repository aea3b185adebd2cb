# Benchmark baseline, not a recommendation: the single-stage Dockerfile found in many
# hand-made projects. Full toolchain and editors in the final image, apt lists kept,
# pip's cache kept, code copied before the requirements (any edit reinstalls everything),
# runs as root, no .dockerignore.
# Benchmark-only changes: the base image is a build argument (all three Dockerfiles use the
# same offline stand-in) and the offline package index arrives as PIP_INDEX_URL.
ARG PYTHON_IMAGE=python:3.11-slim
FROM ${PYTHON_IMAGE}

RUN apt-get update && apt-get install -y build-essential cmake git curl vim libpq-dev

WORKDIR /app
COPY . .

ARG PIP_INDEX_URL
RUN pip install -r requirements.txt

EXPOSE 8000
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "app:app"]
