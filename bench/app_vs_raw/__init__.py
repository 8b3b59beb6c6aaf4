"""Commands per second of jointcase's application layer against the raw eventsourcing library in
the same run and the same database, and the replay time of a 1,000-event case.

    python -m bench.app_vs_raw            # a fresh database on 127.0.0.1:5432, dropped after
    python -m bench.app_vs_raw -n 1000 --rounds 5 --profile
    python -m bench.app_vs_raw --database-url postgresql://user@host/db   # an existing database

bench/README.md says what is measured and gives the figures."""
