"""noida-db (PyPI, 0.2.2) as a local Elasticsearch 8.15 for the search tests and the benchmark.

    with noida_elasticsearch(data_dir) as url:   # "http://127.0.0.1:<free port>"
        ...

It runs `noida-db start --only elasticsearch --host 127.0.0.1 --data-dir DIR --elasticsearch-port N` in a
process group of its own (the noida-db script starts the real binary as its child: both are stopped together),
waits until the server answers, and stops it for certain afterwards. Its limits (see ARCHITECTURE.md "Search"):
filtered aliases are not applied, its analyzers do not split Chinese, no match_bool_prefix,
match_phrase_prefix or function_score, and it scans every document on each query.

Run alone: python -m infra.noida_server [DATA_DIR]   (serves until Ctrl-C)
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _executable() -> str:
    beside = Path(sys.executable).with_name("noida-db")
    found = str(beside) if beside.exists() else shutil.which("noida-db")
    if not found:
        raise RuntimeError("noida-db is not installed: pip install noida-db==0.2.2 (a dev dependency)")
    return found


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return "version" in json.loads(response.read())
    except (OSError, ValueError):
        return False


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the whole group (the script and the binary it runs), SIGKILL to what is left after 10 s."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
    deadline = time.monotonic() + 10
    while _group_alive(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


@contextlib.contextmanager
def noida_elasticsearch(data_dir: str | Path | None = None, *, start_timeout: float = 60) -> Iterator[str]:
    """A noida-db Elasticsearch on 127.0.0.1 at a free port, its data in `data_dir` (a temporary directory,
    removed afterwards, when None). Yields its URL."""
    own_dir = data_dir is None
    where = Path(tempfile.mkdtemp(prefix="noida-es-")) if data_dir is None else Path(data_dir)
    where.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    command = [_executable(), "start", "--only", "elasticsearch", "--host", "127.0.0.1", "--data-dir", str(where)]
    command += ["--elasticsearch-port", str(port)]
    log = open(where / "noida-db.log", "wb")  # noqa: SIM115  (closed below, after the process)
    proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + start_timeout
        while not _answers(url):
            if proc.poll() is not None:
                raise RuntimeError(f"noida-db exited with {proc.returncode}: {(where / 'noida-db.log').read_text()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"noida-db did not answer on {url} within {start_timeout}s")
            time.sleep(0.1)
        yield url
    finally:
        _stop(proc)
        log.close()
        if own_dir:
            shutil.rmtree(where, ignore_errors=True)


if __name__ == "__main__":
    with noida_elasticsearch(sys.argv[1] if len(sys.argv) > 1 else None) as served:
        print(f"noida-db Elasticsearch at {served} (Ctrl-C stops it)", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()
