"""Real OGC API Features clients against /ogc: OWSLib's Features, GDAL's OAPIF driver
(ogrinfo, ogr2ogr to a GeoPackage following next links) and QGIS's OAPIF provider
(offscreen, in a subprocess). Counts come from SQL on the demo database."""
import json
import os
import subprocess
import textwrap

import pytest
from osgeo import ogr

from conftest import sql_query, sql_scalar

QGIS_PYTHON = "/usr/bin/python3"


@pytest.fixture(scope="module")
def api(auth_server):
    auth_server.srv.wait_boundaries()
    return auth_server


def token_url(api, scope="national"):
    return f"{api.url}/ogc?access_token={api.mint(scope)}"


def test_owslib_features(api, demo_dsn):
    from owslib.ogcapi.features import Features
    f = Features(f"{api.url}/ogc", headers=api.headers("national"))
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in f.conformance()["conformsTo"]
    ids = {c["id"] for c in f.collections()["collections"]}
    assert ids == {"sites", "actions", "clusters", "territories", "boundaries"}
    api_doc = f.api()  # found through the service-desc link and its exact media type
    assert api_doc["openapi"].startswith("3.0") and "/collections/sites/items" in api_doc["paths"]
    bbox = [2.2, 48.8, 2.4, 48.9]
    page = f.collection_items("sites", bbox=bbox, limit=500)
    expected = sql_scalar(demo_dsn, "SELECT count(*) FROM shantytowns WHERE ST_Intersects(geom, "
                                    "ST_MakeEnvelope(2.2, 48.8, 2.4, 48.9, 4326))")
    assert page["numberMatched"] == expected == len(page["features"])
    sid = page["features"][0]["id"]
    item = f.collection_item("sites", str(sid))
    assert item["id"] == sid and item["properties"]["id"] == sid


def run_tool(*args, env=None):
    full = dict(os.environ)
    full.update(env or {})
    r = subprocess.run(list(args), capture_output=True, text=True, timeout=300, env=full)
    assert r.returncode == 0, r.stdout + r.stderr
    return r


def test_ogrinfo_lists_every_collection(api):
    out = run_tool("ogrinfo", "-ro", "-q", f"OAPIF:{token_url(api)}").stdout
    for name in ("sites", "actions", "clusters", "territories", "boundaries"):
        assert f": {name} " in out, out
    out = run_tool("ogrinfo", "-ro", "-q", f"OAPIF:{api.url}/ogc").stdout
    assert ": territories " in out and ": boundaries " in out and ": sites " not in out


@pytest.mark.parametrize("how", ["access_token", "GDAL_HTTP_HEADERS"])
def test_ogr2ogr_copies_every_site(api, demo_dsn, tmp_path, how):
    out = str(tmp_path / "sites.gpkg")
    if how == "access_token":
        run_tool("ogr2ogr", "-f", "GPKG", out, f"OAPIF:{token_url(api)}", "sites")
    else:
        run_tool("ogr2ogr", "--config", "GDAL_HTTP_HEADERS", f"Authorization: Bearer {api.mint('national')}",
            "-f", "GPKG", out, f"OAPIF:{api.url}/ogc", "sites")
    ds = ogr.Open(out)
    layer = ds.GetLayer("sites")
    rows = dict(sql_query(demo_dsn, "SELECT shantytown_id, population_total FROM shantytowns"))
    got = {}
    for feat in layer:
        got[feat.GetField("id")] = feat.GetField("population") if feat.IsFieldSet("population") else None
    assert layer.GetFeatureCount() == len(rows) and got == rows
    ds = None


def test_ogr2ogr_scoped_token_sees_its_departement(api, demo_dsn, tmp_path):
    out = str(tmp_path / "sites93.gpkg")
    run_tool("ogr2ogr", "-f", "GPKG", out, f"OAPIF:{token_url(api, 'departement:93')}", "sites")
    ds = ogr.Open(out)
    ids = sorted(f.GetField("id") for f in ds.GetLayer("sites"))
    expected = [r[0] for r in sql_query(demo_dsn, """SELECT s.shantytown_id FROM shantytowns s
        JOIN cities c ON c.code = s.fk_city WHERE c.fk_departement = '93' ORDER BY 1""")]
    assert ids == expected and ids
    ds = None


QGIS_SCRIPT = textwrap.dedent("""
    import json, os, sys
    from qgis.core import QgsApplication, QgsVectorLayer
    app = QgsApplication([], False)
    app.initQgis()
    out = []
    for uri in sys.argv[1:]:
        layer = QgsVectorLayer(uri, "layer", "OAPIF")
        ids = sorted(f["id"] for f in layer.getFeatures()) if layer.isValid() else []
        out.append({"valid": layer.isValid(), "count": layer.featureCount(), "ids": ids})
    print(json.dumps(out), flush=True)
    os._exit(0)  # QGIS 3.22 may crash in exitQgis() after an offscreen run; the result is printed
""")


def test_qgis_loads_sites(api, demo_dsn, tmp_path):
    script = tmp_path / "qgis_oapif.py"
    script.write_text(QGIS_SCRIPT)
    uris = [f"url='{token_url(api)}' typename='sites'",
            f"url='{token_url(api, 'departement:93')}' typename='sites'"]
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_RUNTIME_DIR=str(tmp_path))
    r = subprocess.run([QGIS_PYTHON, str(script), *uris], capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    national, in93 = json.loads(r.stdout.strip().splitlines()[-1])
    all_ids = [row[0] for row in sql_query(demo_dsn, "SELECT shantytown_id FROM shantytowns ORDER BY 1")]
    assert national["valid"] and national["count"] == len(all_ids) and national["ids"] == all_ids
    ids93 = [row[0] for row in sql_query(demo_dsn, """SELECT s.shantytown_id FROM shantytowns s
        JOIN cities c ON c.code = s.fk_city WHERE c.fk_departement = '93' ORDER BY 1""")]
    assert in93["valid"] and in93["count"] == len(ids93) and in93["ids"] == ids93
