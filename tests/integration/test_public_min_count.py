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
    t = {level: dict(sql_query(demo_dsn, sql)) for level, sql in TRUTH_SQL.items()}
    t["region_of"] = dict(sql_query(demo_dsn, "SELECT code, fk_region FROM departements"))
    return t


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


def assert_outputs_follow(srv, tmp_path, truth, min_count):
    """Every région of at least min_count sites is shown, none below; a département is
    shown only with at least min_count sites, and may be withheld above it only so that a
    région minus its shown départements gives no count between 1 and min_count - 1 (the
    small-count rule of tiles/small_counts.h). Every shown count is SQL's."""
    # the threshold must matter: some territory of each level sits between 5 and it
    for level in ("region", "departement"):
        assert any(5 <= n < min_count for n in truth[level].values()), (level, min_count)
    got = public_outputs(srv, tmp_path)
    regions = {("region", c): n for c, n in truth["region"].items() if n >= min_count}
    assert got["tile"] == regions
    assert {k: v for k, v in got["ogc"].items() if k[0] == "region"} == regions
    deps = {k: v for k, v in got["ogc"].items() if k[0] == "departement"}
    assert got["export"] == deps
    for (_, code), n in deps.items():
        assert n == truth["departement"][code] and n >= min_count, code
    shown = [c for _, c in deps]
    for region, total in truth["region"].items():
        if total < min_count:
            continue  # not shown: nothing to subtract from
        rest = total - sum(truth["departement"][c] for c in shown if truth["region_of"][c] == region)
        assert not 0 < rest < min_count, (region, rest)
    # most départements above the threshold are shown (withholding is the exception)
    above = [c for c, n in truth["departement"].items() if n >= min_count]
    assert len(shown) >= len(above) // 2, (shown, above)
    return set(shown)


def sighup(srv, min_count, expect_log):
    write_conf(srv.conf, min_count)
    before = srv.read_log().count(expect_log)
    srv.proc.send_signal(signal.SIGHUP)
    deadline = time.time() + 10
    while srv.read_log().count(expect_log) == before:
        assert time.time() < deadline, srv.read_log()[-2000:]
        time.sleep(0.05)


def test_outputs_follow_the_configured_threshold_and_its_reload(srv, tmp_path, truth):
    at_40 = assert_outputs_follow(srv, tmp_path, truth, 40)
    sighup(srv, 20, "public_min_count=20")
    at_20 = assert_outputs_follow(srv, tmp_path, truth, 20)
    assert at_20 > at_40  # départements of 20 to 39 sites appear
    sighup(srv, 0, "configuration not reloaded")  # refused: the running value stays
    assert assert_outputs_follow(srv, tmp_path, truth, 20) == at_20


def test_a_threshold_below_one_is_refused_at_start(rbmap_bin, demo_dsn):
    for value in ("0", "-3", "five"):
        r = run_rbmap(rbmap_bin, "serve", "--listen", f"127.0.0.1:{free_port()}", "--db", demo_dsn,
                      env={"RBMAP_PUBLIC_MIN_COUNT": value}, timeout=60)
        assert r.returncode == 2 and "public_min_count" in r.stderr, (value, r.returncode, r.stderr[-500:])
