"""The club (会所) for residents, phone first: the facilities their homes may book (views.py: the list, a
facility's live week grid with the booking form), their bookings with QR codes and cancelling (bookings.py),
and the home page's "upcoming bookings" card (cards.py)."""
