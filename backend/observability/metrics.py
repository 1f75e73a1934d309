"""The platform's Prometheus series. Every web worker process writes its own values into files under
PROMETHEUS_MULTIPROC_DIR (infra/web.sh sets and empties it at start), and GET /metrics on any worker adds
them all up, so one scrape sees the whole server. Without that variable (tests, a shell) the values live in
this process.

    wuye_http_request_duration_seconds{view,method}  histogram: the time from the first middleware to the
                                                     response, by URL name (not path: bounded labels)
    wuye_http_requests_total{view,method,status}     requests by status class (2xx … 5xx)
    wuye_response_cache_total{result}               GET responses served from the response cache (hit),
                                                     rendered and kept (stored) or rendered only (not kept)
    wuye_db_pool_connections{state}                  the connection pools of the live workers: size, idle,
                                                     max, waiting (requests waiting for a connection)
    wuye_celery_queue_length{queue}                  messages waiting in each Celery queue (read at scrape)
    wuye_websocket_connections{portal}               open sockets (company, merchant)
    wuye_payments_total{kind,outcome}                online payments, autopay and refunds by outcome
    wuye_webhook_events_total{type,outcome}          Stripe webhook events by outcome
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

http_latency = Histogram(
    "wuye_http_request_duration_seconds",
    "Time from the first middleware to the response, by URL name.",
    ["view", "method"],
    buckets=LATENCY_BUCKETS,
)
http_requests = Counter(
    "wuye_http_requests", "HTTP requests by URL name and status class.", ["view", "method", "status"]
)
response_cache = Counter(
    "wuye_response_cache", "Whole responses served from the response cache (hit), kept or not kept.", ["result"]
)
db_pool = Gauge(
    "wuye_db_pool_connections",
    "Database connection pools of the live web workers (summed).",
    ["state"],
    multiprocess_mode="livesum",
)
websockets = Gauge("wuye_websocket_connections", "Open websockets.", ["portal"], multiprocess_mode="livesum")
payments = Counter("wuye_payments", "Online payments, autopay charges and refunds by outcome.", ["kind", "outcome"])
webhook_events = Counter("wuye_webhook_events", "Stripe webhook events by type and outcome.", ["type", "outcome"])

# Known webhook types are kept as labels; anything else is counted as "other" (a bounded label set).
_WEBHOOK_TYPES = {
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.processing",
    "payment_intent.canceled",
    "payment_intent.requires_action",
    "charge.refunded",
    "charge.refund.updated",
    "refund.created",
    "refund.updated",
    "refund.failed",
}


def webhook_outcome(event_type: str, outcome: str) -> None:
    webhook_events.labels(event_type if event_type in _WEBHOOK_TYPES else "other", outcome).inc()


def payment_outcome(kind: str, outcome: str) -> None:
    payments.labels(kind, outcome).inc()


def status_class(status: int) -> str:
    return f"{status // 100}xx"


# --- the DB pool: read by each worker after a request, at most once a second --------------------------

_pool_seen = 0.0


def db_pool_observe(now: float | None = None) -> None:
    global _pool_seen
    now = time.monotonic() if now is None else now
    if now - _pool_seen < 1.0:
        return
    _pool_seen = now
    try:
        from django.db import connections

        pool = getattr(connections["default"], "pool", None)
        if pool is None:
            return
        stats = pool.get_stats()
    except Exception:  # metrics never break a request
        log.debug("db pool stats unavailable", exc_info=True)
        return
    db_pool.labels("size").set(stats.get("pool_size", 0))
    db_pool.labels("idle").set(stats.get("pool_available", 0))
    db_pool.labels("max").set(stats.get("pool_max", 0))
    db_pool.labels("waiting").set(stats.get("requests_waiting", 0))


# --- Celery queues: read from the broker when scraped -----------------------------------------------------

# kombu's Redis transport keeps a queue's prioritised messages in lists "<queue>", "<queue>\x06\x163", …
_PRIORITY_SUFFIXES = ("", "\x06\x163", "\x06\x166", "\x06\x169")


def celery_queues() -> list[str]:
    from django.conf import settings

    names = {getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery") or "celery"}
    for route in (getattr(settings, "CELERY_TASK_ROUTES", None) or {}).values():
        if isinstance(route, dict) and route.get("queue"):
            names.add(str(route["queue"]))
    extra = getattr(settings, "SEARCH_INDEX_QUEUE", "")
    if extra:
        names.add(extra)
    return sorted(names)


class CeleryQueueCollector(Collector):
    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "wuye_celery_queue_length", "Messages waiting in each Celery queue.", labels=["queue"]
        )
        try:
            import redis
            from django.conf import settings

            prefix = (getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", None) or {}).get("global_keyprefix", "")
            client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=1.0)
            try:
                queues = celery_queues()
                with client.pipeline(transaction=False) as pipe:
                    for queue in queues:
                        for suffix in _PRIORITY_SUFFIXES:
                            pipe.llen(f"{prefix}{queue}{suffix}")
                    lengths = pipe.execute()
            finally:
                client.close()
            step = len(_PRIORITY_SUFFIXES)
            for n, queue in enumerate(queues):
                family.add_metric([queue], float(sum(lengths[n * step : (n + 1) * step])))
        except Exception:  # the broker is down: the series is missing from this scrape, the rest is served
            log.warning("celery queue length unavailable", exc_info=True)
        yield family


# --- the scrape -------------------------------------------------------------------------------------------


def multiprocess_dir() -> Path | None:
    value = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    return Path(value) if value else None


def _forget_dead_workers(directory: Path) -> None:
    """A worker that exited leaves its live gauges' files behind; drop them so "livesum" means live."""
    from prometheus_client import multiprocess

    pids: set[int] = set()
    for file in directory.glob("gauge_live*_*.db"):
        try:
            pids.add(int(file.stem.rsplit("_", 1)[1]))
        except ValueError:
            continue
    for pid in pids:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            multiprocess.mark_process_dead(pid, str(directory))
        except PermissionError:
            pass


def registry() -> CollectorRegistry | Any:
    directory = multiprocess_dir()
    if directory is None:
        from prometheus_client import REGISTRY

        return REGISTRY
    from prometheus_client import multiprocess

    _forget_dead_workers(directory)
    reg = CollectorRegistry()
    multiprocess.MultiProcessCollector(reg, path=str(directory))
    return reg


_celery_collector = CeleryQueueCollector()


def scrape() -> bytes:
    reg = registry()
    if reg.__class__ is CollectorRegistry and multiprocess_dir() is not None:
        reg.register(_celery_collector)
        return generate_latest(reg)
    # One process: the default registry plus the queue lengths, without registering twice.
    return generate_latest(_Joined([reg, _celery_collector]))


class _Joined(CollectorRegistry):
    def __init__(self, parts: Iterable[Any]) -> None:
        super().__init__(auto_describe=False)
        self._parts = list(parts)

    def collect(self) -> Iterator[Any]:
        for part in self._parts:
            yield from part.collect()
