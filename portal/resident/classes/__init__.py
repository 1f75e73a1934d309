"""Training classes (培训班): the resident pages."""
