"""`python -m bench.app_vs_raw`, or `python bench/app_vs_raw` as a script."""

import sys
from pathlib import Path

if not __package__:  # run as a path: make the repository root importable, for `bench`
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.app_vs_raw.cli import main

main()
