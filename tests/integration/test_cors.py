"""CORS against the real server: cors_origins = * (default) lets any page read without
credentials; a list echoes only listed origins (with Vary: Origin and credentials) and
refuses other preflights. The judge is Chromium itself: pages served from an allowed
and from a refused origin fetch from rbmap with an Authorization header."""
import functools
import http.server
import json
import secrets
import subprocess
import threading
import urllib.parse

import pytest

from conftest import Server, free_port, http_request, run_rbmap

TILE = "/tiles/sites/0/0/0.mvt"


@pytest.fixture(scope="module")
def page_port():
    return free_port()


@pytest.fixture(scope="module")
def conf(tmp_path_factory, page_port):
    path = tmp_path_factory.mktemp("corsconf") / "rbmap.conf"
    path.write_text(f"jwt_secret = {secrets.token_hex(32)}\n"
                    f"cors_origins = https://carto.example.fr, http://127.0.0.1:{page_port}\n")
    return str(path)


@pytest.fixture(scope="module")
def listed(rbmap_bin, demo_dsn, tmp_path_factory, conf):
    s = Server(rbmap_bin, demo_dsn, tmp_path_factory.mktemp("cors"), ["--config", conf])
    yield s
    s.wait_boundaries()
    s.stop()


def token(rbmap_bin, conf):
    r = run_rbmap(rbmap_bin, "token", "--config", conf, "--scope", "national")
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def preflight(srv, origin):
    return http_request("OPTIONS", srv.url + TILE, headers={
        "Origin": origin, "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization"})


def test_wildcard_by_default(server):
    status, hdrs, _ = http_request("GET", server.url + "/health", headers={"Origin": "https://any.example"})
    assert status == 200 and hdrs["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in hdrs  # never with *
    status, hdrs, _ = preflight(server, "https://any.example")
    assert status == 204 and hdrs["Access-Control-Allow-Origin"] == "*"
    assert "authorization" in hdrs["Access-Control-Allow-Headers"].lower()
    assert "Access-Control-Allow-Credentials" not in hdrs


def test_listed_origins_are_echoed_others_not(listed, page_port):
    status, hdrs, _ = http_request("GET", listed.url + "/health", headers={"Origin": "https://carto.example.fr"})
    assert status == 200 and hdrs["Access-Control-Allow-Origin"] == "https://carto.example.fr"
    assert hdrs["Access-Control-Allow-Credentials"] == "true" and hdrs["Vary"] == "Origin"
    # Scheme and host are case-insensitive: the configured spelling is echoed, not the request's.
    status, hdrs, _ = http_request("GET", listed.url + "/health", headers={"Origin": "HTTPS://CARTO.example.fr"})
    assert hdrs["Access-Control-Allow-Origin"] == "https://carto.example.fr"
    for origin in ("https://evil.example", "https://carto.example.fr.evil.example", "null",
                   f"http://localhost:{page_port}", "http://carto.example.fr"):
        status, hdrs, _ = http_request("GET", listed.url + "/health", headers={"Origin": origin})
        assert status == 200  # served, but the browser will not let the page read it
        assert "Access-Control-Allow-Origin" not in hdrs and "Access-Control-Allow-Credentials" not in hdrs
        assert hdrs["Vary"] == "Origin"
        status, hdrs, body = preflight(listed, origin)
        assert status == 403 and "Access-Control-Allow-Origin" not in hdrs
        assert "is not allowed (cors_origins)" in json.loads(body)["error"]["message"]
    status, hdrs, _ = preflight(listed, "https://carto.example.fr")
    assert status == 204 and hdrs["Access-Control-Allow-Origin"] == "https://carto.example.fr"
    assert hdrs["Vary"] == "Origin"
    # Without Origin (GIS clients, curl) nothing changes but the Vary.
    status, hdrs, _ = http_request("GET", listed.url + "/health")
    assert status == 200 and "Access-Control-Allow-Origin" not in hdrs and hdrs["Vary"] == "Origin"
    # A handler's own Vary is kept, with Origin added to it.
    status, hdrs, _ = http_request("GET", listed.url + "/tiles/boundaries/0/0/0.mvt",
                                   headers={"Origin": "https://carto.example.fr", "Accept-Encoding": "gzip"})
    assert status in (200, 204)
    if "Accept-Encoding" in (hdrs.get("Vary") or ""):
        assert hdrs.get_all("Vary") == ["Accept-Encoding, Origin"]
    else:
        assert hdrs.get_all("Vary") == ["Origin"]
    status, _, body = http_request("GET", listed.url + "/metrics")
    assert 'rbmap_rejected_requests_total{reason="cors"} 5' in body.decode()


PAGE = """<html><body><pre id="out">pending</pre><script>
const q = new URLSearchParams(location.search);
const show = t => document.getElementById("out").textContent = t;
fetch(q.get("url"), {headers: {"Authorization": "Bearer " + q.get("token")}})
  .then(r => r.arrayBuffer().then(b => show("read " + r.status + " " + b.byteLength)))
  .catch(e => show("blocked " + e.name));
</script></body></html>"""


class PageHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = PAGE.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def browser_result(page_url):
    r = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=10000",
                        "--dump-dom", page_url], capture_output=True, text=True, timeout=120)
    start = r.stdout.find('<pre id="out">')
    assert start >= 0, r.stderr[-2000:]
    return r.stdout[start + len('<pre id="out">'):r.stdout.find("</pre>", start)]


def test_chromium_reads_only_from_allowed_origins(rbmap_bin, listed, conf, page_port, demo_dsn):
    pages = http.server.ThreadingHTTPServer(("127.0.0.1", page_port), PageHandler)
    threading.Thread(target=pages.serve_forever, daemon=True).start()
    try:
        query = urllib.parse.urlencode({"url": listed.url + TILE, "token": token(rbmap_bin, conf)})
        # Listed origin: the preflight for Authorization passes and the national tile is read.
        result = browser_result(f"http://127.0.0.1:{page_port}/?{query}")
        assert result.startswith("read 200 ") and int(result.split()[2]) > 1000, result
        # Same page, same server, an origin not in the list (localhost is another origin).
        result = browser_result(f"http://localhost:{page_port}/?{query}")
        assert result == "blocked TypeError", result
        # ...because rbmap refused its preflight, which the access log shows.
        preflights = [json.loads(l) for l in listed.read_log().splitlines()
                      if l.startswith("{") and '"method":"OPTIONS"' in l and f'"path":"{TILE}"' in l]
        assert {p["status"] for p in preflights} >= {204, 403}
    finally:
        pages.shutdown()
        pages.server_close()
