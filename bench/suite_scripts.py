"""The areas of the benchmark suite (bench/suite.py) measured by their own scripts, run
through their command lines and read back from what they print (other engineers change
these scripts: columns are found by their header, never by position):
  clusters  sh bench/cluster_bench.sh N...   (one JSON line per implementation and run)
  geocoder  bench/geocode_bench.py CONNINFO  (Markdown tables)
  exports   bench/export_bench.py --dsn ...  (a Markdown table)
Each returns summary rows: dicts with area, dataset, metric, rbmap, peer, peer_name,
better ("higher" or "lower"), plus the script's own output (for the area's section)."""
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PY = "/usr/bin/python3"


def run_script(cmd, env, timeout):
    """Runs one area script; returns (stdout, failure text or None)."""
    print(f"suite: {' '.join(cmd)}", file=sys.stderr, flush=True)
    try:
        p = subprocess.run(cmd, cwd=ROOT, env=dict(os.environ, **env), capture_output=True, text=True,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        return "", f"`{' '.join(cmd)}` did not finish in {timeout} s"
    sys.stderr.write(p.stderr[-2000:])
    if p.returncode != 0:
        return p.stdout, f"`{' '.join(cmd)}` exited with {p.returncode}: {p.stderr.strip()[-300:]}"
    return p.stdout, None


def markdown_tables(text):
    """Every Markdown table in text, as lists of {header: cell} dicts."""
    tables, header, rows = [], None, []
    for line in text.splitlines() + [""]:
        line = line.strip()
        if line.startswith("|") and line.endswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if header is None:
                header = cells
            elif not all(re.fullmatch(r":?-+:?", c) for c in cells if c):
                rows.append(dict(zip(header, cells)))
            continue
        if header is not None:
            tables.append(rows)
        header, rows = None, []
    return tables


def number(cell):
    """The first number of a cell ("1,234.5 / 2.0" -> 1234.5), or None."""
    m = re.search(r"-?\d[\d,]*(?:\.\d+)?", cell or "")
    return float(m.group(0).replace(",", "")) if m else None


def summary(area, dataset, metric, rbmap, peer, peer_name, better):
    return {"area": area, "dataset": dataset, "metric": metric, "rbmap": rbmap, "peer": peer,
            "peer_name": peer_name, "better": better}


def clusters(sizes, timeout):
    out, err = run_script(["sh", "bench/cluster_bench.sh"] + [str(n) for n in sizes], {}, timeout)
    runs = []
    for line in out.splitlines():
        if line.startswith("{"):
            try:
                runs.append(json.loads(line))
            except ValueError:
                pass
    rows = []
    for n in sizes:
        for agg in (False, True):
            by = {r.get("impl"): r for r in runs if r.get("points") == n and bool(r.get("aggregates")) == agg}
            rb, sc = by.get("rbmap"), by.get("supercluster")
            if not rb or not sc:
                continue
            what = f"{n:,} points" + (", with aggregates" if agg else "")
            rows.append(summary("clusters", what, "index build, wall s", rb.get("build_wall_s"),
                                sc.get("build_wall_s"), "supercluster (Node)", "lower"))
            rows.append(summary("clusters", what, "index build, CPU s", rb.get("build_cpu_s"),
                                sc.get("build_cpu_s"), "supercluster (Node)", "lower"))
            rows.append(summary("clusters", what, "bytes per point", rb.get("bytes_per_point"),
                                sc.get("bytes_per_point"), "supercluster (Node)", "lower"))
            rows.append(summary("clusters", what, "peak RSS, MB", rb.get("peak_rss_mb"), sc.get("peak_rss_mb"),
                                "supercluster (Node)", "lower"))
            rows.append(summary("clusters", what, "getTile, ms (mean over z0-z16)", rb.get("tile_ms"),
                                sc.get("tile_ms"), "supercluster (Node)", "lower"))
    detail = "\n".join(line for line in out.splitlines() if not line.startswith("{"))
    return rows, detail, err


def geocoder(demo_conninfo, queries, timeout):
    out, err = run_script([PY, "bench/geocode_bench.py", demo_conninfo],
                          {"RBMAP_BENCH_GEOCODE_QUERIES": str(queries)}, timeout)
    rows = []
    for table in markdown_tables(out):
        for r in table:
            kind = r.get("request")
            if kind and "rbmap p50 ms" in r:
                for metric, rb_col, pg_col, better in (
                        ("p50 latency, ms", "rbmap p50 ms", "pg_trgm p50 ms", "lower"),
                        ("p99 latency, ms", "rbmap p99 ms", "pg_trgm p99 ms", "lower"),
                        ("requests/s, 2 clients", next((k for k in r if k.startswith("rbmap req/s")), ""),
                         "pg_trgm req/s", "higher")):
                    rows.append(summary("geocoder", kind, metric, number(r.get(rb_col)), number(r.get(pg_col)),
                                        "pg_trgm", better))
            noise = r.get("noise")
            if noise and "rbmap top-1" in r:
                rows.append(summary("geocoder", noise, "top-1 accuracy, %", number(r["rbmap top-1"]),
                                    number(r.get("pg_trgm top-1")), "pg_trgm", "higher"))
    return rows, out, err


def exports(demo_conninfo, databases, formats, timeout):
    cmd = [PY, "bench/export_bench.py", "--dsn", demo_conninfo, "--runs", "1", "--formats", formats]
    for db in databases:
        cmd += ["--db", db]
    out, err = run_script(cmd, {}, timeout)
    rows = []
    for table in markdown_tables(out):
        for r in table:
            http_col = next((k for k in r if k.startswith("GET /export")), None)
            ogr_col = next((k for k in r if k.startswith("ogr2ogr")), None)
            if not http_col or not ogr_col:
                continue
            # "wall / CPU" seconds: the CPU figure is the one that survives a loaded machine.
            rb_cpu = number(r[http_col].split("/")[-1])
            ogr_cpu = number(r[ogr_col].split("/")[-1])
            rows.append(summary("exports", f"{r.get('database')}, {r.get('format')}", "full export, CPU s",
                                rb_cpu, ogr_cpu, "ogr2ogr from PostGIS", "lower"))
    return rows, out, err
