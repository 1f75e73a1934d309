from django.apps import AppConfig


class ClubConfig(AppConfig):
    name = "backend.club"
    label = "club"
    verbose_name = "Club facilities (会所)"

    def ready(self) -> None:
        # The notification kinds, the websocket topic "facility", the tasks the services enqueue by name, and
        # the waitlist's hook on released places (booking.RELEASE_HOOKS).
        from . import kinds, realtime, tasks, waitlist  # noqa: F401
