"""Training classes (培训班): the staff pages."""
