#!/usr/bin/env bash
# The web tier, the same everywhere (make demo, docker-compose, Kubernetes, the load benchmarks): uvicorn
# serving backend.asgi (HTTP + websockets) with several worker processes. Environment:
#   WEB_CONCURRENCY   worker processes (default: the number of CPUs); each has its own DB pool
#   REQUEST_THREADS   threads per worker that run requests (default 1: a process's requests take turns,
#                     backend/asgi_handler.py)
#   HOST / PORT       where to listen (127.0.0.1:8000)
#   ASGI_APP          the application (backend.asgi:application; the benchmarks' bare baseline swaps it)
#   WEB_KEEPALIVE     seconds an idle keep-alive connection stays open (75, as nginx's default)
#   WEB_LOG_LEVEL     uvicorn's log level (warning)
#   WEB_EXTRA_ARGS    anything else for uvicorn
#   PROMETHEUS_MULTIPROC_DIR  where the workers keep their metrics, added up by GET /metrics
#                     (default .data/metrics/<port>; emptied at start: the counters begin again)
# uvicorn never rewrites the client address from X-Forwarded-For (--no-proxy-headers): the app decides whom
# to believe (TRUSTED_PROXIES, backend/client_ip.py).
# Websockets and notifications work across workers: every socket joins its groups on the Redis channel
# layer, so an event published by any process (web or Celery) reaches the worker that holds the socket.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
[ -x "$PY" ] || PY=python
export PROMETHEUS_MULTIPROC_DIR=${PROMETHEUS_MULTIPROC_DIR:-.data/metrics/${PORT:-8000}}
mkdir -p "$PROMETHEUS_MULTIPROC_DIR" && find "$PROMETHEUS_MULTIPROC_DIR" -maxdepth 1 -name '*.db' -delete
workers=${WEB_CONCURRENCY:-$("$PY" -c 'import os; print(len(os.sched_getaffinity(0)))')}
# shellcheck disable=SC2086  # WEB_EXTRA_ARGS is a list of words on purpose
exec "$PY" -m uvicorn "${ASGI_APP:-backend.asgi:application}" \
    --host "${HOST:-127.0.0.1}" --port "${PORT:-8000}" --workers "$workers" \
    --timeout-keep-alive "${WEB_KEEPALIVE:-75}" --log-level "${WEB_LOG_LEVEL:-warning}" \
    --no-proxy-headers --no-access-log ${WEB_EXTRA_ARGS:-}
