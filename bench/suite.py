#!/usr/bin/python3
"""The benchmark suite behind `make bench` (bench/all.sh prepares, then runs this):
rbmap against its peers, area by area, on the benchmark databases, written as one
Markdown file (bench/RESULTS.md): the machine, a summary table, one section per area.

  vector tiles  rbmap | PostGIS ST_AsMVT | MapServer 8 MVT (FastCGI behind nginx)
  WMS GetMap    rbmap | MapServer 8 WMS (FastCGI behind nginx)
  OGC API       rbmap | MapServer 8 OGC API Features (FastCGI behind nginx)
  clusters      rbmap's index | supercluster (Node)      (bench/cluster_bench.sh)
  geocoder      rbmap | pg_trgm                          (bench/geocode_bench.py)
  exports       rbmap GET /export | ogr2ogr from PostGIS (bench/export_bench.py)

The HTTP areas go through one load client (bench/tileclient.c) with the same request
list for every server; the others are run through their own scripts' command lines.

  suite.py --demo CONNINFO --db4k CONNINFO [--db1m CONNINFO] --client TILECLIENT
           [--quick] [--areas tiles,wms,ogc,clusters,geocoder,exports] [--datasets 4k,1m]
           [--out bench/RESULTS.md] [--json FILE]
"""
import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import psycopg2  # noqa: E402

import suite_http  # noqa: E402
import suite_report  # noqa: E402
import suite_scripts  # noqa: E402
from suite_load import LoadClient  # noqa: E402

AREAS = ["tiles", "wms", "ogc", "clusters", "geocoder", "exports"]
# Request counts per dataset: every system gets the same list, each request once.
SIZES = {
    "quick": {"tiles_per_zoom": 8, "wms_requests": 24, "ogc_requests": 40, "seconds": 3},
    "4k": {"tiles_per_zoom": 30, "wms_requests": 96, "ogc_requests": 200, "seconds": 10},
    # At 1M a MapServer tile or national image takes seconds: fewer requests, same lists.
    # MapServer's OGC API runs COUNT(*) and ST_Extent over the whole collection for every
    # page: over a minute of PostgreSQL CPU per request at 1M, too long for the run.
    "1m": {"tiles_per_zoom": 2, "wms_requests": 12, "ogc_requests": 16, "seconds": 10, "ogc_mapserver": False,
           "skipped": ["OGC API Features at 1,000,000 sites: MapServer left out (each request runs COUNT(*) "
                       "and ST_Extent over the whole collection: over 100 s of PostgreSQL CPU for one page, "
                       "measured 2026-11-22); rbmap measured alone"]},
}


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def command_output(cmd):
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        return (p.stdout + p.stderr).strip()
    except (OSError, subprocess.TimeoutExpired):
        return "not found"


def sql_one(conninfo, query):
    try:
        with psycopg2.connect(conninfo) as c, c.cursor() as cur:
            cur.execute(query)
            v = cur.fetchone()[0]
        c.close()
        return v
    except psycopg2.Error as e:
        return f"unknown ({str(e).strip()[:80]})"


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def machine(demo):
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
               platform.processor() or "unknown")
    mem = next(int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal"))
    sc = os.path.join(ROOT, "tests", "js", "node_modules", "supercluster", "package.json")
    sc_version = re.search(r'"version":\s*"([^"]+)"', open(sc).read()).group(1) if os.path.exists(sc) else "missing"
    ms = command_output(["mapserv", "-v"])
    commit = command_output(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"])
    dirty = command_output(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"])
    return [
        ("CPU", f"{cpu}, {os.cpu_count()} logical CPUs"),
        ("RAM", f"{mem / 1024 / 1024:.1f} GiB"),
        ("kernel", platform.release()),
        ("rbmap", f"{commit}{' (with local changes)' if dirty else ''}, build/rbmap (release, -O2)"),
        ("PostgreSQL", sql_one(demo, "SHOW server_version")),
        ("PostGIS", sql_one(demo, "SELECT postgis_lib_version()")),
        ("MapServer", ms.split(" OUTPUT")[0]),
        ("nginx", command_output(["nginx", "-v"]).replace("nginx version: ", "")),
        ("spawn-fcgi", command_output(["spawn-fcgi", "-v"]).splitlines()[0]),
        ("Node", command_output(["node", "-v"])),
        ("supercluster", sc_version),
        ("pg_trgm", sql_one(demo, "SELECT default_version FROM pg_available_extensions WHERE name = 'pg_trgm'")),
    ]


def dataset(name, conninfo, sizes):
    sites = sql_one(conninfo, "SELECT count(*) FROM shantytowns")
    return dict(sizes, name=f"{name} ({sites:,} sites)" if isinstance(sites, int) else name, db=conninfo,
                sites=sites)


class Run:
    """What the run has measured so far; save() rewrites the report after every area, so
    that an interrupted run keeps what it measured."""

    def __init__(self, args):
        self.args = args
        self.rbmap, self.work = args.rbmap, args.work
        self.client = LoadClient(args.client, args.work)
        self.seconds = None
        self.http_rows, self.script_areas, self.failures, self.datasets = [], [], [], []
        self.skipped = []  # left out on purpose, said in the report
        self.t0, self.load_before = time.time(), loadavg()
        self.machine = machine(args.demo)

    def save(self, finished=False):
        args = self.args
        info = self.machine + [
            ("load average (1, 5, 15 min)", f"{self.load_before} before, {loadavg()} "
                                            f"{'after' if finished else 'at the last area (unfinished run)'}"),
            ("run", f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(self.t0))}, "
                    f"{(time.time() - self.t0) / 60:.1f} min{', quick' if args.quick else ''}"),
            ("databases", ", ".join(ds["name"] for ds in self.datasets)),
        ]
        command = "make bench-quick" if args.quick else "make bench"
        suite_report.write(args.out, info, args.quick, self.http_rows, self.script_areas,
                           self.failures + self.skipped, command)
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"machine": info, "http": self.http_rows, "scripts": self.script_areas,
                           "failures": self.failures}, f, indent=1)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--demo", required=True, help="conninfo of the demo database (geocoder, exports)")
    ap.add_argument("--db4k", required=True, help="conninfo of rbmap_bench_4k")
    ap.add_argument("--db1m", help="conninfo of rbmap_bench_1m (left out when absent)")
    ap.add_argument("--client", required=True, help="the compiled bench/tileclient.c")
    ap.add_argument("--rbmap", default=os.path.join(ROOT, "build", "rbmap"))
    ap.add_argument("--work", default=os.path.join(os.environ.get("TMPDIR", "/tmp"), "rbmap-suite"))
    ap.add_argument("--out", default=os.path.join(HERE, "RESULTS.md"))
    ap.add_argument("--json", help="also write the raw measurements there")
    ap.add_argument("--quick", action="store_true", help="4k only, few requests: checks the harness")
    ap.add_argument("--areas", default=",".join(AREAS))
    ap.add_argument("--datasets", default="4k,1m", help="which of the databases to measure")
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    areas = args.areas.split(",")
    run = Run(args)
    if "4k" in args.datasets.split(","):
        run.datasets.append(dataset("rbmap_bench_4k", args.db4k, SIZES["quick" if args.quick else "4k"]))
    if args.db1m and not args.quick and "1m" in args.datasets.split(","):
        run.datasets.append(dataset("rbmap_bench_1m", args.db1m, SIZES["1m"]))
    for ds in run.datasets:
        run.seconds = ds["seconds"]
        if "ogc" in areas:
            run.skipped += ds.get("skipped", [])
        for area, fn in (("tiles", suite_http.tiles_area), ("wms", suite_http.wms_area),
                         ("ogc", suite_http.ogc_area)):
            if area not in areas:
                continue
            t = time.time()
            try:
                run.http_rows += fn(ds, run)
            except Exception as e:  # noqa: BLE001 - one area failing must not lose the others
                log(f"suite: {area} on {ds['name']} failed: {e!r}")
                run.failures.append(f"{area} on {ds['name']}: {e}")
            log(f"suite: {area} on {ds['name']}: {time.time() - t:.0f} s")
            run.save()
    run_scripts(run, areas)
    run.save(finished=True)
    log(f"suite: wrote {args.out} in {(time.time() - run.t0) / 60:.1f} min")
    return 1 if run.failures else 0


def run_scripts(run, areas):
    """The areas measured by their own scripts, one after the other."""
    quick, demo = run.args.quick, run.args.demo
    sizes = [100000] if quick else [100000, 1000000]
    queries = 50 if quick else 200
    dbs = [re.search(r"dbname=(\S+)", ds["db"]).group(1) for ds in run.datasets]
    formats = "gpkg,fgb"  # a GeoJSON of 1M sites is past the largest response body
    scripts = [
        ("clusters", "Clusters", lambda: suite_scripts.clusters(sizes, 1200),
         "sh bench/cluster_bench.sh " + " ".join(map(str, sizes)),
         "Index build of rbmap's supercluster port (C) and supercluster (Node) on the same uniform random "
         "points; build wall and CPU seconds (rbmap's build uses a second thread on large levels, "
         "supercluster is single-threaded), bytes per point, the process's peak RSS, mean getTile."),
        ("geocoder", "Geocoder", lambda: suite_scripts.geocoder(demo, queries, 1800),
         f"RBMAP_BENCH_GEOCODE_QUERIES={queries} /usr/bin/python3 bench/geocode_bench.py \"$(sh scripts/pg.sh url)\"",
         "rbmap's geocoder over HTTP against pg_trgm similarity search on the same BAN addresses (psycopg2 "
         "straight to PostgreSQL, no HTTP): accuracy per kind of noise, latency, throughput with 2 clients."),
        ("exports", "Exports", lambda: suite_scripts.exports(demo, dbs, formats, 1800),
         f"/usr/bin/python3 bench/export_bench.py --dsn \"$(sh scripts/pg.sh url)\" --runs 1 --formats {formats} "
         + " ".join(f"--db {d}" for d in dbs),
         "A full export of `sites` from rbmap's memory (GET /export, national scope) against ogr2ogr reading "
         "the same columns from PostGIS. CPU seconds: rbmap's server process; ogr2ogr's own (without its "
         "PostgreSQL backend's share, which favours it)."),
    ]
    for area, title, measure, command, note in scripts:
        if area not in areas:
            continue
        t = time.time()
        rows, text, err = measure()
        run.script_areas.append({"title": title, "rows": rows, "output": text, "command": command, "note": note})
        if err:
            run.failures.append(f"{area}: {err}")
        log(f"suite: {area}: {time.time() - t:.0f} s")
        run.save()


if __name__ == "__main__":
    sys.exit(main())
