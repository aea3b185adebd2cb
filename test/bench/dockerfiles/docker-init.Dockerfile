# Benchmark baseline: the Dockerfile `docker init` writes for a Python project (its
# published template, answers: Python 3.11, port 8000, `gunicorn 'app:app' --bind=0.0.0.0:8000`).
# Single stage, pip cache mount and bind-mounted requirements, non-root user.
# Benchmark-only changes, marked [bench]:
#   - the `# syntax=docker/dockerfile:1` line is left out (it pulls a frontend image; offline here);
#   - the base image is a build argument so all three Dockerfiles use the same stand-in;
#   - psycopg2 builds from source, which the template cannot do: the user adds the compiler and
#     libpq headers (the same packages create-pyimage puts in its builder stage), in the only stage;
#   - the offline package index arrives as PIP_INDEX_URL.

# Comments are provided throughout this file to help you get started.
# If you need more help, visit the Dockerfile reference guide at
# https://docs.docker.com/go/dockerfile-reference/

ARG PYTHON_VERSION=3.11
# [bench] was: FROM python:${PYTHON_VERSION}-slim as base
ARG PYTHON_IMAGE=python:${PYTHON_VERSION}-slim
FROM ${PYTHON_IMAGE} as base

# Prevents Python from writing pyc files.
ENV PYTHONDONTWRITEBYTECODE=1

# Keeps Python from buffering stdout and stderr to avoid situations where
# the application crashes without emitting any logs due to buffering.
ENV PYTHONUNBUFFERED=1

WORKDIR /app

# Create a non-privileged user that the app will run under.
# See https://docs.docker.com/go/dockerfile-user-best-practices/
ARG UID=10001
RUN adduser \
    --disabled-password \
    --gecos "" \
    --home "/nonexistent" \
    --shell "/sbin/nologin" \
    --no-create-home \
    --uid "${UID}" \
    appuser

# [bench] psycopg2 from source needs a compiler and pg_config; libpq-dev brings libpq5 too.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev libpq-dev \
    && rm -rf /var/lib/apt/lists/*

# [bench] the offline package index.
ARG PIP_INDEX_URL

# Download dependencies as a separate step to take advantage of Docker's caching.
# Leverage a cache mount to /root/.cache/pip to speed up subsequent builds.
# Leverage a bind mount to requirements.txt to avoid having to copy them into
# into this layer.
RUN --mount=type=cache,target=/root/.cache/pip \
    --mount=type=bind,source=requirements.txt,target=requirements.txt \
    python -m pip install -r requirements.txt

# Switch to the non-privileged user to run the application.
USER appuser

# Copy the source code into the container.
COPY . .

# Expose the port that the application listens on.
EXPOSE 8000

# Run the application.
CMD gunicorn 'app:app' --bind=0.0.0.0:8000
