#!/usr/bin/env bash
# Run web (uvicorn: HTTP + websockets), a Celery worker and beat in the foreground; Ctrl-C stops all three.
# Expects DATABASE_URL / REDIS_URL in the environment (make demo sets them from infra/services.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-backend.settings.local}
PORT=${PORT:-8000}
mkdir -p .data
PY=.venv/bin/python
pids=()
cleanup() { trap - INT TERM EXIT; kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup INT TERM EXIT

$PY -m uvicorn backend.asgi:application --host 127.0.0.1 --port "$PORT" --log-level warning &
pids+=($!)
$PY -m celery -A backend.celery:app worker -l warning --concurrency 2 &
pids+=($!)
$PY -m celery -A backend.celery:app beat -l warning --schedule .data/celerybeat-schedule &
pids+=($!)

sleep 2
cat <<TXT

  物业云 is running (Ctrl-C to stop):
    Platform site (sign up a company):  http://localhost:${PORT}/
    Demo company 示范物业:               http://demo.localhost:${PORT}/
    API docs:                           http://demo.localhost:${PORT}/api/docs/
    Operators' admin:                   http://localhost:${PORT}/operator/  (manage.py createsuperuser)
  Logins: see the list printed above (password for all: Demo-2026-pass).

TXT
wait -n "${pids[@]}"
