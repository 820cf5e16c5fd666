"""Every value a client sends and the server reflects (bad parameter values and names,
unknown paths, layer names, credentials) comes back escaped: JSON answers are
well-formed UTF-8 JSON whatever bytes came in (markup, quotes, control characters,
invalid UTF-8, NUL), and no text/html or XML answer carries a raw `<script>`; XML
answers must also parse (WMS/OGC exceptions, MapCache CVE-2017-12808 and GeoServer
GEOS-6632 were XSS through them).

The list of endpoints is data: add a row when an endpoint lands. Endpoints that still
answer 501 are checked too (their error is JSON as well).
"""
import http.client
import json
import urllib.parse
import xml.etree.ElementTree as ET

import pytest

# Raw bytes sent percent-encoded; each is a value a reflected message could mangle.
PAYLOADS = [
    b"<script>alert(1)</script>",
    b"\"'><img src=x onerror=alert(1)>",
    b"a\"b\\c'd`e",
    b"ctl\x01\x08\x0b\x1b[31m\x7fend",
    b"line\r\nX-Injected: 1",
    b"nul\x00after<script>",
    b"\xff\xfe\xfd<script>",
    b"\xc3",                       # a lone UTF-8 lead byte
    b"caf\xc3\xa9\xe2\x80\xa8\xed\xa0\x80",  # U+2028 then an encoded surrogate
    b"\xc3\xa9" * 60 + b"<script>",  # long enough to be cut inside a character
]

# (path, parameters with harmless values); each parameter gets every payload in turn.
ENDPOINTS = [
    ("/tiles/sites/9/259/176.mvt", {"status": "open", "territory": "departement:93", "field_type": "1",
                                    "date": "2024-01-31"}),
    ("/clusters/sites.geojson", {"bbox": "2.2,48.8,2.5,49.0", "zoom": "10", "status": "open"}),
    ("/clusters/sites/1/leaves", {"limit": "10", "offset": "0"}),
    ("/geocode/search", {"q": "rue de la paix", "postcode": "75002", "citycode": "75102", "type": "street",
                         "limit": "5", "lon": "2.33", "lat": "48.87", "autocomplete": "1"}),
    ("/geocode/reverse", {"lon": "2.33", "lat": "48.87", "type": "street", "limit": "1"}),
    ("/reproject", {"from": "EPSG:4326", "to": "EPSG:2154", "coords": "2.35,48.85"}),
    ("/catalog", {"status": "open"}),
    ("/tiles/sites.json", {"status": "open"}),
    ("/ogc/collections/sites/items", {"limit": "10", "bbox": "2.2,48.8,2.5,49.0", "crs": "EPSG:2154",
                                      "datetime": "2024-01-01", "f": "json"}),
    ("/ogc/collections/sites/items", {"f": "html", "limit": "10"}),
    ("/export/sites.csv", {"status": "open"}),
    ("/wms", {"SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetMap", "LAYERS": "sites", "STYLES": "",
              "CRS": "EPSG:4326", "BBOX": "48.8,2.2,49.0,2.5", "WIDTH": "256", "HEIGHT": "256",
              "FORMAT": "image/png", "EXCEPTIONS": "XML"}),
    ("/wms", {"SERVICE": "WMS", "REQUEST": "GetCapabilities", "VERSION": "1.3.0"}),
    ("/styles/light.json", {"f": "json"}),
]
# Paths that reflect a segment ("no such endpoint: ...", "unknown layer '...'").
PATHS = ["/no/such/{}", "/tiles/{}/1/0/0.mvt", "/clusters/{}.geojson", "/clusters/sites/{}/leaves",
         "/ogc/collections/{}", "/ogc/collections/sites/items/{}", "/styles/{}", "/export/{}"]


def quote(raw):
    return urllib.parse.quote(raw, safe="")


def fetch(server, target, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.putrequest("GET", target, skip_accept_encoding=True)
        for k, v in (headers or {}).items():
            conn.putheader(k, v)
        conn.endheaders()
        resp = conn.getresponse()
        return resp.status, resp.getheader("Content-Type") or "", resp.read()
    finally:
        conn.close()


def check_answer(what, status, ctype, body):
    """The escaping contract for one answer; returns a failure text or None."""
    if status >= 500 and status not in (501, 503):
        return f"{what}: status {status}: {body[:200]!r}"
    ctype = ctype.lower()
    if "json" in ctype:
        try:
            text = body.decode("utf-8")  # strict: invalid UTF-8 must not come back
            json.loads(text)
        except (UnicodeDecodeError, ValueError) as e:
            return f"{what}: not well-formed UTF-8 JSON ({e}): {body[:300]!r}"
        if any(c < 0x20 and c not in (0x09, 0x0a, 0x0d) for c in body):
            return f"{what}: raw control character in JSON: {body[:300]!r}"
    if "html" in ctype or "xml" in ctype:
        if b"<script" in body.lower():
            return f"{what}: raw <script> in {ctype}: {body[:300]!r}"
        if "xml" in ctype:
            try:
                ET.fromstring(body)
            except ET.ParseError as e:
                return f"{what}: XML does not parse ({e}): {body[:300]!r}"
    if "javascript" in ctype or (status >= 400 and "html" not in ctype and "json" not in ctype
                                 and "xml" not in ctype and b"<script" in body.lower()):
        return f"{what}: error answered as {ctype!r} with the payload in it: {body[:200]!r}"
    return None


@pytest.fixture(scope="module")
def escaping_server(rbmap_bin, demo_dsn, tmp_path_factory):
    """National by default, so filters and feature answers reflect real data paths."""
    import os
    from conftest import ROOT, Server
    env = {"RBMAP_DEFAULT_SCOPE": "national"}
    index = os.path.join(ROOT, "var", "ban.idx")
    if os.path.exists(index):
        env["RBMAP_GEOCODER_INDEX"] = index
    srv = Server(rbmap_bin, demo_dsn, tmp_path_factory.mktemp("escaping"), env=env)
    yield srv
    srv.stop()


def test_reflected_parameter_values_are_escaped(escaping_server):
    failures, answered = [], 0
    for path, params in ENDPOINTS:
        for name in params:
            for raw in PAYLOADS:
                query = "&".join(f"{k}={quote(raw) if k == name else quote(v.encode())}" for k, v in params.items())
                status, ctype, body = fetch(escaping_server, f"{path}?{query}")
                answered += 1
                problem = check_answer(f"{path} {name}={raw!r}", status, ctype, body)
                if problem:
                    failures.append(problem)
    assert answered > 300
    assert not failures, f"{len(failures)} answers not escaped:\n" + "\n".join(failures[:20])


def test_reflected_parameter_names_and_paths_are_escaped(escaping_server):
    failures = []
    for path, params in ENDPOINTS:
        for raw in PAYLOADS:
            query = "&".join(f"{k}={quote(v.encode())}" for k, v in params.items())
            status, ctype, body = fetch(escaping_server, f"{path}?{quote(raw)}=1&{query}")
            problem = check_answer(f"{path} name {raw!r}", status, ctype, body)
            if problem:
                failures.append(problem)
    for pattern in PATHS:
        for raw in PAYLOADS:
            status, ctype, body = fetch(escaping_server, pattern.format(quote(raw)))
            problem = check_answer(f"path {pattern} {raw!r}", status, ctype, body)
            if problem:
                failures.append(problem)
            if status == 200 and pattern.startswith("/no/such"):
                failures.append(f"{pattern}: 200 for an unknown path")
    assert not failures, f"{len(failures)} answers not escaped:\n" + "\n".join(failures[:20])


def test_reflected_credentials_are_escaped(escaping_server):
    """A bad token or API key is a 401 whose JSON and WWW-Authenticate carry no raw payload."""
    failures = []
    for raw in PAYLOADS:
        text = raw.decode("latin-1").replace("\r", "").replace("\n", "").replace("\x00", "")
        for header in (f"Bearer {text}", f"Basic {text}"):
            conn = http.client.HTTPConnection("127.0.0.1", escaping_server.port, timeout=30)
            conn.putrequest("GET", "/catalog")
            conn.putheader("Authorization", header.encode("latin-1"))
            conn.endheaders()
            resp = conn.getresponse()
            body = resp.read()
            challenge = resp.getheader("WWW-Authenticate") or ""
            conn.close()
            if resp.status not in (400, 401):
                failures.append(f"Authorization {header!r}: status {resp.status}")
            problem = check_answer(f"Authorization {header!r}", resp.status, resp.getheader("Content-Type") or "", body)
            if problem:
                failures.append(problem)
            if "<script" in challenge.lower() or any(ord(c) < 0x20 or ord(c) > 0x7e for c in challenge):
                failures.append(f"WWW-Authenticate reflects the payload raw: {challenge!r}")
        status, ctype, body = fetch(escaping_server, f"/catalog?access_token={quote(raw)}")
        problem = check_answer(f"access_token {raw!r}", status, ctype, body)
        if problem:
            failures.append(problem)
    assert not failures, "\n".join(failures[:20])
