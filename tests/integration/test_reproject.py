"""GET,POST /reproject against the running server, judged by the shared reference points
and by PROJ's own command-line tool (cs2cs) on random points."""
import csv
import io
import json
import math
import os
import random
import shutil
import subprocess
import time
import urllib.parse

import pytest

from conftest import http_get, http_request

MM = 0.001
M_PER_DEG = 111319.49


def reproject_url(server, **params):
    return server.url + "/reproject?" + urllib.parse.urlencode(params)


def get_json(server, **params):
    status, headers, body = http_get(reproject_url(server, **params))
    return status, headers, json.loads(body)


def post(server, body, content_type="application/json", **params):
    if isinstance(body, str):
        body = body.encode()
    return http_request("POST", reproject_url(server, **params), body,
                        {"Content-Type": content_type} if content_type else {})


def ground_error(lon1, lat1, lon2, lat2):
    dx = (lon1 - lon2) * M_PER_DEG * math.cos(math.radians(lat1))
    return math.hypot(dx, (lat1 - lat2) * M_PER_DEG)


def cs2cs(src, dst, points):
    """PROJ's command-line tool as an independent judge. EPSG:4326 is lat,lon on its
    command line, so the pairs are swapped on the way in and out."""
    exe = shutil.which("cs2cs")
    assert exe, "cs2cs (Debian proj-bin) is needed to judge the results"
    geo_in, geo_out = src == "EPSG:4326", dst == "EPSG:4326"
    text = "".join(f"{b:.12f} {a:.12f}\n" if geo_in else f"{a:.12f} {b:.12f}\n" for a, b in points)
    out = subprocess.run([exe, "-f", "%.12f", src, dst], input=text, capture_output=True,
                         text=True, check=True).stdout
    result = []
    for line in out.splitlines():
        u, v = (float(t) for t in line.split()[:2])
        result.append((v, u) if geo_out else (u, v))
    assert len(result) == len(points)
    return result


@pytest.fixture(scope="module")
def references(shared_data):
    with open(os.path.join(shared_data, "proj", "reference-points.csv")) as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 12
    return rows


def test_get_reference_points_both_ways(server, references):
    for row in references:
        lon, lat, x, y = (float(row[k]) for k in ("lon", "lat", "x", "y"))
        dst = "EPSG:" + row["epsg"]
        status, headers, doc = get_json(server, **{"from": "EPSG:4326", "to": dst, "coords": f"{lon},{lat}"})
        assert status == 200, doc
        assert headers["Content-Type"].startswith("application/json")
        assert doc["from"] == "EPSG:4326" and doc["to"] == dst
        (px, py), = doc["coordinates"]
        assert math.hypot(px - x, py - y) <= MM, (row, px, py)
        status, _, doc = get_json(server, **{"from": dst, "to": "EPSG:4326", "coords": f"{x},{y}"})
        assert status == 200, doc
        (plon, plat), = doc["coordinates"]
        assert ground_error(plon, plat, lon, lat) <= MM, (row, plon, plat)


def test_get_crs_spellings_and_axis_order(server):
    want = (648235.8777, 6862268.3583)
    for src in ("EPSG:4326", "epsg:4326", "4326", "CRS:84", "OGC:CRS84",
                "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
                "http://www.opengis.net/def/crs/EPSG/0/4326"):
        status, _, doc = get_json(server, **{"from": src, "to": "http://www.opengis.net/def/crs/EPSG/0/2154",
                                             "coords": "2.294481,48.858370"})
        assert status == 200, (src, doc)
        assert doc["to"] == "EPSG:2154"
        (x, y), = doc["coordinates"]
        assert abs(x - want[0]) <= MM and abs(y - want[1]) <= MM, src


def random_points(rng, n, west, south, east, north):
    return [(rng.uniform(west, east), rng.uniform(south, north)) for _ in range(n)]


def test_post_json_10000_points_matches_cs2cs(server):
    rng = random.Random(2154)
    pts = random_points(rng, 10000, -4.7, 42.4, 8.1, 51.0)  # mainland France and Corsica
    body = json.dumps(pts)
    t0 = time.monotonic()
    status, headers, raw = post(server, body, **{"from": "EPSG:4326", "to": "EPSG:2154"})
    elapsed = time.monotonic() - t0
    assert status == 200, raw[:500]
    got = json.loads(raw)["coordinates"]
    assert len(got) == len(pts)
    judge = cs2cs("EPSG:4326", "EPSG:2154", pts)
    worst = max(math.hypot(a[0] - b[0], a[1] - b[1]) for a, b in zip(got, judge))
    assert worst <= MM, worst
    print(f"POST 10000 points: {elapsed * 1000:.0f} ms, max difference from cs2cs {worst:.1e} m")

    # And back, as {"coordinates": [...]}.
    status, _, raw = post(server, json.dumps({"coordinates": got}), **{"from": "EPSG:2154", "to": "EPSG:4326"})
    assert status == 200, raw[:500]
    back = json.loads(raw)["coordinates"]
    assert max(ground_error(a[0], a[1], b[0], b[1]) for a, b in zip(back, pts)) <= MM


@pytest.mark.parametrize("epsg,box", [
    ("EPSG:2975", (55.2, -21.4, 55.85, -20.85)),     # Réunion
    ("EPSG:5490", (-61.85, 14.38, -60.8, 16.52)),    # Guadeloupe, Martinique
    ("EPSG:2972", (-54.6, 2.11, -51.62, 5.75)),      # all of Guyane, beyond EPSG's box
    ("EPSG:4471", (45.0, -13.0, 45.3, -12.63)),      # Mayotte
    ("EPSG:3857", (-180, -85, 180, 85)),
])
def test_post_csv_overseas_matches_cs2cs(server, epsg, box):
    rng = random.Random(epsg)
    pts = random_points(rng, 2000, *box)
    text = "id;lon;lat;label\n" + "".join(f"{i};{lon!r};{lat!r};\"site; {i}\"\n" for i, (lon, lat) in enumerate(pts))
    status, headers, raw = post(server, text, "text/csv", **{"from": "EPSG:4326", "to": epsg})
    assert status == 200, raw[:500]
    assert headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(raw.decode()), delimiter=";"))
    assert rows[0] == ["id", "x", "y", "label"]
    assert len(rows) == len(pts) + 1
    judge = cs2cs("EPSG:4326", epsg, pts)
    for i, (row, (jx, jy)) in enumerate(zip(rows[1:], judge)):
        assert row[0] == str(i) and row[3] == f"site; {i}"
        assert math.hypot(float(row[1]) - jx, float(row[2]) - jy) <= MM, (i, row, jx, jy)


def test_inverse_lambert93_matches_cs2cs(server):
    rng = random.Random(93)
    pts = random_points(rng, 3000, 150000, 6150000, 1200000, 7100000)
    status, _, raw = post(server, json.dumps(pts), **{"from": "EPSG:2154", "to": "EPSG:4326"})
    assert status == 200, raw[:500]
    got = json.loads(raw)["coordinates"]
    judge = cs2cs("EPSG:2154", "EPSG:4326", pts)
    assert max(ground_error(a[0], a[1], b[0], b[1]) for a, b in zip(got, judge)) <= MM


BAD_GETS = [
    ({"to": "EPSG:2154", "coords": "2,48"}, "from: missing"),
    ({"from": "EPSG:4326", "coords": "2,48"}, "to: missing"),
    ({"from": "EPSG:9999", "to": "EPSG:2154", "coords": "2,48"}, "from: unsupported CRS 'EPSG:9999'; supported:"),
    ({"from": "EPSG:4326", "to": "EPSG:27572", "coords": "2,48"}, "to: unsupported CRS 'EPSG:27572'"),
    ({"from": "EPSG:4326", "to": "EPSG:2154"}, "coords: missing"),
    ({"from": "EPSG:4326", "to": "EPSG:2154", "coords": ""}, "coords: point 1"),
    ({"from": "EPSG:4326", "to": "EPSG:2154", "coords": "1,2;3"}, "coords: point 2"),
    ({"from": "EPSG:4326", "to": "EPSG:2154", "coords": "abc,1"}, "coords: point 1: x 'abc' is not a number"),
    ({"from": "EPSG:4326", "to": "EPSG:2154", "coords": "1e999,2"}, "coords: point 1: x '1e999' is not a finite number"),
    ({"from": "EPSG:4326", "to": "EPSG:2154", "coords": "NaN,48"}, "coords: point 1: x 'NaN'"),
    ({"from": "EPSG:4326", "to": "EPSG:2154", "coords": "2,inf"}, "coords: point 1: y 'inf'"),
    ({"from": "EPSG:4326", "to": "EPSG:2154", "coords": "2,48;2,48;55.450675,-20.882057"},
     "coords: point 3 (55.450675,-20.882057) is outside the area of use of EPSG:2154 (RGF93 v1 / Lambert-93)"),
    ({"from": "EPSG:4326", "to": "EPSG:3857", "coords": "2,85.5"}, "coords: point 1 (2,85.5) is outside the area of use of EPSG:3857"),
    ({"from": "EPSG:2154", "to": "EPSG:4326", "coords": "10180583.61,546573.89"}, "coords: point 1 (10180583.61,546573.89) (lon,lat"),
]


@pytest.mark.parametrize("params,message", BAD_GETS)
def test_get_errors_are_400_naming_the_parameter(server, params, message):
    status, headers, doc = get_json(server, **params)
    assert status == 400
    assert doc["error"]["status"] == 400
    assert doc["error"]["message"].startswith(message), doc


BAD_POSTS = [
    ("application/json", "[[2,48],[3,4]", "body: invalid JSON"),
    ("application/json", "[[2,48],[2]]", "body: point 2 must be [x, y]"),
    ("application/json", "{\"points\": []}", "body: expected an array"),
    ("application/json", "", "body: empty"),
    ("application/xml", "<a/>", "Content-Type: 'application/xml' is not supported"),
    ("text/csv", "x,y\n2,48\nabc,48\n", "body: line 3: x 'abc' is not a number"),
    ("text/csv", "x,y\n2,48\n55.45,-20.88\n", "body: line 3: point 2 (55.45,-20.88) is outside the area of use of EPSG:2154"),
]


@pytest.mark.parametrize("ctype,body,message", BAD_POSTS)
def test_post_errors_are_400(server, ctype, body, message):
    status, _, raw = post(server, body, ctype, **{"from": "EPSG:4326", "to": "EPSG:2154"})
    assert status == 400, raw[:300]
    assert json.loads(raw)["error"]["message"].startswith(message)


def test_too_many_points(server):
    body = "[" + ",".join("[2.5,47.5]" for _ in range(100001)) + "]"
    status, _, raw = post(server, body, **{"from": "EPSG:4326", "to": "EPSG:2154"})
    assert status == 400, raw[:300]
    assert json.loads(raw)["error"]["message"].startswith("body: too many points")
    coords = ";".join(["2.5,47.5"] * 100)
    status, _, raw = http_get(reproject_url(server, **{"from": "4326", "to": "2154", "coords": coords}))
    assert status == 200


def test_configured_point_limit(start_server, demo_dsn, tmp_path):
    conf = tmp_path / "rbmap.conf"
    conf.write_text("reproject_max_points = 5\n")
    srv = start_server(demo_dsn, ["--config", str(conf)])
    status, _, raw = http_get(reproject_url(srv, **{"from": "4326", "to": "2154", "coords": ";".join(["2,48"] * 6)}))
    assert status == 400 and b"coords: too many points (6, at most 5" in raw
    status, _, raw = http_get(reproject_url(srv, **{"from": "4326", "to": "2154", "coords": ";".join(["2,48"] * 5)}))
    assert status == 200
