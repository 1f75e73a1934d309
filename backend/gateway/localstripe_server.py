"""Run localstripe (a fake Stripe server, PyPI) the safe way: bound to 127.0.0.1 and keeping its state in a
directory we choose. The bare `localstripe` command listens on every interface and pickles its state to one
fixed file (/tmp/localstripe.pickle) that every run on the machine would share.

    python -m backend.gateway.localstripe_server --port 8420 --state-dir .data/localstripe [--from-scratch]

It serves the Stripe API under /v1/, a fake Stripe.js at /js.stripe.com/v3/, and sends signed webhooks to
the URLs registered with POST /_config/webhooks/<id> (url, secret).
"""

from __future__ import annotations

import argparse
import logging
import os
import pickle
import socket
from pathlib import Path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="localstripe_server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8420)
    parser.add_argument("--state-dir", default=os.environ.get("LOCALSTRIPE_STATE_DIR", ".data/localstripe"))
    parser.add_argument("--from-scratch", action="store_true", help="forget the saved state")
    args = parser.parse_args(argv)

    from aiohttp import web
    from localstripe import resources, server

    state_dir = Path(args.state_dir)
    state_dir.mkdir(parents=True, exist_ok=True)
    state_file = state_dir / "localstripe.pickle"

    def dump_to_disk(store: dict) -> None:
        tmp = state_file.with_suffix(".tmp")
        with open(tmp, "wb") as f:
            pickle.dump(store, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, state_file)

    def try_load_from_disk(store: dict) -> None:
        try:
            with open(state_file, "rb") as f:
                old = pickle.load(f)  # noqa: S301 - our own state file, written by this process
        except FileNotFoundError:
            return
        store.clear()
        store.update(old)

    resources.Store.dump_to_disk = dump_to_disk  # type: ignore[method-assign,assignment]
    resources.Store.try_load_from_disk = try_load_from_disk  # type: ignore[method-assign,assignment]
    if not args.from_scratch:
        resources.store.try_load_from_disk()

    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    logging.basicConfig(level=logging.INFO, format="localstripe %(message)s")
    print(f"localstripe listening on http://{args.host}:{args.port} (state in {state_file})", flush=True)  # noqa: T201
    web.run_app(server.app, sock=sock, print=None, access_log=logging.getLogger("aiohttp.access"))


if __name__ == "__main__":
    main()
