"""Publishing announcements and keeping the holiday calendar."""
