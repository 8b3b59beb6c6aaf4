"""The machine measured and the printed report."""

from __future__ import annotations

import os
import platform
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

from bench.app_vs_raw.config import TARGET_RATIO, TARGET_REPLAY_MS


# --- report ---------------------------------------------------------------------------------------
def machine() -> dict[str, Any]:
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "eventsourcing": package_version("eventsourcing"),
        "psycopg": package_version("psycopg"),
    }


def print_report(result: dict[str, Any]) -> None:
    meta = result["meta"]
    print(
        f"\njointcase app layer vs raw eventsourcing, {meta['date']}, {meta['machine']['cpus']} "
        f"cores, {meta['server']}\n{meta['database']}; {meta['commands']} commands per run, "
        f"{meta['rounds']} runs interleaved in chunks of {meta['chunk']}; loaded aggregates "
        f"get {meta['per_aggregate']} events each per run; load average before "
        f"{meta['load_average_before'][0]:.2f}, after {meta['load_average_after'][0]:.2f}\n"
    )
    writes = result["writes"]
    print(f"{'benchmark':<42}{'cmds/s median':>14}{'best':>9}{'events/s':>10}")
    for bench in writes["benches"].values():
        print(
            f"{bench['label']:<42}{bench['median_commands_per_s']:>14,.0f}"
            f"{bench['best_commands_per_s']:>9,.0f}{bench['median_events_per_s']:>10,.0f}"
        )
    print(f"\n{'ratio of commands/s (paired per run)':<42}{'median':>8}{'range':>15}  target 70%")
    for ratio in writes["ratios"]:
        low, high = min(ratio["per_round"]), max(ratio["per_round"])
        verdict = "met" if ratio["median"] >= TARGET_RATIO else "MISSED"
        label = f"{ratio['app'].removeprefix('app_')} / {ratio['raw']}"
        print(
            f"{label:<42}{ratio['median']:>7.0%}{f'{low:.0%}-{high:.0%}':>15}  {verdict:<7}"
            f"{ratio['note']}"
        )
    replay = result["replay"]
    print(f"\nreplay of a {replay['events']}-event case, {replay['runs']} runs, ms")
    print(f"{'read':<42}{'median':>8}{'min':>8}{'p90':>8}")
    for label, t in replay["timings"].items():
        print(f"{label:<42}{t['median_ms']:>8.2f}{t['min_ms']:>8.2f}{t['p90_ms']:>8.2f}")
    print(
        f"latest snapshot {replay['latest_snapshot_bytes']:,} bytes; "
        f"mean stored event {replay['mean_event_bytes']:,.0f} bytes; "
        f"target: a {replay['events']}-event replay under {TARGET_REPLAY_MS:.0f} ms"
    )
