"""Pages of every signed-in member of the company, staff or resident: the notification inbox and
preferences, and the announcements sent to them."""
