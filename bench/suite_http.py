"""The HTTP areas of the benchmark suite (bench/suite.py): vector tiles, WMS GetMap and
OGC API Features, each asked of rbmap and of MapServer 8 (FastCGI behind nginx) with
the same request list through the same load client, plus PostGIS ST_AsMVT for tiles
(the per-tile SQL query of Martin and pg_tileserv, over psycopg2 connections).

Every function returns rows: dicts with area, dataset, case, system and the figures of
suite_load.measured (requests, errors, rps, p50, p99, cpu_ms, rss_mb)."""
import os
import random
import threading
import time
import urllib.error
import urllib.request

import psycopg2

from suite_load import Meter, measured, percentile
from suite_servers import MapServerNginx, Rbmap, serial
import ogc_bench
import tile_list
import tiles_bench

HERE = os.path.dirname(os.path.abspath(__file__))
MAPSERVER_PROCESSES = 8  # as many as rbmap's default worker threads
CONCURRENCY = 8


def log(*a):
    print(*a, flush=True, file=__import__("sys").stderr)


def read_map(name):
    with open(os.path.join(HERE, "mapserver", name)) as f:
        return f.read()


def check(server, path, want):
    """One request before measuring, so that a peer answering errors (MapServer writes
    them as 200 text/html or XML) is not timed as if it worked."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}{path}", timeout=600) as r:
            status, ctype, body = r.status, r.headers.get("Content-Type", ""), r.read()
    except urllib.error.HTTPError as e:
        status, ctype, body = e.code, e.headers.get("Content-Type", ""), e.read()
    if status == 204 or (status == 200 and want in ctype and body):
        return
    raise RuntimeError(f"{path} answered {status} {ctype}: {body[:200]!r}")


def row(ds, area, case, system, res):
    return dict(res, area=area, dataset=ds["name"], case=case, system=system)


def tiles_for(ds):
    """The tile list of bench/tile_list.py, per_zoom tiles per zoom (a fixed random choice
    when fewer than the list has), in one shuffled order for every system."""
    full = tile_list.tile_list()
    rnd = random.Random(1)
    chosen = []
    for z in range(0, 17):
        at_z = [t for t in full if t[0] == z]
        chosen += at_z if len(at_z) <= ds["tiles_per_zoom"] else rnd.sample(at_z, ds["tiles_per_zoom"])
    rnd.shuffle(chosen)
    return chosen


def st_asmvt_pass(conninfo, tiles, concurrency):
    """Every tile once through ST_AsMVT on `concurrency` connections; CPU of their backends."""
    conns, pids = [], []
    for _ in range(concurrency):
        c = psycopg2.connect(serial(conninfo, "rbmap_suite_st_asmvt"))
        c.autocommit = True
        with c.cursor() as cur:
            cur.execute(tiles_bench.ST_ASMVT_SQL)
            cur.execute("SELECT pg_backend_pid()")
            pids.append(cur.fetchone()[0])
        conns.append(c)
    lat, errors, nbytes, nxt, lock = [], [], [0], [0], threading.Lock()

    def worker(conn):
        with conn.cursor() as cur:
            while True:
                with lock:
                    i = nxt[0]
                    nxt[0] += 1
                if i >= len(tiles):
                    return
                t0 = time.perf_counter()
                try:
                    cur.execute("EXECUTE rbmap_bench_tile(%s, %s, %s)", tiles[i])
                    data = cur.fetchone()[0]
                except psycopg2.Error as e:
                    errors.append(e)
                    continue
                with lock:
                    lat.append((time.perf_counter() - t0) * 1000.0)
                    nbytes[0] += len(data or b"")

    meter = Meter(lambda: pids)
    meter.start()
    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(c,)) for c in conns]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    cpu, _ = meter.stop()
    for c in conns:
        c.close()
    return {"requests": len(lat), "errors": len(errors), "elapsed": elapsed, "bytes": nbytes[0],
            "rps": len(lat) / elapsed, "p50": percentile(lat, 50), "p99": percentile(lat, 99),
            "cpu_s": cpu, "cpu_ms": cpu / max(len(lat), 1) * 1000.0, "rss_mb": None}


def mapserver_tile(z, x, y):
    return f"/mapserv?map=TILES&mode=tile&tilemode=gmap&tile={x}+{y}+{z}&layers=sites&map.imagetype=mvt"


def tiles_area(ds, env):
    tiles = tiles_for(ds)
    case = f"{len(tiles)} tiles z0-z16, each once (uncached), {CONCURRENCY} connections"
    rows = []
    log(f"suite: tiles on {ds['name']}: rbmap")
    rb = Rbmap(env.rbmap, ds["db"], ds["sites"], env.work)
    try:
        # The per-snapshot structures are built on the first tile that needs them (once
        # per data version); a filtered tile, cached apart from the list, builds them.
        check(rb, "/tiles/sites/0/0/0.mvt?status=open", "vnd.mapbox-vector-tile")
        paths = [f"/tiles/sites/{z}/{x}/{y}.mvt" for z, x, y in tiles]
        rows.append(row(ds, "tiles", case, "rbmap", measured(env.client, rb, paths, CONCURRENCY)))
        rows.append(row(ds, "tiles", f"the same tiles cycled for {env.seconds} s (rbmap: cache hits)", "rbmap",
                        measured(env.client, rb, paths, CONCURRENCY, env.seconds)))
        rows[0]["start_s"] = rb.start_s
    finally:
        rb.stop()
    log(f"suite: tiles on {ds['name']}: ST_AsMVT")
    rows.append(row(ds, "tiles", case, "PostGIS ST_AsMVT", st_asmvt_pass(ds["db"], tiles, CONCURRENCY)))
    log(f"suite: tiles on {ds['name']}: MapServer")
    mvt_map = read_map("sites.map").replace("@LIMIT@", str(tiles_bench.LIMIT_FEATURES))
    ms = MapServerNginx(ds["db"], {"tiles": mvt_map}, env.work, MAPSERVER_PROCESSES, "tiles")
    try:
        paths = [mapserver_tile(z, x, y) for z, x, y in tiles]
        check(ms, mapserver_tile(0, 0, 0), "vnd.mapbox-vector-tile")
        env.client.run(ms.port, paths[-MAPSERVER_PROCESSES:], MAPSERVER_PROCESSES)  # each process connects
        rows.append(row(ds, "tiles", case, "MapServer 8 (nginx + FastCGI)",
                        measured(env.client, ms, paths, CONCURRENCY)))
    finally:
        ms.stop()
    return rows


# Centre (Lambert-93) and width in metres of each WMS scale: France, a département
# (Seine-Saint-Denis), a commune.
WMS_SCALES = [(675000, 6585000, 1200000), (657000, 6868000, 25000), (652000, 6871000, 5000)]


def wms_queries(size, count):
    """GetMap queries at the three scales in turn, each box shifted a little (no two alike)."""
    rnd = random.Random(size[0])
    out = []
    for i in range(count):
        cx, cy, width = WMS_SCALES[i % len(WMS_SCALES)]
        height = width * size[1] / size[0]
        cx += rnd.uniform(-0.05, 0.05) * width
        cy += rnd.uniform(-0.05, 0.05) * height
        out.append("SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=sites&STYLES=&CRS=EPSG:2154"
                   f"&BBOX={cx - width / 2:.2f},{cy - height / 2:.2f},{cx + width / 2:.2f},{cy + height / 2:.2f}"
                   f"&WIDTH={size[0]}&HEIGHT={size[1]}&FORMAT=image/png&TRANSPARENT=TRUE")
    return out


def wms_area(ds, env):
    sizes = [(256, 256), (1024, 768)]
    lists = {s: wms_queries(s, ds["wms_requests"]) for s in sizes}
    rows = []
    systems = [("rbmap", lambda: Rbmap(env.rbmap, ds["db"], ds["sites"], env.work), "/wms?"),
               ("MapServer 8 (nginx + FastCGI)", lambda: MapServerNginx(
                   ds["db"], {"wms": read_map("wms_sites.map")}, env.work, MAPSERVER_PROCESSES, "wms"),
                "/mapserv?map=WMS&")]
    for system, start, prefix in systems:
        log(f"suite: WMS on {ds['name']}: {system}")
        server = start()
        try:
            check(server, prefix + lists[sizes[0]][0], "image/png")
            env.client.run(server.port, [prefix + q for q in lists[sizes[0]][:CONCURRENCY]], CONCURRENCY)
            for size in sizes:
                case = (f"GetMap PNG {size[0]}x{size[1]}, {ds['wms_requests']} boxes (France, a département, "
                        f"a commune), {CONCURRENCY} connections")
                rows.append(row(ds, "WMS", case, system,
                                measured(env.client, server, [prefix + q for q in lists[size]], CONCURRENCY)))
        finally:
            server.stop()
    return rows


def site_ids(conninfo, count):
    with psycopg2.connect(conninfo) as c, c.cursor() as cur:
        cur.execute("SELECT count(*) FROM shantytowns")
        total = cur.fetchone()[0]
        cur.execute("SELECT shantytown_id FROM shantytowns ORDER BY shantytown_id")
        ids = [r[0] for r in cur.fetchall()]
    c.close()
    rnd = random.Random(2)
    return total, [rnd.choice(ids) for _ in range(count)]


def ogc_area(ds, env):
    total, ids = site_ids(ds["db"], ds["ogc_requests"])
    n = ds["ogc_requests"]
    pages = [f"/collections/sites/items?limit=100&offset={int(total * k / n)}" for k in range(n)]
    by_id = [f"/collections/sites/items/{i}" for i in ids]
    random.Random(3).shuffle(pages)
    cases = [(f"{n} pages of 100 sites at offsets spread over the collection", pages),
             (f"{n} single sites by id", by_id)]
    systems = [("rbmap", lambda: Rbmap(env.rbmap, ds["db"], ds["sites"], env.work), "/ogc", ""),
               ("MapServer 8 (nginx + FastCGI)", lambda: MapServerNginx(
                   ds["db"], {"ogc": ogc_bench.ogc_mapfile(read_map("sites.map").replace("@LIMIT@", "50000"), "OGC")},
                   env.work, MAPSERVER_PROCESSES, "ogc"), "/mapserv/OGC/ogcapi", "f=json")]
    if not ds.get("ogc_mapserver", True):
        systems = systems[:1]
    rows = []
    for system, start, prefix, extra in systems:
        log(f"suite: OGC API on {ds['name']}: {system}")
        server = start()

        def url(p):
            if not extra:
                return prefix + p
            return prefix + p + ("&" if "?" in p else "?") + extra
        try:
            check(server, url(pages[0]), "json")
            check(server, url(by_id[0]), "json")
            env.client.run(server.port, [url(p) for p in by_id[:CONCURRENCY]], CONCURRENCY)
            for case, plist in cases:
                rows.append(row(ds, "OGC API Features", case + f", {CONCURRENCY} connections", system,
                                measured(env.client, server, [url(p) for p in plist], CONCURRENCY)))
        finally:
            server.stop()
    return rows
