from django.apps import AppConfig


class ClubConfig(AppConfig):
    name = "backend.club"
    label = "club"
    verbose_name = "Club facilities (会所)"

    def ready(self) -> None:
        # The notification kinds, the websocket topic "facility", the tasks the services enqueue by name, the
        # waitlist's hook on released places (booking.RELEASE_HOOKS), and training classes' notification kinds
        # and payment hook (enrolments marked paid).
        from . import classes_money, kinds, realtime, tasks, waitlist  # noqa: F401
