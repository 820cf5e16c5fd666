"""OGC API Features under /ogc: scopes, counts, paging, bbox, CRS, datetime, the DESIGN.md
filters, properties, sortby, territories, clusters, boundaries. Every expected count
comes from SQL on the demo database (or from the documented semantics applied in SQL),
never from the server's own output."""
import json
import urllib.parse

import pytest

from conftest import http_get, sql_query, sql_scalar

SITES_SQL = """SELECT s.shantytown_id FROM shantytowns s JOIN cities c ON c.code = s.fk_city
    JOIN departements d ON d.code = c.fk_departement WHERE {where} ORDER BY s.shantytown_id"""
JUSTICE_FIELDS = {"owner_complaint", "justice_procedure", "justice_rendered", "police_status",
                  "existing_litigation", "evacuation_under_time_limit", "insalubrity_order"}


@pytest.fixture(scope="module")
def api(auth_server):
    auth_server.srv.wait_boundaries()
    return auth_server


def get(api, path, scope="national", *extra, expect=200):
    status, headers, body = http_get(api.url + path, headers=api.headers(scope, *extra))
    assert status == expect, (path, status, body[:400])
    return headers, json.loads(body) if body[:1] in (b"{", b"[") else body


def items(api, coll, query="", scope="national", *extra):
    return get(api, f"/ogc/collections/{coll}/items?{query}", scope, *extra)[1]


def all_items(api, coll, query="", scope="national"):
    """Follows next links from the first page; returns (ids, pages)."""
    url = f"{api.url}/ogc/collections/{coll}/items?{query}"
    ids, pages = [], []
    while url:
        status, _, body = http_get(url, headers=api.headers(scope))
        assert status == 200, body[:300]
        doc = json.loads(body)
        pages.append(doc)
        assert doc["numberReturned"] == len(doc["features"])
        ids += [f["id"] for f in doc["features"]]
        url = next((l["href"] for l in doc["links"] if l["rel"] == "next"), None)
        assert len(pages) < 100
    return ids, pages


def sql_ids(dsn, where="TRUE", params=None):
    return [r[0] for r in sql_query(dsn, SITES_SQL.format(where=where), params)]


def test_collections_follow_the_scope(api):
    public = get(api, "/ogc/collections", "public")[1]
    assert {c["id"] for c in public["collections"]} == {"territories", "boundaries"}
    national = get(api, "/ogc/collections")[1]
    assert {c["id"] for c in national["collections"]} == {"sites", "actions", "clusters", "territories", "boundaries"}
    for coll in ("sites", "actions", "clusters"):
        for path in ("", "/items", "/items/1", "/queryables"):
            get(api, f"/ogc/collections/{coll}{path}", "public", expect=404)
    get(api, "/ogc/collections/dUmmYColLection", expect=404)
    get(api, "/ogc/collections/dUmmYColLection/items", expect=404)


def test_site_counts_per_scope(api, demo_dsn):
    assert items(api, "sites")["numberMatched"] == sql_scalar(demo_dsn, "SELECT count(*) FROM shantytowns")
    in93 = sql_ids(demo_dsn, "c.fk_departement = '93'")
    doc = items(api, "sites", "limit=10000", "departement:93")
    assert sorted(f["id"] for f in doc["features"]) == in93 and doc["numberMatched"] == len(in93)
    outside = sql_ids(demo_dsn, "c.fk_departement <> '93'")[0]
    get(api, f"/ogc/collections/sites/items/{outside}", "departement:93", expect=404)
    assert get(api, f"/ogc/collections/sites/items/{outside}")[1]["id"] == outside
    get(api, f"/ogc/collections/sites/items/{in93[0]}", "departement:93")
    get(api, "/ogc/collections/sites/items/999999999", expect=404)
    get(api, "/ogc/collections/sites/items/abc", expect=404)


def test_paging_follows_next_links_to_every_site(api, demo_dsn):
    ids, pages = all_items(api, "sites", "limit=1000")
    assert ids == sql_ids(demo_dsn) and len(pages) == -(-len(ids) // 1000)
    for i, page in enumerate(pages):
        rels = {l["rel"] for l in page["links"]}
        assert ("prev" in rels) == (i > 0) and ("next" in rels) == (i < len(pages) - 1)
        assert page["numberMatched"] == len(ids)


def test_limit_default_maximum_and_errors(api, demo_dsn):
    total = sql_scalar(demo_dsn, "SELECT count(*) FROM shantytowns")
    assert items(api, "sites")["numberReturned"] == 10  # ogc_limit_default
    assert items(api, "sites", "limit=20000")["numberReturned"] == min(total, 10000)  # clamped to ogc_limit_max
    for bad in ("unlimited", "0", "-1", "1.5", ""):
        get(api, f"/ogc/collections/sites/items?limit={bad}", expect=400)
    doc = items(api, "sites", f"limit=5&offset={total - 2}")
    assert doc["numberReturned"] == 2 and not any(l["rel"] == "next" for l in doc["links"])
    assert items(api, "sites", f"offset={total + 5}")["numberReturned"] == 0


BBOXES = [(2.2, 48.8, 2.4, 48.9), (-5.5, 41, 10, 51.5), (55, -22, 56, -20.5), (-62, 14, -60.8, 16.6)]


@pytest.mark.parametrize("bbox", BBOXES)
def test_bbox_matches_postgis(api, demo_dsn, bbox):
    expected = sql_ids(demo_dsn, "ST_Intersects(s.geom, ST_MakeEnvelope(%s, %s, %s, %s, 4326))", bbox)
    q = "limit=10000&bbox=" + ",".join(map(str, bbox))
    assert sorted(f["id"] for f in items(api, "sites", q)["features"]) == expected
    six = f"limit=10000&bbox={bbox[0]},{bbox[1]},-10,{bbox[2]},{bbox[3]},100"
    assert sorted(f["id"] for f in items(api, "sites", six)["features"]) == expected
    latlon = (f"limit=10000&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/4326"
              f"&bbox={bbox[1]},{bbox[0]},{bbox[3]},{bbox[2]}")
    assert sorted(f["id"] for f in items(api, "sites", latlon)["features"]) == expected


def test_bbox_in_lambert93(api, demo_dsn):
    box = (640000, 6850000, 670000, 6880000)
    got = {f["id"] for f in items(api, "sites", "limit=10000&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/2154"
                                  "&bbox=" + ",".join(map(str, box)))["features"]}
    exact = set(sql_ids(demo_dsn, "ST_Intersects(ST_Transform(s.geom, 2154), ST_MakeEnvelope(%s,%s,%s,%s,2154))",
                        box))
    cover = set(sql_ids(demo_dsn, "ST_Intersects(s.geom, ST_Expand(ST_Envelope(ST_Transform(ST_Segmentize("
                                  "ST_MakeEnvelope(%s,%s,%s,%s,2154), 100), 4326)), 1e-7))", box))
    assert exact and exact <= got <= cover


@pytest.mark.parametrize("bad", ["1,2,3", "1,2,3,4,5", "a,b,c,d", "2,49,1,48", "0,-91,1,0", "1,2,nan,4", "1e999,0,1,1"])
def test_bad_bbox_is_400(api, bad):
    _, doc = get(api, "/ogc/collections/sites/items?bbox=" + urllib.parse.quote(bad), expect=400)
    assert "bbox" in doc["error"]["message"]


@pytest.mark.parametrize("epsg", [2154, 3857, 4326, 2975])
def test_output_crs_matches_postgis(api, demo_dsn, epsg):
    where = "c.fk_departement = '974'" if epsg == 2975 else "c.fk_departement = '93'"
    rows = sql_query(demo_dsn, f"""SELECT s.shantytown_id, ST_X(ST_Transform(s.geom, {epsg})),
        ST_Y(ST_Transform(s.geom, {epsg})) FROM shantytowns s JOIN cities c ON c.code = s.fk_city
        WHERE {where} ORDER BY 1 LIMIT 20""")
    assert rows
    uri = f"http://www.opengis.net/def/crs/EPSG/0/{epsg}"
    headers, doc = get(api, f"/ogc/collections/sites/items?limit=10000&crs={uri}")
    assert headers["Content-Crs"] == f"<{uri}>"
    coords = {f["id"]: f["geometry"]["coordinates"] for f in doc["features"]}
    tol = 1e-6 if epsg == 4326 else 1e-3
    for sid, x, y in rows:
        got = coords[sid]
        if epsg == 4326:  # EPSG:4326 is latitude first (PostGIS's ST_X is the longitude)
            got = got[::-1]
        assert got[0] == pytest.approx(x, abs=tol) and got[1] == pytest.approx(y, abs=tol), sid
    h, one = get(api, f"/ogc/collections/sites/items/{rows[0][0]}?crs={uri}")
    assert h["Content-Crs"] == f"<{uri}>" and one["geometry"]["coordinates"] == coords[rows[0][0]]


def test_default_crs_and_bad_crs(api):
    headers, _ = get(api, "/ogc/collections/sites/items?limit=1")
    assert headers["Content-Crs"] == "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"
    for param in ("crs", "bbox-crs"):
        for bad in ("http://www.opengis.net/def/crs/EPSG/0/9999", "foo"):
            _, doc = get(api, f"/ogc/collections/sites/items?{param}={urllib.parse.quote(bad)}&bbox=0,0,1,1",
                         expect=400)
            assert param in doc["error"]["message"]
    get(api, "/ogc/collections/sites/items/1?crs=EPSG:1", expect=400)


# datetime: a site lives over [coalesce(declared_at, built_at), closed_at); it matches when
# that span meets the requested instant or interval (inclusive days).
DATETIMES = [
    ("2022-06-01", "2022-06-01", "2022-06-01"),
    ("2021-01-01/2021-12-31", "2021-01-01", "2021-12-31"),
    ("../2019-06-30", None, "2019-06-30"),
    ("2025-01-01/..", "2025-01-01", None),
    ("2023-03-01T12:00:00Z", "2023-03-01", "2023-03-01"),
    ("/2020-01-01", None, "2020-01-01"),
    ("2021-01-30/P1M", "2021-01-30", "2021-02-28"),  # start/duration, calendar months
    ("2022-06-01/P2D", "2022-06-01", "2022-06-03"),
]


@pytest.mark.parametrize("dt,start,end", DATETIMES)
def test_datetime_on_site_lives(api, demo_dsn, dt, start, end):
    conds = ["coalesce(s.declared_at, s.built_at) IS NOT NULL"]
    params = []
    if end:
        conds.append("coalesce(s.declared_at, s.built_at)::date <= %s::date")
        params.append(end)
    if start:
        conds.append("(s.closed_at IS NULL OR s.closed_at::date > %s::date)")
        params.append(start)
    expected = sql_ids(demo_dsn, " AND ".join(conds), params)
    got = items(api, "sites", "limit=10000&properties=id&datetime=" + urllib.parse.quote(dt))
    assert sorted(f["id"] for f in got["features"]) == expected and expected


def test_datetime_on_actions_and_errors(api, demo_dsn):
    expected = sql_scalar(demo_dsn, """SELECT (SELECT count(*) FROM action_addresses ad JOIN actions a
        ON a.action_id = ad.fk_action WHERE a.location_type = 'eti' AND {c})
        + (SELECT count(*) FROM action_shantytowns ash JOIN actions a ON a.action_id = ash.fk_action
        WHERE a.location_type = 'sur_site' AND {c})""".replace(
        "{c}", "a.started_at <= DATE '2022-12-31' AND (a.ended_at IS NULL OR a.ended_at > DATE '2022-01-01')"))
    assert items(api, "actions", "datetime=2022-01-01/2022-12-31")["numberMatched"] == expected
    for bad in ("yesterday", "2022-13-01", "../..", "2023-01-01/2022-01-01", "2022-01-01T25:00:00Z", "2022-01-01T10:00"):
        get(api, "/ogc/collections/sites/items?datetime=" + urllib.parse.quote(bad), expect=400)


FILTERS = [
    ("status=open", "s.closed_at IS NULL"),
    ("territory=departement:93", "c.fk_departement = '93'"),
    ("territory=region:11&status=open", "s.closed_at IS NULL AND d.fk_region = '11'"),
    ("field_type=2", "s.fk_field_type = 2"),
]


@pytest.mark.parametrize("query,where", FILTERS)
def test_design_filters(api, demo_dsn, query, where):
    got = items(api, "sites", "limit=10000&properties=id&" + query)
    assert sorted(f["id"] for f in got["features"]) == sql_ids(demo_dsn, where)


def test_properties_and_sortby(api, demo_dsn):
    doc = items(api, "sites", "limit=50&properties=id,population")
    assert all(set(f["properties"]) <= {"id", "population"} for f in doc["features"])
    expected = [r[0] for r in sql_query(demo_dsn, """SELECT shantytown_id FROM shantytowns
        ORDER BY population_total DESC NULLS LAST, shantytown_id LIMIT 200""")]
    got = items(api, "sites", "limit=200&properties=id&sortby=-population")
    assert [f["id"] for f in got["features"]] == expected
    expected = [r[0] for r in sql_query(demo_dsn, """SELECT shantytown_id FROM shantytowns
        ORDER BY coalesce(name, '') = '', name COLLATE "C", shantytown_id LIMIT 100""")]
    got = items(api, "sites", "limit=100&properties=id&sortby=%2Bname")
    assert [f["id"] for f in got["features"]] == expected
    # The address is in GeoJSON (not in tiles, which leave it out for size), as in SQL.
    doc = items(api, "sites", "limit=20&properties=id,address")
    truth = dict(sql_query(demo_dsn, "SELECT shantytown_id, address FROM shantytowns WHERE shantytown_id = ANY(%s)",
                           ([f["id"] for f in doc["features"]],)))
    assert doc["features"] and all(f["properties"]["address"] == truth[f["id"]] for f in doc["features"])
    for bad in ("properties=nope", "sortby=nope", "properties=owner_complaint", "sortby=-"):
        get(api, "/ogc/collections/sites/items?" + bad, expect=400)


def test_justice_fields_need_the_flag(api):
    plain = items(api, "sites", "limit=3000")
    assert not any(JUSTICE_FIELDS & set(f["properties"]) for f in plain["features"])
    justice = items(api, "sites", "limit=3000", "national", "--flags", "justice")
    assert any(JUSTICE_FIELDS & set(f["properties"]) for f in justice["features"])
    q_plain = get(api, "/ogc/collections/sites/queryables")[1]["properties"]
    q_justice = get(api, "/ogc/collections/sites/queryables", "national", "--flags", "justice")[1]["properties"]
    assert not JUSTICE_FIELDS & set(q_plain) and JUSTICE_FIELDS <= set(q_justice)
    seen = set().union(*(f["properties"] for f in justice["features"]))
    assert seen <= set(q_justice)


def test_undeclared_and_repeated_parameters(api):
    for path in ("/ogc", "/ogc/collections", "/ogc/collections/sites", "/ogc/collections/sites/items",
                 "/ogc/collections/sites/items/1", "/ogc/conformance", "/ogc/api"):
        _, doc = get(api, path + "?foo=bar", expect=400)
        assert "foo" in doc["error"]["message"]
    _, doc = get(api, "/ogc/collections/sites/items?limit=1&limit=2", expect=400)
    assert "limit" in doc["error"]["message"]
    get(api, "/ogc/collections/sites/items?zoom=3", expect=400)  # declared for clusters only
    get(api, "/ogc/collections/sites/items?f=xml", expect=400)


def test_territories_public_threshold(api, demo_dsn):
    public = items(api, "territories", "limit=1000", "public")
    levels = {f["properties"]["level"] for f in public["features"]}
    assert levels == {"region", "departement"}
    expected = {r[0]: r[1] for r in sql_query(demo_dsn, """SELECT c.fk_departement, count(*) FROM shantytowns s
        JOIN cities c ON c.code = s.fk_city GROUP BY 1 HAVING count(*) >= 5""")}
    got = {f["properties"]["code"]: f["properties"]["sites"] for f in public["features"]
           if f["properties"]["level"] == "departement"}
    assert set(got) <= set(expected) and all(expected[k] == v for k, v in got.items())
    # A département of 5 or more is withheld only to keep a small one of its région from
    # showing by difference (tiles/small_counts.h).
    small_regions = {r[0] for r in sql_query(demo_dsn, """SELECT d.fk_region FROM shantytowns s
        JOIN cities c ON c.code = s.fk_city JOIN departements d ON d.code = c.fk_departement
        GROUP BY d.fk_region, d.code HAVING count(*) < 5""")}
    region_of = dict(sql_query(demo_dsn, "SELECT code, fk_region FROM departements"))
    assert all(region_of[k] in small_regions for k in set(expected) - set(got))
    assert len(got) >= len(expected) - 5
    national = items(api, "territories", "limit=10000")
    assert "city" in {f["properties"]["level"] for f in national["features"]}
    z12 = items(api, "territories", "limit=10000&zoom=12")
    assert {f["properties"]["level"] for f in z12["features"]} == {"city"}
    open93 = items(api, "territories", "zoom=9&status=open&territory=departement:93")
    assert [f["properties"]["sites"] for f in open93["features"]] == [sql_scalar(demo_dsn, """SELECT count(*)
        FROM shantytowns s JOIN cities c ON c.code = s.fk_city WHERE c.fk_departement = '93'
        AND s.closed_at IS NULL""")]
    assert get(api, "/ogc/collections/territories/items/departement:93", "public")[1]["properties"]["code"] == "93"
    get(api, "/ogc/collections/territories/items/city:93066", "public", expect=404)
    get(api, "/ogc/collections/territories/items?datetime=2020-01-01/2021-01-01", expect=400)


@pytest.mark.parametrize("scope,where", [("national", "TRUE"), ("departement:93", "c.fk_departement = '93'")])
def test_clusters_add_up_to_the_visible_sites(api, demo_dsn, scope, where):
    total = len(sql_ids(demo_dsn, where))
    for zoom in (3, 8, 14):
        doc = items(api, "clusters", f"zoom={zoom}&limit=10000", scope)
        count = sum(f["properties"]["point_count"] if f["properties"]["cluster"] else 1 for f in doc["features"])
        assert count == total, zoom
    get(api, "/ogc/collections/clusters/items", scope, expect=400)
    cluster = next(f for f in items(api, "clusters", "zoom=3&limit=10000", scope)["features"]
                   if f["properties"]["cluster"])
    one = get(api, f"/ogc/collections/clusters/items/{cluster['id']}", scope)[1]
    assert one["properties"]["point_count"] == cluster["properties"]["point_count"]


def test_boundaries_and_ten_thousand_features(api, demo_dsn):
    total = sql_scalar(demo_dsn, """SELECT (SELECT count(*) FROM regions WHERE geom IS NOT NULL)
        + (SELECT count(*) FROM departements WHERE geom IS NOT NULL) + (SELECT count(*) FROM epci WHERE geom IS NOT NULL)
        + (SELECT count(*) FROM cities WHERE geom IS NOT NULL)""")
    doc = items(api, "boundaries", "limit=10000&properties=level", "public")
    assert doc["numberMatched"] == total and doc["numberReturned"] == min(total, 10000) >= 10000
    assert all(f["geometry"]["type"] == "MultiPolygon" for f in doc["features"])
    dep = get(api, "/ogc/collections/boundaries/items/departement:93", "public")[1]
    assert dep["properties"]["name"] == sql_scalar(demo_dsn, "SELECT name FROM departements WHERE code = '93'")
    in_box = items(api, "boundaries", "bbox=2.35,48.9,2.36,48.91&properties=code&limit=100", "public")
    expected = sql_scalar(demo_dsn, """SELECT count(*) FROM (SELECT geom FROM regions UNION ALL SELECT geom FROM
        departements UNION ALL SELECT geom FROM epci UNION ALL SELECT geom FROM cities) b
        WHERE b.geom && ST_MakeEnvelope(2.35, 48.9, 2.36, 48.91, 4326)""")
    assert in_box["numberMatched"] == expected > 0


def test_actions_per_scope(api, demo_dsn):
    def count(where):
        return sql_scalar(demo_dsn, f"""SELECT (SELECT count(*) FROM action_addresses ad JOIN actions a
            ON a.action_id = ad.fk_action WHERE a.location_type = 'eti' AND {where})
            + (SELECT count(*) FROM action_shantytowns ash JOIN actions a ON a.action_id = ash.fk_action
            WHERE a.location_type = 'sur_site' AND {where})""")
    assert items(api, "actions")["numberMatched"] == count("TRUE")
    doc = items(api, "actions", "limit=10000", "departement:93")
    assert doc["numberMatched"] == count("a.fk_departement = '93'")
    fid = doc["features"][0]["id"]
    assert get(api, f"/ogc/collections/actions/items/{fid}", "departement:93")[1]["id"] == fid
    other = next(f["id"] for f in items(api, "actions", "limit=10000")["features"]
                 if f["properties"]["departement"] != "93")
    get(api, f"/ogc/collections/actions/items/{other}", "departement:93", expect=404)


def test_html_pages(api):
    for path in ("/ogc?f=html", "/ogc/collections?f=html", "/ogc/collections/sites?f=html",
                 "/ogc/collections/sites/items?f=html&limit=5", "/ogc/conformance?f=html"):
        status, headers, body = http_get(api.url + path, headers=api.headers("national"))
        assert status == 200 and headers["Content-Type"].startswith("text/html"), path
        assert b"<html" in body
    status, headers, _ = http_get(api.url + "/ogc/collections", headers={"Accept": "text/html,*/*;q=0.8"})
    assert headers["Content-Type"].startswith("text/html")
    status, headers, _ = http_get(api.url + "/ogc/collections", headers={"Accept": "application/json"})
    assert headers["Content-Type"].startswith("application/json")
