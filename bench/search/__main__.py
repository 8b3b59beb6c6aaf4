"""`python -m bench.search`: see bench/search/__init__.py."""

from bench.search.cli import main

main()
