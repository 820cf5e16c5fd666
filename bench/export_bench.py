#!/usr/bin/python3
"""Full exports of `sites`: rbmap's GET /export/sites.{fmt} (national scope, from memory)
and `rbmap export` (database to file) against `ogr2ogr` reading the same columns from
PostGIS, on the same database. Prints a markdown table of seconds and sites per second
(best of --runs). Speed is only measured here, never asserted in tests.

  /usr/bin/python3 bench/export_bench.py --dsn "$(sh scripts/pg.sh url)" [--db rbmap_bench_1m]
"""
import argparse
import os
import resource
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request

DRIVER = {"gpkg": "GPKG", "fgb": "FlatGeobuf", "csv": "CSV", "geojson": "GeoJSON", "shp.zip": "ESRI Shapefile"}
# The columns rbmap writes (db/feature_props.h), read by ogr2ogr the way a hand-made
# export would: one SQL query over the platform's tables.
SQL = """SELECT s.shantytown_id AS id, s.name, s.status,
  (s.status <> 'open' AND s.closed_with_solutions = 'yes') AS resorbed, f.label AS field_type,
  '#' || f.color AS color, s.fk_field_type AS field_type_id, s.population_total AS population,
  s.built_at, s.declared_at, s.closed_at::date AS closed_at, s.fk_city AS city_code,
  c.name AS city_name, c.fk_departement AS departement, s.geom
  FROM shantytowns s JOIN cities c ON c.code = s.fk_city JOIN field_types f ON f.field_type_id = s.fk_field_type
  ORDER BY s.shantytown_id"""


def with_db(dsn, db):
    return " ".join(p for p in dsn.split() if not p.startswith("dbname=")) + f" dbname={db}"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_cpu(pid):
    """CPU seconds (user + system) a process has used so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def best(runs, fn, cpu):
    """Best wall time and best CPU time of `runs` calls; cpu() reads the CPU counter that
    matters (the server's, or this script's children's). The machine may be shared: CPU
    seconds say what the work costs, wall seconds what a user waits."""
    walls, cpus = [], []
    for _ in range(runs):
        c, t = cpu(), time.perf_counter()
        out = fn()
        walls.append(time.perf_counter() - t)
        cpus.append(cpu() - c)
    return min(walls), min(cpus), out


def bench_db(args, dsn, work):
    conf = os.path.join(work, "rbmap.conf")
    with open(conf, "w") as f:
        f.write(f"jwt_secret = {secrets.token_hex(32)}\njwt_audience = rbmap\nexport_max_features = 5000000\n")
    port = free_port()
    log = open(os.path.join(work, "serve.log"), "w")
    proc = subprocess.Popen([args.rbmap, "serve", "--listen", f"127.0.0.1:{port}", "--db", dsn, "--config", conf],
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        token = subprocess.run([args.rbmap, "token", "--config", conf, "--scope", "national"], check=True,
                               capture_output=True, text=True).stdout.strip()
        deadline = time.time() + 600
        while True:  # /health answers once the sites are in memory
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5).read()
                break
            except OSError:
                if time.time() > deadline or proc.poll() is not None:
                    raise SystemExit("rbmap serve did not start; see " + log.name)
                time.sleep(0.5)
        for fmt in args.formats.split(","):
            def http():
                req = urllib.request.Request(f"http://127.0.0.1:{port}/export/sites.{fmt}",
                                             headers={"Authorization": f"Bearer {token}"})
                with urllib.request.urlopen(req, timeout=3600) as r:
                    return int(r.headers["X-Feature-Count"]), len(r.read())
            t_http, c_http, (count, size) = best(args.runs, http, lambda: proc_cpu(proc.pid))
            out = os.path.join(work, f"cli.{fmt}")

            def cli():
                subprocess.run([args.rbmap, "export", "--db", dsn, "--output", out, "--force",
                                "--max-features", "5000000"], check=True, capture_output=True)
            t_cli, c_cli, _ = best(args.runs, cli, children_cpu)
            ogr_out = os.path.join(work, f"ogr.{fmt.replace('.zip', '')}")

            def ogr():
                if os.path.exists(ogr_out):
                    shutil.rmtree(ogr_out) if os.path.isdir(ogr_out) else os.remove(ogr_out)
                subprocess.run(["ogr2ogr", "-f", DRIVER[fmt], "-nln", "sites", ogr_out,
                                f"PG:{dsn}", "-sql", SQL], check=True, capture_output=True)
            t_ogr, c_ogr, _ = best(args.runs, ogr, children_cpu)
            yield fmt, count, (t_http, c_http), (t_cli, c_cli), (t_ogr, c_ogr), size
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dsn", required=True, help="conninfo of the demo cluster")
    ap.add_argument("--db", action="append", help="database(s) on that cluster (default: rbmap)")
    ap.add_argument("--formats", default="gpkg,fgb,csv,geojson")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--rbmap", default=os.path.join(os.path.dirname(__file__), "..", "build", "rbmap"))
    args = ap.parse_args()
    print("Seconds as wall / CPU (ogr2ogr's CPU leaves out PostgreSQL's share; rbmap export's includes "
          "loading the sites from PostgreSQL). sites/s from wall time.\n")
    print("| database | format | sites | GET /export s | sites/s | rbmap export s | ogr2ogr from PostGIS s "
          "| sites/s | file MB |")
    print("|---|---|---|---|---|---|---|---|---|")
    for db in args.db or ["rbmap"]:
        with tempfile.TemporaryDirectory(prefix="rbmap-export-bench-") as work:
            for fmt, n, http, cli, ogr, size in bench_db(args, with_db(args.dsn, db), work):
                print(f"| {db} | {fmt} | {n:,} | {http[0]:.2f} / {http[1]:.2f} | {n / http[0]:,.0f} "
                      f"| {cli[0]:.2f} / {cli[1]:.2f} | {ogr[0]:.2f} / {ogr[1]:.2f} | {n / ogr[0]:,.0f} "
                      f"| {size / 1e6:.1f} |", flush=True)


if __name__ == "__main__":
    main()
