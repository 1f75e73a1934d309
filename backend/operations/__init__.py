"""Running the platform: one company out and back (archive.py), a company leaving (deletion.py), the operator
console (console.py) and operators' support access (support.py). Above tenancy: it reads every app's data."""
