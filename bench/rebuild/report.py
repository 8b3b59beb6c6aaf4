"""The printed report, with the verdict against each target."""

from __future__ import annotations

from typing import Any

from bench.rebuild.world import TARGET_LAG_P99_MS, TARGET_QUERY_P99_MS, TARGET_REBUILD_RATIO


# --- report ---------------------------------------------------------------------------------------
def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def print_report(result: dict[str, Any]) -> None:
    meta = result["meta"]
    print(
        f"\nread models at scale, {meta['date']}, {meta['machine']['cpus']} cores, "
        f"{meta['server']}; {meta['events']:,} events in the log; load average at start "
        f"{meta['load_average_start']}, at end {meta['load_average_end']}"
    )
    print(f"\n{'rebuild of all views':<48}{'events/s':>10}{'of raw':>9}{'seconds':>9}")
    for raw in result["raw_reads"]:
        print(
            f"{'raw read + decode (pages of 1,000)':<48}{raw['events_per_s']:>10,.0f}"
            f"{'':>9}{raw['seconds']:>9.1f}"
        )
    for r in result["rebuilds"]:
        label = f"BatchRunner.catch_up, page_size={r['page_size']:,}"
        if r.get("views_applied") == "one after another":
            label += ", serial"
        if not r.get("read_ahead", True):
            label += ", no read-ahead"
        busy = r.get("others_running_after")
        print(
            f"{label:<48}{r['events_per_s']:>10,.0f}{r['ratio_to_raw']:>9.0%}{r['seconds']:>9.1f}"
            + (f"  (also running after it: {busy[0]})" if busy else "")
        )
    best = result["best_rebuild"]
    print(
        f"best: page_size={best['page_size']:,}, {best['ratio_to_raw']:.0%} of the raw rate "
        f"(target {TARGET_REBUILD_RATIO:.0%}: {verdict(best['ratio_to_raw'] >= TARGET_REBUILD_RATIO)})"
    )
    print(f"time per part (best rebuild; the views' parts overlap), s: {best['parts_s']}")
    print(
        f"CPU during it: this process {best['cpu_s']['python']} s, PostgreSQL's processes "
        f"{best['cpu_s']['postgres']} s, of {best['seconds']:.1f} s"
    )
    print(f"events/s per tenth of the log: {best['events_per_s_by_tenth']}")
    for part, seconds in best["parts_s_by_tenth"].items():
        print(f"  {part:<30} s per tenth: {seconds}")
    for title, key in (("view queries", "queries"), ("same, through HTTP", "http")):
        if not result.get(key):
            continue
        print(f"\n{title + ', ms':<52}{'p50':>8}{'p99':>8}{'max':>8}{'rows':>7}")
        for label, q in result[key].items():
            print(
                f"{label:<52}{q['p50_ms']:>8.2f}{q['p99_ms']:>8.2f}{q['max_ms']:>8.1f}"
                f"{q['mean_rows']:>7.0f}  {verdict(q['p99_ms'] < TARGET_QUERY_P99_MS)}"
            )
    lag = result.get("lag")
    if lag:
        print(
            f"\nlag: peak {lag['peak_writes_per_s']:,.0f} writes/s with {lag['writers']} writer "
            f"threads; load at half of it"
        )
        print(f"{'runner':<10}{'writes/s':>10}{'p50 ms':>8}{'p90':>8}{'p99':>8}{'max':>8}")
        for mode, run in lag["runs"].items():
            print(
                f"{mode:<10}{run['writes_per_s']:>10,.0f}{run['lag_p50_ms']:>8.0f}"
                f"{run['lag_p90_ms']:>8.0f}{run['lag_p99_ms']:>8.0f}{run['lag_max_ms']:>8.0f}"
                f"  {verdict(run['lag_p99_ms'] < TARGET_LAG_P99_MS)}"
            )
