# syntax=docker/dockerfile:1
# DBSBM bot image: a build stage that installs the locked dependencies with uv, and a slim runtime
# stage with only the virtual environment, the source and a non-root user.
#
#   docker build -t dbsbm .
#   docker run --env-file .env -v ./config.toml:/etc/dbsbm/config.toml:ro -v dbsbm-data:/data dbsbm
#
# Configuration comes only from the environment (DBSBM_<SECTION>__<KEY>, see .env.example) and the
# config.toml mounted at /etc/dbsbm/config.toml (the repository's config.toml is the default).

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- build: resolve nothing, install exactly uv.lock ---------------------------------------------
FROM ${PYTHON_IMAGE} AS build

# uv comes from PyPI (pinned); bytecode is compiled once here, and uv keeps no cache in the image.
ARG UV_VERSION=0.13.9
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_NO_CACHE=1 \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
RUN pip install "uv==${UV_VERSION}"

WORKDIR /app
# Dependencies first (a layer that changes only with uv.lock). The dev group's path source needs
# its pyproject.toml for uv to check the lock, although --no-dev does not install it.
COPY pyproject.toml uv.lock README.md ./
COPY tests/thirdparty/dbsbm-hello/pyproject.toml tests/thirdparty/dbsbm-hello/pyproject.toml
RUN uv sync --locked --no-dev --no-install-project

# Then the project itself (an editable install that points at /app, so the repository's
# migrations/ folder stays beside plugins/ where the plugin manager looks for it), compiled to
# bytecode here because the runtime container's file system is read-only.
COPY core ./core
COPY plugins ./plugins
COPY migrations ./migrations
RUN uv sync --locked --no-dev \
    && .venv/bin/python -m compileall -q core plugins

# --- runtime: no compilers, no uv, no caches -------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

# PostgreSQL and MariaDB client tools for `dbsbm backup` / `/backup` (pg_dump, mariadb-dump); their
# major versions (PostgreSQL 15, MariaDB 10.11) match the servers in docker-compose.yml.
# DL3008 (pin apt versions) is ignored on purpose: Debian's stable archive keeps only the latest
# security release of a package, so a pinned version stops installing at the next point release;
# the base image tag pins the Debian release instead.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client mariadb-client \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 dbsbm \
    && useradd --system --uid 10001 --gid dbsbm --home-dir /home/dbsbm --create-home \
        --shell /usr/sbin/nologin dbsbm \
    && mkdir -p /data /etc/dbsbm \
    && chown dbsbm:dbsbm /data

WORKDIR /app
COPY --from=build /app/.venv ./.venv
COPY --from=build /app/core ./core
COPY --from=build /app/plugins ./plugins
COPY --from=build /app/migrations ./migrations
COPY config.toml /etc/dbsbm/config.toml

# The web server listens on every interface inside the container (Prometheus and the health check
# reach it there); /health/detailed then needs DBSBM_WEB__TOKEN. Data (SQLite file, backups) is in
# the /data volume.
ENV PATH="/app/.venv/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    MPLCONFIGDIR=/tmp/matplotlib \
    DBSBM_CONFIG=/etc/dbsbm/config.toml \
    DBSBM_DATA_DIR=/data \
    DBSBM_WEB__HOST=0.0.0.0 \
    DBSBM_WEB__PORT=8080

USER 10001:10001
VOLUME ["/data"]
EXPOSE 8080

# Liveness: GET /health on the core web server (no curl in the image: Python's urllib).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; port = os.environ.get('DBSBM_WEB__PORT', '8080'); sys.exit(0 if urllib.request.urlopen(f'http://127.0.0.1:{port}/health', timeout=4).status == 200 else 1)"]

ENTRYPOINT ["dbsbm"]
CMD ["run"]
