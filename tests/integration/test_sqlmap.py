"""sqlmap (Debian package) against every endpoint and parameter that reaches the
database or a parser: it must find nothing injectable.

The list of targets is data: add a row to TARGETS when an endpoint lands (an endpoint
that still answers 501 is skipped by the run and reported, so the row can be added
before its handler). The server runs with the national scope by default, so filters
reach real sites, and writes an access log: each run must have sent a real number of
requests, so a sqlmap that silently did nothing fails the test.

POST bodies (POST_TARGETS) are tested too: the multipart CSV uploads of the batch
geocoder (every form part and every CSV cell) and /reproject's JSON and CSV bodies.
sqlmap injects where the body has a `*` marker; each marker is named in the row, and
every POST route of server/routes.c must have a row.

API keys travel in `Authorization: Basic base64(id:secret)`, which sqlmap cannot
inject into directly; a small relay in this test takes `?id=..&secret=..`, builds the
header and forwards the request, so sqlmap's payloads land in the key id and secret.
"""
import base64
import http.server
import os
import re
import shutil
import subprocess
import threading
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import ROOT, http_get, http_request

SQLMAP = shutil.which("sqlmap")

# (name, path and query with realistic values, parameters to inject, minimum requests
# sqlmap must send for the run to count). Paths are relative to the server, or to the
# Basic-auth relay for "relay:" rows.
TARGETS = [
    ("tiles-filters", "/tiles/sites/9/259/176.mvt?status=open&territory=departement:93&field_type=1&date=2024-01-31",
     ["status", "territory", "field_type", "date"]),
    ("clusters", "/clusters/sites.geojson?bbox=2.2,48.8,2.5,49.0&zoom=10&status=open&territory=region:11",
     ["bbox", "zoom", "status", "territory"]),
    ("cluster-leaves", "/clusters/sites/1/leaves?limit=10&offset=0", ["limit", "offset"]),
    ("geocode-search", "/geocode/search?q=rue+de+la+paix+paris&postcode=75002&citycode=75102&type=street&limit=5",
     ["q", "postcode", "citycode", "type", "limit"]),
    ("geocode-reverse", "/geocode/reverse?lon=2.3310&lat=48.8690&limit=3", ["lon", "lat", "limit"]),
    ("reproject", "/reproject?from=EPSG:4326&to=EPSG:2154&coords=2.35,48.85;5.37,43.30",
     ["from", "to", "coords"]),
    ("catalog", "/catalog?status=open", ["status"]),
    ("api-key-basic", "relay:/tiles/sites/9/259/176.mvt?id=rbk_0123456789abcdef&secret=s3cr3t-value",
     ["id", "secret"]),
    # OGC API Features, exports and WMS: run once their handlers answer (501 before).
    ("ogc-items", "/ogc/collections/sites/items?limit=10&bbox=2.2,48.8,2.5,49.0&datetime=2024-01-01&status=open",
     ["limit", "bbox", "datetime", "status"]),
    ("ogc-item", "/ogc/collections/sites/items/1?crs=http://www.opengis.net/def/crs/EPSG/0/2154", ["crs"]),
    ("export", "/export/sites.csv?status=open&territory=departement:93", ["status", "territory"]),
    ("wms", "/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=sites&STYLES=&CRS=EPSG:4326"
            "&BBOX=48.8,2.2,49.0,2.5&WIDTH=256&HEIGHT=256&FORMAT=image/png",
     ["LAYERS", "CRS", "BBOX", "STYLES"]),
]


def form(parts, csv):
    """A multipart/form-data body (boundary XyZ): form parts, then the CSV file part."""
    out = "".join(f'--XyZ\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n' for k, v in parts)
    return (out + '--XyZ\r\nContent-Disposition: form-data; name="data"; filename="in.csv"\r\n'
            f'Content-Type: text/csv\r\n\r\n{csv}\r\n--XyZ--\r\n')


MULTIPART = "multipart/form-data; boundary=XyZ"
# (name, path and query, Content-Type, body with a `*` after each injected value, what
# each marker is, in body order). Every POST route of server/routes.c needs a row.
POST_TARGETS = [
    ("geocode-search-csv", "/geocode/search/csv", MULTIPART,
     form([("columns", "address*"), ("postcode", "postcode*"), ("citycode", "citycode*"),
           ("result_columns", "result_label*"), ("delimiter", ",*")],
          "address,postcode,citycode\r\n8 bd du port*,95000*,95127*"),
     ["part columns", "part postcode", "part citycode", "part result_columns", "part delimiter",
      "CSV address", "CSV postcode", "CSV citycode"]),
    ("geocode-reverse-csv", "/geocode/reverse/csv", MULTIPART,
     form([("result_columns", "result_citycode*")], "name,lat,lon\r\nsite*,48.8690*,2.3310*"),
     ["part result_columns", "CSV name", "CSV lat", "CSV lon"]),
    ("reproject-json", "/reproject?from=EPSG:4326&to=EPSG:2154", "application/json",
     '{"coordinates": [[2.35*, 48.85*], [5.37, 43.30*]]}', ["x", "y", "second y"]),
    ("reproject-csv", "/reproject?from=EPSG:4326&to=EPSG:2154", "text/csv",
     "id,x,y\n1*,2.35*,48.85*\n", ["id", "x", "y"]),
]
MIN_REQUESTS_PER_PARAM = 20
TIMEOUT_S = 150  # every run together, in parallel


class Relay(http.server.ThreadingHTTPServer):
    """GET /path?id=I&secret=S&... -> rbmap /path?... with Authorization: Basic I:S."""

    def __init__(self, upstream):
        self.upstream = upstream
        super().__init__(("127.0.0.1", 0), RelayHandler)


class RelayHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        params = urllib.parse.parse_qsl(url.query, keep_blank_values=True)
        cred = dict(params)
        rest = urllib.parse.urlencode([(k, v) for k, v in params if k not in ("id", "secret")])
        token = base64.b64encode(f"{cred.get('id', '')}:{cred.get('secret', '')}".encode("utf-8", "surrogateescape"))
        status, headers, body = http_request("GET", self.server.upstream + url.path + ("?" + rest if rest else ""),
                                             headers={"Authorization": "Basic " + token.decode()}, timeout=20)
        self.send_response(status)
        self.send_header("Content-Type", headers.get("Content-Type", "application/octet-stream"))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def injection_server(rbmap_bin, demo_dsn, tmp_path_factory):
    from conftest import Server
    tmp = tmp_path_factory.mktemp("sqlmap")
    env = {"RBMAP_ACCESS_LOG": str(tmp / "access.log"), "RBMAP_DEFAULT_SCOPE": "national"}
    index = os.path.join(ROOT, "var", "ban.idx")
    if os.path.exists(index):
        env["RBMAP_GEOCODER_INDEX"] = index
    srv = Server(rbmap_bin, demo_dsn, tmp, env=env)
    srv.access_log = tmp / "access.log"
    srv.tmp = tmp
    relay = Relay(srv.url)
    threading.Thread(target=relay.serve_forever, daemon=True).start()
    srv.relay_url = f"http://127.0.0.1:{relay.server_address[1]}"
    yield srv
    relay.shutdown()
    srv.stop()


def access_log_lines(srv):
    try:
        return srv.access_log.read_text(errors="replace").count("\n")
    except FileNotFoundError:
        return 0


def post_routes():
    """The POST routes of server/routes.c, trailing slashes folded."""
    with open(os.path.join(ROOT, "server", "routes.c")) as f:
        return {p.rstrip("/") for p in re.findall(r'\{"POST", "([^"]+)"', f.read())}


def run_sqlmap(name, url, params, outdir, body=None, content_type=None):
    inject = ["--data", body, "--headers", f"Content-Type: {content_type}"] if body else ["-p", ",".join(params)]
    cmd = [SQLMAP, "-u", url, *inject, "--batch", "--level", "1", "--risk", "1",
           "--flush-session", "--output-dir", str(outdir), "--technique=BEUST", "--time-sec", "1",
           "--timeout", "10", "--retries", "0", "--threads", "4", "--disable-coloring", "--skip-waf",
           "--ignore-code", "400,401,404,503", "--dbms", "PostgreSQL"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S)
    return name, proc.returncode, proc.stdout + proc.stderr


def test_sqlmap_finds_nothing_injectable(injection_server):
    assert SQLMAP, "sqlmap is missing: scripts/deps.sh installs it"
    srv = injection_server
    runs, skipped = [], []
    for name, target, params in TARGETS:
        relay = target.startswith("relay:")
        path = target[len("relay:"):] if relay else target
        base = srv.relay_url if relay else srv.url
        status, _, body = http_get(base + path)
        if status == 501:
            skipped.append(name)
            continue
        assert status < 500, f"{name}: the clean request already fails with {status}: {body[:300]!r}"
        runs.append((name, base + path, params))
    assert len(runs) >= 7
    assert post_routes() == {t[1].split("?")[0] for t in POST_TARGETS}, "a POST route has no row in POST_TARGETS"
    for name, path, content_type, body, labels in POST_TARGETS:
        assert body.count("*") == len(labels), name
        clean = body.replace("*", "").encode()
        status, _, answer = http_request("POST", srv.url + path, clean, {"Content-Type": content_type})
        assert status == 200, f"{name}: the clean request fails with {status}: {answer[:300]!r}"
        runs.append((name, srv.url + path, labels, body, content_type))
    print(f"sqlmap targets: {[r[0] for r in runs]}; not implemented yet (501): {skipped}")

    before = access_log_lines(srv)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda r: run_sqlmap(r[0], r[1], r[2], srv.tmp / f"out-{r[0]}", *r[3:]), runs))
    sent = access_log_lines(srv) - before
    print(f"sqlmap sent {sent} requests to rbmap")
    wanted = MIN_REQUESTS_PER_PARAM * sum(len(r[2]) for r in runs)
    assert sent >= wanted, f"sqlmap sent only {sent} requests (expected at least {wanted}): broken run?"

    for (name, _, params, *post), (_, rc, out) in zip(runs, results):
        assert rc == 0, f"{name}: sqlmap exited with {rc}:\n{out[-3000:]}"
        assert "identified the following injection point" not in out, f"{name}: INJECTABLE\n{out[-5000:]}"
        for hint in re.finditer(r"parameter '([^']+)' (is|appears to be) .*injectable", out):
            # A heuristic hit is acceptable only when sqlmap's own confirmation then
            # rejects it ("false positive or unexploitable") and moves on with that
            # parameter found not injectable; anything else fails.
            rest = out[hint.end():]
            assert "false positive or unexploitable injection point detected" in rest and \
                f"parameter '{hint.group(1)}' does not seem to be injectable" in rest, f"{name}:\n{out[-5000:]}"
        for i, p in enumerate(params):
            if post:  # markers are numbered in body order: "(custom) POST parameter 'MULTIPART #2*'"
                tested = re.search(rf"POST parameter '(\w+ )?#{i + 1}\*' does not seem to be injectable", out)
            else:
                tested = re.search(rf"(GET|URI) parameter '{re.escape(p)}' does not seem to be injectable", out)
            assert tested, f"{name}: sqlmap did not report testing parameter {p}:\n{out[-3000:]}"
