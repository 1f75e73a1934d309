"""Benchmarks: `python -m infra.bench [name]` (make bench [B=name]). Each prints one line:

    bench <name>: <value> <unit>; baseline <value> <unit>; ratio <r>x

measured against a baseline in the same run, on a dedicated database (BENCH_DATABASE_NAME, default wuye_bench)
so neither the demo nor the test database is touched."""
