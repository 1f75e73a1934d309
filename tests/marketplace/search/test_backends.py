"""Which backend a process uses: the settings choose, and one of each configuration is made."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from marketplace.search.backends import get_backend
from marketplace.search.elastic import ElasticsearchBackend
from marketplace.search.postgres import PostgresBackend


def test_postgres_is_the_default(settings):
    assert settings.SEARCH_BACKEND == "postgres"
    assert isinstance(get_backend(), PostgresBackend)
    assert get_backend() is get_backend()


def test_elasticsearch_is_chosen_by_setting_with_its_url_and_index_prefix(settings):
    settings.SEARCH_BACKEND = "elasticsearch"
    settings.ELASTICSEARCH_URL = "http://127.0.0.1:9"
    settings.SEARCH_INDEX_PREFIX = "run1_"
    first = get_backend()
    assert isinstance(first, ElasticsearchBackend) and first.index_name == "run1_listings"
    settings.SEARCH_INDEX_PREFIX = "run2_"
    assert get_backend().index_name == "run2_listings"  # runs with their own prefix never share an index
    settings.SEARCH_INDEX_PREFIX = "run1_"
    assert get_backend() is first


def test_an_unknown_backend_is_refused(settings):
    settings.SEARCH_BACKEND = "solr"
    with pytest.raises(ImproperlyConfigured):
        get_backend()
