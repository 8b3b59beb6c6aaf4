"""python -m bench.pitr: a point-in-time restore with pgBackRest, end to end (see restore.py)."""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.pitr.restore import main

if __name__ == "__main__":
    sys.exit(main())
