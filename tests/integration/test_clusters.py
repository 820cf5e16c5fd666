"""The clusters layer and /clusters endpoints against supercluster (npm, in Node) and
against PostGIS: the demo sites, exported with SQL in id order, go into supercluster;
the server must give the same clusters (ids, counts, centroids within 1e-9 degrees,
order), children, leaves and expansion zooms, and its clusters must add up to the
sites SQL says the scope and filters let through."""
import json
import os
import shutil
import subprocess
import time

import psycopg2
import pytest

from conftest import ROOT, Server, free_port, http_get, run_rbmap
from tiles_util import decode, tile_of

NATIONAL = {"RBMAP_DEFAULT_SCOPE": "national"}
SCRIPT = os.path.join(ROOT, "tests", "js", "cluster_equiv.mjs")
BBOXES = [[-180, -85, 180, 85], [-5.5, 41, 10, 51.5], [2, 48.5, 2.8, 49.1], [1.5, 48, 3.5, 49.5],
          [4.5, 43, 6, 44], [55, -22, 56, -20.5], [-62, 14, -60.8, 16.6]]
# filter query string -> SQL condition on shantytowns s / cities c (the same sites)
FILTERS = [
    ("", "TRUE"),
    ("status=open", "s.closed_at IS NULL"),
    ("territory=departement:93", "c.fk_departement = '93'"),
    ("field_type=2", "s.fk_field_type = 2"),
    ("territory=region:11&status=open", "s.closed_at IS NULL AND d.fk_region = '11'"),
]


@pytest.fixture(scope="module")
def national(rbmap_bin, demo_dsn, tmp_path_factory):
    srv = Server(rbmap_bin, demo_dsn, tmp_path_factory.mktemp("clusters"), env=NATIONAL)
    yield srv
    srv.stop()


def sql_sites(dsn, where):
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(f"""SELECT s.shantytown_id, s.longitude, s.latitude FROM shantytowns s
            JOIN cities c ON c.code = s.fk_city JOIN departements d ON d.code = c.fk_departement
            WHERE {where} ORDER BY s.shantytown_id""")
        return cur.fetchall()


def supercluster(tmp_path, points, queries, options=None):
    if not shutil.which("node") or not os.path.exists(os.path.join(ROOT, "tests/js/node_modules/supercluster")):
        pytest.skip("node or supercluster (npm install in tests/js) missing")
    path = tmp_path / "equiv-input.json"
    path.write_text(json.dumps({"points": points, "options": options or {}, "queries": queries}))
    out = subprocess.run(["node", SCRIPT, str(path)], capture_output=True, text=True, check=True, timeout=300)
    return json.loads(out.stdout)["results"]


def get_json(srv, path):
    status, _, body = http_get(srv.url + path)
    assert status == 200, (path, body[:300])
    return json.loads(body)


def same_features(ours, theirs, ids, stats):
    """Our GeoJSON features against cluster_equiv.mjs's, in order."""
    assert len(ours) == len(theirs)
    for f, t in zip(ours, theirs):
        p = f["properties"]
        if "p" in t:
            assert not p.get("cluster") and f["id"] == ids[t["p"]]
            continue
        assert p["cluster"] is True and p["cluster_id"] == t["c"] == f["id"]
        assert p["point_count"] == t["n"] and p["point_count_abbreviated"] == t["a"]
        dx = abs(f["geometry"]["coordinates"][0] - t["x"])
        dy = abs(f["geometry"]["coordinates"][1] - t["y"])
        stats["max_diff"] = max(stats["max_diff"], dx, dy)
        assert dx <= 1e-9 and dy <= 1e-9
        stats["clusters"] += 1


@pytest.mark.parametrize("query,where", FILTERS[:3])
def test_same_as_supercluster(national, demo_dsn, tmp_path, query, where):
    rows = sql_sites(demo_dsn, where)
    ids = [r[0] for r in rows]
    points = [[r[1], r[2]] for r in rows]
    q = "&" + query if query else ""
    queries = [{"type": "clusters", "bbox": b, "zoom": z} for z in range(0, 19) for b in BBOXES]
    theirs = supercluster(tmp_path, points, queries)
    stats = {"max_diff": 0.0, "clusters": 0, "queries": 0}
    cluster_ids = []
    for query_doc, result in zip(queries, theirs):
        bbox = ",".join(repr(v) for v in query_doc["bbox"])
        doc = get_json(national, f"/clusters/sites.geojson?bbox={bbox}&zoom={query_doc['zoom']}{q}")
        same_features(doc["features"], result, ids, stats)
        stats["queries"] += 1
        cluster_ids += [t["c"] for t in result if "c" in t][:3]
    # navigation: children, leaves (three pages), expansion zoom of clusters met above
    nav = []
    for cid in sorted(set(cluster_ids))[:60]:
        nav += [{"type": "children", "id": cid}, {"type": "expansion", "id": cid},
                {"type": "leaves", "id": cid, "limit": 10, "offset": 0},
                {"type": "leaves", "id": cid, "limit": 7, "offset": 5},
                {"type": "leaves", "id": cid, "limit": 10000, "offset": 0}]
    for query_doc, result in zip(nav, supercluster(tmp_path, points, nav)):
        cid, kind = query_doc["id"], query_doc["type"]
        if kind == "expansion":
            doc = get_json(national, f"/clusters/sites/{cid}/expansion-zoom?x=1{q}")
            assert doc["expansion_zoom"] == result
        elif kind == "children":
            same_features(get_json(national, f"/clusters/sites/{cid}/children?x=1{q}")["features"], result, ids, stats)
        else:
            doc = get_json(national, f"/clusters/sites/{cid}/leaves?limit={query_doc['limit']}"
                                     f"&offset={query_doc['offset']}{q}")
            same_features(doc["features"], result, ids, stats)
        stats["queries"] += 1
    print(f"\n{query or 'no filter'}: {len(points)} sites, {stats['queries']} queries, {stats['clusters']} clusters "
          f"compared, max centroid difference {stats['max_diff']:.3g} degrees")
    assert stats["clusters"] > 100


def test_tiles_same_as_supercluster(national, demo_dsn, tmp_path):
    rows = sql_sites(demo_dsn, "TRUE")
    ids = [r[0] for r in rows]
    tiles = [(0, 0, 0), (3, 4, 2), (5, 16, 11), (6, 32, 22), (8, 129, 88), (10, 518, 352), (12, 2074, 1409),
             (17, 66378, 45095), (4, 15, 8), (5, 31, 17)]
    theirs = supercluster(tmp_path, [[r[1], r[2]] for r in rows],
                          [{"type": "tile", "z": z, "x": x, "y": y} for z, x, y in tiles])
    compared = 0
    for (z, x, y), result in zip(tiles, theirs):
        status, _, body = http_get(f"{national.url}/tiles/clusters/{z}/{x}/{y}.mvt")
        assert status in (200, 204)
        feats = decode(tmp_path, z, x, y, body).get("clusters", []) if status == 200 else []
        ours = sorted((int(f["cluster_id"]), int(f["point_count"])) if f.get("cluster") else (int(f["id"]), 1)
                      for f in feats)
        want = sorted((t["c"], t["n"]) if "c" in t else (ids[t["p"]], 1) for t in result)
        assert ours == want, (z, x, y)
        compared += len(want)
    assert compared > 50


@pytest.mark.parametrize("query,where", FILTERS)
def test_counts_add_up_to_visible_sites(national, demo_dsn, query, where):
    truth = len(sql_sites(demo_dsn, where))
    assert truth > 0
    for z in (0, 4, 8, 12, 16, 17):
        doc = get_json(national, f"/clusters/sites.geojson?bbox=-180,-85,180,85&zoom={z}&{query}")
        total = 0
        for f in doc["features"]:
            p = f["properties"]
            if p.get("cluster"):
                total += p["point_count"]
                assert sum(v for k, v in p.items() if k.startswith("status_")) == p["point_count"]
                assert sum(v for k, v in p.items() if k.startswith("field_type_")) == p["point_count"]
            else:
                total += 1
        assert total == truth, (z, query)


def test_population_and_status_aggregates(national, demo_dsn):
    doc = get_json(national, "/clusters/sites.geojson?bbox=-180,-85,180,85&zoom=0")
    with psycopg2.connect(demo_dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT coalesce(sum(population_total), 0), count(*) FILTER (WHERE closed_at IS NULL) FROM shantytowns")
        population, open_sites = cur.fetchone()
    props = [f["properties"] for f in doc["features"]]
    assert sum(p["population"] if p.get("cluster") else p.get("population", 0) for p in props) == population
    assert sum(p["status_open"] if p.get("cluster") else p["status"] == "open" for p in props) == open_sites


def test_unclustered_sites_have_the_sites_layer_properties(national, demo_dsn, tmp_path):
    _, lon, lat = sql_sites(demo_dsn, "TRUE")[0]
    z = 16
    x, y = tile_of(lon, lat, z)
    status, _, body = http_get(f"{national.url}/tiles/sites,clusters/{z}/{x}/{y}.mvt")
    assert status == 200
    layers = decode(tmp_path, z, x, y, body)
    sites = {int(f["id"]): f for f in layers.get("sites", [])}
    points = [f for f in layers.get("clusters", []) if not f.get("cluster")]
    assert points
    for f in points:
        if int(f["id"]) in sites:
            theirs = {k: v for k, v in sites[int(f["id"])].items() if v is not None}
            assert {k: v for k, v in f.items() if v is not None and k != "cluster"} == theirs


def test_public_scope_sees_no_clusters(server):
    status, _, _ = http_get(server.url + "/tiles/clusters/0/0/0.mvt")
    assert status == 204
    status, _, body = http_get(server.url + "/clusters/sites.geojson?bbox=-180,-85,180,85&zoom=0")
    assert status == 403 and b"credentials" in body
    status, _, _ = http_get(server.url + "/clusters/sites/3604/leaves")
    assert status == 403


@pytest.mark.parametrize("path,status,word", [
    ("/clusters/actions.geojson?bbox=0,0,1,1&zoom=1", 404, "layer"),
    ("/clusters/sites/abc/leaves", 400, "cluster id"),
    ("/clusters/sites/99999999999/leaves", 400, "cluster id"),
    ("/clusters/sites/3/leaves", 404, "no cluster"),
    ("/clusters/sites/3604/parents", 404, "children"),
    ("/clusters/sites/3604/leaves?limit=0", 400, "limit"),
    ("/clusters/sites/3604/leaves?limit=100000", 400, "limit"),
    ("/clusters/sites/3604/leaves?offset=-1", 400, "offset"),
    ("/clusters/sites.geojson?zoom=3", 400, "bbox"),
    ("/clusters/sites.geojson?bbox=1,2,3&zoom=3", 400, "bbox"),
    ("/clusters/sites.geojson?bbox=0,50,1,40&zoom=3", 400, "bbox"),
    ("/clusters/sites.geojson?bbox=0,40,1,50", 400, "zoom"),
    ("/clusters/sites.geojson?bbox=0,40,1,50&zoom=99", 400, "zoom"),
    ("/clusters/sites.geojson?bbox=-180,-85,180,85&zoom=3&status=bogus", 400, "status"),
])
def test_bad_requests_name_the_problem(national, path, status, word):
    got, _, body = http_get(national.url + path)
    assert got == status, body
    assert word in json.loads(body)["error"]["message"]


def test_cluster_ids_belong_to_their_filters(national):
    """An id from one filter set is unknown (404) or another cluster of the caller's own
    view: it never reveals sites outside the filters."""
    doc = get_json(national, "/clusters/sites.geojson?bbox=-180,-85,180,85&zoom=5&territory=departement:93")
    ids = [f["id"] for f in doc["features"] if f["properties"].get("cluster")]
    assert ids
    for cid in ids:
        status, _, body = http_get(f"{national.url}/clusters/sites/{cid}/leaves?limit=10000&status=open")
        assert status in (200, 404)
        if status == 200:
            assert all(f["properties"]["status"] == "open" for f in json.loads(body)["features"])


def test_tilejson_and_catalog(national):
    tj = get_json(national, "/tiles/clusters.json?status=open")
    assert tj["tiles"][0].endswith("/tiles/clusters/{z}/{x}/{y}.mvt?status=open")
    fields = tj["vector_layers"][0]["fields"]
    assert {"cluster", "cluster_id", "point_count", "point_count_abbreviated", "population", "status_open",
            "id", "name"} <= set(fields)
    assert "clusters" in {l["id"] for l in get_json(national, "/catalog")["layers"]}
    assert_layer_describes_options(national, {"radius": 40, "extent": 512, "min_points": 2, "max_zoom": 16})


def assert_layer_describes_options(srv, options):
    """TileJSON and /catalog describe the clusters layer with the server's options."""
    tj_layer = get_json(srv, "/tiles/clusters.json")["vector_layers"][0]
    catalog_layer = next(l for l in get_json(srv, "/catalog")["layers"] if l["id"] == "clusters")
    for layer in (tj_layer, catalog_layer):
        assert layer["rbmap:cluster_max_zoom"] == options["max_zoom"]
        assert layer["rbmap:cluster_options"] == options
        assert f"zooms 0 to {options['max_zoom']}" in layer["description"]
        assert f"radius {options['radius']}/{options['extent']}" in layer["description"]


def test_cached_cluster_tiles_follow_a_change_anywhere_within_one_second(national, demo_dsn, tmp_path):
    """A site closed in Marseille changes the open-site count of a cached z0 cluster tile."""
    import time

    def open_count():
        status, _, body = http_get(national.url + "/tiles/clusters/0/0/0.mvt?status=open")
        assert status == 200
        feats = decode(tmp_path, 0, 0, 0, body)["clusters"]
        return sum(int(f.get("point_count") or 1) for f in feats)

    with psycopg2.connect(demo_dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT s.shantytown_id FROM shantytowns s WHERE s.status = 'open' AND s.fk_city = '13055'"
                    " ORDER BY 1 LIMIT 1")
        sid = cur.fetchone()[0]
    before = open_count()
    assert open_count() == before  # now cached
    try:
        with psycopg2.connect(demo_dsn) as conn, conn.cursor() as cur:
            cur.execute("UPDATE shantytowns SET status = 'other', closed_at = now(), updated_at = now()"
                        " WHERE shantytown_id = %s", (sid,))
        start = time.time()
        while open_count() != before - 1:
            assert time.time() - start < 1.0, "the cached cluster tile did not change within 1 s"
            time.sleep(0.02)
        print(f"\nedit -> new z0 cluster tile after {time.time() - start:.3f} s")
    finally:
        with psycopg2.connect(demo_dsn) as conn, conn.cursor() as cur:
            cur.execute("UPDATE shantytowns SET status = 'open', closed_at = NULL WHERE shantytown_id = %s", (sid,))
    start = time.time()
    while open_count() != before:
        assert time.time() - start < 2.0
        time.sleep(0.05)


# supercluster's options under other names: config key -> (value, supercluster option)
OPTIONS = {"cluster_radius": (70, "radius"), "cluster_extent": (256, "extent"),
           "cluster_min_points": (5, "minPoints"), "cluster_max_zoom": (12, "maxZoom")}


def test_configured_options_same_as_supercluster(rbmap_bin, demo_dsn, tmp_path):
    env = dict(NATIONAL, **{"RBMAP_" + k.upper(): str(v) for k, (v, _) in OPTIONS.items()})
    srv = Server(rbmap_bin, demo_dsn, tmp_path, env=env)
    try:
        rows = sql_sites(demo_dsn, "TRUE")
        ids = [r[0] for r in rows]
        deadline = time.monotonic() + 60  # the new server has every site loaded
        while True:
            feats = get_json(srv, "/clusters/sites.geojson?bbox=-180,-85,180,85&zoom=0")["features"]
            if sum(f["properties"].get("point_count", 1) for f in feats) == len(ids) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        queries = [{"type": "clusters", "bbox": b, "zoom": z} for z in range(0, 15) for b in BBOXES[:4]]
        options = {name: v for v, name in OPTIONS.values()}
        theirs = supercluster(tmp_path, [[r[1], r[2]] for r in rows], queries, options)
        defaults = supercluster(tmp_path, [[r[1], r[2]] for r in rows], queries)
        assert theirs != defaults  # the options do change the answer
        stats = {"max_diff": 0.0, "clusters": 0}
        for query_doc, result in zip(queries, theirs):
            bbox = ",".join(repr(v) for v in query_doc["bbox"])
            doc = get_json(srv, f"/clusters/sites.geojson?bbox={bbox}&zoom={query_doc['zoom']}")
            same_features(doc["features"], result, ids, stats)
        assert stats["clusters"] > 50
        nav = [{"type": "expansion", "id": t["c"]} for r in theirs[:20] for t in r if "c" in t][:30]
        for query_doc, result in zip(nav, supercluster(tmp_path, [[r[1], r[2]] for r in rows], nav, options)):
            assert get_json(srv, f"/clusters/sites/{query_doc['id']}/expansion-zoom")["expansion_zoom"] == result
        assert_layer_describes_options(srv, {key[len("cluster_"):]: v for key, (v, _) in OPTIONS.items()})
    finally:
        srv.stop()


@pytest.mark.parametrize("key,value", [("cluster_radius", "0"), ("cluster_extent", "big"),
                                       ("cluster_min_points", "1"), ("cluster_max_zoom", "40")])
def test_bad_cluster_options_are_refused_at_start(rbmap_bin, demo_dsn, key, value):
    r = run_rbmap(rbmap_bin, "serve", "--listen", f"127.0.0.1:{free_port()}", "--db", demo_dsn,
                  env={"RBMAP_" + key.upper(): value}, timeout=60)
    assert r.returncode == 2 and key in r.stderr, (key, value, r.returncode, r.stderr[-500:])
