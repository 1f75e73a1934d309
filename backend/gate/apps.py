from django.apps import AppConfig


class GateConfig(AppConfig):
    name = "backend.gate"
    label = "gate"
    verbose_name = "Gate: visitors and parcels (访客与快递)"

    def ready(self) -> None:
        # The notification kinds and the tasks enqueued by name (the parcel reminders).
        from . import kinds, tasks  # noqa: F401
