from django.apps import AppConfig


class ClubConfig(AppConfig):
    name = "backend.club"
    label = "club"
    verbose_name = "Club facilities (会所)"

    def ready(self) -> None:
        # The notification kinds, the websocket topic "facility" and the tasks the services enqueue by name.
        # Training classes: their notification kinds and the payment hook that marks enrolments paid.
        from . import (  # noqa: F401
            classes_money,  # noqa: F401
            kinds,
            realtime,
            tasks,
        )
