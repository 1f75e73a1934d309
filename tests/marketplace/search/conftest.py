"""Search tests run once per backend: PostgreSQL (this test database) and Elasticsearch (noida-db 0.2.2, one
server for the session, started by infra/noida_server.py). Index names carry a prefix of this run's own."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from infra.noida_server import noida_elasticsearch

RUN_PREFIX = f"test_{uuid.uuid4().hex[:8]}_"


@pytest.fixture(scope="session")
def noida_url(tmp_path_factory: Any) -> Iterator[str]:
    with noida_elasticsearch(tmp_path_factory.mktemp("noida-es")) as url:
        yield url


@pytest.fixture(params=["postgres", "elasticsearch"])
def search_backend_name(request: Any, settings: Any) -> str:
    """Points the settings at one backend (the Elasticsearch one at noida-db) for this test."""
    settings.SEARCH_INDEX_PREFIX = RUN_PREFIX
    settings.SEARCH_BACKEND = request.param
    if request.param == "elasticsearch":
        settings.ELASTICSEARCH_URL = request.getfixturevalue("noida_url")
    return request.param


@pytest.fixture
def backend(search_backend_name: str, db: None) -> Iterator[Any]:
    """The configured backend, emptied. (The PostgreSQL one's rows go with the test's transaction; the
    Elasticsearch index is dropped afterwards.)"""
    from marketplace.search.backends import get_backend

    made = get_backend()
    made.reset()
    yield made
    if search_backend_name == "elasticsearch":
        made.client.options(ignore_status=404).indices.delete(index=made.index_name)
