#!/usr/bin/python3
"""Vector-tile benchmark: rbmap side by side with PostGIS ST_AsMVT (the per-query
approach of Martin and pg_tileserv) and MapServer 8's MVT output, on the same tables,
over the same deterministic tile list (bench/tile_list.py, z0-z16 over France).

Every dataset is a JSON object given with --dataset:
  {"name": "4k", "db": CONNINFO, "runs": 3, "per_zoom": 30,
   "peer_per_zoom": 0, "peer_second_pass": true, "mapserver_c8": true}
`peer_per_zoom` > 0 gives the peers only that many tiles per zoom (a fixed random
sample of the list; at 1,000,000 sites a MapServer tile takes seconds); ratios are then
taken against rbmap on exactly the same tiles.

Per run:
  rbmap      two fresh `rbmap serve` (started together; empty tile caches). Server A:
             the list once with one keep-alive connection (cold: every tile rendered),
             the list again (warm: cache hits), cached throughput in short interleaved
             slices (raw with 1 and 8 connections, gzip, 304 revalidations) and an HTTP
             floor (a 404 on the same server, 8 connections), then the `clusters` layer
             over the same list. Server B: the peers' tiles once over 8 connections
             (uncached throughput), then the other tiles of the list.
  ST_AsMVT   the canonical query (tiles-and-clusters.md §4) as a prepared statement,
             one psycopg2 connection per client thread: a first pass on fresh
             connections, a second pass, and a pass over 8 connections.
  MapServer  `mapserv` 8.0 as 8 FastCGI processes on one socket, each keeping its
             PostgreSQL connection (PROCESSING "CLOSE_CONNECTION=DEFER"): first pass,
             second pass, 8 connections.
Latencies are client-side (request sent -> last byte read), loopback only. Every pass
also reads the CPU time the server spent (/proc: rbmap; the PostgreSQL backends for
ST_AsMVT; mapserv and its backends for MapServer): CPU per tile barely moves when other
processes load the machine, wall-clock figures do. Figures are medians over the runs.
Ratios are rbmap against the peer, > 1 meaning rbmap is better.
"""
import argparse
import json
import os
import random
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tile_list import tile_list  # noqa: E402

import psycopg2  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
LIMIT_FEATURES = 50000  # pg_tileserv's default per-tile feature limit, used for both peers
MAX_TILE_BYTES = 500 * 1024
CLK_TCK = os.sysconf("SC_CLK_TCK")

# The properties of rbmap's `sites` layer (tiles/render.c encode_site), computed in SQL.
SITE_COLUMNS = """
    s.shantytown_id AS id, nullif(s.name, '') AS name, s.status,
    (s.status <> 'open' AND s.closed_with_solutions = 'yes') AS resorbed,
    ft.label AS field_type, '#' || left(ft.color, 6) AS color, s.fk_field_type AS field_type_id,
    s.population_total AS population,
    CASE WHEN s.water_access_type IS NULL OR s.water_access_type = 'inconnu' THEN 'unknown'
         WHEN s.water_access_type = 'robinet_connecte_au_reseau' AND s.water_access_is_continuous IS TRUE
          AND s.water_access_is_unequal IS NOT TRUE AND s.water_access_has_stagnant_water IS NOT TRUE THEN 'good'
         WHEN s.water_access_type IN ('achat_bouteille', 'autre') THEN 'bad' ELSE 'toImprove' END AS water,
    to_char(s.built_at, 'YYYY-MM-DD') AS built_at, to_char(s.declared_at, 'YYYY-MM-DD') AS declared_at,
    to_char((s.closed_at AT TIME ZONE 'Europe/Paris')::date, 'YYYY-MM-DD') AS closed_at,
    c.code AS city_code, c.name AS city_name, c.fk_departement AS departement"""
SITE_FROM = """
    FROM shantytowns s JOIN cities c ON c.code = s.fk_city
    LEFT JOIN field_types ft ON ft.field_type_id = s.fk_field_type"""

# The canonical per-tile query of Martin and the PostGIS docs: transform the tile box,
# not the column, so the GiST index on geom serves the && test.
ST_ASMVT_SQL = f"""
PREPARE rbmap_bench_tile(int, int, int) AS
SELECT ST_AsMVT(t, 'sites', 4096, 'geom', 'fid') FROM (
  SELECT s.shantytown_id AS fid, {SITE_COLUMNS},
         ST_AsMVTGeom(ST_Transform(s.geom, 3857), ST_TileEnvelope($1, $2, $3), 4096, 64, true) AS geom
  {SITE_FROM}
  WHERE s.geom && ST_Transform(ST_TileEnvelope($1, $2, $3, margin => 64.0 / 4096), 4326)
  LIMIT {LIMIT_FEATURES}) t"""


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def pct(values, p):
    """Nearest-rank percentile."""
    v = sorted(x for x in values if x is not None)
    if not v:
        return float("nan")
    k = max(0, min(len(v) - 1, int(-(-p * len(v) // 100)) - 1))
    return v[k]


def med(vals):
    vals = [v for v in vals if v is not None and v == v]
    return statistics.median(vals) if vals else float("nan")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def cpu_seconds(pids):
    """utime + stime of the given processes (all their threads), in seconds."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total / CLK_TCK


class CpuMeter:
    """CPU spent by a changing set of processes between start() and stop()."""

    def __init__(self, pids_fn):
        self.pids_fn = pids_fn

    def start(self):
        self.before = {p: cpu_seconds([p]) for p in self.pids_fn()}

    def stop(self):
        return sum(cpu_seconds([p]) - self.before.get(p, 0.0) for p in self.pids_fn())


def mvt_feature_count(data):
    """Features in an MVT (all layers), reading only the protobuf framing."""

    def varint(b, i):
        shift = result = 0
        while True:
            c = b[i]
            i += 1
            result |= (c & 0x7F) << shift
            if c < 0x80:
                return result, i
            shift += 7

    def fields(b, start, end):
        i = start
        while i < end:
            key, i = varint(b, i)
            wt = key & 7
            if wt == 0:
                _, i = varint(b, i)
                yield key >> 3, None, None
            elif wt == 2:
                n, i = varint(b, i)
                yield key >> 3, i, i + n
                i += n
            elif wt == 5:
                i += 4
            elif wt == 1:
                i += 8
            else:
                raise ValueError("bad wire type")

    count = 0
    for f, s, e in fields(data, 0, len(data)):
        if f == 3 and s is not None:
            count += sum(1 for g, _, _ in fields(data, s, e) if g == 2)
    return count


class PassResult:
    """One pass over (part of) the list: per tile ms, bytes, status; wall and CPU time.
    Arrays are indexed like the dataset's tile list; None where the tile was not asked."""

    def __init__(self, n):
        self.ms = [None] * n
        self.bytes = [None] * n
        self.status = [None] * n
        self.features = [None] * n
        self.elapsed = 0.0
        self.cpu = None
        self.requests = 0
        self.errors = 0

    def tput(self):
        return self.requests / self.elapsed if self.elapsed > 0 else float("nan")

    def to_json(self):
        return dict(self.__dict__)


def pass_over(order, n, run_one, concurrency, stop_event=None):
    """Runs run_one(i) -> (ms, bytes, status, features) for every index of `order`, with
    `concurrency` threads taking them in turn."""
    res = PassResult(n)
    lock = threading.Lock()
    it = iter(order)
    failure = []

    def worker(state):
        while True:
            with lock:
                i = next(it, None)
            if i is None or failure:
                return
            try:
                ms, nbytes, status, feats = run_one(i, state)
            except Exception as e:  # noqa: BLE001 - reported, the pass is redone
                failure.append(e)
                return
            res.ms[i], res.bytes[i], res.status[i], res.features[i] = ms, nbytes, status, feats
            if status != 200 and status != 204:
                with lock:
                    res.errors += 1

    states = [dict(k=k) for k in range(concurrency)]
    threads = [threading.Thread(target=worker, args=(st,)) for st in states]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    res.elapsed = time.perf_counter() - t0
    res.requests = len(order)
    if failure:
        raise failure[0]
    return res


# ---------------------------------------------------------------------------- rbmap


class Rbmap:
    def __init__(self, binary, client, conninfo, sites, workdir, tag):
        self.binary, self.client, self.conninfo, self.sites = binary, client, conninfo, sites
        self.workdir, self.tag = workdir, tag
        self.proc = None
        self.config = os.path.join(workdir, "rbmap-bench.conf")
        with open(self.config, "w") as f:
            # No access log on the hot path; migrations were applied when the database
            # was made; the periodic reconcile (a checksum query over the whole table)
            # is pushed out of the measurement window. Everything else is the default
            # (8 threads, 8 database connections, 256 MB tile cache).
            f.write("access_log = off\nmigrate = no\nreconcile_interval_s = 3600\ndefault_scope = national\n")

    def launch(self):
        self.port = free_port()
        env = dict(os.environ, RBMAP_DEFAULT_SCOPE="national")
        self.logf = open(os.path.join(self.workdir, f"rbmap-serve-{self.tag}.log"), "ab")
        self.t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            [self.binary, "serve", "--listen", f"127.0.0.1:{self.port}", "--db", self.conninfo,
             "--config", self.config],
            env=env, stdout=self.logf, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout=900):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"rbmap serve exited with {self.proc.returncode}; see {self.logf.name}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=5) as r:
                    layers = json.load(r).get("layers", {})
                if layers.get("listening") and layers.get("sites_in_memory") == self.sites:
                    self.start_s = time.perf_counter() - self.t0
                    return
            except (OSError, ValueError):
                pass
            time.sleep(0.25)
        raise RuntimeError(f"rbmap serve did not load its {self.sites} sites in {timeout} s")

    def settle(self, timeout=120):
        """Waits until the server stops working in the background after start-up (it
        keeps loading boundaries for a few seconds after /health says ready)."""
        deadline = time.time() + timeout
        quiet = 0
        last = cpu_seconds([self.proc.pid])
        while time.time() < deadline and quiet < 2:
            time.sleep(0.5)
            now = cpu_seconds([self.proc.pid])
            quiet = quiet + 1 if now - last < 0.03 else 0
            last = now
        # The sites layer builds its per-snapshot structures (thinning index, interned
        # properties) on the first tile that needs them; that happens once per data
        # version, like loading the sites, so it is timed here apart from the tiles: a
        # filtered tile, whose cache key no tile of the list shares.
        t0 = time.perf_counter()
        urllib.request.urlopen(f"http://127.0.0.1:{self.port}/tiles/sites/0/0/0.mvt?status=open", timeout=600).read()
        self.index_s = time.perf_counter() - t0

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        self.logf.close()

    def client_run(self, paths, concurrency, seconds=None, headers=(), revalidate=False):
        """Runs bench/tileclient; returns (lines of index status bytes usec, elapsed, count, failed, cpu)."""
        pf = os.path.join(self.workdir, f"paths-{self.tag}.txt")
        with open(pf, "w") as f:
            f.write("\n".join(paths) + "\n")
        cmd = [self.client, "-c", str(concurrency)]
        if seconds:
            cmd += ["-s", str(seconds)]
        for h in headers:
            cmd += ["-H", h]
        if revalidate:
            cmd += ["-E"]
        cmd += ["127.0.0.1", str(self.port), pf]
        meter = CpuMeter(lambda: [self.proc.pid])
        meter.start()
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        cpu = meter.stop()
        rows, summary = [], None
        for line in out.splitlines():
            if line.startswith("#"):
                summary = line.split()
            else:
                rows.append(tuple(int(v) for v in line.split()))
        return rows, float(summary[2]) / 1e6, int(summary[4]), int(summary[6]), cpu

    def tile_pass(self, tiles, order, concurrency, layer="sites"):
        paths = [f"/tiles/{layer}/{tiles[i][0]}/{tiles[i][1]}/{tiles[i][2]}.mvt" for i in order]
        rows, elapsed, count, failed, cpu = self.client_run(paths, concurrency)
        res = PassResult(len(tiles))
        for k, status, nbytes, usec in rows:
            i = order[k]
            res.ms[i], res.bytes[i], res.status[i] = usec / 1000.0, nbytes, status
            if status not in (200, 204):
                res.errors += 1
        res.elapsed, res.requests, res.cpu = elapsed, count, cpu
        res.errors += failed
        return res

    def throughput(self, paths, concurrency, seconds, headers=(), revalidate=False):
        rows, elapsed, count, failed, cpu = self.client_run(paths, concurrency, seconds, headers, revalidate)
        bad = sum(1 for r in rows if r[1] not in (200, 204, 304, 404)) + failed
        return {"tput": count / elapsed, "cpu_us": cpu / max(count, 1) * 1e6, "errors": bad,
                "mbps": sum(r[2] for r in rows) / elapsed / 1e6,
                "share304": sum(1 for r in rows if r[1] == 304) / max(len(rows), 1)}

    def fetch(self, z, x, y, layer="sites"):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/tiles/{layer}/{z}/{x}/{y}.mvt") as r:
            return r.read()


# ---------------------------------------------------------------------------- ST_AsMVT


class StAsMvt:
    APP = "rbmap_bench_st_asmvt"

    def __init__(self, conninfo):
        self.conninfo = conninfo
        self.conns, self.pids = [], []

    def start(self, n):
        self.stop()
        for _ in range(n):
            c = psycopg2.connect(self.conninfo, application_name=self.APP)
            c.autocommit = True
            with c.cursor() as cur:
                cur.execute(ST_ASMVT_SQL)
                cur.execute("SELECT pg_backend_pid()")
                self.pids.append(cur.fetchone()[0])
            self.conns.append(c)

    def stop(self):
        for c in self.conns:
            c.close()
        self.conns, self.pids = [], []

    def tile_pass(self, tiles, order, concurrency, count_features=False):
        def one(i, state):
            cur = state.get("cur")
            if cur is None:
                cur = state["cur"] = self.conns[state["k"]].cursor()
            z, x, y = tiles[i]
            t0 = time.perf_counter()
            cur.execute("EXECUTE rbmap_bench_tile(%s, %s, %s)", (z, x, y))
            data = cur.fetchone()[0]
            ms = (time.perf_counter() - t0) * 1000.0
            data = bytes(data) if data is not None else b""
            return ms, len(data), 200 if data else 204, mvt_feature_count(data) if count_features else None

        meter = CpuMeter(lambda: self.pids[:concurrency])
        meter.start()
        res = pass_over(order, len(tiles), one, concurrency)
        res.cpu = meter.stop()
        return res


# ---------------------------------------------------------------------------- MapServer


def fcgi_record(rtype, rid, content):
    pad = (-len(content)) % 8
    return struct.pack("!BBHHBx", 1, rtype, rid, len(content), pad) + content + b"\0" * pad


def fcgi_pairs(params):
    out = b""
    for k, v in params.items():
        k, v = k.encode(), v.encode()
        for n in (len(k), len(v)):
            out += struct.pack("!B", n) if n < 128 else struct.pack("!I", n | 0x80000000)
        out += k + v
    return out


class FcgiConnection:
    """A keep-alive FastCGI client connection (FCGI_KEEP_CONN)."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.rfile = self.sock.makefile("rb")

    def close(self):
        self.rfile.close()
        self.sock.close()

    def get(self, params):
        msg = fcgi_record(1, 1, struct.pack("!HB5x", 1, 1))  # RESPONDER, KEEP_CONN
        msg += fcgi_record(4, 1, fcgi_pairs(params)) + fcgi_record(4, 1, b"") + fcgi_record(5, 1, b"")
        self.sock.sendall(msg)
        out = []
        while True:
            hdr = self.rfile.read(8)
            if len(hdr) < 8:
                raise ConnectionError("FastCGI connection closed")
            _, rtype, _, clen, pad = struct.unpack("!BBHHBx", hdr)
            content = self.rfile.read(clen + pad)[:clen]
            if rtype == 6:
                out.append(content)
            elif rtype == 3:
                break
        head, _, payload = b"".join(out).partition(b"\r\n\r\n")
        status = 200
        for line in head.split(b"\r\n"):
            low = line.lower()
            if low.startswith(b"status:"):
                status = int(line.split()[1])
            elif low.startswith(b"content-type:") and b"text/html" in low:
                status = 500  # MapServer reports errors as an HTML page
        return status, payload


class MapServer:
    def __init__(self, conninfo, workdir, name):
        self.workdir = workdir
        self.app = f"rbmap_bench_mapserver_{name}"
        self.conninfo = conninfo
        slug = "".join(ch for ch in name.lower() if ch.isalnum()) or "db"  # mapserver.conf MS_MAP_PATTERN
        self.mapfile = os.path.join(workdir, f"rbmap-bench-{slug}.map")
        with open(os.path.join(HERE, "mapserver", "sites.map")) as f:
            text = f.read()
        with open(self.mapfile, "w") as f:
            f.write(text.replace("@CONNECTION@", f"{conninfo} application_name={self.app}")
                    .replace("@LIMIT@", str(LIMIT_FEATURES)))
        self.procs = []
        self.listener = None

    def start(self, nprocs):
        self.stop()
        self.sock_path = os.path.join(self.workdir, "mapserv.sock")
        if os.path.exists(self.sock_path):
            os.unlink(self.sock_path)
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(self.sock_path)
        self.listener.listen(64)
        env = dict(os.environ, MAPSERVER_CONFIG_FILE=os.path.join(HERE, "mapserver", "mapserver.conf"))
        with open(os.path.join(self.workdir, "mapserv.log"), "ab") as errlog:
            for _ in range(nprocs):
                # A listening socket on stdin makes mapserv (libfcgi) a FastCGI server.
                self.procs.append(subprocess.Popen(["mapserv"], stdin=self.listener.fileno(),
                                                   stdout=subprocess.DEVNULL, stderr=errlog, env=env))

    def stop(self):
        # libfcgi only notes SIGTERM and goes on waiting in accept(): kill outright
        # (mapserv keeps nothing worth flushing; its PostgreSQL backends then end).
        for p in self.procs:
            if p.poll() is None:
                p.kill()
        for p in self.procs:
            p.wait()
        self.procs = []
        if self.listener:
            self.listener.close()
            self.listener = None

    def pids(self):
        out = [p.pid for p in self.procs]
        try:
            with psycopg2.connect(self.conninfo) as c, c.cursor() as cur:
                cur.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s", (self.app,))
                out += [r[0] for r in cur.fetchall()]
            c.close()
        except psycopg2.Error:
            pass
        return out

    def query(self, z, x, y):
        return {
            "REQUEST_METHOD": "GET", "SCRIPT_NAME": "/mapserv", "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1", "GATEWAY_INTERFACE": "CGI/1.1",
            "QUERY_STRING": f"map={self.mapfile}&mode=tile&tilemode=gmap&tile={x}+{y}+{z}"
                            "&layers=sites&map.imagetype=mvt",
        }

    def tile_pass(self, tiles, order, concurrency, count_features=False):
        conns = []

        def one(i, state):
            conn = state.get("conn")
            if conn is None:
                conn = state["conn"] = FcgiConnection(self.sock_path)
                conns.append(conn)
            z, x, y = tiles[i]
            t0 = time.perf_counter()
            status, data = conn.get(self.query(z, x, y))
            ms = (time.perf_counter() - t0) * 1000.0
            if status != 200 and not state.get("logged"):
                state["logged"] = True  # once per connection and pass
                text = data.decode("utf-8", "replace")
                log(f"   MapServer error on {z}/{x}/{y}: {text[text.find('<BODY'):][:300]!r}")
            feats = mvt_feature_count(data) if count_features and status == 200 else None
            return ms, len(data), 200 if status == 200 and data else (204 if status == 200 else status), feats

        meter = CpuMeter(self.pids)
        meter.start()
        try:
            res = pass_over(order, len(tiles), one, concurrency)
        finally:
            res_cpu = meter.stop()
            for c in conns:
                c.close()
        res.cpu = res_cpu
        return res


# ---------------------------------------------------------------------------- driver


def postmaster_started(conninfo):
    with psycopg2.connect(conninfo) as c, c.cursor() as cur:
        cur.execute("SELECT pg_postmaster_start_time()")
        v = cur.fetchone()[0]
    c.close()
    return v


def wait_pg(conninfo, timeout=180):
    """Waits for PostgreSQL to accept connections (the shared cluster gets restarted)."""
    deadline = time.time() + timeout
    while True:
        try:
            psycopg2.connect(conninfo).close()
            return
        except psycopg2.OperationalError:
            if time.time() > deadline:
                raise
            time.sleep(1)


def guarded(conninfo, what, fn):
    """Runs fn(); runs it once more if PostgreSQL restarted meanwhile (other engineers'
    tests restart the shared cluster) or a connection broke."""
    for attempt in (1, 2, 3):
        try:
            wait_pg(conninfo)
            before = postmaster_started(conninfo)
            out = fn()
            if postmaster_started(conninfo) == before:
                return out
            log(f"   {what}: PostgreSQL restarted during the measurement, measuring again")
        except (psycopg2.Error, ConnectionError, OSError, RuntimeError) as e:
            if attempt == 3:
                raise
            log(f"   {what}: {e!s:.200}; measuring again in 5 s")
            time.sleep(5)
    return out


def loadavg():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def run_dataset(ds, args):
    name, conninfo = ds["name"], ds["db"]
    tiles = tile_list(per_zoom=ds.get("per_zoom", 30))
    n = len(tiles)
    wait_pg(conninfo)
    with psycopg2.connect(conninfo) as c, c.cursor() as cur:
        cur.execute("SELECT count(*) FROM shantytowns")
        sites = cur.fetchone()[0]
    c.close()
    # The same mixed-zoom order for every system and run.
    order = list(range(n))
    random.Random(20260101).shuffle(order)
    ppz = ds.get("peer_per_zoom", 0)
    if ppz:
        rng = random.Random(7)
        peer = set()
        for z in range(0, 17):
            idx = [i for i, t in enumerate(tiles) if t[0] == z]
            peer.update(rng.sample(idx, min(ppz, len(idx))))
    else:
        peer = set(range(n))
    peer_order = [i for i in order if i in peer]
    rest_order = [i for i in order if i not in peer]
    runs_n = ds.get("runs", 3)
    log(f"== {name}: {sites:,} sites, {n} tiles ({len(peer)} for the peers), {runs_n} run(s), "
        f"load average {loadavg():.1f}")
    workdir = tempfile.mkdtemp(prefix=f"rbmap-bench-{name}-", dir=args.workdir)
    st = StAsMvt(conninfo)
    ms = MapServer(conninfo, workdir, name) if args.mapserver else None
    runs = []
    load = [loadavg()]
    for run in range(runs_n):
        r = {}
        first = run == 0

        def rbmap_phase():
            a = Rbmap(args.rbmap, args.client, conninfo, sites, workdir, "a")
            b = Rbmap(args.rbmap, args.client, conninfo, sites, workdir, "b")
            a.launch()
            b.launch()
            try:
                a.wait_ready()
                b.wait_ready()
                a.settle()
                b.settle()
                out = {"rbmap_start_s": a.start_s, "rbmap_index_s": a.index_s}
                out["rb_cold"] = a.tile_pass(tiles, order, 1)
                out["rb_warm"] = a.tile_pass(tiles, order, 1)
                paths = [f"/tiles/sites/{tiles[i][0]}/{tiles[i][1]}/{tiles[i][2]}.mvt" for i in order]
                # Cached throughput and the HTTP floor, interleaved in short slices so
                # that a burst of load from other processes hits them alike.
                gz = ["Accept-Encoding: gzip"]
                floor = ["/rbmap-bench-no-such-route"]
                kinds = [  # (key, paths, headers, revalidate, connections)
                    ("http_floor_c8", floor, (), False, 8),
                    ("rb_cached_c8", paths, (), False, 8),
                    ("rb_cached_gz_c8", paths, gz, False, 8),
                    ("rb_revalidate_c8", paths, (), True, 8),
                    ("rb_cached_c1", paths, (), False, 1),
                ]
                slices = {}
                for _ in range(3):
                    for key, pp, hh, reval, c in kinds:
                        slices.setdefault(key, []).append(a.throughput(pp, c, args.seconds, hh, reval))
                for key, vals in slices.items():
                    out[key] = {f: med([v[f] for v in vals]) for f in ("tput", "cpu_us", "mbps", "share304")}
                    out[key]["errors"] = sum(v["errors"] for v in vals)
                if first:  # feature counts, once (the same tiles every run)
                    for i, (z, x, y) in enumerate(tiles):
                        out["rb_cold"].features[i] = (
                            mvt_feature_count(a.fetch(z, x, y)) if out["rb_cold"].status[i] == 200 else 0)
                # The clusters layer over the same list (uncached, 1 connection): what
                # low zooms cost when they are left to clusters. The first request may
                # include building the cluster index.
                out["rb_clusters"] = a.tile_pass(tiles, order, 1, layer="clusters")
                if first:
                    for i, (z, x, y) in enumerate(tiles):
                        out["rb_clusters"].features[i] = (mvt_feature_count(a.fetch(z, x, y, "clusters"))
                                                          if out["rb_clusters"].status[i] == 200 else 0)
                out["rb_c8_peer"] = b.tile_pass(tiles, peer_order, 8)
                if rest_order:
                    out["rb_c8_rest"] = b.tile_pass(tiles, rest_order, 8)
            finally:
                a.stop()
                b.stop()
            return out

        t_phase = time.time()
        r.update(guarded(conninfo, "rbmap", rbmap_phase))
        log(f"   run {run + 1}: rbmap done in {time.time() - t_phase:.0f} s (start-up {r['rbmap_start_s']:.1f} s, "
            f"cold pass {sum(m for m in r['rb_cold'].ms if m) / 1000:.1f} s)")
        t_phase = time.time()

        def st_phase():
            st.start(8)
            try:
                out = {"st_cold": st.tile_pass(tiles, peer_order, 1, count_features=first)}
                if ds.get("peer_second_pass", True):
                    out["st_warm"] = st.tile_pass(tiles, peer_order, 1)
                out["st_c8"] = st.tile_pass(tiles, peer_order, 8)
            finally:
                st.stop()
            return out

        r.update(guarded(conninfo, "ST_AsMVT", st_phase))
        log(f"   run {run + 1}: ST_AsMVT done in {time.time() - t_phase:.0f} s")
        t_phase = time.time()
        if ms:
            def ms_phase():
                ms.start(8)
                try:
                    out = {"ms_cold": ms.tile_pass(tiles, peer_order, 1, count_features=first)}
                    if ds.get("peer_second_pass", True):
                        out["ms_warm"] = ms.tile_pass(tiles, peer_order, 1)
                    if ds.get("mapserver_c8", True):
                        out["ms_c8"] = ms.tile_pass(tiles, peer_order, 8)
                finally:
                    ms.stop()
                return out

            r.update(guarded(conninfo, "MapServer", ms_phase))
            log(f"   run {run + 1}: MapServer done in {time.time() - t_phase:.0f} s")
        load.append(loadavg())
        runs.append(r)
    # Feature counts measured in the first run only.
    for key in ("rb_cold", "st_cold", "ms_cold", "rb_clusters"):
        if key in runs[0]:
            for r in runs[1:]:
                r[key].features = runs[0][key].features
    return {"name": name, "sites": sites, "tiles": tiles, "peer": sorted(peer), "runs": runs, "load": load,
            "peer_per_zoom": ppz}


# ---------------------------------------------------------------------------- report


def fmt(v, digits=2):
    if v is None or v != v:
        return "–"
    if isinstance(v, int):
        return f"{v:,}"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) >= 100:
        return f"{v:.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.{digits}f}"


def ratio(a, b):
    if a is None or b is None or a != a or b != b or b == 0 or a == 0:
        return "–"
    r = a / b
    return f"{r:.0f}×" if r >= 100 else f"{r:.1f}×" if r >= 1 else f"{r:.2f}×"


def restrict(res, idx):
    return [res.ms[i] for i in idx if res.ms[i] is not None]


def report(ds, mapserver):
    runs, tiles, peer = ds["runs"], ds["tiles"], ds["peer"]
    n, k = len(tiles), len(peer)
    allidx = list(range(n))
    peerset = set(peer)
    sample = k < n
    out = []
    p = out.append
    p(f"### {ds['name']}: {ds['sites']:,} sites, {n} tiles z0-z16"
      + (f" (the peers get {k} of them, at most {ds.get('peer_per_zoom')} per zoom)" if sample else "")
      + f"; median of {len(runs)} run(s); load average {min(ds['load']):.1f}-{max(ds['load']):.1f}")
    p("")
    peers = [("ST_AsMVT", "st")] + ([("MapServer 8", "ms")] if mapserver else [])

    def m(key, f):
        vals = []
        for r in runs:
            if key in r:
                try:
                    vals.append(f(r[key], r))
                except (ValueError, ZeroDivisionError, TypeError):
                    pass
        return med(vals)

    def rb_c8_all(x, r):
        rest = r.get("rb_c8_rest")
        return n / (x.elapsed + (rest.elapsed if rest else 0))

    def rb_cpu_all(x, r):
        rest = r.get("rb_c8_rest")
        return (x.cpu + (rest.cpu if rest else 0)) / n * 1000

    cold = {s: runs[0].get(f"{s}_cold") for s in ("rb", "st", "ms")}

    def biggest(res, idx):
        return max((res.bytes[i] or 0) for i in idx) / 1024 if res else None

    def over(res, idx):
        return sum(1 for i in idx if (res.bytes[i] or 0) > MAX_TILE_BYTES) if res else None

    def feats(res, idx):
        return max((res.features[i] or 0) for i in idx) if res else None

    # (label, rbmap over all tiles, rbmap over the peers' tiles, {peer: value}, better)
    rows = []
    for label, q in (("p50", 50), ("p99", 99)):
        rows.append((f"uncached latency {label}, ms (1 connection)",
                     m("rb_cold", lambda x, r, q=q: pct(restrict(x, allidx), q)),
                     m("rb_cold", lambda x, r, q=q: pct(restrict(x, peer), q)),
                     {s: m(f"{s}_cold", lambda x, r, q=q: pct(restrict(x, peer), q)) for _, s in peers}, "low"))
    rows.append(("uncached latency max, ms",
                 m("rb_cold", lambda x, r: max(restrict(x, allidx))),
                 m("rb_cold", lambda x, r: max(restrict(x, peer))),
                 {s: m(f"{s}_cold", lambda x, r: max(restrict(x, peer))) for _, s in peers}, "low"))
    rows.append(("uncached tiles/s, 1 connection",
                 m("rb_cold", lambda x, r: n / sum(restrict(x, allidx)) * 1000),
                 m("rb_cold", lambda x, r: k / sum(restrict(x, peer)) * 1000),
                 {s: m(f"{s}_cold", lambda x, r: k / sum(restrict(x, peer)) * 1000) for _, s in peers}, "high"))
    rows.append(("uncached tiles/s, 8 connections",
                 m("rb_c8_peer", rb_c8_all), m("rb_c8_peer", lambda x, r: x.tput()),
                 {s: m(f"{s}_c8", lambda x, r: x.tput()) for _, s in peers}, "high"))
    rows.append(("CPU ms per uncached tile, server + its database",
                 m("rb_c8_peer", rb_cpu_all), m("rb_c8_peer", lambda x, r: x.cpu / k * 1000),
                 {s: m(f"{s}_cold", lambda x, r: x.cpu / k * 1000) for _, s in peers}, "low"))
    for label, q in (("p50", 50), ("p99", 99)):
        rows.append((f"2nd pass latency {label}, ms (rbmap: cache hit; peers have no cache)",
                     m("rb_warm", lambda x, r, q=q: pct(restrict(x, allidx), q)),
                     m("rb_warm", lambda x, r, q=q: pct(restrict(x, peer), q)),
                     {s: m(f"{s}_warm", lambda x, r, q=q: pct(restrict(x, peer), q)) for _, s in peers}, "low"))
    rows.append(("largest tile, KB", biggest(cold["rb"], allidx), biggest(cold["rb"], peer),
                 {s: biggest(cold[s], peer) for _, s in peers}, None))
    rows.append(("tiles over 500 KB", over(cold["rb"], allidx), over(cold["rb"], peer),
                 {s: over(cold[s], peer) for _, s in peers}, None))
    rows.append(("features in the fullest tile", feats(cold["rb"], allidx), feats(cold["rb"], peer),
                 {s: feats(cold[s], peer) for _, s in peers}, None))

    head = "| uncached tiles | rbmap |" + (f" rbmap, the peers' {k} tiles |" if sample else "")
    sep = "|---|---:|" + ("---:|" if sample else "")
    for label, _ in peers:
        head += f" {label} | rbmap vs {label.split()[0]} |"
        sep += "---:|---:|"
    p(head)
    p(sep)
    for label, v_all, v_peer, vals, better in rows:
        base = v_peer
        row = f"| {label} | {fmt(v_all)} |" + (f" {fmt(v_peer)} |" if sample else "")
        for _, s in peers:
            v = vals.get(s)
            cell = ratio(v, base) if better == "low" else ratio(base, v) if better == "high" else ""
            row += f" {fmt(v)} | {cell} |"
        p(row)
    p("")
    # Cached tiles: rbmap only (the peers have no cache).
    p("| cached (rbmap) | requests/s | MB/s | server CPU µs per request |")
    p("|---|---:|---:|---:|")
    for key, label in (("rb_cached_c1", "tile, raw, 1 connection"),
                       ("rb_cached_c8", "tile, raw, 8 connections"),
                       ("rb_cached_gz_c8", "tile, gzip, 8 connections"),
                       ("rb_revalidate_c8", "revalidation (If-None-Match, 304), 8 connections"),
                       ("http_floor_c8", "HTTP floor: 404 from the same server, 8 connections")):
        p(f"| {label} | {fmt(m(key, lambda x, r: x['tput']))} | {fmt(m(key, lambda x, r: x['mbps']))} | "
          f"{fmt(m(key, lambda x, r: x['cpu_us']))} |")
    p("")
    errs = ", ".join(f"{lbl} {max((r[f'{s}_cold'].errors for r in runs if f'{s}_cold' in r), default=0)}"
                     for lbl, s in [("rbmap", "rb")] + peers)
    p(f"rbmap start-up (loading {ds['sites']:,} sites into memory until /health shows them): "
      f"{fmt(med([r['rbmap_start_s'] for r in runs]))} s; first sites tile after start-up (builds the thinning "
      f"index and interned properties, once per data version): "
      f"{fmt(med([r.get('rbmap_index_s', float('nan')) for r in runs]))} s. Failed tiles: {errs}.")
    p("")

    # Per zoom: the first (uncached) pass, per-tile medians over the runs.
    def per_tile(key):
        passes = [r[key] for r in runs if key in r]
        if not passes:
            return None
        return [med([pp.ms[i] for pp in passes]) if passes[0].ms[i] is not None else None for i in range(n)]

    lat = {s: per_tile(f"{s}_cold") for s in ("rb", "st", "ms")}
    cols = [("rbmap", "rb", False)] + ([("rbmap, peers' tiles", "rb", True)] if sample else []) + \
        [(lbl.split()[0], s, True) for lbl, s in peers]
    p("| z | tiles | " + " | ".join(f"{c[0]} p50 / max ms" for c in cols) + " | largest KB: "
      + " / ".join(c[0] for c in cols) + " | features: " + " / ".join(c[0] for c in cols) + " |")
    p("|---:|---:|" + "---:|" * len(cols) + "---:|---:|")
    for z in range(0, 17):
        idx = [i for i, t in enumerate(tiles) if t[0] == z]
        if not idx:
            continue
        pidx = [i for i in idx if i in peerset]
        row = f"| {z} | {len(idx)}" + (f" ({len(pidx)})" if sample else "") + " |"
        for _, s, on_peer in cols:
            use = pidx if on_peer else idx
            v = [lat[s][i] for i in use if lat[s] and lat[s][i] is not None]
            row += f" {fmt(statistics.median(v)) if v else '–'} / {fmt(max(v)) if v else '–'} |"
        row += " " + " / ".join(fmt(biggest(cold[s], pidx if on_peer else idx), 1) if cold[s] else "–"
                                for _, s, on_peer in cols) + " |"
        row += " " + " / ".join(str(feats(cold[s], pidx if on_peer else idx)) if cold[s] else "–"
                                for _, s, on_peer in cols) + " |"
        p(row)
    p("")
    cl = per_tile("rb_clusters")
    if cl and cold.get("rb") and runs[0].get("rb_clusters"):
        clr = runs[0]["rb_clusters"]
        p("rbmap `clusters` layer over the same tiles (uncached, 1 connection; its first request may include "
          "building the cluster index), for comparison with `sites`:")
        p("")
        p("| z | sites p50 / max ms | clusters p50 / max ms | largest KB sites / clusters | features sites / clusters |")
        p("|---:|---:|---:|---:|---:|")
        for z in range(0, 17):
            idx = [i for i, t in enumerate(tiles) if t[0] == z]
            if not idx:
                continue
            a = [lat["rb"][i] for i in idx]
            b = [cl[i] for i in idx if cl[i] is not None]
            p(f"| {z} | {fmt(statistics.median(a))} / {fmt(max(a))} | {fmt(statistics.median(b))} / {fmt(max(b))} | "
              f"{fmt(biggest(cold['rb'], idx), 1)} / {fmt(biggest(clr, idx), 1)} | "
              f"{feats(cold['rb'], idx)} / {feats(clr, idx)} |")
        p("")
    rb = lat["rb"]
    slow = sorted(allidx, key=lambda i: -rb[i])[:8]
    p("Slowest uncached rbmap tiles: " + ", ".join(
        f"{'/'.join(map(str, tiles[i]))} {fmt(rb[i])} ms ({cold['rb'].features[i]} features, "
        f"{(cold['rb'].bytes[i] or 0) / 1024:.0f} KB)" for i in slow) + ".")
    over5 = [i for i in allidx if rb[i] > 5.0]
    zs = sorted({tiles[i][0] for i in over5})
    p(f"rbmap uncached tiles over 5 ms: {len(over5)} of {n}"
      + (f" (at zooms {', '.join(map(str, zs))})" if zs else "") + ".")
    p("")
    return "\n".join(out)


def targets(datasets):
    out = ["### Targets", ""]
    big = max(datasets, key=lambda d: d["sites"])
    runs, tiles = big["runs"], big["tiles"]
    per_tile = [med([r["rb_cold"].ms[i] for r in runs]) for i in range(len(tiles))]
    worst = max(per_tile)
    over5 = sum(1 for v in per_tile if v > 5)
    fine_from = None
    for z in range(16, -1, -1):
        if all(per_tile[i] <= 5 for i, t in enumerate(tiles) if t[0] == z):
            fine_from = z
        else:
            break
    out.append(f"- any uncached tile under 5 ms at {big['sites']:,} sites: slowest {worst:,.0f} ms, "
               f"{over5:.0f} of {len(tiles)} tiles over 5 ms"
               + (f", every tile under 5 ms from z{fine_from} up" if fine_from is not None else
                  ", even at z16 some tiles take longer")
               + " -> " + ("MET" if worst < 5 else "NOT MET"))
    for d in datasets:
        runs, peer = d["runs"], d["peer"]
        c1 = med([sum(restrict(r["st_cold"], peer)) / sum(restrict(r["rb_cold"], peer)) for r in runs])
        c8 = med([r["rb_c8_peer"].tput() / r["st_c8"].tput() for r in runs])
        cpu = med([r["st_cold"].cpu / r["rb_c8_peer"].cpu if r["rb_c8_peer"].cpu else float("nan") for r in runs])
        out.append(f"- at least 10x the uncached throughput of ST_AsMVT ({d['sites']:,} sites): {c1:.1f}x with 1 "
                   f"connection, {c8:.1f}x with 8, {cpu:.1f}x in CPU per tile -> "
                   + ("MET" if min(c1, c8) >= 10 else "NOT MET"))
    for d in datasets:
        runs = d["runs"]
        cpu = {k: med([r[k]["cpu_us"] for r in runs])
               for k in ("http_floor_c8", "rb_revalidate_c8", "rb_cached_gz_c8", "rb_cached_c8")}
        share = {k: med([r[k]["tput"] / r["http_floor_c8"]["tput"] for r in runs])
                 for k in ("rb_revalidate_c8", "rb_cached_gz_c8", "rb_cached_c8")}
        extra = cpu["rb_revalidate_c8"] / cpu["http_floor_c8"]
        out.append(f"- cached tiles limited by HTTP, not by us ({d['sites']:,} sites): server CPU per request "
                   f"{cpu['http_floor_c8']:.0f} µs for a 404, {cpu['rb_revalidate_c8']:.0f} µs for a cache hit "
                   f"answered 304 (the cache lookup, key and ETag: {extra - 1:+.0%}), "
                   f"{cpu['rb_cached_gz_c8']:.0f} µs with a gzip body, {cpu['rb_cached_c8']:.0f} µs with a raw body; "
                   f"requests/s as a share of the 404 rate: {share['rb_revalidate_c8']:.0%} (304), "
                   f"{share['rb_cached_gz_c8']:.0%} (gzip), {share['rb_cached_c8']:.0%} (raw) -> "
                   + ("MET" if extra <= 1.25 else "NOT MET")
                   + " (met when a cache hit costs at most 25% more server CPU than a 404; the rest is moving "
                   "the body, and the load client shares the 2 CPUs)")
    for d in datasets:
        c = d["runs"][0]["rb_cold"]
        big_tile = max(b or 0 for b in c.bytes)
        out.append(f"- no tile over 500 KB ({d['sites']:,} sites): largest rbmap tile {big_tile / 1024:.0f} KB -> "
                   + ("MET" if big_tile <= MAX_TILE_BYTES else "NOT MET"))
    return "\n".join(out) + "\n"


def describe_build(binary):
    try:
        head = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no", "--", ".",
                                ":!bench"], capture_output=True, text=True).stdout.strip()
    except OSError:
        head, dirty = "?", ""
    built = time.strftime("%Y-%m-%d %H:%M", time.localtime(os.path.getmtime(binary)))
    return f"rbmap at {head}{' with uncommitted changes' if dirty else ''}, build/rbmap of {built}"


def print_saved(path):
    with open(path) as f:
        results = json.load(f)

    def revive(o):
        if isinstance(o, dict) and "ms" in o and "elapsed" in o:
            res = PassResult(0)
            res.__dict__.update(o)
            return res
        if isinstance(o, dict):
            return {k: revive(v) for k, v in o.items()}
        if isinstance(o, list):
            return [revive(v) for v in o]
        return o

    header = None
    if isinstance(results, dict):
        header, results = results.get("header"), results["datasets"]
    results = revive(results)
    if header:
        print(header + "\n")
    mapserver = any("ms_cold" in r for ds in results for r in ds["runs"])
    for ds in results:
        ds["tiles"] = [tuple(t) for t in ds["tiles"]]
        print(report(ds, mapserver))
    print(targets(results))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", action="append", type=json.loads, help="JSON object, see above")
    ap.add_argument("--rbmap", default=os.path.join(ROOT, "build", "rbmap"))
    ap.add_argument("--client", help="bench/tileclient.c, compiled")
    ap.add_argument("--seconds", type=float, default=1.0,
                    help="length of each cached-throughput slice (3 slices of each kind per run)")
    ap.add_argument("--no-mapserver", dest="mapserver", action="store_false")
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--json", default=None, help="write the raw measurements here")
    ap.add_argument("--report", default=None, metavar="JSON",
                    help="print the tables again from measurements saved with --json, measuring nothing")
    args = ap.parse_args()
    if args.report:
        print_saved(args.report)
        return
    if not args.dataset or not args.client:
        ap.error("--dataset and --client are needed to measure (or --report JSON to print saved results)")
    args.workdir = args.workdir or tempfile.mkdtemp(prefix="rbmap-bench-")
    # A private copy: other engineers may rebuild build/rbmap while this runs.
    build = describe_build(args.rbmap)
    copy = os.path.join(args.workdir, "rbmap")
    shutil.copy2(args.rbmap, copy)
    args.rbmap = copy
    t0 = time.time()
    results = [run_dataset(ds, args) for ds in args.dataset]
    text = [f"Tile benchmark {time.strftime('%Y-%m-%d %H:%M')}, {build}; {os.cpu_count()} CPUs, loopback, "
            f"{time.time() - t0:.0f} s. Latencies in ms seen by the client; ratios > 1 mean rbmap is better.", ""]
    for ds in results:
        text.append(report(ds, args.mapserver))
    text.append(targets(results))
    print("\n".join(text), flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"header": text[0], "datasets": results}, f,
                      default=lambda o: o.to_json() if isinstance(o, PassResult) else str(o))


if __name__ == "__main__":
    main()
