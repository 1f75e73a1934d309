"""Structured logs and the metrics endpoint (backend/observability): every record of a request carries the
company schema, the user and the request id, which the response also carries; /metrics answers only whom it
should, and its series move with what the platform does."""

from __future__ import annotations

import io
import json
import logging
import uuid
from typing import Any

import pytest
from django.test import Client, override_settings
from prometheus_client.parser import text_string_to_metric_families

from backend.celery import app as celery_app
from backend.observability import context, metrics
from backend.observability.logs import JsonFormatter, RequestContextFilter
from tests.conftest import host_of

pytestmark = pytest.mark.django_db


def scrape(**extra: Any) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = Client(**extra).get("/metrics")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


# --- /metrics: who may scrape ---------------------------------------------------------------------------------


def test_metrics_answer_this_host_and_refuse_a_stranger() -> None:
    assert Client().get("/metrics").status_code == 200  # the test client's peer is 127.0.0.1
    refused = Client(REMOTE_ADDR="203.0.113.9").get("/metrics")
    assert refused.status_code == 403 and b"wuye_" not in refused.content


@override_settings(TRUSTED_PROXIES=["127.0.0.1"])
def test_without_a_token_a_request_through_our_proxy_is_refused() -> None:
    assert Client(HTTP_X_FORWARDED_FOR="127.0.0.1").get("/metrics").status_code == 403


@override_settings(METRICS_TOKEN="s3cret-scrape", METRICS_ALLOWED_NETWORKS=["0.0.0.0/0"])
def test_with_a_token_only_the_bearer_is_answered_wherever_it_comes_from() -> None:
    assert Client().get("/metrics").status_code == 403
    assert Client(HTTP_AUTHORIZATION="Bearer wrong").get("/metrics").status_code == 403
    ok = Client(REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer s3cret-scrape").get("/metrics")
    assert ok.status_code == 200 and b"wuye_http_request_duration_seconds" in ok.content


def test_metrics_are_served_on_any_host_without_a_company_lookup(django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(0):
        assert Client(HTTP_HOST="10.1.2.3:8000").get("/metrics").status_code == 200


# --- the series -----------------------------------------------------------------------------------------------


def test_a_request_is_timed_under_its_url_name_and_counted_by_status(
    tenant_a: Any, member: Any, client_for: Any
) -> None:
    admin = member(tenant_a, ["company_admin"])
    client = client_for(tenant_a, admin)
    before = scrape()
    assert client.get("/api/v1/me/").status_code == 200
    assert client.get("/api/v1/me/").status_code == 200
    assert Client(HTTP_HOST=host_of(tenant_a)).get("/api/v1/me/").status_code in (401, 403)
    after = scrape()
    view = "api-me"
    count = "wuye_http_request_duration_seconds_count"
    assert value(after, count, view=view, method="GET") == value(before, count, view=view, method="GET") + 3
    ok = "wuye_http_requests_total"
    assert (
        value(after, ok, view=view, method="GET", status="2xx")
        == value(before, ok, view=view, method="GET", status="2xx") + 2
    )
    assert (
        value(after, ok, view=view, method="GET", status="4xx")
        == value(before, ok, view=view, method="GET", status="4xx") + 1
    )


def test_an_unknown_path_is_one_bounded_label_not_one_per_path(tenant_a: Any) -> None:
    client = Client(HTTP_HOST=host_of(tenant_a))
    before = scrape()
    for n in range(3):
        client.get(f"/no-such-page-{uuid.uuid4().hex}-{n}/")
    after = scrape()
    names = {dict(labels).get("view") for (name, labels) in after if name == "wuye_http_requests_total"}
    assert not any(v and "no-such-page" in v for v in names)
    key = ("wuye_http_request_duration_seconds_count", (("method", "GET"), ("view", "<unmatched>")))
    assert after.get(key, 0) - before.get(key, 0) == 3


def test_the_celery_queue_length_is_read_from_the_broker() -> None:
    queue = f"obs-test-{uuid.uuid4().hex[:8]}"
    with override_settings(SEARCH_INDEX_QUEUE=queue):
        assert value(scrape(), "wuye_celery_queue_length", queue=queue) == 0
        for _ in range(3):
            celery_app.send_task("backend.observability.no_such_task", queue=queue)
        try:
            assert value(scrape(), "wuye_celery_queue_length", queue=queue) == 3
        finally:
            with celery_app.connection_for_write() as conn:
                conn.default_channel.queue_purge(queue)
        assert value(scrape(), "wuye_celery_queue_length", queue=queue) == 0


def test_the_pool_gauges_follow_the_workers_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test process does not pool (settings/test.py); a stand-in pool object gives the figures a pooled
    worker would, and the gauge reports them (tests/backend/notifications/test_websocket_workers.py scrapes
    real pooled workers)."""

    class Pool:
        def get_stats(self) -> dict[str, int]:
            return {"pool_size": 4, "pool_available": 3, "pool_max": 10, "requests_waiting": 2}

    from django.db import connections

    monkeypatch.setattr(type(connections["default"]), "pool", property(lambda self: Pool()), raising=False)
    metrics.db_pool_observe(now=10_000_000.0)
    samples = scrape()
    assert value(samples, "wuye_db_pool_connections", state="size") == 4
    assert value(samples, "wuye_db_pool_connections", state="waiting") == 2
    assert value(samples, "wuye_db_pool_connections", state="max") == 10


# --- logs -----------------------------------------------------------------------------------------------------


@pytest.fixture
def json_log() -> Any:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestContextFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("tests.observability")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield logger, stream
    logger.removeHandler(handler)


def test_a_log_record_in_a_request_carries_the_company_the_user_and_the_request_id(
    tenant_a: Any, member: Any, client_for: Any, json_log: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    logger, stream = json_log
    from backend.accounts import api as accounts_api

    original = accounts_api.MeApi.get

    def logging_get(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        logger.warning("looking at 我的资料", extra={"unit_count": 2})
        return original(self, request, *args, **kwargs)

    monkeypatch.setattr(accounts_api.MeApi, "get", logging_get)
    admin = member(tenant_a, ["company_admin"])
    response = client_for(tenant_a, admin).get("/api/v1/me/")
    assert response.status_code == 200
    record = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert record["message"] == "looking at 我的资料" and record["level"] == "WARNING"
    assert record["schema"] == tenant_a.schema_name
    assert record["user"] == str(admin.pk)
    assert record["request_id"] == response["X-Request-ID"] and len(record["request_id"]) == 32
    assert record["unit_count"] == 2
    # Outside a request: no request id, no user.
    logger.info("later")
    later = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert later["request_id"] == "" and later["user"] == ""


def test_a_proxy_request_id_is_kept_only_from_a_trusted_proxy(tenant_a: Any) -> None:
    rid = "a" * 32
    plain = Client(HTTP_HOST=host_of(tenant_a), HTTP_X_REQUEST_ID=rid).get("/healthz")
    assert plain["X-Request-ID"] != rid
    with override_settings(TRUSTED_PROXIES=["127.0.0.1"]):
        proxied = Client(HTTP_HOST=host_of(tenant_a), HTTP_X_REQUEST_ID=rid).get("/healthz")
        assert proxied["X-Request-ID"] == rid
        forged = Client(HTTP_HOST=host_of(tenant_a), HTTP_X_REQUEST_ID='x"}\n{"level":"CRITICAL').get("/healthz")
        assert forged["X-Request-ID"] != 'x"}\n{"level":"CRITICAL' and len(forged["X-Request-ID"]) == 32


def test_a_task_record_carries_its_task_id(json_log: Any) -> None:
    logger, stream = json_log
    token = context.task_id.set("task-123")
    try:
        logger.info("in a task")
    finally:
        context.task_id.reset(token)
    assert json.loads(stream.getvalue().strip())["task_id"] == "task-123"


def test_the_grafana_dashboard_asks_only_for_series_the_platform_exports(tenant_a: Any) -> None:
    """infra/grafana/wuye-platform.json: every metric a panel queries is one /metrics serves."""
    import re

    from tests.conftest import ROOT

    Client(HTTP_HOST=host_of(tenant_a)).get("/healthz")
    metrics.websockets.labels("company")
    metrics.payment_outcome("online", "succeeded")
    metrics.webhook_outcome("payment_intent.succeeded", "processed")
    metrics.db_pool.labels("size").set(0)
    served = {name for name, _labels in scrape()}
    dashboard = json.loads((ROOT / "infra" / "grafana" / "wuye-platform.json").read_text())
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    assert len(exprs) >= 8
    asked = {name for expr in exprs for name in re.findall(r"\b(wuye_[a-z_]+)", expr)}
    assert asked and asked <= served, asked - served
