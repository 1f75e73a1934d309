"""The demo companies `make demo` seeds (示范物业 and 绿城物业): their logins, registries and billing
histories, posted through the apps' own services. Nothing imports this package but its command and the
benchmarks: it sits above the domain apps, which sit above tenancy (see the README's architecture map)."""
