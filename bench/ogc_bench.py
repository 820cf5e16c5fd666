#!/usr/bin/python3
"""OGC API Features: items per second for limit=1000 pages of `sites`, rbmap against
MapServer 8's OGC API (Debian's mapserv as one FastCGI process, the same mapfile layer as
the tile benchmark), on the same database, side by side.

For each database: a full walk of the collection following `next` links (when it has at
most --walk-max sites), then pages of 1000 at a few offsets spread over the collection
(MapServer pages with SQL OFFSET, rbmap from its in-memory snapshot). Each figure is the
median of --runs runs; one client, sequential requests on a keep-alive connection."""
import argparse
import http.client
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tiles_bench import FcgiConnection, MapServer, free_port  # noqa: E402

import psycopg2  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def dsn_for(base, dbname):
    parts = [p for p in base.split() if not p.startswith("dbname=")]
    return " ".join(parts + [f"dbname={dbname}"])


def site_count(dsn):
    with psycopg2.connect(dsn) as c, c.cursor() as cur:
        cur.execute("SELECT count(*) FROM shantytowns")
        n = cur.fetchone()[0]
    c.close()
    return n


class Rbmap:
    def __init__(self, binary, dsn, workdir):
        self.port = free_port()
        self.log = open(os.path.join(workdir, f"rbmap-{self.port}.log"), "w")
        env = dict(os.environ, RBMAP_DEFAULT_SCOPE="national")
        self.proc = subprocess.Popen([binary, "serve", "--listen", f"127.0.0.1:{self.port}", "--db", dsn],
                                     stdout=self.log, stderr=subprocess.STDOUT, env=env)
        deadline = time.time() + 900
        while time.time() < deadline:
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                c.request("GET", "/health")
                r = c.getresponse()
                body = json.loads(r.read())
                c.close()
                if r.status == 200 and (body.get("layers") or {}).get("sites", 1):
                    break
            except (OSError, ValueError):
                pass
            time.sleep(0.3)
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)

    def get(self, path_and_query):
        self.conn.request("GET", "/ogc" + path_and_query)
        r = self.conn.getresponse()
        body = r.read()
        assert r.status == 200, body[:300]
        return body

    def next_of(self, body):
        href = next_href(body)
        if not href:
            return None
        u = urllib.parse.urlsplit(href)
        return u.path[len("/ogc"):] + "?" + u.query

    def stop(self):
        self.conn.close()
        self.proc.terminate()
        self.proc.wait(timeout=60)
        self.log.close()


def ogc_mapfile(text, alias="rbmapogc"):
    """bench/mapserver/sites.map (its @LIMIT@ replaced) made an OGC API Features service
    at /mapserv/ALIAS/ogcapi without a feature limit (also used by bench/suite.py)."""
    text = text.replace('      "ows_enable_request" "*"',
                        '      "ows_enable_request" "*"\n      "ows_title" "rbmap bench"\n'
                        f'      "oga_onlineresource" "http://127.0.0.1/mapserv/{alias}/ogcapi"')
    text = text.replace('      "gml_include_items" "all"',
                        '      "gml_include_items" "all"\n      "gml_featureid" "id"\n      "ows_title" "sites"')
    text = text.replace("    STATUS ON\n", "    STATUS ON\n    TEMPLATE \"ttt\"\n", 1)
    return text.replace("MAXFEATURES 50000", "MAXFEATURES 100000000")


class MapServerOgc:
    def __init__(self, dsn, workdir, name):
        self.ms = MapServer(dsn, workdir, name)
        with open(self.ms.mapfile) as f:
            text = f.read()
        with open(self.ms.mapfile, "w") as f:
            f.write(ogc_mapfile(text))
        conf = os.path.join(workdir, "mapserver-ogc.conf")
        with open(conf, "w") as f:
            f.write('CONFIG\n  ENV\n    MS_MAP_PATTERN "rbmap-bench-[a-z0-9]+\\.map$"\n  END\n'
                    f'  MAPS\n    "rbmapogc" "{self.ms.mapfile}"\n  END\nEND\n')
        self.conf = conf
        self._start()

    def _start(self):
        self.sock_path = os.path.join(self.ms.workdir, "mapserv-ogc.sock")
        if os.path.exists(self.sock_path):
            os.unlink(self.sock_path)
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(self.sock_path)
        self.listener.listen(8)
        env = dict(os.environ, MAPSERVER_CONFIG_FILE=self.conf)
        self.proc = subprocess.Popen(["mapserv"], stdin=self.listener.fileno(), stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(self.ms.workdir, "mapserv-ogc.log"), "ab"), env=env)
        self.conn = FcgiConnection(self.sock_path)

    def get(self, path_and_query):
        path, _, query = path_and_query.partition("?")
        status, body = self.conn.get({
            "REQUEST_METHOD": "GET", "SCRIPT_NAME": "/mapserv", "PATH_INFO": "/rbmapogc/ogcapi" + path,
            "QUERY_STRING": "f=json&" + query, "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1", "GATEWAY_INTERFACE": "CGI/1.1"})
        assert status == 200, body[:300]
        return body

    def next_of(self, body):
        href = next_href(body)
        if not href:
            return None
        u = urllib.parse.urlsplit(href)
        q = "&".join(p for p in u.query.split("&") if not p.startswith("f="))
        return u.path.split("/ogcapi", 1)[1] + "?" + q

    def stop(self):
        self.conn.close()
        self.proc.kill()
        self.proc.wait()
        self.listener.close()


# The client only finds the features and the next link (a full JSON parse in Python
# would cost more than either server's work); both servers write compact JSON.
NEXT_LINK = re.compile(rb'\{[^{}]*"rel":"next"[^{}]*\}')


def next_href(body):
    m = NEXT_LINK.search(body)
    return json.loads(m.group(0))["href"] if m else None


def features(body):
    return body.count(b'"type":"Feature"')


def walk(server, limit=1000):
    t0 = time.perf_counter()
    n, pages, url = 0, 0, f"/collections/sites/items?limit={limit}"
    while url:
        body = server.get(url)
        n += features(body)
        pages += 1
        url = server.next_of(body)
    return n, pages, time.perf_counter() - t0


def sampled(server, total, limit=1000, samples=5):
    offsets = [int(total * k / samples) for k in range(samples)]
    t0 = time.perf_counter()
    n = 0
    for off in offsets:
        n += features(server.get(f"/collections/sites/items?limit={limit}&offset={off}"))
    return n, len(offsets), time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("conninfo")
    ap.add_argument("--databases", default="rbmap_bench_4k,rbmap_bench_1m")
    ap.add_argument("--rbmap", default=os.path.join(ROOT, "build", "rbmap"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--walk-max", type=int, default=200000)
    ap.add_argument("--mapserver", type=int, default=1)
    args = ap.parse_args()
    workdir = tempfile.mkdtemp(prefix="rbmap-ogc-bench-")
    rows = []
    for db in args.databases.split(","):
        dsn = dsn_for(args.conninfo, db)
        total = site_count(dsn)
        peers = [("rbmap", lambda d=dsn: Rbmap(args.rbmap, d, workdir))]
        if args.mapserver:
            peers.append(("MapServer 8", lambda d=dsn, name=db: MapServerOgc(d, workdir, name)))
        for name, make in peers:
            t0 = time.perf_counter()
            server = make()
            ready = time.perf_counter() - t0
            kinds = [("walk", walk)] if total <= args.walk_max else []
            kinds.append(("5 pages at spread offsets", lambda s: sampled(s, total)))
            for kind, fn in kinds:
                fn(server)  # warm-up (connection, caches)
                runs = [fn(server) for _ in range(args.runs)]
                n, pages, _ = runs[0]
                secs = statistics.median(r[2] for r in runs)
                rows.append((db, total, name, kind, n, pages, secs, n / secs, 1000 * secs / pages, ready))
                print(f"{db} {name} {kind}: {n} items in {pages} pages, {secs:.3f} s, {n / secs:,.0f} items/s",
                      flush=True)
            server.stop()
    print("\n| database | sites | server | what | items | pages | s (median) | items/s | ms/page |")
    print("|---|---|---|---|---|---|---|---|---|")
    for db, total, name, kind, n, pages, secs, ips, mpp, _ in rows:
        print(f"| {db} | {total:,} | {name} | {kind} | {n:,} | {pages} | {secs:.3f} | {ips:,.0f} | {mpp:.1f} |")


if __name__ == "__main__":
    main()
