#!/usr/bin/python3
"""The geocoder at the scale of France: generates N synthetic BAN addresses
(bench/ban_synth.py), builds the index with `rbmap import-ban` (CPU time and peak memory
from /usr/bin/time), then measures search, autocomplete and reverse latency as CPU time
per call without HTTP (bench/geocode_latency.c), and the server's memory after start and
under queries over HTTP (RSS from /proc). CPU times, not wall times: the machine is
shared. Prints a Markdown table. Files go to --dir (default var/bench), removed unless
--keep.

usage: bench/geocode_scale.py DEMO_CONNINFO [--addresses N] [--queries Q] [--dir DIR] [--keep]
       (--quick: 260,000 addresses, 500 queries; the issue's France is --addresses 26000000)
"""
import argparse
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from geocode_bench import Rbmap, start_server  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "build", "rbmap")
LAT = os.path.join(ROOT, "build", "bench", "geocode_latency")


def status_kb(pid, key):
    with open(f"/proc/{pid}/status") as f:
        return int(next(line for line in f if line.startswith(key + ":")).split()[1])


def cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(cmd, **kw):
    """Runs cmd under /usr/bin/time: (user + system CPU seconds, peak RSS MB)."""
    r = subprocess.run(["/usr/bin/time", "-f", "TIME %U %S %M"] + cmd, check=True, capture_output=True, text=True, **kw)
    u, s, m = next(line for line in r.stderr.splitlines() if line.startswith("TIME ")).split()[1:]
    return float(u) + float(s), int(m) / 1024


def serve(demo, idx, queries):
    """Server RSS after start and after the queries over HTTP; its start CPU time."""
    port = 19000 + os.getpid() % 1000
    server = start_server(demo, idx, port)
    try:
        start = (cpu_s(server.pid), status_kb(server.pid, "VmRSS") / 1024)
        rb = Rbmap(port)
        for kind, _, q, lon, lat in queries:
            if kind == "reverse":
                rb.reverse(lon, lat)
            else:
                rb.search(q, autocomplete=int(kind == "autocomplete"))
        loaded = (status_kb(server.pid, "VmRSS") / 1024, status_kb(server.pid, "RssFile") / 1024)
    finally:
        server.terminate()
        server.wait()
    return start, loaded


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("demo")
    ap.add_argument("--addresses", type=int, default=2600000)
    ap.add_argument("--queries", type=int, default=2000)
    ap.add_argument("--dir", default=os.path.join(ROOT, "var", "bench"))
    ap.add_argument("--keep", action="store_true", help="keep the CSV and the index")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    if args.quick:
        args.addresses, args.queries = 260000, 500
    os.makedirs(args.dir, exist_ok=True)
    os.makedirs(os.path.dirname(LAT), exist_ok=True)
    subprocess.run(["cc", "-std=c11", "-D_GNU_SOURCE", "-O2", "-I", ROOT, f"{ROOT}/bench/geocode_latency.c"] +
                   [f"{ROOT}/geo/geocode_{m}.c" for m in ("index", "search", "score", "text", "phon")] +
                   ["-lm", "-o", LAT], check=True)
    csv = os.path.join(args.dir, f"synth-{args.addresses}.csv")
    idx, tsv = csv[:-4] + ".idx", csv[:-4] + ".tsv"
    if not os.path.exists(csv):
        timed([sys.executable, f"{ROOT}/bench/ban_synth.py", "--addresses", str(args.addresses), "--output", csv])
    build_cpu, build_peak = timed([BIN, "import-ban", "--output", idx, csv])
    with open(tsv, "w") as f:
        subprocess.run([sys.executable, f"{ROOT}/bench/geocode_queries.py", "--csv", csv, "--queries",
                        str(args.queries)], stdout=f, check=True)
    lat = subprocess.run([LAT, idx, tsv], check=True, capture_output=True, text=True).stdout
    with open(tsv) as f:
        queries = [line.rstrip("\n").split("\t") for line in f]
    (start_cpu, start_rss), (rss, rss_file) = serve(args.demo, idx, queries)
    size = os.path.getsize(idx) / 1e6
    m = args.addresses / 1e6
    print(f"\n{args.addresses:,} synthetic addresses, {args.queries} addresses queried, "
          f"load average {os.getloadavg()[0]:.1f}\n")
    print(lat)
    print("| build CPU s | build peak MB | index MB | MB per million addresses | server start CPU s "
          "| RSS after start MB | RSS after queries MB (file-backed: the index, the binary) |\n|---:|---:|---:|---:|---:|---:|---:|")
    print(f"| {build_cpu:.1f} | {build_peak:.0f} | {size:.0f} | {size / m:.0f} | {start_cpu:.2f} | {start_rss:.0f} "
          f"| {rss:.0f} ({rss_file:.0f}) |")
    if not args.keep:
        for path in (csv, idx, tsv):
            os.remove(path)


if __name__ == "__main__":
    main()
