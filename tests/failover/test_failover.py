"""High availability as an operator would check it: a three-member Patroni cluster (etcd,
synchronous replication) on loopback ports, the API and the worker against it, a steady write
load through the API; the leader is killed with SIGKILL, then leadership is switched over on
purpose. No acknowledged write is lost, none is recorded twice, no answer is an error other than
503, the views equal a rebuild and the audit chain verifies; view reads, served by a standby,
still read their own writes (`wait_for=`). (The short version of
`python -m bench.failover`, which also prints how long writes stopped.)"""

from __future__ import annotations

import shutil

import pytest

from bench.failover.cluster import missing_programs, start_cluster
from bench.failover.run import run

pytestmark = [pytest.mark.failover, pytest.mark.timeout(420)]


@pytest.mark.skipif(
    bool(missing_programs()),
    reason="needs " + ", ".join(missing_programs()) + " (apt-get install patroni etcd-server)",
)
def test_killing_the_leader_and_a_switchover_lose_nothing_and_record_nothing_twice() -> None:
    cluster = start_cluster()
    try:
        result = run(cluster, warmup=5, settle=4, clients=3, say=lambda _: None)
    finally:
        cluster.stop()
        shutil.rmtree(cluster.root, ignore_errors=True)
    print(result)  # the figures, for whoever reads the log (-s)
    assert [p["name"] for p in result["phases"]] == ["sigkill-leader", "switchover"]
    assert all(p["new_leader"] != p["old_leader"] for p in result["phases"])
    assert result["acknowledged_writes"] > 0
    assert all(p["acked_during"] > 0 for p in result["phases"])  # writes resumed each time
    assert result["acknowledged_writes_lost"] == 0
    assert result["duplicates"] == 0
    assert result["errors_other_than_503"] == 0, result["error_samples"]
    assert result["views_equal_rebuild"], result.get("views_differing")
    assert result["audit_verify_passes"], result["audit_verify"]
    # View reads on a standby (JOINTCASE_READ_FROM_STANDBY) still read their own writes
    assert result["read_your_writes_reads"] > 0
    assert result["read_your_writes_missing"] == 0
    assert result["read_errors"] == 0, result["read_error_samples"]
    standbys = [s for s in result["sessions_under_load"].values() if not s.startswith("leader")]
    assert any(not s.endswith(": 0 sessions") for s in standbys), result["sessions_under_load"]
