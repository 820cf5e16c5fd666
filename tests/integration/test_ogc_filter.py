"""OGC API Features Part 3 on /ogc: `filter` in CQL2 text (comparisons, AND/OR/NOT,
LIKE, IN, BETWEEN, IS NULL, dates, S_INTERSECTS with a point, a bbox and polygons,
filter-crs), errors as 400, queryables and conformance, and the clients still working.
Every expected set comes from the same predicate written in SQL on the demo database."""
import json
import os
import subprocess
import urllib.parse

import pytest
from osgeo import ogr

from conftest import http_get, sql_query

SITES = """SELECT s.shantytown_id FROM shantytowns s JOIN cities c ON c.code = s.fk_city
    JOIN field_types ft ON ft.field_type_id = s.fk_field_type WHERE {where} ORDER BY 1"""


@pytest.fixture(scope="module")
def api(auth_server):
    auth_server.srv.wait_boundaries()
    return auth_server


def filtered(api, coll, cql, scope="national", expect=200, **extra):
    params = {"filter": cql, "limit": "10000", **extra}
    status, _, body = http_get(f"{api.url}/ogc/collections/{coll}/items?{urllib.parse.urlencode(params)}",
                               headers=api.headers(scope))
    assert status == expect, (cql, status, body[:300])
    return json.loads(body)


def ids(doc):
    return sorted(f["id"] for f in doc["features"])


def sql_ids(dsn, where, params=None):
    return [r[0] for r in sql_query(dsn, SITES.format(where=where), params)]


CASES = [
    ("population > 100", "s.population_total > 100"),
    ("population >= 100", "s.population_total >= 100"),
    ("population < 10", "s.population_total < 10"),
    ("population <= 10", "s.population_total <= 10"),
    ("population = 24", "s.population_total = 24"),
    ("population <> 24", "s.population_total <> 24"),
    ("departement = '93' AND population > 50", "c.fk_departement = '93' AND s.population_total > 50"),
    ("departement = '93' OR departement = '94'", "c.fk_departement IN ('93', '94')"),
    ("NOT (population > 50)", "NOT (s.population_total > 50)"),
    ("NOT departement = '93' AND field_type_id = 2", "c.fk_departement <> '93' AND s.fk_field_type = 2"),
    ("name LIKE 'Camp%'", "s.name LIKE 'Camp%%'"),
    ("name LIKE '%de la%'", "s.name LIKE '%%de la%%'"),
    ("city_name LIKE 'Saint-_enis'", "c.name LIKE 'Saint-_enis'"),
    ("departement IN ('13', '69', '974')", "c.fk_departement IN ('13', '69', '974')"),
    ("population BETWEEN 10 AND 50", "s.population_total BETWEEN 10 AND 50"),
    ("population NOT BETWEEN 10 AND 50", "s.population_total NOT BETWEEN 10 AND 50"),
    ("population IS NULL", "s.population_total IS NULL"),
    ("population IS NOT NULL AND field_type = 'Terrain'", "s.population_total IS NOT NULL AND ft.label = 'Terrain'"),
    ("declared_at >= DATE('2024-01-01')", "s.declared_at >= DATE '2024-01-01'"),
    ("declared_at < DATE('2020-06-15') AND status = 'open'",
     "s.declared_at < DATE '2020-06-15' AND s.closed_at IS NULL"),
    ("status IN ('resorbed', 'closed_by_justice')", "s.status IN ('resorbed', 'closed_by_justice')"),
    ("S_INTERSECTS(geometry, BBOX(2.2, 48.8, 2.4, 48.9))",
     "ST_Intersects(s.geom, ST_MakeEnvelope(2.2, 48.8, 2.4, 48.9, 4326))"),
    ("S_INTERSECTS(geometry, POLYGON((2.2 48.8, 2.6 48.75, 2.5 49.0, 2.2 48.8)))",
     "ST_Intersects(s.geom, ST_GeomFromText('POLYGON((2.2 48.8, 2.6 48.75, 2.5 49.0, 2.2 48.8))', 4326))"),
    ("S_INTERSECTS(geometry, POLYGON((2 48, 3 48, 3 49.5, 2 49.5, 2 48), (2.2 48.8, 2.4 48.8, 2.4 48.9, 2.2 48.9, "
     "2.2 48.8)))", "ST_Intersects(s.geom, ST_GeomFromText('POLYGON((2 48, 3 48, 3 49.5, 2 49.5, 2 48), (2.2 48.8, "
                    "2.4 48.8, 2.4 48.9, 2.2 48.9, 2.2 48.8))', 4326))"),
    ("S_INTERSECTS(geometry, BBOX(55, -22, 56, -20.5)) AND population > 30",
     "ST_Intersects(s.geom, ST_MakeEnvelope(55, -22, 56, -20.5, 4326)) AND s.population_total > 30"),
]


@pytest.mark.parametrize("cql,where", CASES)
def test_filter_matches_sql(api, demo_dsn, cql, where):
    expected = sql_ids(demo_dsn, where)
    doc = filtered(api, "sites", cql)
    assert expected and ids(doc) == expected and doc["numberMatched"] == len(expected)


def test_point_intersects_the_site_itself(api, demo_dsn):
    sid, lon, lat = sql_query(demo_dsn, "SELECT shantytown_id, longitude, latitude FROM shantytowns "
                                        "ORDER BY shantytown_id LIMIT 1")[0]
    doc = filtered(api, "sites", f"S_INTERSECTS(geometry, POINT({lon!r} {lat!r}))")
    expected = sql_ids(demo_dsn, "ST_Intersects(s.geom, ST_SetSRID(ST_MakePoint(%s, %s), 4326))", (lon, lat))
    assert sid in ids(doc) and ids(doc) == expected


def test_filter_crs(api, demo_dsn):
    poly = "POLYGON((640000 6850000, 670000 6850000, 670000 6880000, 640000 6880000, 640000 6850000))"
    expected = sql_ids(demo_dsn, f"ST_Intersects(s.geom, ST_Transform(ST_GeomFromText('{poly}', 2154), 4326))")
    doc = filtered(api, "sites", f"S_INTERSECTS(geometry, {poly})",
                   **{"filter-crs": "http://www.opengis.net/def/crs/EPSG/0/2154"})
    assert ids(doc) == expected and expected
    # EPSG:4326 literals are latitude first
    doc = filtered(api, "sites", "S_INTERSECTS(geometry, BBOX(48.8, 2.2, 48.9, 2.4))",
                   **{"filter-crs": "http://www.opengis.net/def/crs/EPSG/0/4326"})
    assert ids(doc) == sql_ids(demo_dsn, "ST_Intersects(s.geom, ST_MakeEnvelope(2.2, 48.8, 2.4, 48.9, 4326))")


def test_filter_with_bbox_paging_and_scope(api, demo_dsn):
    expected = sql_ids(demo_dsn, "c.fk_departement = '93' AND s.population_total > 20")
    doc = filtered(api, "sites", "population > 20", "departement:93")
    assert ids(doc) == expected
    got, url = [], (f"{api.url}/ogc/collections/sites/items?limit=7&"
                    + urllib.parse.urlencode({"filter": "population > 20"}))
    while url:
        page = json.loads(http_get(url, headers=api.headers("departement:93"))[2])
        got += [f["id"] for f in page["features"]]
        url = next((l["href"] for l in page["links"] if l["rel"] == "next"), None)
    assert sorted(got) == expected
    both = filtered(api, "sites", "population > 20", bbox="2.2,48.8,2.6,49")
    assert ids(both) == sql_ids(demo_dsn, "s.population_total > 20 AND "
                                          "ST_Intersects(s.geom, ST_MakeEnvelope(2.2, 48.8, 2.6, 49, 4326))")


def test_other_collections(api, demo_dsn):
    doc = filtered(api, "boundaries", "S_INTERSECTS(geometry, POINT(2.3522 48.8566))", "public")
    expected = sql_query(demo_dsn, """SELECT level || ':' || code FROM (
        SELECT 'region' AS level, code::text AS code, geom FROM regions UNION ALL
        SELECT 'departement', code, geom FROM departements UNION ALL SELECT 'epci', code, geom FROM epci
        UNION ALL SELECT 'city', code, geom FROM cities) b
        WHERE ST_Intersects(b.geom, ST_SetSRID(ST_MakePoint(2.3522, 48.8566), 4326)) ORDER BY 1""")
    assert ids(doc) == sorted(r[0] for r in expected) and len(expected) >= 3
    doc = filtered(api, "boundaries", "level = 'departement' AND name LIKE 'Seine%'", "public")
    assert ids(doc) == sorted("departement:" + r[0] for r in sql_query(
        demo_dsn, "SELECT code FROM departements WHERE name LIKE 'Seine%%' AND geom IS NOT NULL"))
    doc = filtered(api, "territories", "level = 'departement' AND sites >= 100", "public")
    expected = sql_query(demo_dsn, """SELECT c.fk_departement FROM shantytowns s JOIN cities c ON c.code = s.fk_city
        GROUP BY 1 HAVING count(*) >= 100""")
    assert ids(doc) == sorted("departement:" + r[0] for r in expected)
    actions = filtered(api, "actions", "location_type = 'eti' AND departement = '93'")
    assert actions["numberMatched"] == sql_query(demo_dsn, """SELECT count(*) FROM action_addresses ad
        JOIN actions a ON a.action_id = ad.fk_action WHERE a.location_type = 'eti' AND a.fk_departement = '93'""")[0][0]
    clusters = filtered(api, "clusters", "cluster = true AND point_count >= 10", zoom="5")
    assert clusters["features"] and all(f["properties"]["point_count"] >= 10 for f in clusters["features"])


BAD = [
    ("population >", "filter"),
    ("nope = 1", "nope"),
    ("population = 'many'", "population"),
    ("owner_complaint = true", "owner_complaint"),  # a justice field, without the justice flag
    ("(" * 40 + "population = 1" + ")" * 40, "filter"),
    ("population IN (" + ",".join(["1"] * 1200) + ")", "filter"),
    ("S_INTERSECTS(geometry, POINT(1))", "filter"),
    ("name LIKE 5", "filter"),
]


@pytest.mark.parametrize("cql,word", BAD)
def test_bad_filters_are_400(api, cql, word):
    doc = filtered(api, "sites", cql, expect=400)
    assert word in doc["error"]["message"]


def test_filter_language_and_crs_errors(api):
    doc = filtered(api, "sites", "population > 1", expect=400, **{"filter-lang": "cql2-json"})
    assert "filter-lang" in doc["error"]["message"]
    doc = filtered(api, "sites", "population > 1", expect=400, **{"filter-crs": "EPSG:1234"})
    assert "filter-crs" in doc["error"]["message"]
    filtered(api, "sites", "x" * 9000, expect=400)


def test_justice_queryables_with_the_flag(api, demo_dsn):
    status, _, body = http_get(f"{api.url}/ogc/collections/sites/items?" + urllib.parse.urlencode(
        {"filter": "owner_complaint = true", "limit": 10000}), headers=api.headers("national", "--flags", "justice"))
    assert status == 200, body[:300]
    assert ids(json.loads(body)) == sql_ids(demo_dsn, "s.owner_complaint = true")


def test_conformance_queryables_and_openapi(api):
    classes = json.loads(http_get(api.url + "/ogc/conformance")[2])["conformsTo"]
    for c in ("http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
              "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
              "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
              "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text"):
        assert c in classes
    status, headers, body = http_get(api.url + "/ogc/collections/sites/queryables", headers=api.headers("national"))
    assert status == 200 and headers["Content-Type"] == "application/schema+json"
    schema = json.loads(body)
    assert schema["type"] == "object" and schema["properties"]["population"]["type"] == "integer"
    doc = json.loads(http_get(api.url + "/ogc/api", headers=api.headers("national"))[2])
    names = {p["$ref"].rsplit("/", 1)[1] for p in doc["paths"]["/collections/sites/items"]["get"]["parameters"]}
    assert {"filter", "filter-lang", "filter-crs"} <= names


def test_clients_still_work_with_filters(api, demo_dsn, tmp_path):
    from owslib.ogcapi.features import Features
    f = Features(f"{api.url}/ogc", headers=api.headers("national"))
    page = f.collection_items("sites", limit=5000, filter="departement = '93' AND population > 50")
    assert sorted(x["id"] for x in page["features"]) == sql_ids(
        demo_dsn, "c.fk_departement = '93' AND s.population_total > 50")
    out = str(tmp_path / "open93.gpkg")
    url = f"OAPIF:{api.url}/ogc?access_token={api.mint('national')}"
    r = subprocess.run(["ogr2ogr", "-f", "GPKG", "-oo", "PAGE_SIZE=1000", out, url, "sites",
                        "-where", "status = 'open' AND departement = '93'"],
                       capture_output=True, text=True, timeout=300, env=dict(os.environ))
    assert r.returncode == 0, r.stderr
    ds = ogr.Open(out)
    got = sorted(feat.GetField("id") for feat in ds.GetLayer(0))
    assert got == sql_ids(demo_dsn, "s.closed_at IS NULL AND c.fk_departement = '93'") and got
    ds = None
