"""bench/RESULTS.md from the benchmark suite's measurements (bench/suite.py): the machine,
one summary table (area, metric, rbmap, peer, ratio), then one section per area."""
import math

PEERLESS = "rbmap"
HTTP_METRICS = [  # (metric, key, better, digits)
    ("requests/s", "rps", "higher", 0),
    ("server CPU ms per request", "cpu_ms", "lower", 3),
    ("latency p50, ms", "p50", "lower", 2),
    ("latency p99, ms", "p99", "lower", 2),
    ("peak RSS of the server processes, MB", "rss_mb", "lower", 0),
]


def fmt(v, digits=2):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    if isinstance(v, str):
        return v
    if abs(v) >= 1000 or (digits == 0 and abs(v) >= 10):
        return f"{v:,.0f}"
    if 0 < abs(v) < 0.1:
        return f"{v:.2g}"
    digits = digits or 2  # small rates and sizes keep two decimals
    if abs(v) >= 100:
        return f"{v:.1f}"
    return f"{v:.{digits}f}"


def ratio(rbmap, peer, better):
    """rbmap's advantage: > 1 means rbmap is better, whatever the direction of the metric."""
    if not rbmap or not peer or any(isinstance(v, float) and math.isnan(v) for v in (rbmap, peer)):
        return "–"
    r = rbmap / peer if better == "higher" else peer / rbmap
    return f"{r:.2f}×" if r < 10 else f"{r:,.0f}×"


def http_summary(rows):
    """Summary rows from the HTTP measurements: rbmap against each peer on the same case."""
    out = []
    for r in rows:
        if r["system"] == PEERLESS:
            continue
        mine = next((m for m in rows if m["system"] == PEERLESS and m["area"] == r["area"]
                     and m["dataset"] == r["dataset"] and m["case"] == r["case"]), None)
        if not mine:
            continue
        for metric, key, better, _ in HTTP_METRICS:
            if mine.get(key) is None or r.get(key) is None:
                continue
            out.append({"area": r["area"], "dataset": r["dataset"], "metric": metric, "rbmap": mine[key],
                        "peer": r[key], "peer_name": r["system"], "better": better, "case": r["case"]})
    return out


def summary_table(rows):
    lines = ["| area | data | metric | rbmap | peer | peer value | rbmap advantage |",
             "|---|---|---|---:|---|---:|---:|"]
    for s in rows:
        data = s["dataset"] + (f": {s['case'].split(',')[0]}" if s.get("case") else "")
        lines.append(f"| {s['area']} | {data} | {s['metric']} | {fmt(s['rbmap'])} | {s['peer_name']} "
                     f"| {fmt(s['peer'])} | {ratio(s['rbmap'], s['peer'], s['better'])} |")
    return lines


def http_table(rows):
    lines = ["| data | requests | system | done | errors | KB per response | req/s | p50 ms | p99 ms "
             "| server CPU ms/req | peak RSS MB |", "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        kb = r["bytes"] / max(r["requests"], 1) / 1024.0
        lines.append(f"| {r['dataset']} | {r['case']} | {r['system']} | {r['requests']:,} | {r['errors']} "
                     f"| {fmt(kb, 1)} | {fmt(r['rps'], 0)} | {fmt(r['p50'])} | {fmt(r['p99'])} "
                     f"| {fmt(r['cpu_ms'], 3)} | {fmt(r['rss_mb'], 0)} |")
    return lines + ["", HTTP_COLUMNS]


HTTP_COLUMNS = (
    "*done*: requests answered (each request of the list once, or the list cycled for the time said); "
    "*errors*: HTTP ≥ 400 or failed connections; *req/s*: done / wall time of the pass; *p50*, *p99*: latency "
    "seen by the client (request written to last byte read); *server CPU ms/req*: user + system CPU of the "
    "serving processes during the pass / done (rbmap: its process; MapServer: nginx, the mapserv processes and "
    "their PostgreSQL backends; ST_AsMVT: its PostgreSQL backends, which run without parallel workers so that "
    "all their CPU is counted), /proc's 10 ms ticks; *peak RSS*: VmHWM of "
    "the serving processes, summed (MapServer: 8 mapserv processes, each with its own copy of its libraries' "
    "data, and nginx; PostgreSQL backends left out, their RSS is mostly the shared buffers).")


def machine_lines(machine):
    lines = ["| | |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in machine]
    return lines


AREA_NOTES = {
    "tiles": "Layer `sites`, national scope, no filters, raw MVT (no gzip). rbmap thins to 4,000 features "
             "per tile, the peers return up to 50,000 (pg_tileserv's default limit): at 1M sites their "
             "low-zoom tiles are much bigger. rbmap's uncached pass renders every tile once (and stores it "
             "raw and gzipped); ST_AsMVT has no HTTP in front (psycopg2 straight to PostgreSQL); MapServer's "
             "CPU includes nginx and its PostgreSQL backends, ST_AsMVT's its backends only. "
             "Detailed tile figures (per zoom, 1 and 8 connections, revalidation): `make bench-tiles`.",
    "WMS": "Layer `sites`, EPSG:2154, PNG, the same symbols (bench/mapserver/wms_sites.map copies "
           "styles/style.h). Neither server caches images.",
    "OGC API Features": "Collection `sites` as GeoJSON (MapServer: `f=json`). rbmap pages its in-memory "
                        "snapshot; MapServer runs SQL with OFFSET.",
}


def write(path, machine, quick, http_rows, script_areas, failures, command):
    summaries = http_summary(http_rows) + [s for a in script_areas for s in a["rows"]]
    out = ["# rbmap benchmark results", ""]
    if quick:
        out += ["**Quick run** (`make bench-quick`: 4,000 sites only, few requests): it checks the harness; "
                "its figures are indicative only, and were taken on a machine shared with other builds and "
                "tests (see the load average). The reference figures come from `make bench` on a quiet machine.",
                ""]
    out += [f"Written by `{command}`. Every figure: loopback, the load client on the same CPUs as the servers. "
            "Compare **CPU per request** (read from /proc for the serving processes, including the PostgreSQL "
            "backends they use) rather than wall-clock rates when the machine is shared. "
            "**rbmap advantage** = rbmap / peer for rates and peer / rbmap for costs: > 1 means rbmap is better.",
            "", "## Machine", ""] + machine_lines(machine) + ["", "## Summary", ""] + summary_table(summaries)
    if failures:
        out += ["", "## Not measured in this run", ""] + [f"- {f}" for f in failures]
    for area in ("tiles", "WMS", "OGC API Features"):
        rows = [r for r in http_rows if r["area"] == area]
        if rows:
            title = "Vector tiles" if area == "tiles" else area
            out += ["", f"## {title}", "", AREA_NOTES[area], ""] + http_table(rows)
            starts = [f"{r['dataset']} {r['start_s']:.1f} s" for r in rows if r.get("start_s")]
            if starts:
                out += ["", "rbmap start-up (until /health shows every site in memory): " + ", ".join(starts) + "."]
    for a in script_areas:
        out += ["", f"## {a['title']}", "", a["note"], "", f"Command: `{a['command']}` (its rows of the "
                "summary above are read from this output).", ""]
        if a["output"].strip():
            body = a["output"].strip()
            out += (["Its output:", ""] + (["```", body, "```"] if "|" not in body else [body]))
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
