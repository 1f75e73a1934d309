from django.apps import AppConfig


class MarketplaceSearchConfig(AppConfig):
    """The marketplace's search: the documents both backends share, the PostgreSQL backend's table (public
    schema: a listing is one row whatever the companies that see it), indexing tasks and the reindex command."""

    name = "marketplace.search"
    label = "marketplace_search"
    verbose_name = "Community marketplace search"

    def ready(self) -> None:
        from . import tasks  # noqa: F401  (the hooks enqueue them by name)
