"""python -m bench.failover: a three-member Patroni cluster on loopback ports, the API and the
worker against it, a steady write load, the leader killed with SIGKILL, then a planned
switchover; prints what was lost, duplicated, refused and how long writes stopped."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a folder: python bench/failover
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.common import save
from bench.failover.cluster import missing_programs, start_cluster
from bench.failover.run import run


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.failover", description=__doc__)
    parser.add_argument("--clients", type=int, default=4, help="concurrent writers (4)")
    parser.add_argument("--warmup", type=float, default=15, help="seconds of load first (15)")
    parser.add_argument("--settle", type=float, default=10, help="seconds after each (10)")
    parser.add_argument("--no-switchover", action="store_true", help="only the SIGKILL")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--name", default="failover", help="results file name")
    args = parser.parse_args()
    missing = missing_programs()
    if missing:
        print("missing: " + ", ".join(missing) + " (apt-get install -y patroni etcd-server)")
        return 2
    cluster = start_cluster(keep=args.keep)
    print(f"cluster in {cluster.root}: {cluster.roles()}")
    try:
        result = run(
            cluster,
            warmup=args.warmup,
            settle=args.settle,
            clients=args.clients,
            switchover=not args.no_switchover,
        )
    finally:
        cluster.stop()
        if not args.keep:
            shutil.rmtree(cluster.root, ignore_errors=True)
    print(json.dumps(result, indent=2, default=str))
    print(f"results: {save(args.name, result)}")
    ok = (
        result["acknowledged_writes_lost"] == 0
        and result["duplicates"] == 0
        and result["errors_other_than_503"] == 0
        and result["views_equal_rebuild"]
        and result["audit_verify_passes"]
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
