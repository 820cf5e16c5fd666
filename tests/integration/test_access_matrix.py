"""The access matrix of issue 8: scopes (national, région, département, a commune with
arrondissements and one without, an EPCI over two départements, public) x the justice
flag x the token's role x every endpoint family. For each cell: no site outside the
scope's widened territory, no sensitive field the scope does not grant, and counts
equal to the SQL truth of the demo database for that territory.

One server; each scope's responses are fetched once (module fixtures) and checked by
several tests. Already proved elsewhere and not repeated here: refused tokens (expired,
not yet valid, other audience, other key, alg none, tampered) -> 401 with the reason in
the log (test_auth.py::test_bad_tokens_are_401_with_the_reason_logged), the z0 sites
tile in alternation between scopes (test_auth.py::test_the_same_tile_in_alternation...)."""
import base64
import csv
import gzip
import io
import json
import os
import re
import secrets
import time
import urllib.parse

import psycopg2
import pytest

from conftest import Server, http_get, run_rbmap, sql_query, two_departement_epci
from tiles_util import decode, tile_of

JUSTICE = {"owner_complaint", "justice_procedure", "justice_rendered", "justice_rendered_at", "police_status",
           "police_requested_at", "police_granted_at", "bailiff", "existing_litigation",
           "evacuation_under_time_limit", "insalubrity_order", "administrative_order_evacuation_at"}
# No case of the matrix rows has the owners or finances flag: any name like these is a
# leak there (the flags are proved by test_owners_and_finances_follow_their_flags).
OTHER_SENSITIVE = re.compile(r'"(owner_name|owners?|parcel_owners?|finances?|amount|real_amount)"')
WORLD = "bbox=-180,-85,180,85"
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def sql(dsn, query, params=()):
    return sql_query(dsn, query, params) or []


class Case:
    """One row of the matrix: a token (or none) and the SQL truth of what it may read."""

    def __init__(self, name, scope, deps_sql, flags="", role=None, api_key=False):
        self.name, self.scope, self.flags, self.role, self.api_key = name, scope, flags, role, api_key
        self.deps_sql = deps_sql  # SELECT of the readable département codes; None: all
        self.justice = "justice" in flags and role != "intervener" and scope != "public"

    def headers(self, mint, make_key):
        if self.scope == "public":
            return {}
        if self.api_key:  # what a police service's QGIS sends
            key_id, secret = make_key(self.scope, self.flags)
            return {"Authorization": "Basic " + base64.b64encode(f"{key_id}:{secret}".encode()).decode()}
        extra = (["--flags", self.flags] if self.flags else []) + (["--role", self.role] if self.role else [])
        return {"Authorization": "Bearer " + mint(self.scope, *extra)}


def cases(dsn):
    epci = two_departement_epci(dsn)
    deps = sql(dsn, "SELECT fk_departement FROM epci_to_departement WHERE fk_epci = %s", (epci,))
    epci_deps = ",".join(f"'{d}'" for (d,) in deps)
    assert len(deps) == 2
    return [
        Case("national", "national", None),
        Case("national-justice", "national", None, "justice"),
        Case("national-justice-intervener", "national", None, "justice", "intervener"),
        Case("region-11", "region:11", "SELECT code FROM departements WHERE fk_region = '11'"),
        Case("departement-93", "departement:93", "SELECT '93'"),
        Case("departement-93-justice", "departement:93", "SELECT '93'", "justice"),
        Case("city-75056-arrondissements", "city:75056", "SELECT '75'", "justice"),  # sites are on arrondissements
        Case("city-93066", "city:93066", "SELECT '93'"),
        Case("apikey-departement-13-justice", "departement:13", "SELECT '13'", "justice", api_key=True),
        Case(f"epci-{epci}", f"epci:{epci}", f"SELECT code FROM departements WHERE code IN ({epci_deps})"),
        Case("public", "public", "SELECT NULL WHERE FALSE"),
    ]


@pytest.fixture(scope="module")
def matrix_conf(tmp_path_factory):
    d = tmp_path_factory.mktemp("matrix")
    path = d / "rbmap.conf"
    path.write_text(f"jwt_secret = {secrets.token_hex(32)}\ndefault_scope = public\n"
                    f"geocoder_index = {os.path.join(REPO, 'var', 'ban.idx')}\n")
    return str(path)


@pytest.fixture(scope="module")
def srv(rbmap_bin, demo_dsn, tmp_path_factory, matrix_conf):
    s = Server(rbmap_bin, demo_dsn, tmp_path_factory.mktemp("matrixsrv"), ["--config", matrix_conf])
    s.wait_boundaries()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def mint(rbmap_bin, matrix_conf):
    tokens = {}

    def make(scope, *extra):
        key = (scope, *extra)
        if key not in tokens:
            r = run_rbmap(rbmap_bin, "token", "--config", matrix_conf, "--scope", scope, *extra)
            assert r.returncode == 0, r.stderr
            tokens[key] = r.stdout.strip()
        return tokens[key]
    return make


def get(srv, path, headers):
    status, hdrs, body = http_get(srv.url + path, headers=headers, timeout=60)
    if body[:2] == b"\x1f\x8b":
        body = gzip.decompress(body)
    return status, hdrs, body


class Truth:
    """What SQL says a case may read."""

    def __init__(self, dsn, case):
        self.case = case
        where = "TRUE" if case.deps_sql is None else f"c.fk_departement IN ({case.deps_sql})"
        self.where = where
        rows = sql(dsn, f"""SELECT s.shantytown_id, s.latitude, s.longitude, s.name, c.fk_departement
                             FROM shantytowns s JOIN cities c ON c.code = s.fk_city WHERE {where}""")
        self.sites = {r[0]: r for r in rows}
        outside = sql(dsn, f"""SELECT s.shantytown_id, s.latitude, s.longitude, s.name, c.fk_departement
                                FROM shantytowns s JOIN cities c ON c.code = s.fk_city WHERE NOT ({where})
                                ORDER BY s.shantytown_id""")
        self.outside = {r[0]: r for r in outside}
        self.deps = None if case.deps_sql is None else {r[0] for r in sql(dsn, case.deps_sql)}
        # Actions on the map: eti actions at their addresses, sur_site actions at their
        # sites (logement and autre actions have no point), scoped by the action's département.
        self.actions = {r[0] for r in sql(dsn, """SELECT a.action_id FROM actions a WHERE (
            (a.location_type = 'eti' AND EXISTS (SELECT 1 FROM action_addresses ad WHERE ad.fk_action = a.action_id))
            OR (a.location_type = 'sur_site' AND EXISTS (SELECT 1 FROM action_shantytowns x
                                                         WHERE x.fk_action = a.action_id)))
            AND """ + ("TRUE" if self.deps is None else f"a.fk_departement IN ({case.deps_sql})"))}


@pytest.fixture(scope="module")
def make_key(rbmap_bin, demo_dsn):
    """API keys (`rbmap keys create`), deleted at the end."""
    made = []

    def make(scope, flags):
        r = run_rbmap(rbmap_bin, "keys", "create", "--scope", scope, "--flags", flags, "--label",
                      "pytest access matrix", "--db", demo_dsn)
        assert r.returncode == 0, r.stderr
        key_id = re.search(r"^key_id: (\S+)$", r.stdout, re.M).group(1)
        made.append(key_id)
        return key_id, re.search(r"^secret: (\S+)$", r.stdout, re.M).group(1)
    yield make
    for key_id in made:
        sql(demo_dsn, "DELETE FROM rbmap_api_keys WHERE key_id = %s RETURNING key_id", (key_id,))


@pytest.fixture(scope="module")
def rows(demo_dsn, srv, mint, make_key):
    """Per case: its truth and headers; responses are cached in row['seen']."""
    out = {}
    for case in cases(demo_dsn):
        out[case.name] = {"case": case, "truth": Truth(demo_dsn, case), "headers": case.headers(mint, make_key),
                          "seen": {}}
    return out


CASE_NAMES = ["national", "national-justice", "national-justice-intervener", "region-11", "departement-93",
              "departement-93-justice", "city-75056-arrondissements", "city-93066", "apikey-departement-13-justice", "epci",
              "public"]


@pytest.fixture(params=CASE_NAMES)
def row(request, rows):
    name = request.param
    if name == "epci":
        name = next(n for n in rows if n.startswith("epci-"))
    return rows[name]


def fetch(srv, row, path):
    """The response to path for this row, fetched once; every body is checked for
    forbidden fields as it arrives."""
    if path not in row["seen"]:
        status, hdrs, body = get(srv, path, row["headers"])
        row["seen"][path] = (status, hdrs, body)
        check_no_forbidden_field(row, path, body)
    return row["seen"][path]


def check_no_forbidden_field(row, path, body):
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    assert not OTHER_SENSITIVE.search(text), (row["case"].name, path)
    if not row["case"].justice and not path.startswith("/tiles/") and "format=csv" not in path:
        found = {f for f in JUSTICE if f'"{f}"' in text or f"<{f}>" in text}
        assert not found, (row["case"].name, path, found)


def site_ids_in_geojson(doc, key="id"):
    return [f["properties"][key] if key in f["properties"] else f["id"] for f in doc["features"]]


def assert_ids_in_scope(row, ids, where):
    truth = row["truth"]
    leaked = set(ids) - set(truth.sites)
    assert not leaked, (row["case"].name, where, sorted(leaked)[:10])


def sites_of_tile(tmp_path, z, x, y, status, body, layer="sites"):
    assert status in (200, 204), body[:300]
    layers = decode(tmp_path, z, x, y, body) if status == 200 else {}
    return layers


# ---------------------------------------------------------------------------------------
# Site-level data: tiles, clusters, OGC API, exports.

def test_tiles_of_every_layer(srv, row, tmp_path):
    case, truth = row["case"], row["truth"]
    # Boundaries carry no site: one small tile of them (Paris, z11) keeps this fast.
    for layer, (z, x, y) in (("sites", (0, 0, 0)), ("actions", (0, 0, 0)), ("clusters", (0, 0, 0)),
                             ("sites,actions,clusters,territories", (0, 0, 0)),
                             ("sites,clusters,territories,boundaries", (11, 1037, 704))):
        status, _, body = fetch(srv, row, f"/tiles/{layer}/{z}/{x}/{y}.mvt")
        if case.scope == "public" and "territories" not in layer:
            assert status in (204, 401, 403, 404), (layer, status)
            continue
        layers = sites_of_tile(tmp_path, z, x, y, status, body)
        if "boundaries" in layer:
            assert layers.get("boundaries"), case.name
        for f in layers.get("sites", []):
            assert not (set(f) & JUSTICE) or case.justice, (case.name, layer, set(f) & JUSTICE)
        ids = [int(f["id"]) for f in layers.get("sites", [])]
        assert_ids_in_scope(row, ids, layer)
        if layer == "sites":
            assert sorted(ids) == sorted(truth.sites), case.name  # z0 holds every site of a scope
            if case.justice and truth.sites:
                assert any(set(f) & JUSTICE for f in layers["sites"])  # the flag is not dead
        for f in layers.get("actions", []):
            assert truth.deps is None or f["departement"] in truth.deps, (case.name, f)
            assert int(f["action_id"]) in truth.actions
        clusters = layers.get("clusters", [])
        if layer == "clusters":
            total = sum(int(f.get("point_count") or 1) for f in clusters)
            assert total == len(truth.sites), (case.name, total, len(truth.sites))
        if "territories" in layer and z == 0:  # région bubbles: every site of the scope once
            counted = sum(int(f["sites"]) for f in layers.get("territories", []))
            assert counted == len(truth.sites) if case.scope != "public" else 0 < counted <= len(truth.outside)
        if case.scope == "public":
            assert not layers.get("sites") and not layers.get("clusters") and not layers.get("actions")


def sample_tiles(truth, z=11, n=3):
    """Tiles where SQL says the scope's sites are, and where sites it must not see are."""
    inside = sorted(truth.sites.values())[:: max(1, len(truth.sites) // n)][:n]
    outside = sorted(truth.outside.values())[:: max(1, len(truth.outside) // n)][:n]
    return {tile_of(r[2], r[1], z) for r in inside + outside}


def test_sampled_tiles_hold_exactly_the_scope(srv, row, demo_dsn, tmp_path):
    case, truth = row["case"], row["truth"]
    z = 11
    for x, y in sample_tiles(truth, z):
        status, _, body = fetch(srv, row, f"/tiles/sites,clusters,actions/{z}/{x}/{y}.mvt")
        layers = sites_of_tile(tmp_path, z, x, y, status, body)
        ids = sorted(int(f["id"]) for f in layers.get("sites", []))
        expected = [] if case.scope == "public" else sql_tile_ids(demo_dsn, z, x, y, truth.where)
        clustered = sum(int(f.get("point_count") or 1) for f in layers.get("clusters", []))
        # Points near one another may be drawn as clusters at this zoom: together they
        # are exactly the scope's sites in the tile.
        assert_ids_in_scope(row, ids, f"{z}/{x}/{y}")
        assert len(ids) + clustered >= len(expected) and set(ids) <= set(expected), (case.name, x, y)
        if not layers.get("clusters"):
            assert ids == expected, (case.name, x, y)


def sql_tile_ids(dsn, z, x, y, where):
    return sorted(r[0] for r in sql(dsn, f"""SELECT s.shantytown_id FROM shantytowns s
        JOIN cities c ON c.code = s.fk_city
        WHERE ST_Intersects(ST_Transform(s.geom, 3857), ST_TileEnvelope(%s, %s, %s, margin => 64.0 / 4096))
          AND {where}""", (z, x, y)))


def test_tilejson_bounds_and_vector_layers(srv, row):
    case, truth = row["case"], row["truth"]
    status, _, body = fetch(srv, row, "/tiles/sites.json")
    if case.scope == "public":
        # The box of a view without any site (France), not the extent of sites.
        empty = json.loads(get(srv, "/tiles/sites.json?date=1900-01-01", {})[2])
        assert status == 200 and json.loads(body)["bounds"] == empty["bounds"]
        assert not set(json.loads(body)["vector_layers"][0]["fields"]) & JUSTICE
        return
    doc = json.loads(body)
    fields = set(doc["vector_layers"][0]["fields"])
    assert bool(fields & JUSTICE) == case.justice, (case.name, fields & JUSTICE)
    lons = [r[2] for r in truth.sites.values()]
    lats = [r[1] for r in truth.sites.values()]
    w, s, e, n = doc["bounds"]
    assert w <= min(lons) + 1e-6 and e >= max(lons) - 1e-6 and s <= min(lats) + 1e-6 and n >= max(lats) - 1e-6
    # No wider than the scope's sites (what a bounds box would reveal is their extent).
    assert w >= min(lons) - 0.01 and e <= max(lons) + 0.01 and s >= min(lats) - 0.01 and n <= max(lats) + 0.01


def test_catalog_lists_the_fields_the_scope_reads(srv, row):
    status, _, body = fetch(srv, row, "/catalog")
    assert status == 200
    for layer in json.loads(body)["layers"]:
        assert bool(set(layer.get("fields", {})) & JUSTICE) <= row["case"].justice, layer["id"]


def test_clusters_geojson_leaves_children_and_zoom(srv, row):
    case, truth = row["case"], row["truth"]
    status, _, body = fetch(srv, row, f"/clusters/sites.geojson?{WORLD}&zoom=3")
    if case.scope == "public":
        assert status in (401, 403, 404), status
        return
    doc = json.loads(body)
    total = sum(f["properties"].get("point_count", 1) for f in doc["features"])
    assert total == len(truth.sites), (case.name, total)
    singles = [f["properties"]["id"] for f in doc["features"] if not f["properties"].get("cluster")]
    assert_ids_in_scope(row, singles, "clusters.geojson")
    clusters = sorted((f for f in doc["features"] if f["properties"].get("cluster")),
                      key=lambda f: -f["properties"]["point_count"])[:2]
    for c in clusters:
        cid, count = c["properties"]["cluster_id"], c["properties"]["point_count"]
        leaves = json.loads(fetch(srv, row, f"/clusters/sites/{cid}/leaves?limit=10000&zoom=3")[2])
        ids = site_ids_in_geojson(leaves)
        assert len(ids) == count and len(set(ids)) == count
        assert_ids_in_scope(row, ids, "leaves")
        children = json.loads(fetch(srv, row, f"/clusters/sites/{cid}/children?zoom=3")[2])
        assert sum(f["properties"].get("point_count", 1) for f in children["features"]) == count
        status, _, body = fetch(srv, row, f"/clusters/sites/{cid}/expansion-zoom?zoom=3")
        assert status == 200 and json.loads(body)["expansion_zoom"] > 3 - 1
    # A cluster id of another scope's tree names nothing here.
    outside = [r for r in truth.outside.values()]
    if outside and truth.deps is not None:
        status, _, body = fetch(srv, row, "/clusters/sites/%d/leaves?zoom=22" % (outside[0][0] * 32 + 22))
        if status == 200:
            assert_ids_in_scope(row, site_ids_in_geojson(json.loads(body)), "leaves of a foreign id")


def all_items(srv, row, collection, query=""):
    status, _, body = fetch(srv, row, f"/ogc/collections/{collection}/items?limit=10000{query}")
    return status, (json.loads(body) if status == 200 else None)


def test_ogc_items_and_fids(srv, row):
    case, truth = row["case"], row["truth"]
    status, doc = all_items(srv, row, "sites")
    if case.scope == "public":
        for coll in ("sites", "actions", "clusters"):
            assert all_items(srv, row, coll, "&zoom=3")[0] in (401, 403, 404), coll
        return
    ids = site_ids_in_geojson(doc)
    assert sorted(ids) == sorted(truth.sites) and doc["numberMatched"] == len(truth.sites), case.name
    status, actions = all_items(srv, row, "actions")
    assert status == 200
    for f in actions["features"]:
        assert truth.deps is None or f["properties"]["departement"] in truth.deps
    assert {f["properties"]["action_id"] for f in actions["features"]} == truth.actions, case.name
    status, clusters = all_items(srv, row, "clusters", "&zoom=3")
    assert status == 200
    assert sum(f["properties"].get("point_count", 1) for f in clusters["features"]) == len(truth.sites)
    inside = min(truth.sites)
    assert fetch(srv, row, f"/ogc/collections/sites/items/{inside}")[0] == 200
    for site in list(truth.outside)[:3]:
        status, _, body = fetch(srv, row, f"/ogc/collections/sites/items/{site}")
        assert status == 404, (case.name, site, status)


def test_territory_aggregates_count_the_scope(srv, row, demo_dsn):
    case, truth = row["case"], row["truth"]
    status, doc = all_items(srv, row, "territories")
    assert status == 200
    per_dep = dict(sql(demo_dsn, f"""SELECT c.fk_departement, count(*) FROM shantytowns s
                                      JOIN cities c ON c.code = s.fk_city WHERE {truth.where} GROUP BY 1"""))
    for f in doc["features"]:
        p = f["properties"]
        if p["level"] != "departement":
            continue
        if case.scope == "public":
            # Public: the true count over every site, shown only from the threshold up.
            full = sql(demo_dsn, "SELECT count(*) FROM shantytowns s JOIN cities c ON c.code = s.fk_city "
                                 "WHERE c.fk_departement = %s", (p["code"],))[0][0]
            assert p.get("sites") in (None, full) and (p.get("sites") or 5) >= 5
            for k, v in p.items():  # zero locates nobody; 1 to 4 might
                assert not isinstance(v, int) or isinstance(v, bool) or v == 0 or v >= 5, (p["code"], k, v)
        else:
            assert p.get("sites", 0) == per_dep.get(p["code"], 0), (case.name, p["code"])
    if case.scope == "public":
        assert_no_small_remainder(demo_dsn, doc)


def assert_no_small_remainder(dsn, doc):
    """A région's count minus its shown départements' counts is what the hidden ones
    hold together: that remainder must not be a small count either."""
    region_of = dict(sql(dsn, "SELECT code, fk_region FROM departements"))
    props = [f["properties"] for f in doc["features"]]
    deps = {p["code"]: p for p in props if p["level"] == "departement"}
    for region in (p for p in props if p["level"] == "region"):
        members = [d for d, r in region_of.items() if r == region["code"]]
        for key, value in region.items():
            if not isinstance(value, int) or isinstance(value, bool):
                continue
            shown = sum(deps[d][key] for d in members if isinstance(deps.get(d, {}).get(key), int))
            assert value - shown == 0 or value - shown >= 5, (region["code"], key, value - shown)


def export_ids(srv, row, fmt):
    status, _, body = fetch(srv, row, f"/export/sites.{fmt}")
    if row["case"].scope == "public":
        assert status in (401, 403, 404), status
        return None, None
    assert status == 200, body[:300]
    if fmt == "geojson":
        return site_ids_in_geojson(json.loads(body)), body
    reader = csv.reader(io.StringIO(body.decode("utf-8-sig")))
    header = next(reader)
    return [int(r[0]) for r in reader if r], header


def test_exports(srv, row, rows):
    case, truth = row["case"], row["truth"]
    ids, _ = export_ids(srv, row, "geojson")
    if ids is None:
        export_ids(srv, row, "csv")
        return
    assert sorted(ids) == sorted(truth.sites), case.name
    ids, header = export_ids(srv, row, "csv")
    assert sorted(ids) == sorted(truth.sites), case.name
    # CSV headers are French labels: the justice columns are the ones a justice export
    # has on top of a plain one.
    plain = export_ids(srv, rows["national"], "csv")[1]
    extra = [h for h in header if h not in plain]
    assert len(extra) == (len(JUSTICE) if case.justice else 0), (case.name, extra)


# ---------------------------------------------------------------------------------------
# WMS, geocoding, styles, metrics.

def wms(srv, row, **params):
    base = {"SERVICE": "WMS", "VERSION": "1.3.0", "CRS": "EPSG:4326", "FORMAT": "image/png", "TRANSPARENT": "TRUE",
            "STYLES": ""}
    base.update(params)
    return fetch(srv, row, "/wms?" + urllib.parse.urlencode(base))


def box_around(r, d=0.002):
    return f"{r[1] - d},{r[2] - d},{r[1] + d},{r[2] + d}"  # 1.3.0 EPSG:4326: lat,lon


def is_blank_png(body):
    from osgeo import gdal
    gdal.FileFromMemBuffer("/vsimem/matrix.png", body)
    ds = gdal.Open("/vsimem/matrix.png")
    blank = ds.RasterCount < 4 or ds.GetRasterBand(4).ComputeRasterMinMax(False)[1] == 0
    ds = None
    gdal.Unlink("/vsimem/matrix.png")
    return blank


def test_wms_capabilities_getmap_getfeatureinfo(srv, row):
    case, truth = row["case"], row["truth"]
    status, _, caps = wms(srv, row, REQUEST="GetCapabilities")
    assert status == 200
    for site in list(truth.outside.values())[:2]:
        # A site out of scope draws nothing and is found by no click.
        for layer in ("sites", "clusters"):
            status, hdrs, body = wms(srv, row, REQUEST="GetMap", LAYERS=layer, BBOX=box_around(site), WIDTH=64,
                                     HEIGHT=64)
            assert status in (200, 403, 401) and (status != 200 or is_blank_png(body)), (case.name, layer, site[0])
        status, _, body = wms(srv, row, REQUEST="GetFeatureInfo", LAYERS="sites", QUERY_LAYERS="sites",
                              BBOX=box_around(site), WIDTH=65, HEIGHT=65, I=32, J=32,
                              INFO_FORMAT="application/json", FEATURE_COUNT=50)
        if status == 200:
            assert_ids_in_scope(row, site_ids_in_geojson(json.loads(body)), "GetFeatureInfo")
    if truth.sites and case.scope != "public":
        site = truth.sites[min(truth.sites)]
        status, _, body = wms(srv, row, REQUEST="GetFeatureInfo", LAYERS="sites", QUERY_LAYERS="sites",
                              BBOX=box_around(site), WIDTH=65, HEIGHT=65, I=32, J=32,
                              INFO_FORMAT="application/json", FEATURE_COUNT=50)
        ids = site_ids_in_geojson(json.loads(body))
        assert site[0] in ids
        assert_ids_in_scope(row, ids, "GetFeatureInfo")
        status, _, body = wms(srv, row, REQUEST="GetMap", LAYERS="sites", BBOX=box_around(site), WIDTH=64,
                              HEIGHT=64)
        assert status == 200 and not is_blank_png(body)  # the blank test can fail


def test_geocoding_does_not_leak_site_names(srv, row):
    truth = row["truth"]
    names = [r[3] for r in list(truth.outside.values())[:: max(1, len(truth.outside) // 5)] if r[3]][:5]
    for name in names:
        status, _, body = fetch(srv, row, "/geocode/search/?" + urllib.parse.urlencode({"q": name, "limit": 20}))
        assert status == 200, body[:200]
        labels = " ".join(f["properties"].get("label", "") + " " + f["properties"].get("name", "")
                          for f in json.loads(body)["features"])
        assert name not in labels, (row["case"].name, name)


def test_styles_and_metrics_carry_no_site(srv, row):
    truth = row["truth"]
    names = [r[3] for r in list(truth.outside.values())[:50] if r[3] and len(r[3]) > 8]
    for path in ("/styles/light.json", "/styles/high-contrast.json", "/metrics"):
        status, _, body = fetch(srv, row, path)
        assert status == 200, path
        text = body.decode()
        assert not [n for n in names if n in text], path


# ---------------------------------------------------------------------------------------
# Caches: one scope's entry never reaches another, an edit out of scope changes nothing.

def test_scopes_in_alternation_get_their_own_bytes(srv, rows, demo_dsn):
    a, b = rows["departement-93"], rows["city-75056-arrondissements"]
    paths = ["/tiles/sites,clusters,actions/0/0/0.mvt", "/tiles/clusters/2/2/1.mvt",
             f"/clusters/sites.geojson?{WORLD}&zoom=2", "/tiles/sites.json"]
    first = {}
    for round_ in range(3):
        for r in (a, b, rows["public"], rows["departement-93-justice"]):
            for p in paths:
                status, _, body = get(srv, p, r["headers"])
                key = (r["case"].name, p)
                first.setdefault(key, (status, body))
                assert (status, body) == first[key], (key, round_)
    assert first[(a["case"].name, paths[0])] != first[(b["case"].name, paths[0])]
    assert first[(a["case"].name, paths[0])] != first[("departement-93-justice", paths[0])]


def test_an_edit_out_of_scope_changes_no_scoped_etag(srv, rows, demo_dsn):
    scoped, national = rows["departement-93"], rows["national"]
    site = next(r for r in rows["departement-93"]["truth"].outside.values() if r[4] == "13")
    x, y = tile_of(site[2], site[1], 11)
    ins = rows["departement-93"]["truth"].sites[min(rows["departement-93"]["truth"].sites)]
    x93, y93 = tile_of(ins[2], ins[1], 11)
    paths = ["/tiles/sites/0/0/0.mvt", "/tiles/clusters/0/0/0.mvt", f"/tiles/sites,clusters/11/{x93}/{y93}.mvt",
             f"/tiles/sites/11/{x}/{y}.mvt"]

    def etags(r):
        return [get(srv, p, r["headers"])[1].get("ETag") for p in paths]
    before = etags(scoped)
    national_before = get(srv, f"/tiles/sites/11/{x}/{y}.mvt", national["headers"])[1].get("ETag")
    (population,) = sql(demo_dsn, "SELECT population_total FROM shantytowns WHERE shantytown_id = %s", (site[0],))[0]
    try:
        with psycopg2.connect(demo_dsn) as conn, conn.cursor() as cur:
            cur.execute("UPDATE shantytowns SET population_total = coalesce(population_total, 0) + 7 "
                        "WHERE shantytown_id = %s", (site[0],))
        deadline = time.time() + 20
        while get(srv, f"/tiles/sites/11/{x}/{y}.mvt", national["headers"])[1].get("ETag") == national_before:
            assert time.time() < deadline, "the edit never reached the national tile"
            time.sleep(0.1)
        assert etags(scoped) == before
    finally:
        with psycopg2.connect(demo_dsn) as conn, conn.cursor() as cur:
            cur.execute("UPDATE shantytowns SET population_total = %s WHERE shantytown_id = %s",
                        (population, site[0]))


PUBLIC_MIN = 5  # the server's default public_min_count (matrix_conf sets none)
PUBLIC_QUERIES = ("", "&status=open", "&status=closed", "&status=open,closed", "&territory=region:11",
                  "&territory=departement:93", "&status=open&territory=region:11", "&status=closed&territory=region:84")


def public_truth(dsn):
    """SQL truth per (level, code): (all sites, open sites), région and département."""
    truth = {}
    for code, region, total, opened in sql(dsn, """SELECT c.fk_departement, d.fk_region, count(*),
                                                     count(*) FILTER (WHERE s.status = 'open')
                                                   FROM shantytowns s JOIN cities c ON c.code = s.fk_city
                                                   JOIN departements d ON d.code = c.fk_departement GROUP BY 1, 2"""):
        truth[("departement", code)] = (total, opened, region)
        t, o, _ = truth.get(("region", region), (0, 0, None))
        truth[("region", region)] = (t + total, o + opened, None)
    return truth


def expected_part(truth, key, query):
    total, opened, _ = truth[key]
    if "status=open," in query or "status=" not in query:
        return total
    return opened if "status=open" in query else total - opened


def test_public_answers_give_no_small_difference(srv, demo_dsn, tmp_path):
    """Every public answer, with and without status or territory filters: each shown count
    equals SQL, and no difference of two shown counts (the same territory filtered and
    unfiltered, a région and its shown départements) is a small count (1 to 4): that
    difference would be a withheld part (the closed sites beside a shown open count)."""
    truth = public_truth(demo_dsn)
    shown = {}  # (query, level, code) -> the SQL truth of the count shown
    for query in PUBLIC_QUERIES:
        status, _, body = get(srv, f"/ogc/collections/territories/items?limit=10000{query}", {})
        assert status == 200, (query, body[:200])
        features = json.loads(body)["features"]
        if "status=" in query and "status=open," not in query:  # no per-status population to suppress
            assert all("population" not in f["properties"] for f in features), query
        for f in features:
            p = f["properties"]
            key = (p["level"], p["code"])
            assert p["level"] in ("region", "departement") and key in truth, (query, key)
            assert p["sites"] == expected_part(truth, key, query) >= PUBLIC_MIN, (query, key, p["sites"])
            shown[(query, *key)] = p["sites"]
            if "status_open" in p:
                assert (p["status_open"], p["status_closed"]) in (
                    (truth[key][1], truth[key][0] - truth[key][1]), (p["sites"], 0), (0, p["sites"])), (query, key)
                shown[(query + "#open", *key)] = p["status_open"]
                shown[(query + "#closed", *key)] = p["status_closed"]
    by_territory = {}
    for (query, level, code), n in shown.items():
        by_territory.setdefault((level, code), []).append((query, n))
    for key, answers in by_territory.items():  # the same territory in two answers
        for qa, a in answers:
            for qb, b in answers:
                assert not 0 < abs(a - b) < PUBLIC_MIN, (key, qa, a, qb, b)
    for (query, level, code), n in shown.items():  # a région minus its shown départements
        if level != "region" or n == 0:
            continue
        deps = sum(m for (q, lv, c), m in shown.items()
                   if q == query and lv == "departement" and truth[("departement", c)][2] == code)
        assert not 0 < n - deps < PUBLIC_MIN, (query, code, n, deps)
    # Tiles carry the same bubbles: the z0 tile under the viewer's default filter.
    status, _, body = get(srv, "/tiles/territories/0/0/0.mvt?status=open", {})
    assert status in (200, 204)
    layers = decode(tmp_path, 0, 0, 0, body) if status == 200 and body else {}
    tile = {f["code"]: f["sites"] for f in layers.get("territories", [])}
    assert tile == {c: n for (q, lv, c), n in shown.items() if q == "&status=open" and lv == "region"}


FLAG_CASES = [  # scope, flags, owners shown, finances shown (finances are national only)
    ("national", "owners,finances", True, True),
    ("national", "owners", True, False),
    ("national", "justice", False, False),
    ("departement:93", "owners,finances", True, False),
]


def owners_truth(dsn):
    out = {}
    for site, name, kind in sql(dsn, """SELECT o.fk_shantytown, o.owner_name, t.label FROM shantytown_parcel_owners o
                                         LEFT JOIN owner_types t ON t.owner_type_id = o.fk_owner_type
                                         WHERE o.active ORDER BY o.shantytown_parcel_owner_id"""):
        out.setdefault(site, []).append({"name": name, "type": kind})
    return out


def finances_truth(dsn):
    out = {}
    for action, year, kind, amount, real in sql(dsn, """SELECT fk_action, year, fk_action_finance_type, amount,
                                                         real_amount FROM action_finances
                                                         ORDER BY fk_action, year, fk_action_finance_type,
                                                         action_finance_id"""):
        out.setdefault(action, []).append((year, kind, float(amount), None if real is None else float(real)))
    return out


@pytest.mark.parametrize("scope,flags,owners,finances", FLAG_CASES)
def test_owners_and_finances_follow_their_flags(srv, mint, demo_dsn, scope, flags, owners, finances):
    """Owners (active parcel owners of a site) only with the owners flag, finances of an
    action only for a national scope with the finances flag, equal to SQL, in OGC items,
    queryables and exports alike."""
    headers = {"Authorization": "Bearer " + mint(scope, "--flags", flags)}
    owner_rows, finance_rows = owners_truth(demo_dsn), finances_truth(demo_dsn)
    status, _, body = get(srv, "/ogc/collections/sites/items?limit=10000", headers)
    assert status == 200
    sites = json.loads(body)["features"]
    assert sites and any(f["id"] in owner_rows for f in sites)
    for f in sites:
        got = f["properties"].get("owners")
        if owners and f["id"] in owner_rows:
            assert json.loads(got) == owner_rows[f["id"]], f["id"]
        else:
            assert got is None, (scope, flags, f["id"])
    status, _, body = get(srv, "/ogc/collections/actions/items?limit=10000", headers)
    assert status == 200
    actions = json.loads(body)["features"]
    assert any(f["properties"]["action_id"] in finance_rows for f in actions)
    for f in actions:
        got, aid = f["properties"].get("finances"), f["properties"]["action_id"]
        if finances and aid in finance_rows:
            assert [(x["year"], x["type"], float(x["amount"]), None if x["real_amount"] is None
                     else float(x["real_amount"])) for x in json.loads(got)] == finance_rows[aid], aid
        else:
            assert got is None, (scope, flags, aid)
    for coll, key, column, shown in (("sites", "owners", "Propriétaires", owners),
                                     ("actions", "finances", "Financements", finances)):
        status, _, body = get(srv, f"/ogc/collections/{coll}/queryables", headers)
        assert status == 200 and (key in json.loads(body)["properties"]) == shown, (coll, key)
        status, _, body = get(srv, f"/export/{coll}.csv", headers)
        assert status == 200, body[:200]
        rows_ = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
        assert (column in rows_[0]) == shown, (coll, rows_[0])  # csv columns have French labels
        if shown:
            col, truth = rows_[0].index(column), owner_rows if coll == "sites" else finance_rows
            filled = [r for r in rows_[1:] if r and r[col]]
            assert filled and len(filled) == sum(1 for r in rows_[1:] if r and int(r[0]) in truth)
