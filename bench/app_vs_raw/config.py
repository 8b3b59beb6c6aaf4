"""What the parts share: where results go, the server, the acting officer and a command's context,
the targets."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import count
from pathlib import Path

from domain.values import Actor, Context, Role

RESULTS_DIR = Path(__file__).resolve().parents[1] / "results"  # bench/results
DEFAULT_SERVER_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
COUNTY = "150924"  # Xinghe, one of the default units that `init_database` seeds
ACTOR = Actor("bench-officer", COUNTY, Role.OFFICER)
TARGET_RATIO = 0.70
TARGET_REPLAY_MS = 20.0
_correlation = count(1)


def new_ctx() -> Context:
    """A command's context as the API builds it: the acting officer and the server's time."""
    return Context(ACTOR, datetime.now(UTC), f"bench-{next(_correlation)}")
