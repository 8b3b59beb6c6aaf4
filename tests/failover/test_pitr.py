"""Backups you can restore: WAL archived continuously by pgBackRest, a full backup, events written
before and after a chosen moment; the data folder lost, the server restored to that moment. The
log ends exactly at the last event committed before it, and the audit chain verifies. (The same
run as `python -m bench.pitr`; docs/BACKUP.md is the procedure on the compose deployment.)"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from bench.pitr.restore import missing_programs, run

pytestmark = [pytest.mark.backup, pytest.mark.timeout(300)]


@pytest.mark.skipif(
    bool(missing_programs()),
    reason="needs " + ", ".join(missing_programs()) + " (apt-get install pgbackrest)",
)
def test_a_point_in_time_restore_ends_the_log_at_that_moment_and_the_chain_verifies() -> None:
    root = Path(tempfile.mkdtemp(prefix="jointcase-pitr-"))
    root.chmod(0o755)
    try:
        result = run(root, before=20, after=15, say=lambda _: None)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    assert result["position_at_end"] > result["position_at_moment"] > 0
    assert result["position_after_restore"] == result["position_at_moment"]
    assert result["audit_verify_passes"], result["audit_verify"]
