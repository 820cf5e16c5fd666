"""Geocoder municipalities from the territories (issue 7): `rbmap import-ban --db` indexes
every commune of the `cities` table, so `type=municipality` finds communes that have no
address in the imported BAN files. The truth is the cities table itself (names, codes,
populations) and GDAL's own Lambert-93 projection."""
import json
import random
import urllib.parse

import pytest
from osgeo import osr

from conftest import Server, http_get, run_rbmap, sql_query


@pytest.fixture(scope="module")
def geo(rbmap_bin, demo_dsn, shared_data, tmp_path_factory):
    out = tmp_path_factory.mktemp("geocommunes") / "ban.idx"
    r = run_rbmap(rbmap_bin, "import-ban", "--db", demo_dsn, "--output", str(out),
                  f"{shared_data}/addresses/ban-54084.csv")
    assert r.returncode == 0, r.stderr
    communes = int(sql_query(demo_dsn, "SELECT count(*) FROM cities WHERE latitude IS NOT NULL")[0][0])
    assert f"{communes} communes from the territories" in r.stderr
    srv = Server(rbmap_bin, demo_dsn, tmp_path_factory.mktemp("geocommunes_srv"),
                 env={"RBMAP_GEOCODER_INDEX": str(out)})

    def search(**params):
        status, _, body = http_get(srv.url + "/geocode/search/?" + urllib.parse.urlencode(params))
        assert status == 200, body
        return json.loads(body)["features"]
    yield search
    srv.stop()


def test_a_commune_with_a_unique_name_comes_first(geo, demo_dsn):
    rows = sql_query(demo_dsn, "SELECT code, name FROM cities WHERE name IN"
                               " (SELECT name FROM cities GROUP BY name HAVING count(*) = 1)"
                               " AND fk_main IS NULL ORDER BY code")
    sample = random.Random(11).sample(rows, 120)
    missed = []
    for code, name in sample:
        feats = geo(q=name, type="municipality", limit=1)
        if not feats or feats[0]["properties"]["citycode"] != code:
            missed.append((code, name, feats[0]["properties"]["citycode"] if feats else None))
    assert not missed, missed


def test_homonyms_rank_by_population(geo, demo_dsn):
    rows = sql_query(demo_dsn, "SELECT name, (array_agg(code ORDER BY population DESC NULLS LAST))[1],"
                               " max(population), (array_agg(population ORDER BY population DESC NULLS LAST))[2]"
                               " FROM cities WHERE fk_main IS NULL GROUP BY name HAVING count(*) >= 3"
                               " ORDER BY count(*) DESC, name LIMIT 40")
    for name, biggest, pop1, pop2 in rows:
        if pop2 is not None and pop1 < 2 * pop2:
            continue  # nearly equal populations: either may come first
        feats = geo(q=name, type="municipality", limit=3)
        assert feats[0]["properties"]["citycode"] == biggest, (name, [f["properties"] for f in feats])


def test_arrondissements_and_filters(geo):
    feats = geo(q="Paris", type="municipality", limit=5)
    assert feats[0]["properties"]["citycode"] == "75056"
    assert any(f["properties"]["citycode"].startswith("751") for f in feats[1:])
    assert geo(q="Marseille 13e", type="municipality", limit=1)[0]["properties"]["citycode"] == "13213"
    only = geo(q="Saint-Denis", type="municipality", citycode="97411", limit=5)
    assert [f["properties"]["citycode"] for f in only] == ["97411"]
    # A street query never returns a municipality.
    assert all(f["properties"]["type"] == "street" for f in geo(q="Nancy", type="street", limit=5))


def test_positions_and_lambert93_match_the_tables_and_gdal(geo, demo_dsn):
    src = osr.SpatialReference()
    src.ImportFromEPSG(4326)
    src.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    l93 = osr.SpatialReference()
    l93.ImportFromEPSG(2154)
    l93.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    to_l93 = osr.CoordinateTransformation(src, l93)
    rows = sql_query(demo_dsn, "SELECT code, name, longitude, latitude FROM cities WHERE code IN"
                               " ('33063', '67482', '29019', '2A004', '59350')")
    assert len(rows) == 5
    for code, name, lon, lat in rows:
        p = geo(q=name, type="municipality", citycode=code, limit=1)[0]
        assert p["geometry"]["coordinates"] == pytest.approx([lon, lat], abs=1e-9)
        x, y, _ = to_l93.TransformPoint(lon, lat)
        assert p["properties"]["x"] == pytest.approx(x, abs=0.01)
        assert p["properties"]["y"] == pytest.approx(y, abs=0.01)


def test_without_db_the_index_has_only_ban_communes(rbmap_bin, shared_data, tmp_path):
    r = run_rbmap(rbmap_bin, "import-ban", "--output", str(tmp_path / "x.idx"),
                  f"{shared_data}/addresses/ban-54084.csv")
    assert r.returncode == 0 and "communes from the territories" not in r.stderr
    bad = run_rbmap(rbmap_bin, "import-ban", "--db", "host=127.0.0.1 port=1 dbname=nope connect_timeout=2",
                    "--output", str(tmp_path / "y.idx"))
    assert bad.returncode != 0 and "--db" in bad.stderr
    assert not (tmp_path / "y.idx").exists()
