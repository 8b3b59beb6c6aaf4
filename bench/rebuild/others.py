"""Other work on the shared machine: the load average, what used the CPU, and waiting for other
benchmarks or test runs of this project to finish."""

from __future__ import annotations

import os
import subprocess
import time
from typing import Any

from bench.rebuild.world import OTHER_BENCHES


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def other_processes() -> list[str]:
    """What used the CPU over the last two seconds (top's second frame), for the record of
    what else ran on the machine."""
    try:
        out = subprocess.run(
            ["top", "-b", "-n", "2", "-d", "2", "-o", "%CPU", "-w", "200"],
            capture_output=True,
            text=True,
            check=False,
            timeout=20,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    frame = out[out.rfind("top -") :].splitlines()
    header = next((i for i, line in enumerate(frame) if line.lstrip().startswith("PID")), None)
    if header is None:
        return []
    lines = [line.strip() for line in frame[:header] if line.startswith(("top -", "%Cpu"))]
    return lines + [" ".join(line.split()) for line in frame[header + 1 : header + 7]]


def others_running(pattern: str = OTHER_BENCHES) -> list[str]:
    """Command lines of other benchmarks or test runs of this project running right now."""
    found = subprocess.run(
        ["pgrep", "-af", pattern], capture_output=True, text=True, check=False
    ).stdout.strip()
    mine = {str(os.getpid()), str(os.getppid())}  # this run (and a `timeout` around it)
    return [line[:120] for line in found.splitlines() if line.split()[0] not in mine]


def wait_for_other_benches(
    max_minutes: float, pattern: str = OTHER_BENCHES, poll: float = 30.0
) -> dict[str, Any]:
    """Waits (at most `max_minutes`) until no other benchmark or test run of this project runs
    (processes whose command line matches `pattern`)."""
    started = time.monotonic()
    while True:
        found = others_running(pattern)
        waited = time.monotonic() - started
        if not found or waited >= max_minutes * 60:
            return {"waited_s": round(waited), "still_running": found}
        print(f"  waiting for other benchmarks to finish ({waited:.0f} s): {found}")
        time.sleep(poll)
