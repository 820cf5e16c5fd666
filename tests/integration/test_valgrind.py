"""The release binary under valgrind's memcheck on the main paths: building a geocoder
index, then a server answering tiles of every layer, TileJSON, clusters, OGC items,
WMS, geocoding, reprojection and exports for a national token and the public, following
a site edit made in PostgreSQL, and shutting down. The rest of the suite runs the
ASan+UBSan build; valgrind checks the optimised build as it is deployed (uninitialised
reads that ASan does not see, leaks at exit)."""
import json
import os
import re
import secrets
import signal
import subprocess
import time
import urllib.parse

import psycopg2
import pytest

from conftest import ROOT, free_port, http_get, http_request, run_rbmap
from tiles_util import decode, tile_of

RELEASE_BIN = os.path.join(ROOT, "build", "rbmap")
# Definite leaks count as errors; --fair-sched keeps the HTTP threads running while
# the boundary loader works (valgrind runs one thread at a time).
MEMCHECK = ["valgrind", "--tool=memcheck", "--error-exitcode=99", "--leak-check=full",
            "--errors-for-leak-kinds=definite", "--fair-sched=yes", "--num-callers=30"]
SAINT_DENIS = (2.3580, 48.9362)


def memcheck_verdict(log_text):
    """(errors, definitely lost bytes) from a memcheck log; asserts the summary is there."""
    errors = re.findall(r"ERROR SUMMARY: ([\d,]+) errors", log_text)
    assert errors, f"no memcheck summary in the log:\n{log_text[-3000:]}"
    lost = re.findall(r"definitely lost: ([\d,]+) bytes", log_text)
    return int(errors[-1].replace(",", "")), int(lost[-1].replace(",", "")) if lost else 0


@pytest.fixture(scope="module")
def release_bin():
    assert os.access(RELEASE_BIN, os.X_OK), "build/rbmap is not built (make)"
    return RELEASE_BIN


@pytest.fixture(scope="module")
def memcheck_index(release_bin, shared_data, tmp_path_factory):
    work = tmp_path_factory.mktemp("vg-index")
    out, log = work / "ban.idx", work / "memcheck.log"
    r = subprocess.run([*MEMCHECK, f"--log-file={log}", release_bin, "import-ban", "--output", str(out),
                        f"{shared_data}/addresses/ban-54084.csv"], capture_output=True, text=True, timeout=600)
    text = log.read_text()
    assert r.returncode == 0, f"import-ban under memcheck exited {r.returncode}:\n{r.stderr[-2000:]}\n{text[-4000:]}"
    assert memcheck_verdict(text) == (0, 0), text[-4000:]
    return out


def test_import_ban_is_memcheck_clean(memcheck_index):
    assert memcheck_index.stat().st_size > 0


def test_server_main_paths_are_memcheck_clean(release_bin, rbmap_bin, demo_dsn, memcheck_index, tmp_path):
    conf = tmp_path / "rbmap.conf"
    conf.write_text(f"jwt_secret = {secrets.token_hex(32)}\njwt_audience = rbmap\ndefault_scope = public\n"
                    "threads = 2\nqueue_max = 2\nqueue_wait_ms = 60000\n")
    token = run_rbmap(rbmap_bin, "token", "--config", str(conf), "--scope", "national", "--flags", "justice")
    assert token.returncode == 0, token.stderr
    national = {"Authorization": "Bearer " + token.stdout.strip()}
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log, out = tmp_path / "memcheck.log", open(tmp_path / "server.log", "w")
    env = dict(os.environ, RBMAP_GEOCODER_INDEX=str(memcheck_index))
    proc = subprocess.Popen([*MEMCHECK, f"--log-file={log}", release_bin, "serve", "--listen", f"127.0.0.1:{port}",
                             "--db", demo_dsn, "--config", str(conf)], stdout=out, stderr=subprocess.STDOUT, env=env)
    sid, old_name = None, None
    try:
        wait_for(lambda: health(url).get("layers", {}).get("boundaries_loaded"), 300, proc, "boundaries")
        x12, y12 = tile_of(*SAINT_DENIS, 12)
        requests = [  # (path, headers, expected status)
            ("/tiles/sites/0/0/0.mvt", national, 200),
            (f"/tiles/sites,boundaries,actions/12/{x12}/{y12}.mvt", national, 200),
            ("/tiles/clusters/5/16/11.mvt", national, 200),
            ("/tiles/territories/6/32/22.mvt", {}, 200),
            ("/tiles/boundaries/9/259/176.mvt?status=open", {}, 200),
            ("/tiles/sites/99/0/0.mvt", national, 400),
            ("/tiles/sites.json?status=open", national, 200),
            ("/catalog", national, 200),
            ("/clusters/sites.geojson?bbox=2,48,3,49.5&zoom=8", national, 200),
            ("/ogc/collections/sites/items?limit=20&bbox=2.2,48.8,2.5,49"
             "&crs=http://www.opengis.net/def/crs/EPSG/0/2154", national, 200),
            ("/ogc/collections/territories/items?limit=5", {}, 200),
            ("/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetCapabilities", national, 200),
            ("/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=boundaries,sites&STYLES=&CRS=EPSG:3857"
             "&BBOX=240000,6230000,300000,6290000&WIDTH=256&HEIGHT=256&FORMAT=image/png", national, 200),
            ("/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetFeatureInfo&LAYERS=boundaries&QUERY_LAYERS=boundaries"
             "&STYLES=&CRS=EPSG:3857&BBOX=240000,6230000,300000,6290000&WIDTH=256&HEIGHT=256&I=128&J=128"
             "&INFO_FORMAT=application/json", national, 200),
            ("/geocode/search?" + urllib.parse.urlencode({"q": "rue de landres"}), {}, 200),
            ("/geocode/reverse?lon=5.9&lat=49.4", {}, 200),
            ("/export/sites.csv?territory=departement:93", national, 200),
            ("/export/sites.gpkg?territory=departement:93", national, 200),
            ("/styles/light.json", {}, 200),
            ("/metrics", {}, 200),
        ]
        for path, headers, expected in requests:
            status, _, body = http_get(url + path, headers=headers, timeout=120)
            assert status == expected, (path, status, body[:300])
        status, _, body = http_request("POST", url + "/reproject?from=EPSG:4326&to=EPSG:2154",
                                       json.dumps([[2.35, 48.85], [5.37, 43.3]]).encode(),
                                       {"Content-Type": "application/json"}, timeout=120)
        assert status == 200 and len(json.loads(body)["coordinates"]) == 2, body[:300]

        # An edit reaches the tiles through the sync thread.
        sid, old_name, lon, lat = first_open_site_near(demo_dsn, SAINT_DENIS)
        xs, ys = tile_of(lon, lat, 12)
        new_name = f"memcheck {secrets.token_hex(3)}"
        rename(demo_dsn, sid, new_name)
        wait_for(lambda: new_name in site_names_in_tile(url, national, tmp_path, xs, ys), 120, proc, "the edit")
    finally:
        if sid is not None:
            rename(demo_dsn, sid, old_name)
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=300)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise AssertionError("rbmap under memcheck did not stop within 300 s of SIGTERM")
        out.close()
    text = log.read_text()
    assert memcheck_verdict(text) == (0, 0), text[-6000:]
    assert proc.returncode == 0, f"exit {proc.returncode}:\n{(tmp_path / 'server.log').read_text()[-2000:]}"


def health(url):
    try:
        return json.loads(http_get(url + "/health", timeout=10)[2])
    except OSError:
        return {}


def wait_for(predicate, seconds, proc, what):
    deadline = time.time() + seconds
    while time.time() < deadline:
        assert proc.poll() is None, f"rbmap under memcheck exited ({proc.returncode}) waiting for {what}"
        if predicate():
            return
        time.sleep(0.5)
    raise AssertionError(f"{what}: not seen within {seconds} s under memcheck")


def first_open_site_near(dsn, lonlat):
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT shantytown_id, name, longitude, latitude FROM shantytowns WHERE closed_at IS NULL AND fk_city LIKE '93%%'"
                        " ORDER BY (longitude - %s)^2 + (latitude - %s)^2 LIMIT 1", lonlat)
            return cur.fetchone()
    finally:
        conn.close()


def rename(dsn, sid, name):
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute("UPDATE shantytowns SET name = %s, updated_at = now() WHERE shantytown_id = %s", (name, sid))
        conn.commit()
    finally:
        conn.close()


def site_names_in_tile(url, headers, tmp_path, x, y, z=12):
    status, _, body = http_get(url + f"/tiles/sites/{z}/{x}/{y}.mvt", headers=headers, timeout=120)
    if status != 200:
        return set()
    return {f.get("name") for f in decode(tmp_path, z, x, y, body).get("sites", [])}
