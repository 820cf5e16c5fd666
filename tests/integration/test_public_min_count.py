"""`public_min_count` (configuration, reloaded on SIGHUP): the smallest site count of a
territory bubble the public sees. A server started at 40 instead of the default 5: the
public tiles, OGC API Features `territories` and the territories export (read by GDAL)
all drop the bubbles under 40 and keep the others, as SQL counts them; after SIGHUP with
20 they all follow; a value below 1 is refused at start and on reload."""
import json
import signal
import time

import pytest
from osgeo import ogr

from conftest import Server, free_port, http_get, run_rbmap, sql_query
from tiles_util import decode

TRUTH_SQL = {  # sites per located territory, every site counted (the public sees all sites' counts)
    "region": """SELECT r.code, count(*) FROM shantytowns s JOIN cities c ON c.code = s.fk_city
        JOIN departements d ON d.code = c.fk_departement JOIN regions r ON r.code = d.fk_region
        WHERE r.latitude IS NOT NULL GROUP BY 1""",
    "departement": """SELECT d.code, count(*) FROM shantytowns s JOIN cities c ON c.code = s.fk_city
        JOIN departements d ON d.code = c.fk_departement WHERE d.latitude IS NOT NULL GROUP BY 1""",
}


def write_conf(path, min_count):
    path.write_text(f"default_scope = public\npublic_min_count = {min_count}\n")


@pytest.fixture(scope="module")
def truth(demo_dsn):
    return {level: dict(sql_query(demo_dsn, sql)) for level, sql in TRUTH_SQL.items()}


@pytest.fixture(scope="module")
def srv(rbmap_bin, demo_dsn, tmp_path_factory):
    d = tmp_path_factory.mktemp("public-min-count")
    conf = d / "rbmap.conf"
    write_conf(conf, 40)
    s = Server(rbmap_bin, demo_dsn, d, ["--config", str(conf)])
    s.conf = conf
    deadline = time.time() + 60  # territory points load in the background after start
    while http_get(s.url + "/tiles/territories/0/0/0.mvt")[0] != 200:
        assert time.time() < deadline, "territory points not loaded:\n" + s.read_log()[-2000:]
        time.sleep(0.1)
    yield s
    s.stop()


def public_outputs(srv, tmp_path):
    """{output: {(level, code): sites}} as the public gets them."""
    status, _, body = http_get(srv.url + "/tiles/territories/0/0/0.mvt")  # z0: every région
    assert status in (200, 204)
    tile = {("region", f["code"]): f["sites"]
            for f in (decode(tmp_path, 0, 0, 0, body).get("territories", []) if status == 200 else [])}
    status, _, body = http_get(srv.url + "/ogc/collections/territories/items?limit=1000")
    assert status == 200, body[:300]
    ogc = {(f["properties"]["level"], f["properties"]["code"]): f["properties"]["sites"]
           for f in json.loads(body)["features"]}
    status, _, body = http_get(srv.url + "/export/territories.gpkg?level=departement", timeout=120)
    assert status == 200, body[:300]
    path = tmp_path / f"territories-{time.monotonic_ns()}.gpkg"
    path.write_bytes(body)
    ds = ogr.Open(str(path))
    export = {("departement", f.GetField("code")): f.GetField("sites") for f in ds.GetLayer(0)}
    return {"tile": tile, "ogc": ogc, "export": export}


def expected(truth, min_count):
    return {(level, code): n for level, counts in truth.items() for code, n in counts.items() if n >= min_count}


def assert_outputs_follow(srv, tmp_path, truth, min_count):
    want = expected(truth, min_count)
    # the threshold must matter: some territory of each level sits between 5 and it
    for level in ("region", "departement"):
        assert any(5 <= n < min_count for n in truth[level].values()), (level, min_count)
    got = public_outputs(srv, tmp_path)
    assert got["tile"] == {k: v for k, v in want.items() if k[0] == "region"}
    assert got["ogc"] == want
    assert got["export"] == {k: v for k, v in want.items() if k[0] == "departement"}


def sighup(srv, min_count, expect_log):
    write_conf(srv.conf, min_count)
    before = srv.read_log().count(expect_log)
    srv.proc.send_signal(signal.SIGHUP)
    deadline = time.time() + 10
    while srv.read_log().count(expect_log) == before:
        assert time.time() < deadline, srv.read_log()[-2000:]
        time.sleep(0.05)


def test_outputs_follow_the_configured_threshold_and_its_reload(srv, tmp_path, truth):
    assert_outputs_follow(srv, tmp_path, truth, 40)
    sighup(srv, 20, "public_min_count=20")
    assert_outputs_follow(srv, tmp_path, truth, 20)
    sighup(srv, 0, "configuration not reloaded")  # refused: the running value stays
    assert_outputs_follow(srv, tmp_path, truth, 20)


def test_a_threshold_below_one_is_refused_at_start(rbmap_bin, demo_dsn):
    for value in ("0", "-3", "five"):
        r = run_rbmap(rbmap_bin, "serve", "--listen", f"127.0.0.1:{free_port()}", "--db", demo_dsn,
                      env={"RBMAP_PUBLIC_MIN_COUNT": value}, timeout=60)
        assert r.returncode == 2 and "public_min_count" in r.stderr, (value, r.returncode, r.stderr[-500:])
