#!/usr/bin/python3
"""Geocoder benchmark: rbmap's built-in geocoder against what a team would otherwise build
on its PostGIS, pg_trgm similarity search over the same addresses, on the real BAN
extracts of ../shared/data (New Caledonia's 40,874 addresses and Mont-Bonvillers).

Prints two Markdown tables:
  - accuracy: top-1 and top-5 hit rates per kind of noise users make (typos, missing
    accents, abbreviations, no postcode or commune, extra words, reordered words);
  - speed: p50/p99 latency of single requests and requests per second with 2 clients
    for search, autocomplete and reverse, with the ratio rbmap / pg_trgm.
Plus the index build time, file size and the server's memory.

usage: bench/geocode_bench.py DEMO_CONNINFO   (RBMAP_BENCH_GEOCODE_QUERIES=1000 per kind)
"""
import csv
import gzip
import http.client
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
import urllib.parse

import psycopg2

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.environ.get("RBMAP_SHARED_DATA", os.path.join(ROOT, "..", "shared", "data"))
BIN = os.path.join(ROOT, "build", "rbmap")
N = int(os.environ.get("RBMAP_BENCH_GEOCODE_QUERIES", "1000"))
ABBREV = {"Rue": "r", "Avenue": "av", "Boulevard": "bd", "Route": "rte", "Impasse": "imp", "Allée": "all",
          "Chemin": "ch", "Place": "pl", "Lotissement": "lot"}
EXTRAS = ["bâtiment B", "appartement 12", "escalier 3", "résidence les Pins", "chez M. Martin"]


def addresses():
    out = []
    with gzip.open(f"{DATA}/addresses/ban-addok-988.ndjson.gz", "rt", encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            if d["type"] != "street":
                continue
            city = d["city"][0] if isinstance(d["city"], list) else d["city"]
            pc = d.get("postcode") or ""
            pc = pc[0] if isinstance(pc, list) else pc
            for number, h in d["housenumbers"].items():
                out.append(dict(id=h["id"], number=number, street=d["name"], postcode=pc, city=city,
                                lon=h["lon"], lat=h["lat"]))
    with open(f"{DATA}/addresses/ban-54084.csv", encoding="utf-8") as f:
        for r in csv.DictReader(f, delimiter=";"):
            out.append(dict(id=r["id"], number=(r["numero"] + r["rep"]).lower(), street=r["nom_voie"],
                            postcode=r["code_post"], city=r["nom_commune"], lon=float(r["lon"]),
                            lat=float(r["lat"])))
    return out


def label(a):
    return " ".join(x for x in (a["number"], a["street"], a["postcode"], a["city"]) if x)


def strip_accents(t):
    return "".join(c for c in unicodedata.normalize("NFD", t) if unicodedata.category(c) != "Mn")


def typo(t, rng):
    w = t.split()
    i = max(range(len(w)), key=lambda k: len(w[k]))
    j = rng.randrange(1, len(w[i]))
    w[i] = w[i][:j] + rng.choice([c for c in "abcdefghijklmnopqrstuvwxyz" if c != w[i][j].lower()]) + w[i][j + 1:]
    return " ".join(w)


NOISE = {
    "exact label": lambda a, rng: label(a),
    "one typo": lambda a, rng: typo(label(a), rng),
    "no accents, lower case": lambda a, rng: strip_accents(label(a)).lower(),
    "abbreviated street type": lambda a, rng: label(a).replace(a["street"].split()[0],
                                                               ABBREV.get(a["street"].split()[0], a["street"].split()[0]), 1),
    "no postcode, no commune": lambda a, rng: f"{a['number']} {a['street']}",
    "extra words": lambda a, rng: f"{label(a)} {rng.choice(EXTRAS)}",
    "commune first": lambda a, rng: f"{a['city']} {a['number']} {a['street']}",
}


def pctl(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))] if values else float("nan")


class Rbmap:
    name = "rbmap"

    def __init__(self, port):
        self.port = port
        self.local = threading.local()

    def conn(self):
        if not hasattr(self.local, "c"):
            self.local.c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        return self.local.c

    def get(self, path, params):
        c = self.conn()
        try:
            c.request("GET", path + "?" + urllib.parse.urlencode(params))
            r = c.getresponse()
        except (http.client.HTTPException, OSError):  # an idle keep-alive connection timed out
            del self.local.c
            c = self.conn()
            c.request("GET", path + "?" + urllib.parse.urlencode(params))
            r = c.getresponse()
        body = r.read()
        assert r.status == 200, body[:200]
        return json.loads(body)["features"]

    def search(self, q, limit=5, autocomplete=0):
        return [f["properties"]["id"] for f in self.get("/geocode/search/", {"q": q, "limit": limit,
                                                                               "autocomplete": autocomplete})]

    def reverse(self, lon, lat):
        return [f["properties"]["id"] for f in self.get("/geocode/reverse/", {"lon": lon, "lat": lat})]


class Trigram:
    """What a team builds on PostGIS: a pg_trgm GIN index on the full label, the `%`
    operator to use it, ORDER BY similarity; a GiST KNN for reverse."""
    name = "pg_trgm"

    def __init__(self, dsn):
        self.dsn = dsn
        self.local = threading.local()

    def cur(self):
        if not hasattr(self.local, "c"):
            conn = psycopg2.connect(self.dsn)
            conn.autocommit = True
            self.local.c = conn.cursor()
            self.local.c.execute("SET pg_trgm.similarity_threshold = 0.3")
        return self.local.c

    def search(self, q, limit=5, autocomplete=0):
        c = self.cur()
        c.execute("SELECT id FROM addr WHERE label %% %s ORDER BY similarity(label, %s) DESC, id LIMIT %s",
                  (q, q, limit))
        return [r[0] for r in c.fetchall()]

    def reverse(self, lon, lat):
        c = self.cur()
        c.execute("SELECT id FROM addr ORDER BY geom <-> ST_SetSRID(ST_MakePoint(%s, %s), 4326) LIMIT 1", (lon, lat))
        return [r[0] for r in c.fetchall()]


def load_trigram_db(demo_dsn, addrs):
    admin = psycopg2.connect(demo_dsn)
    admin.autocommit = True
    cur = admin.cursor()
    cur.execute("SELECT 1 FROM pg_database WHERE datname = 'rbmap_bench_geocode'")
    if not cur.fetchone():
        cur.execute("CREATE DATABASE rbmap_bench_geocode")
    dsn = re.sub(r"dbname=\S+", "dbname=rbmap_bench_geocode", demo_dsn)
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    c = conn.cursor()
    c.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    c.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    c.execute("DROP TABLE IF EXISTS addr")
    c.execute("CREATE TABLE addr (id text PRIMARY KEY, label text, geom geometry(Point, 4326))")
    t = time.time()
    c.executemany("INSERT INTO addr VALUES (%s, %s, ST_SetSRID(ST_MakePoint(%s, %s), 4326))",
                  [(a["id"], label(a), a["lon"], a["lat"]) for a in addrs])
    c.execute("CREATE INDEX ON addr USING gin (label gin_trgm_ops)")
    c.execute("CREATE INDEX ON addr USING gist (geom)")
    c.execute("ANALYZE addr")
    build = time.time() - t
    c.execute("SELECT pg_total_relation_size('addr')")
    size = c.fetchone()[0]
    conn.close()
    admin.close()
    return dsn, build, size


def accuracy(engine, addrs):
    rows = {}
    for kind, make in NOISE.items():
        rng = random.Random(kind)
        pool = [a for a in addrs if a["street"].split()[0] in ABBREV] if "abbreviated" in kind else addrs
        sample = rng.sample(pool, min(N, len(pool)))
        top1 = top5 = 0
        for a in sample:
            ids = engine.search(make(a, rng), limit=5)
            top1 += bool(ids) and ids[0] == a["id"]
            top5 += a["id"] in ids
        rows[kind] = (top1 / len(sample), top5 / len(sample))
    return rows


def speed(engine, addrs):
    rng = random.Random(1)
    sample = rng.sample(addrs, min(N, len(addrs)))
    jobs = {
        "search": lambda a: engine.search(label(a), limit=5),
        "autocomplete": lambda a: engine.search(label(a)[: max(6, len(label(a)) * 2 // 3)], limit=5, autocomplete=1),
        "reverse": lambda a: engine.reverse(a["lon"], a["lat"]),
    }
    out = {}
    for name, job in jobs.items():
        lat = []
        for a in sample:
            t = time.perf_counter()
            job(a)
            lat.append((time.perf_counter() - t) * 1000)
        done = [0]

        def worker(part):
            for a in part:
                job(a)
                done[0] += 1
        t = time.perf_counter()
        threads = [threading.Thread(target=worker, args=(sample[i::2],)) for i in range(2)]
        [th.start() for th in threads]
        [th.join() for th in threads]
        out[name] = (pctl(lat, 50), pctl(lat, 99), len(sample) / (time.perf_counter() - t))
    return out


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(next(line for line in f if line.startswith("VmRSS")).split()[1])


def start_server(demo, idx, port):
    """`rbmap serve` on the geocoder index idx, returned once it answers /health."""
    env = dict(os.environ, RBMAP_GEOCODER_INDEX=idx)
    server = subprocess.Popen([BIN, "serve", "--listen", f"127.0.0.1:{port}", "--db", demo, "--config", "/dev/null"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(600):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            c.request("GET", "/health")
            c.getresponse().read()
            break
        except OSError:
            time.sleep(0.1)
    return server


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    demo = sys.argv[1]
    addrs = addresses()
    work = tempfile.mkdtemp(prefix="rbmap-geobench-")
    idx = os.path.join(work, "ban.idx")
    t = time.time()
    subprocess.run([BIN, "import-ban", "--db", demo, "--output", idx, f"{DATA}/addresses/ban-54084.csv",
                    f"{DATA}/addresses/ban-addok-988.ndjson.gz"], check=True, capture_output=True)
    build = time.time() - t
    port = 18000 + os.getpid() % 1000
    server = start_server(demo, idx, port)
    try:
        rb = Rbmap(port)
        tdsn, tbuild, tsize = load_trigram_db(demo, addrs)
        tg = Trigram(tdsn)
        acc = {e.name: accuracy(e, addrs) for e in (rb, tg)}
        spd = {e.name: speed(e, addrs) for e in (rb, tg)}
        rss = rss_kb(server.pid)
    finally:
        server.terminate()
        server.wait()
    print(f"\n{len(addrs)} addresses (New Caledonia + Mont-Bonvillers), {N} queries per row, "
          f"2-core machine, load average {os.getloadavg()[0]:.1f}\n")
    print("| noise | rbmap top-1 | rbmap top-5 | pg_trgm top-1 | pg_trgm top-5 |\n|---|---:|---:|---:|---:|")
    for kind in NOISE:
        r, p = acc["rbmap"][kind], acc["pg_trgm"][kind]
        print(f"| {kind} | {r[0]:.1%} | {r[1]:.1%} | {p[0]:.1%} | {p[1]:.1%} |")
    print("\n| request | rbmap p50 ms | rbmap p99 ms | rbmap req/s (2 clients) | pg_trgm p50 ms | pg_trgm p99 ms "
          "| pg_trgm req/s | throughput ratio |\n|---|---:|---:|---:|---:|---:|---:|---:|")
    for name in spd["rbmap"]:
        r, p = spd["rbmap"][name], spd["pg_trgm"][name]
        print(f"| {name} | {r[0]:.2f} | {r[1]:.2f} | {r[2]:.0f} | {p[0]:.2f} | {p[1]:.2f} | {p[2]:.0f} | {r[2] / p[2]:.1f}x |")
    print(f"\nindex build: rbmap {build:.1f} s (with 34,920 communes from the territories), "
          f"{os.path.getsize(idx) / 1e6:.1f} MB file, server RSS {rss / 1024:.0f} MB; "
          f"pg_trgm load + indexes {tbuild:.1f} s, {tsize / 1e6:.1f} MB table and indexes")


if __name__ == "__main__":
    main()
