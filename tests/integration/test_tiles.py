"""Vector tiles: every tile decodes with GDAL's MVT driver and holds exactly the sites
PostGIS finds in the same buffered tile for the same filters; HTTP behaviour; live
updates within a second; recovery after a PostgreSQL restart."""
import gzip
import json
import subprocess
import time

import psycopg2
import pytest

from conftest import ROOT, Server, http_get, http_request
from tiles_util import decode, sql_site_ids, tile_of

NATIONAL = {"RBMAP_DEFAULT_SCOPE": "national"}


@pytest.fixture(scope="module")
def national(rbmap_bin, demo_dsn, tmp_path_factory):
    srv = Server(rbmap_bin, demo_dsn, tmp_path_factory.mktemp("tiles"), env=NATIONAL).wait_boundaries()
    yield srv
    srv.stop()


def get_tile(srv, path, headers=None):
    status, hdrs, body = http_get(srv.url + path, headers=headers)
    return status, hdrs, body


def tile_ids(srv, tmp_path, layers, z, x, y, query=""):
    status, _, body = get_tile(srv, f"/tiles/{layers}/{z}/{x}/{y}.mvt{query}")
    assert status in (200, 204), body
    decoded = decode(tmp_path, z, x, y, body) if status == 200 else {}
    return decoded, sorted(int(f["id"]) for f in decoded.get("sites", []))


# Tiles from z0 to z12 over Seine-Saint-Denis, Marseille, Lille and Cayenne.
PLACES = [(2.45, 48.91), (5.37, 43.30), (3.06, 50.63), (-52.33, 4.94)]
ZOOMS = [0, 2, 3, 5, 8, 10, 12]


@pytest.mark.parametrize("zoom", ZOOMS)
def test_site_tiles_match_postgis_at_every_zoom(national, demo_dsn, tmp_path, zoom):
    seen = set()
    for lon, lat in PLACES:
        x, y = tile_of(lon, lat, zoom)
        if (x, y) in seen:
            continue
        seen.add((x, y))
        decoded, ids = tile_ids(national, tmp_path, "sites", zoom, x, y)
        expected = sql_site_ids(demo_dsn, zoom, x, y)
        assert ids == expected, f"z{zoom} {x}/{y}: {len(ids)} in tile vs {len(expected)} in PostGIS"
        assert all(f["_geom"] == "POINT" for f in decoded.get("sites", []))


FILTERS = [
    ("status=open", "s.status = 'open'", ()),
    ("status=closed", "s.status <> 'open'", ()),
    ("status=resorbed", "s.status <> 'open' AND s.closed_with_solutions = 'yes'", ()),
    ("status=closed_by_justice,open", "s.status IN ('closed_by_justice', 'open')", ()),
    ("territory=departement:93", "c.fk_departement = '93'", ()),
    ("territory=city:93066,departement:94", "(c.code = '93066' OR c.fk_main = '93066' OR c.fk_departement = '94')", ()),
    ("territory=region:11", "d.fk_region = '11'", ()),
    ("field_type=Terrain", "ft.label = 'Terrain'", ()),
    ("date=2021-06-30&status=open",
     "coalesce(s.declared_at, s.built_at) <= '2021-06-30' AND (s.closed_at IS NULL OR (s.closed_at AT TIME ZONE 'Europe/Paris')::date > '2021-06-30')", ()),
    ("date=2019-01-01",
     "coalesce(s.declared_at, s.built_at) <= '2019-01-01'", ()),
]


@pytest.mark.parametrize("query,where,params", FILTERS)
def test_filters_give_the_sql_counts(national, demo_dsn, tmp_path, query, where, params):
    for z, (lon, lat) in [(5, (2.45, 48.91)), (9, (2.45, 48.91)), (3, (5.37, 43.30))]:
        x, y = tile_of(lon, lat, z)
        _, ids = tile_ids(national, tmp_path, "sites", z, x, y, "?" + query)
        assert ids == sql_site_ids(demo_dsn, z, x, y, where, params), query


def test_site_properties_and_colours_come_from_the_database(national, demo_dsn, tmp_path):
    x, y = tile_of(2.45, 48.91, 9)
    decoded, _ = tile_ids(national, tmp_path, "sites", 9, x, y)
    features = {int(f["id"]): f for f in decoded["sites"]}
    with psycopg2.connect(demo_dsn) as conn, conn.cursor() as cur:
        cur.execute("""SELECT s.shantytown_id, coalesce(s.name, ''), s.status, ft.label, '#' || ft.color, s.population_total,
                              to_char(s.declared_at, 'YYYY-MM-DD'), s.fk_city, c.name, c.fk_departement
                       FROM shantytowns s JOIN cities c ON c.code = s.fk_city
                       JOIN field_types ft ON ft.field_type_id = s.fk_field_type WHERE s.shantytown_id = ANY(%s)""",
                    (list(features),))
        rows = cur.fetchall()
    assert len(rows) == len(features) > 0
    for sid, name, status, label, color, population, declared, city, city_name, dep in rows:
        f = features[sid]
        assert (f.get("name") or "") == name and f["status"] == status
        assert f["field_type"] == label and f["color"] == color
        assert f.get("population") == population
        assert f.get("declared_at") == declared and f["city_code"] == city and f["city_name"] == city_name
        assert f["departement"] == dep
        assert "police_status" not in f and "owner_complaint" not in f, "justice fields need the justice flag"


def test_boundaries_and_actions_layers(national, demo_dsn, tmp_path):
    z = 9
    x, y = tile_of(2.45, 48.91, z)
    decoded, _ = tile_ids(national, tmp_path, "boundaries,actions,sites", z, x, y)
    levels = {f["level"] for f in decoded["boundaries"]}
    assert levels == {"region", "departement", "epci", "city"}
    assert all(f["_geom"] in ("POLYGON", "MULTIPOLYGON") for f in decoded["boundaries"])
    codes = {(f["level"], f["code"]) for f in decoded["boundaries"]}
    assert ("departement", "93") in codes and ("city", "93066") in codes
    # z3 shows régions and départements, not communes
    x3, y3 = tile_of(2.45, 48.91, 3)
    low, _ = tile_ids(national, tmp_path, "boundaries", 3, x3, y3)
    assert {f["level"] for f in low["boundaries"]} == {"region"}
    with psycopg2.connect(demo_dsn) as conn, conn.cursor() as cur:
        cur.execute("""SELECT count(*) FROM (
              SELECT ad.action_address_id FROM action_addresses ad JOIN actions a ON a.action_id = ad.fk_action
              WHERE a.location_type = 'eti' AND ST_Intersects(ST_Transform(ad.geom, 3857), ST_TileEnvelope(%s,%s,%s, margin => 64.0/4096))
              UNION ALL
              SELECT s.shantytown_id FROM action_shantytowns ash JOIN actions a ON a.action_id = ash.fk_action
              JOIN shantytowns s ON s.shantytown_id = ash.fk_shantytown
              WHERE a.location_type = 'sur_site' AND ST_Intersects(ST_Transform(s.geom, 3857), ST_TileEnvelope(%s,%s,%s, margin => 64.0/4096))) t""",
                    (z, x, y, z, x, y))
        expected_actions = cur.fetchone()[0]
    assert len(decoded.get("actions", [])) == expected_actions > 0
    assert all(f["location_type"] in ("eti", "sur_site") for f in decoded["actions"])


def test_public_scope_sees_no_site_positions(server, tmp_path):
    server.wait_boundaries()
    x, y = tile_of(2.45, 48.91, 9)
    status, _, body = http_get(server.url + f"/tiles/sites,actions,boundaries/9/{x}/{y}.mvt")
    assert status == 200
    decoded = decode(tmp_path, 9, x, y, body)
    assert set(decoded) == {"boundaries"}


def test_no_tile_exceeds_500_kb(national):
    for z in range(0, 8):
        for lon, lat in PLACES:
            x, y = tile_of(lon, lat, z)
            status, _, body = get_tile(national, f"/tiles/sites,boundaries,actions/{z}/{x}/{y}.mvt")
            assert status in (200, 204) and len(body) < 500 * 1024, (z, x, y, len(body))


def test_http_gzip_etag_cache_control_cors_and_empty_tiles(national):
    x, y = tile_of(2.45, 48.91, 10)
    path = f"/tiles/sites/10/{x}/{y}.mvt"
    status, headers, raw = get_tile(national, path)
    assert status == 200 and headers["Content-Type"] == "application/vnd.mapbox-vector-tile"
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert "max-age" in headers["Cache-Control"]
    etag = headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"')
    status, gz_headers, gz = get_tile(national, path, {"Accept-Encoding": "gzip"})
    assert status == 200 and gz_headers["Content-Encoding"] == "gzip" and gzip.decompress(gz) == raw
    assert gz_headers["ETag"] != etag and "Accept-Encoding" in gz_headers["Vary"]
    status, _, body = get_tile(national, path, {"If-None-Match": etag})
    assert status == 304 and body == b""
    status, _, _ = get_tile(national, path, {"If-None-Match": '"other"'})
    assert status == 200
    # Before the boundaries arrive, tiles are still served (without them) and the
    # cache never keeps such a tile afterwards: checked by the fixture's wait and the
    # boundary tests. The middle of the Atlantic: no site, no boundary.
    status, _, body = get_tile(national, "/tiles/sites,boundaries/10/300/400.mvt")
    assert status == 204 and body == b""
    status, headers, _ = http_request("OPTIONS", national.url + path)
    assert status == 204 and "Authorization" in headers["Access-Control-Allow-Headers"]


@pytest.mark.parametrize("path,needle", [
    ("/tiles/sites/23/0/0.mvt", "zoom"),
    ("/tiles/sites/3/8/0.mvt", "does not exist"),
    ("/tiles/sites/-1/0/0.mvt", "non-negative"),
    ("/tiles/sites/1/0/0.png", ".mvt"),
    ("/tiles/sitez/1/0/0.mvt", "unknown layer 'sitez'"),
    ("/tiles/sites,,boundaries/1/0/0.mvt", "unknown layer"),
    ("/tiles/sites/1/0/99999999999999.mvt", "too large"),
    ("/tiles/sites/1/0/0.mvt?status=gone", "status"),
    ("/tiles/sites/1/0/0.mvt?territory=departement:999x", "territory"),
    ("/tiles/sites/1/0/0.mvt?date=2021-13-01", "date"),
    ("/tiles/sites/1/0/0.mvt?field_type=Palace", "field_type"),
    ("/tiles/nope.json", "unknown layer"),
])
def test_bad_tile_requests_are_400_naming_the_problem(national, path, needle):
    status, _, body = get_tile(national, path)
    assert status == 400, path
    assert needle in json.loads(body)["error"]["message"]


def test_tilejson_and_catalog(national, demo_dsn):
    status, _, body = get_tile(national, "/tiles/sites,boundaries.json?status=open&territory=departement:93")
    assert status == 200
    tj = json.loads(body)
    assert tj["tilejson"] == "3.0.0"
    assert tj["tiles"] == [national.url + "/tiles/sites,boundaries/{z}/{x}/{y}.mvt?status=open&territory=departement%3A93"]
    assert [l["id"] for l in tj["vector_layers"]] == ["sites", "boundaries"]
    assert tj["vector_layers"][0]["fields"]["population"] == "Number"
    assert "police_status" not in tj["vector_layers"][0]["fields"]
    with psycopg2.connect(demo_dsn) as conn, conn.cursor() as cur:
        cur.execute("""SELECT min(s.longitude), min(s.latitude), max(s.longitude), max(s.latitude) FROM shantytowns s
                       JOIN cities c ON c.code = s.fk_city WHERE s.status = 'open' AND c.fk_departement = '93'""")
        expected = cur.fetchone()
    assert tj["bounds"] == pytest.approx(list(expected), abs=1e-9)
    assert "rbmap:sites_thinning" in tj
    status, _, body = get_tile(national, "/catalog")
    catalog = json.loads(body)
    assert {l["id"] for l in catalog["layers"]} >= {"sites", "actions", "boundaries"}
    assert all(l["tilejson"].startswith(national.url) for l in catalog["layers"])
    # A proxy's forwarded host is used, a hostile one is not.
    _, _, body = http_get(national.url + "/tiles/sites.json", {"X-Forwarded-Host": "carto.example.fr", "X-Forwarded-Proto": "https"})
    assert json.loads(body)["tiles"][0].startswith("https://carto.example.fr/tiles/sites/")
    _, _, body = http_get(national.url + "/tiles/sites.json", {"X-Forwarded-Host": 'evil"><script>'})
    assert "script" not in json.loads(body)["tiles"][0]


def wait_for(predicate, timeout):
    start = time.time()
    while time.time() - start < timeout:
        if predicate():
            return time.time() - start
        time.sleep(0.02)
    return None


def test_a_site_edited_in_postgis_shows_in_new_tiles_within_one_second(national, demo_dsn, tmp_path):
    with psycopg2.connect(demo_dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT shantytown_id, longitude, latitude, name FROM shantytowns WHERE status = 'open' ORDER BY 1 LIMIT 1")
        sid, lon, lat, name = cur.fetchone()
    z = 12
    old_tile = tile_of(lon, lat, z)
    new_lon, new_lat = 2.2945, 48.8584  # moved to the Champ-de-Mars
    new_tile = tile_of(new_lon, new_lat, z)
    assert old_tile != new_tile
    # Warm the cache on both tiles so that only eviction can make the change visible.
    assert sid in tile_ids(national, tmp_path, "sites", z, *old_tile)[1]
    assert sid not in tile_ids(national, tmp_path, "sites", z, *new_tile)[1]
    try:
        with psycopg2.connect(demo_dsn) as conn, conn.cursor() as cur:
            cur.execute("UPDATE shantytowns SET longitude = %s, latitude = %s, updated_at = now() WHERE shantytown_id = %s",
                        (new_lon, new_lat, sid))
        elapsed = wait_for(lambda: sid in tile_ids(national, tmp_path, "sites", z, *new_tile)[1], 1.0)
        assert elapsed is not None, "the moved site did not appear within 1 s"
        assert sid not in tile_ids(national, tmp_path, "sites", z, *old_tile)[1], "the old tile was not evicted"
        # A low-zoom tile cached before the edit is evicted too.
        x0, y0 = tile_of(new_lon, new_lat, 4)
        decoded, _ = tile_ids(national, tmp_path, "sites", 4, x0, y0)
        moved = [f for f in decoded["sites"] if int(f["id"]) == sid]
        assert moved, "z4 tile still stale"
    finally:
        with psycopg2.connect(demo_dsn) as conn, conn.cursor() as cur:
            cur.execute("UPDATE shantytowns SET longitude = %s, latitude = %s WHERE shantytown_id = %s", (lon, lat, sid))
    assert wait_for(lambda: sid in tile_ids(national, tmp_path, "sites", z, *old_tile)[1], 2.0) is not None


def pg(*args):
    subprocess.run(["sh", f"{ROOT}/scripts/pg.sh", *args], check=True, capture_output=True, timeout=120)


def test_service_survives_a_postgresql_restart(national, demo_dsn, tmp_path):
    x, y = tile_of(5.37, 43.30, 10)
    _, before = tile_ids(national, tmp_path, "sites", 10, x, y)
    pg("stop")
    try:
        # From memory while the database is away: tiles still served, health says so.
        _, during = tile_ids(national, tmp_path, "sites", 10, x, y, "?status=open")
        assert set(during) <= set(before)
        doc = json.loads(http_get(national.url + "/health")[2])
        assert doc["status"] == "degraded" and doc["database"]["reachable"] is False
    finally:
        pg("start")
    assert wait_for(lambda: json.loads(http_get(national.url + "/health")[2])["status"] == "ok", 10) is not None
    # After the restart, changes flow again.
    with psycopg2.connect(demo_dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT shantytown_id, name FROM shantytowns s WHERE shantytown_id = %s", (before[0],))
        sid, name = cur.fetchone()
        cur.execute("UPDATE shantytowns SET name = 'After restart' WHERE shantytown_id = %s", (sid,))
    try:
        def renamed():
            decoded, _ = tile_ids(national, tmp_path, "sites", 10, x, y)
            return any(f.get("name") == "After restart" for f in decoded.get("sites", []))
        assert wait_for(renamed, 15) is not None, "the service did not resynchronise after the restart"
    finally:
        with psycopg2.connect(demo_dsn) as conn, conn.cursor() as cur:
            cur.execute("UPDATE shantytowns SET name = %s WHERE shantytown_id = %s", (name, sid))


def describe_with_node(tmp_path, data):
    path = tmp_path / "tile.mvt"
    path.write_bytes(data)
    out = subprocess.run(["node", f"{ROOT}/tests/js/mvt_describe.mjs", "describe", str(path)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.mark.parametrize("z,lon,lat", [(0, 2.45, 48.91), (4, 2.45, 48.91), (7, 5.37, 43.30), (11, 2.45, 48.91), (9, -52.33, 4.94)])
def test_tiles_decode_with_mapbox_vector_tile(national, demo_dsn, tmp_path, z, lon, lat):
    x, y = tile_of(lon, lat, z)
    status, _, body = get_tile(national, f"/tiles/sites,boundaries,actions/{z}/{x}/{y}.mvt")
    assert status == 200
    doc = describe_with_node(tmp_path, body)
    layers = {l["name"]: l for l in doc["layers"]}
    for layer in layers.values():
        assert layer["version"] == 2 and layer["extent"] == 4096
        assert not layer["duplicate_keys"] and not layer["duplicate_values"]
        ids = [f["id"] for f in layer["features"]]
        assert len(ids) == len(set(ids)), f"feature ids repeat in {layer['name']}"
    site_ids = sorted(int(f["properties"]["id"]["value"]) for f in layers["sites"]["features"])
    assert site_ids == sql_site_ids(demo_dsn, z, x, y)
    assert all(f["type"] == 1 for f in layers["sites"]["features"])
    assert all(f["type"] == 3 for f in layers["boundaries"]["features"])
    gdal_layers = decode(tmp_path, z, x, y, body)
    assert {k: len(v) for k, v in gdal_layers.items()} == {k: len(v["features"]) for k, v in layers.items()}
