"""The club (会所) for staff: facility setup with its rules, hours and photos (facilities.py), closures with the
bookings they will cancel (closures.py), a day calendar across the facilities of the staff member's scope
(calendar.py), and bookings: the list, approve / reject / cancel with a reason, booking for a home or a walk-in
guest (bookings.py). Every lookup goes through backend.club.selectors with the caller's scope."""
