"""Read-model throughput at scale: rebuilding every view over 1,000,000 recorded events against
the raw rate of reading and decoding the same log, in the same run; view query latency at that
size; projection lag under a steady write load.

    python -m bench.rebuild                      # 1,000,000 events, a fresh database, dropped after
    python -m bench.rebuild --events 50000       # a small run, to try it
    python -m bench.rebuild --page-sizes 1000 5000 10000 --profile-events 100000

bench/README.md says what is measured and gives the figures."""
