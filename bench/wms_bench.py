#!/usr/bin/python3
"""WMS GetMap throughput: rbmap against MapServer 8 (FastCGI) on the same database.

Both draw the `sites` layer with the same symbols (bench/mapserver/wms_sites.map copies
styles/style.h) as PNG, at 256x256 and 1024x768, at three scales around Paris and
Seine-Saint-Denis (national, département, commune), each request a slightly shifted
BBOX so nothing is answered from a cache. rbmap answers without credentials in the
national scope (default_scope = national, as the demo), so both draw every site.

Two numbers per case: requests per second of wall time (what a client sees on this
machine, shared with others) and requests per CPU second of the server (its processes
and, for MapServer, its PostgreSQL backends), which moves less with the machine's
load. The ratio column is rbmap / MapServer on the CPU figure.

PNG flavours compared: both answer 8-bit RGBA PNG (colour type 6), lossless, no
interlace. MapServer: AGG/PNG, IMAGEMODE RGBA, zlib level 2 (bench/mapserver/
wms_sites.map); rbmap: its own deflate stream (runs as back-references, no entropy
coding, wms/png_deflate.h). The mean PNG size of each side is printed, and the
pixels are compared blob by blob in tests/integration/test_wms_clients.py.

  /usr/bin/python3 bench/wms_bench.py --db "$(sh scripts/pg.sh url)" [--seconds 5] [--quick]
"""
import argparse
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tiles_bench import CpuMeter, FcgiConnection, cpu_seconds, free_port  # noqa: E402

import psycopg2  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
# Centre (Lambert-93) and width in metres of each scale.
SCALES = [("national", (675000, 6585000), 1200000), ("département", (657000, 6868000), 25000),
          ("commune", (652000, 6871000), 5000)]
SIZES = [(256, 256), (1024, 768)]


def boxes(centre, width, size, n=64, seed=1):
    rnd = random.Random(seed)
    w, h = size
    height = width * h / w
    out = []
    for _ in range(n):
        dx, dy = rnd.uniform(-0.05, 0.05) * width, rnd.uniform(-0.05, 0.05) * height
        cx, cy = centre[0] + dx, centre[1] + dy
        out.append(f"{cx - width / 2:.2f},{cy - height / 2:.2f},{cx + width / 2:.2f},{cy + height / 2:.2f}")
    return out


def query(bbox, size):
    return (f"SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=sites&STYLES=&CRS=EPSG:2154&BBOX={bbox}"
            f"&WIDTH={size[0]}&HEIGHT={size[1]}&FORMAT=image/png&TRANSPARENT=TRUE")


def run_for(seconds, concurrency, one):
    """Calls one(state, i) from `concurrency` threads for `seconds`; returns (count, wall,
    mean bytes of the answers the calls recorded in state)."""
    stop = time.perf_counter() + seconds
    counts = [0] * concurrency
    sizes = []
    errors = []

    def worker(k):
        state = {}
        i = k
        while time.perf_counter() < stop and not errors:
            try:
                one(state, i)
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(e)
                return
            counts[k] += 1
            i += concurrency
        if state.get("close"):
            state["close"]()
        sizes.append((state.get("bytes", 0), state.get("n", 0)))

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    answered = sum(n for _, n in sizes)
    return sum(counts), time.perf_counter() - t0, sum(b for b, _ in sizes) / answered if answered else 0


class Rbmap:
    def __init__(self, binary, db, workdir):
        conf = os.path.join(workdir, "rbmap.conf")
        with open(conf, "w") as f:
            f.write("default_scope = national\naccess_log = off\n")
        self.port = free_port()
        self.log = open(os.path.join(workdir, "rbmap.log"), "w")
        self.proc = subprocess.Popen([binary, "serve", "--listen", f"127.0.0.1:{self.port}", "--db", db,
                                      "--config", conf], stdout=self.log, stderr=subprocess.STDOUT)
        # Wait for the background load of the boundaries too: its CPU would be counted.
        deadline = time.time() + 300
        while time.time() < deadline:
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                c.request("GET", "/health")
                r = c.getresponse()
                if r.status == 200 and json.loads(r.read()).get("layers", {}).get("boundaries_loaded"):
                    return
            except (OSError, ValueError):
                pass
            time.sleep(0.3)
        raise RuntimeError("rbmap did not start")

    def pids(self):
        return [self.proc.pid]

    def one(self, qs):
        def call(state, i):
            c = state.get("conn")
            if c is None:
                c = state["conn"] = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                state["close"] = c.close
            c.request("GET", "/wms?" + qs[i % len(qs)])
            r = c.getresponse()
            body = r.read()
            if r.status != 200 or not body.startswith(b"\x89PNG"):
                raise RuntimeError(f"rbmap answered {r.status}: {body[:200]!r}")
            state["bytes"] = state.get("bytes", 0) + len(body)
            state["n"] = state.get("n", 0) + 1
        return call

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.log.close()


class MapServer:
    """mapserv as FastCGI processes on one socket (what spawn-fcgi sets up), each keeping
    its PostgreSQL connection (PROCESSING CLOSE_CONNECTION=DEFER)."""

    def __init__(self, db, workdir, nprocs):
        self.app = "rbmap_wms_bench_mapserver"
        self.db = db
        self.mapfile = os.path.join(workdir, "wms_sites.map")
        with open(os.path.join(HERE, "mapserver", "wms_sites.map")) as f:
            text = f.read().replace("@CONNECTION@", f"{db} application_name={self.app}")
        with open(self.mapfile, "w") as f:
            f.write(text)
        conf = os.path.join(workdir, "mapserver.conf")
        with open(conf, "w") as f:
            f.write(f'CONFIG\n  ENV\n    MS_MAP_PATTERN "^{workdir}/wms_sites\\.map$"\n  END\nEND\n')
        self.sock_path = os.path.join(workdir, "mapserv.sock")
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(self.sock_path)
        self.listener.listen(64)
        env = dict(os.environ, MAPSERVER_CONFIG_FILE=conf)
        self.procs = [subprocess.Popen(["mapserv"], stdin=self.listener.fileno(), stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL, env=env) for _ in range(nprocs)]

    def pids(self):
        out = [p.pid for p in self.procs]
        with psycopg2.connect(self.db) as c, c.cursor() as cur:
            cur.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s", (self.app,))
            out += [r[0] for r in cur.fetchall()]
        c.close()
        return out

    def one(self, qs):
        def call(state, i):
            c = state.get("conn")
            if c is None:
                c = state["conn"] = FcgiConnection(self.sock_path)
                state["close"] = c.close
            params = {"REQUEST_METHOD": "GET", "SCRIPT_NAME": "/mapserv", "SERVER_NAME": "127.0.0.1",
                      "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1", "GATEWAY_INTERFACE": "CGI/1.1",
                      "QUERY_STRING": f"map={self.mapfile}&" + qs[i % len(qs)]}
            status, body = c.get(params)
            if status != 200 or not body.startswith(b"\x89PNG"):
                raise RuntimeError(f"MapServer answered {status}: {body[:300]!r}")
            state["bytes"] = state.get("bytes", 0) + len(body)
            state["n"] = state.get("n", 0) + 1
        return call

    def stop(self):
        for p in self.procs:
            p.kill()
            p.wait()
        self.listener.close()


def measure(server, qs, seconds, concurrency):
    run_for(min(1.0, seconds), concurrency, server.one(qs))  # warm: connections, caches, fonts
    meter = CpuMeter(server.pids)
    meter.start()
    n, wall, size = run_for(seconds, concurrency, server.one(qs))
    cpu = meter.stop()
    return n / wall, n / cpu if cpu > 0 else float("inf"), size


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", required=True)
    ap.add_argument("--rbmap", default=os.path.join(ROOT, "build", "rbmap"))
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--concurrency", type=int, default=2)
    ap.add_argument("--mapserver-procs", type=int, default=4)
    ap.add_argument("--quick", action="store_true", help="1 s per case (a smoke run, noisy figures)")
    args = ap.parse_args()
    if args.quick:
        args.seconds = 1
    workdir = tempfile.mkdtemp(prefix="rbmap-wms-bench-")
    rb = Rbmap(args.rbmap, args.db, workdir)
    ms = MapServer(args.db, workdir, args.mapserver_procs)
    rows = []
    try:
        for scale, centre, width in SCALES:
            for size in SIZES:
                qs = [query(b, size) for b in boxes(centre, width, size)]
                r_wall, r_cpu, r_size = measure(rb, qs, args.seconds, args.concurrency)
                m_wall, m_cpu, m_size = measure(ms, qs, args.seconds, args.concurrency)
                rows.append((scale, f"{size[0]}x{size[1]}", r_wall, r_cpu, m_wall, m_cpu, r_size, m_size))
                print(f"  {scale:12} {size[0]}x{size[1]}: rbmap {r_wall:7.1f}/s ({r_cpu:7.1f}/cpu-s), "
                      f"MapServer {m_wall:7.1f}/s ({m_cpu:7.1f}/cpu-s)", file=sys.stderr, flush=True)
    finally:
        ms.stop()
        rb.stop()
    load = os.getloadavg()[0]
    print(f"\nWMS GetMap PNG, layer sites, {args.concurrency} clients, {args.seconds:g} s per case, "
          f"load average {load:.1f} on {os.cpu_count()} CPUs")
    print("| scale | size | rbmap req/s | rbmap req/CPU-s | MapServer req/s | MapServer req/CPU-s | ratio (CPU) | "
          "ratio (wall) | rbmap PNG KB | MapServer PNG KB |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for scale, size, r_wall, r_cpu, m_wall, m_cpu, r_size, m_size in rows:
        print(f"| {scale} | {size} | {r_wall:.1f} | {r_cpu:.1f} | {m_wall:.1f} | {m_cpu:.1f} | "
              f"{r_cpu / m_cpu:.1f}x | {r_wall / m_wall:.1f}x | {r_size / 1024:.0f} | {m_size / 1024:.0f} |")


if __name__ == "__main__":
    main()
