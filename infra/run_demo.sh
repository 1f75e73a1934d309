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

# Online payment: with no Stripe keys, run localstripe (a local Stripe-protocol test gateway) on 127.0.0.1
# and point the platform at it; the payment page then says it is a local test gateway.
GATEWAY="Stripe (STRIPE_SECRET_KEY)"
if [ -z "${STRIPE_SECRET_KEY:-}" ]; then
    LOCALSTRIPE_PORT=${LOCALSTRIPE_PORT:-8420}
    $PY -m backend.gateway.localstripe_server --port "$LOCALSTRIPE_PORT" --state-dir .data/localstripe \
        > .data/localstripe.log 2>&1 &
    pids+=($!)
    export STRIPE_SECRET_KEY=sk_test_localstripe STRIPE_PUBLISHABLE_KEY=pk_test_localstripe
    export STRIPE_WEBHOOK_SECRET=whsec_localstripe_demo STRIPE_API_BASE="http://127.0.0.1:${LOCALSTRIPE_PORT}"
    # localstripe signs and posts its events to the platform's webhook endpoint.
    $PY - "$STRIPE_API_BASE" "http://localhost:${PORT}/api/v1/payments/stripe/webhook/" "$STRIPE_WEBHOOK_SECRET" <<'PYEOF' \
        || echo "could not register the localstripe webhook" >&2
import sys, time, urllib.parse, urllib.request
base, url, secret = sys.argv[1:4]
for _ in range(100):
    try:
        urllib.request.urlopen(f"{base}/js.stripe.com/v3/", timeout=1)
        break
    except OSError:
        time.sleep(0.2)
body = urllib.parse.urlencode({"url": url, "secret": secret}).encode()
urllib.request.urlopen(urllib.request.Request(f"{base}/_config/webhooks/demo", data=body), timeout=5)
PYEOF
    GATEWAY="localstripe, a local test gateway at $STRIPE_API_BASE (no real money)"
fi

# The web tier as everywhere else (infra/web.sh): uvicorn, one worker process per CPU (WEB_CONCURRENCY).
PORT="$PORT" HOST=127.0.0.1 bash infra/web.sh &
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
    Second demo company 绿城物业:        http://lvcheng.localhost:${PORT}/
    API docs:                           http://demo.localhost:${PORT}/api/docs/
    Online payments go to:              ${GATEWAY}
                                        test card 4242 4242 4242 4242, any future date, any CVC
    Operators' admin:                   http://localhost:${PORT}/operator/  (manage.py createsuperuser)
    Web workers:                        ${WEB_CONCURRENCY:-one per CPU} (WEB_CONCURRENCY), pooled DB connections
  Logins: see the list printed above (password for all: Demo-2026-pass).

TXT
wait -n "${pids[@]}"
