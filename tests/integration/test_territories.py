"""`rbmap import-territories` against a real PostGIS: what lands in regions,
departements, epci, epci_to_departement and cities, checked against numbers computed
here from the shared COG and boundary files (never from the program's own output).
One import is shared by the module (it takes the better part of a minute under ASan);
the tests that need their own database use scratch_db."""
import gzip
import json
import os
import shutil
import subprocess
import uuid

import psycopg2
import pytest

from conftest import SANITIZER_REPORT, dsn_with_db, run_checked, run_rbmap, sql_query, sql_scalar

# The README of the shared data lists the communes-actuelles of 2026 whose own code
# has no 2018 polygon; the test recomputes the list and checks it against this one.
README_WITHOUT_POLYGON = {"12218", "14581", "14666", "15031", "15035", "15047", "15171",
                          "49126", "69114", "85165", "85212"}


query, scalar = sql_query, sql_scalar


# ---- expectations from the source files ------------------------------------------

class Cog:
    """The shared COG 2026 lists, and what the import should make of them."""

    def __init__(self, data_dir):
        cog = os.path.join(data_dir, "cog")
        with open(os.path.join(cog, "regions.json"), encoding="utf-8") as f:
            self.regions = json.load(f)
        with open(os.path.join(cog, "departements.json"), encoding="utf-8") as f:
            self.departements = json.load(f)
        with gzip.open(os.path.join(cog, "communes.json.gz"), "rt", encoding="utf-8") as f:
            self.communes = json.load(f)
        with gzip.open(os.path.join(cog, "epci.json.gz"), "rt", encoding="utf-8") as f:
            self.epci = json.load(f)
        # Collectivités d'outre-mer are listed as "régions" with zone "com"; their
        # codes do not fit regions.code varchar(2), so the import leaves them out.
        self.kept_regions = {r["code"] for r in self.regions if r["zone"] != "com"}
        self.kept_deps = {d["code"]: d for d in self.departements if d["region"] in self.kept_regions}
        self.actuelles = {c["code"]: c for c in self.communes
                          if c["type"] == "commune-actuelle" and c["departement"] in self.kept_deps}
        self.arrondissements = {c["code"]: c for c in self.communes if c["type"] == "arrondissement-municipal"}
        self.city_dep = {code: c["departement"] for code, c in {**self.actuelles, **self.arrondissements}.items()}


@pytest.fixture(scope="module")
def cog(shared_data):
    return Cog(shared_data)


@pytest.fixture(scope="module")
def polygons_2018(shared_data):
    """code -> GeoJSON geometry text of the 2018 commune polygons."""
    path = os.path.join(shared_data, "territories", "communes.geojson.gz")
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return {feat["properties"]["code"]: json.dumps(feat["geometry"]) for feat in json.load(f)["features"]}


@pytest.fixture(scope="module")
def polygon_codes_2018(polygons_2018):
    return set(polygons_2018)


@pytest.fixture(scope="module")
def imported(demo_dsn, rbmap_bin, shared_data):
    """A fresh database, migrated and imported once for the whole module."""
    name = "rbmap_test_terr_" + uuid.uuid4().hex[:8]

    def admin(sql):
        # A connection per statement: the cluster may have been restarted meanwhile.
        conn = psycopg2.connect(dsn_with_db(demo_dsn, "postgres"))
        conn.autocommit = True
        try:
            conn.cursor().execute(sql)
        finally:
            conn.close()

    admin(f'CREATE DATABASE "{name}"')
    dsn = dsn_with_db(demo_dsn, name)
    try:
        run_checked(rbmap_bin, "migrate", "--db", dsn)
        result = run_checked(rbmap_bin, "import-territories", "--db", dsn, "--data", shared_data)
        yield dsn, result
    finally:
        admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def db(imported):
    return imported[0]


# ---- counts and keys ----------------------------------------------------------------

def test_counts_match_the_cog(db, cog):
    assert all(len(code) == 2 for code in cog.kept_regions)
    assert scalar(db, "SELECT count(*) FROM regions") == len(cog.kept_regions)
    assert {r[0] for r in query(db, "SELECT code FROM regions")} == cog.kept_regions
    assert {r[0] for r in query(db, "SELECT code FROM departements")} == set(cog.kept_deps)
    assert scalar(db, "SELECT count(*) FROM epci") == len({e["code"] for e in cog.epci})
    cities = query(db, "SELECT code, fk_departement FROM cities")
    assert len(cities) == len(cog.actuelles) + len(cog.arrondissements)
    assert dict(cities) == cog.city_dep


def test_chefs_lieux_and_names(db, cog):
    rows = dict((code, (name, fk_city)) for code, name, fk_city in
                query(db, "SELECT code, name, fk_city FROM departements"))
    for code, d in cog.kept_deps.items():
        assert rows[code] == (d["nom"], d["chefLieu"]), code
    regions = dict((code, fk_city) for code, fk_city in query(db, "SELECT code, fk_city FROM regions"))
    assert regions == {r["code"]: r["chefLieu"] for r in cog.regions if r["code"] in cog.kept_regions}
    assert scalar(db, "SELECT name FROM cities WHERE code = '01001'") == cog.actuelles["01001"]["nom"]


def test_arrondissements_point_to_their_commune(db, cog):
    assert len(cog.arrondissements) == 45
    rows = dict(query(db, "SELECT code, fk_main FROM cities WHERE fk_main IS NOT NULL"))
    assert rows == {code: c["commune"] for code, c in cog.arrondissements.items()}
    assert rows["13201"] == "13055"
    # Without a polygon of its own, an arrondissement takes its commune's point and EPCI.
    same = query(db, """SELECT a.latitude = m.latitude AND a.longitude = m.longitude,
                               a.fk_epci IS NOT DISTINCT FROM m.fk_epci, m.fk_epci IS NOT NULL
                        FROM cities a JOIN cities m ON m.code = a.fk_main WHERE a.code = '75101'""")
    assert same == [(True, True, True)]


def test_corsica(db, cog):
    rows = query(db, "SELECT code, fk_region, geom IS NOT NULL FROM departements WHERE code IN ('2A', '2B') ORDER BY code")
    assert rows == [("2A", "94", True), ("2B", "94", True)]
    for dep in ("2A", "2B"):
        expected = sum(1 for c in cog.actuelles.values() if c["departement"] == dep)
        assert scalar(db, "SELECT count(*) FROM cities WHERE fk_departement = %s", (dep,)) == expected


def test_overseas_departements_have_polygons(db, cog):
    drom = {code for code, d in cog.kept_deps.items() if d["zone"] == "drom"}
    assert drom == {"971", "972", "973", "974", "976"}
    rows = query(db, "SELECT code, fk_region, geom IS NOT NULL, ST_Intersects(geom, center) FROM departements"
                     " WHERE code = ANY(%s)", (sorted(drom),))
    assert {r[0] for r in rows} == drom
    for code, region, has_geom, inside in rows:
        assert region == cog.kept_deps[code]["region"] and region in {"01", "02", "03", "04", "06"}
        assert has_geom and inside, code
    # La Réunion lies in the southern hemisphere, east of Africa.
    lat, lon = query(db, "SELECT latitude, longitude FROM departements WHERE code = '974'")[0]
    assert -21.5 < lat < -20.8 and 55.2 < lon < 55.9


def test_collectivites_d_outre_mer_left_out(imported, cog):
    db, result = imported
    com = {d["code"] for d in cog.departements if d["zone"] == "com"}
    assert com and scalar(db, "SELECT count(*) FROM departements WHERE code = ANY(%s)", (sorted(com),)) == 0
    assert "outre-mer" in result.stderr


# ---- EPCI ------------------------------------------------------------------------

def test_epci_members_and_departements(db, cog):
    expected_epci = {m["code"]: e["code"] for e in cog.epci for m in e["membres"]}
    rows = dict(query(db, "SELECT code, fk_epci FROM cities WHERE fk_main IS NULL AND fk_epci IS NOT NULL"))
    assert rows == expected_epci
    expected_links = {(e["code"], cog.city_dep[m["code"]]) for e in cog.epci for m in e["membres"]}
    links = set(query(db, "SELECT fk_epci, fk_departement FROM epci_to_departement"))
    assert links == expected_links


def test_epci_spanning_two_departements(db, cog):
    spanning = None
    for e in cog.epci:
        deps = {cog.city_dep[m["code"]] for m in e["membres"]}
        if len(deps) == 2:
            spanning = (e["code"], deps)
            break
    assert spanning, "the COG has an EPCI over two départements"
    code, deps = spanning
    rows = query(db, "SELECT fk_departement FROM epci_to_departement WHERE fk_epci = %s", (code,))
    assert {r[0] for r in rows} == deps and len(rows) == 2
    # Its polygon is the union of its members': it covers every member's point.
    outside = scalar(db, "SELECT count(*) FROM cities c JOIN epci e ON e.code = c.fk_epci"
                         " WHERE e.code = %s AND c.geom IS NOT NULL AND NOT ST_Intersects(e.geom, c.center)", (code,))
    assert outside == 0


# ---- geometry --------------------------------------------------------------------

def expected_without_polygon(cog, polygon_codes_2018):
    """Communes that cannot get any 2018 polygon: neither their own code nor a
    predecessor's (a déléguée/associée code or an anciensCodes entry that is no
    longer a commune of its own) has one."""
    predecessors = {code: set(c.get("anciensCodes", [])) for code, c in cog.actuelles.items()}
    for c in cog.communes:
        if c["type"] in ("commune-deleguee", "commune-associee") and c.get("chefLieu") in predecessors:
            predecessors[c["chefLieu"]].add(c["code"])
    result = set()
    for code in cog.actuelles:
        sources = {code} | {p for p in predecessors[code] if p == code or p not in cog.actuelles}
        if not sources & polygon_codes_2018:
            result.add(code)
    return result


def test_communes_without_polygon(db, cog, polygon_codes_2018):
    own_code_missing = set(cog.actuelles) - polygon_codes_2018
    assert own_code_missing == README_WITHOUT_POLYGON
    rows = dict((code, (has_geom, lat)) for code, has_geom, lat in query(
        db, "SELECT code, geom IS NOT NULL, latitude FROM cities WHERE code = ANY(%s)",
        (sorted(README_WITHOUT_POLYGON),)))
    assert set(rows) == README_WITHOUT_POLYGON
    # Some of the 11 only changed code (Conques-en-Rouergue was 12076 in 2018): they get
    # the union of their predecessors' polygons; the others stay without geometry.
    none = expected_without_polygon(cog, polygon_codes_2018)
    assert none < README_WITHOUT_POLYGON and len(none) >= 5
    assert {code for code, (has_geom, _) in rows.items() if not has_geom} == none
    assert all(lat is not None for _, lat in rows.values())
    nulls = {r[0] for r in query(db, "SELECT code FROM cities WHERE geom IS NULL AND fk_main IS NULL")}
    assert nulls == none


def test_merged_communes_get_the_union_of_their_2018_polygons(db, cog, polygons_2018):
    # A 2026 commune whose anciensCodes had 2018 polygons of their own covers all of
    # them, and nothing more.
    def pieces(code):
        olds = [a for a in cog.actuelles[code].get("anciensCodes", []) if a in polygons_2018 and a not in cog.actuelles]
        return olds + ([code] if code in polygons_2018 else [])
    merged = next(code for code in sorted(cog.actuelles) if len(pieces(code)) >= 3)
    total = 0.0
    for piece in pieces(merged):
        covered, area = query(db, """
            SELECT ST_Area(ST_Intersection(c.geom, p.g)::geography) / ST_Area(p.g::geography), ST_Area(p.g::geography)
            FROM cities c, (SELECT ST_MakeValid(ST_SetSRID(ST_GeomFromGeoJSON(%s), 4326)) AS g) p
            WHERE c.code = %s""", (polygons_2018[piece], merged))[0]
        assert covered > 0.99, (merged, piece)
        total += area
    area_merged = scalar(db, "SELECT ST_Area(geom::geography) FROM cities WHERE code = %s", (merged,))
    assert abs(area_merged - total) / total < 0.01


def test_every_geometry_is_a_valid_multipolygon(db):
    for table in ("regions", "departements", "epci", "cities"):
        bad = scalar(db, f"SELECT count(*) FROM {table} WHERE geom IS NOT NULL"
                         " AND (NOT ST_IsValid(geom) OR GeometryType(geom) <> 'MULTIPOLYGON' OR ST_SRID(geom) <> 4326)")
        assert bad == 0, table
    assert scalar(db, "SELECT count(*) FROM departements WHERE geom IS NULL") == 0
    assert scalar(db, "SELECT count(*) FROM regions WHERE geom IS NULL") == 0


def test_reference_points_lie_inside_their_polygon(db):
    for table in ("regions", "departements", "cities"):
        outside = scalar(db, f"SELECT count(*) FROM {table} WHERE geom IS NOT NULL AND NOT ST_Intersects(geom, center)")
        assert outside == 0, table
    assert scalar(db, "SELECT count(*) FROM departements WHERE latitude IS NULL OR longitude IS NULL") == 0
    assert scalar(db, "SELECT count(*) FROM cities WHERE latitude IS NULL OR longitude IS NULL") == 0
    # A commune's point is in its département (Paris's in 75, not elsewhere).
    assert scalar(db, "SELECT ST_Intersects(d.geom, c.center) FROM cities c JOIN departements d"
                      " ON d.code = c.fk_departement WHERE c.code = '75056'") is True


# ---- re-running, errors ------------------------------------------------------------

def snapshot(dsn):
    return query(dsn, """SELECT (SELECT count(*) FROM regions), (SELECT count(*) FROM departements),
        (SELECT md5(string_agg(code || name || latitude || longitude, ',' ORDER BY code)) FROM departements),
        (SELECT count(*) FROM epci), (SELECT count(*) FROM epci_to_departement), (SELECT count(*) FROM cities),
        (SELECT md5(string_agg(code || coalesce(fk_epci, '') || coalesce(fk_main, '') || latitude || longitude
                               || coalesce(md5(ST_AsBinary(geom)), ''), ',' ORDER BY code)) FROM cities)""")[0]


def test_rerun_converges(db, rbmap_bin, shared_data):
    before = snapshot(db)
    # Damage a few rows the way a hand edit would: the next import must restore them,
    # and otherwise leave the tables as they were (no duplicates, no drift).
    query(db, """UPDATE cities SET latitude = 0, longitude = 0, geom = NULL, fk_epci = NULL WHERE code = '01001';
                 UPDATE departements SET name = 'x', latitude = 0 WHERE code = '2B';
                 DELETE FROM epci_to_departement WHERE fk_epci = (SELECT min(fk_epci) FROM epci_to_departement)""")
    assert snapshot(db) != before
    run_checked(rbmap_bin, "import-territories", "--db", db, "--data", shared_data)
    assert snapshot(db) == before


def test_missing_data_dir_is_named(rbmap_bin, db, tmp_path):
    missing = str(tmp_path / "no-such-data")
    result = run_rbmap(rbmap_bin, "import-territories", "--db", db, "--data", missing)
    assert result.returncode != 0
    assert missing in result.stderr
    assert not SANITIZER_REPORT.search(result.stderr)


def test_bad_json_is_named_and_changes_nothing(rbmap_bin, db, shared_data, tmp_path):
    cog_dir = tmp_path / "cog"
    shutil.copytree(os.path.join(shared_data, "cog"), cog_dir)
    (cog_dir / "regions.json").write_text('[{"code": "11", "nom": ', encoding="utf-8")
    before = snapshot(db)
    result = run_rbmap(rbmap_bin, "import-territories", "--db", db, "--data", shared_data, "--cog", str(cog_dir))
    assert result.returncode != 0
    assert "regions.json" in result.stderr and "JSON" in result.stderr
    assert not SANITIZER_REPORT.search(result.stderr)
    assert snapshot(db) == before


def test_unreachable_database(rbmap_bin, shared_data):
    result = run_rbmap(rbmap_bin, "import-territories", "--db", "host=127.0.0.1 port=1 dbname=x connect_timeout=2",
                       "--data", shared_data)
    assert result.returncode != 0 and "connect" in result.stderr


def test_lambert93_shapefile(rbmap_bin, scratch_db, db, shared_data, tmp_path):
    shp = tmp_path / "DEPARTEMENT.shp"
    # Admin Express field names, Lambert-93 coordinates.
    subprocess.run(["ogr2ogr", "-t_srs", "EPSG:2154", "-sql", "SELECT code AS INSEE_DEP, nom AS NOM FROM departements",
                    str(shp), os.path.join(shared_data, "territories", "departements.geojson")],
                   check=True, capture_output=True)
    run_checked(rbmap_bin, "migrate", "--db", scratch_db)
    result = run_checked(rbmap_bin, "import-territories", "--db", scratch_db, "--data", shared_data,
                         "--departements-boundaries", str(shp))
    assert "reprojected" in result.stderr
    wgs84 = scalar(db, "SELECT ST_AsEWKB(geom) FROM departements WHERE code = '75'")
    hausdorff_m, srid, inside = query(scratch_db, """
        SELECT ST_HausdorffDistance(ST_Transform(geom, 2154), ST_Transform(ST_GeomFromEWKB(%s), 2154)),
               ST_SRID(geom), ST_Intersects(geom, center)
        FROM departements WHERE code = '75'""", (psycopg2.Binary(wgs84),))[0]
    assert srid == 4326 and inside
    assert hausdorff_m < 1000
    assert scalar(scratch_db, "SELECT count(*) FROM departements WHERE geom IS NOT NULL") == \
        scalar(db, "SELECT count(*) FROM departements")
