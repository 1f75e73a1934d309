"""Staff pages: the club's report (utilisation heat map, income by facility and month, no-shows)."""
