"""Chinese free-text search at size: the case search and the lead register searched through
their GIN-indexed tokens (``projections/search_text.py``) against the ``ILIKE`` scan they used
before, in the same run, on the same rows, interleaved call by call.

    python -m bench.search                       # 1,000,000 events, a fresh database, dropped after
    python -m bench.search --events 100000       # a small run, to try it

bench/README.md says what is measured and gives the figures."""
