"""`python -m bench.rebuild`: see bench/rebuild/__init__.py."""

from bench.rebuild.cli import main

main()
