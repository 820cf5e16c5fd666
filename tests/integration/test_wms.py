"""WMS 1.1.1 and 1.3.0 at /wms against the demo database: the capabilities documents
(the structural assertions of OGC ets-wms13's getcapabilities tests, and xmllint against
the OGC schema and DTD in tests/schemas/ogc),
GetMap (sizes, formats, transparency, background, axis order, pixel interpretation,
layer order, limits), exceptions, GetFeatureInfo in every format, GetLegendGraphic, and
the caller's scope (public, national, a département, the justice flag) with tokens as
a header or access_token=. SQL on the demo database is the truth for sites."""
import json
import os
import subprocess
import xml.etree.ElementTree as ET

import numpy
import pytest

from conftest import ROOT, http_get, sql_query, sql_scalar
from wms_util import (ISOLATED_SITE, blob_centroids, drawn_mask, getmap_params, image, wms)

WMS = "{http://www.opengis.net/wms}"
OGC = "{http://www.opengis.net/ogc}"
XLINK = "{http://www.w3.org/1999/xlink}href"
LAYERS = ["sites", "actions", "clusters", "territories", "boundaries", "boundaries_region",
          "boundaries_departement", "boundaries_epci", "boundaries_city"]
CRS_130 = {"EPSG:4326", "CRS:84", "EPSG:3857", "EPSG:2154", "EPSG:2975", "EPSG:5490", "EPSG:2972", "EPSG:4471"}
PARIS_2154 = "640000,6850000,665000,6875000"


@pytest.fixture(scope="module")
def srv(auth_server):
    auth_server.srv.wait_boundaries()
    return auth_server


@pytest.fixture(scope="module")
def national(srv):
    return srv.headers("national")


@pytest.fixture(scope="module")
def caps13(srv):
    status, headers, body = wms(srv.url, SERVICE="WMS", REQUEST="GetCapabilities", VERSION="1.3.0")
    assert status == 200 and headers["Content-Type"].startswith("text/xml")
    return body


@pytest.fixture(scope="module")
def isolated(demo_dsn):
    return sql_query(demo_dsn, ISOLATED_SITE)[0]


OGC_SCHEMAS = os.path.join(ROOT, "tests", "schemas", "ogc")


def xmllint_valid(body):
    """(return code, messages) of xmllint validating a capabilities document against the
    OGC schema (1.3.0, with the SLD extension for sld:GetLegendGraphic) or the DTD its
    DOCTYPE names (1.1.1, mapped onto the local copy by the catalog), with no network."""
    if b"<!DOCTYPE WMT_MS_Capabilities" in body:
        args, env = ["--valid"], {"XML_CATALOG_FILES": os.path.join(OGC_SCHEMAS, "catalog.xml")}
    else:
        args, env = ["--schema", os.path.join(OGC_SCHEMAS, "sld", "1.1.0", "sld_capabilities.xsd")], {}
    r = subprocess.run(["xmllint", "--noout", "--nonet", *args, "-"], input=body, capture_output=True,
                       env=dict(os.environ, **env))
    return r.returncode, r.stderr.decode()


# --- GetCapabilities (ets-wms13 getcapabilities.xml) ---

def test_capabilities_130_structure(caps13, srv):
    assert xmllint_valid(caps13) == (0, "- validates\n")
    root = ET.fromstring(caps13)
    assert root.tag == WMS + "WMS_Capabilities" and root.get("version") == "1.3.0"
    assert root.get("updateSequence")
    svc = root.find(WMS + "Service")
    assert svc.findtext(WMS + "Name") == "WMS" and svc.findtext(WMS + "Title")
    assert svc.find(WMS + "OnlineResource").get(XLINK).startswith(srv.url)
    assert int(svc.findtext(WMS + "MaxWidth")) == 4096 and int(svc.findtext(WMS + "LayerLimit")) >= 1
    req = root.find(f"{WMS}Capability/{WMS}Request")
    assert "text/xml" in [f.text for f in req.findall(f"{WMS}GetCapabilities/{WMS}Format")]
    assert {"image/png", "image/jpeg"} <= {f.text for f in req.findall(f"{WMS}GetMap/{WMS}Format")}
    assert {"text/html", "application/json", "application/vnd.ogc.gml", "text/plain"} <= {
        f.text for f in req.findall(f"{WMS}GetFeatureInfo/{WMS}Format")}
    for op in ("GetCapabilities", "GetMap", "GetFeatureInfo"):
        href = req.find(f"{WMS}{op}/{WMS}DCPType/{WMS}HTTP/{WMS}Get/{WMS}OnlineResource").get(XLINK)
        assert href.startswith(srv.url + "/wms")
    assert {f.text for f in root.findall(f"{WMS}Capability/{WMS}Exception/{WMS}Format")} >= {"XML", "INIMAGE", "BLANK"}
    top = root.find(f"{WMS}Capability/{WMS}Layer")
    root_crs = {c.text for c in top.findall(WMS + "CRS")}
    assert root_crs == CRS_130
    named = top.findall(WMS + "Layer")
    assert [l.findtext(WMS + "Name") for l in named] == LAYERS
    for layer in named:
        assert layer.get("queryable") == "1"
        assert layer.findtext(WMS + "Title") and layer.findtext(WMS + "Abstract")
        crs = {c.text for c in layer.findall(WMS + "CRS")} | root_crs
        assert {"CRS:84", "EPSG:4326"} <= crs  # ets recommendations
        geo = layer.find(WMS + "EX_GeographicBoundingBox")
        w, e, s, n = (float(geo.findtext(WMS + k)) for k in
                      ("westBoundLongitude", "eastBoundLongitude", "southBoundLatitude", "northBoundLatitude"))
        assert -180 <= w < e <= 180 and -90 <= s < n <= 90
        boxes = layer.findall(WMS + "BoundingBox")
        names = [b.get("CRS") for b in boxes]
        assert len(names) == len(set(names)) and set(names) <= crs  # distinct, advertised
        for b in boxes:
            assert float(b.get("minx")) < float(b.get("maxx")) and float(b.get("miny")) < float(b.get("maxy"))
        by = {b.get("CRS"): b for b in boxes}
        # EPSG:4326 in 1.3.0 is lat,lon: latitudes in minx/maxx; CRS:84 is lon,lat.
        assert float(by["EPSG:4326"].get("minx")) == pytest.approx(s, abs=0.01)
        assert float(by["EPSG:4326"].get("miny")) == pytest.approx(w, abs=0.01)
        assert float(by["CRS:84"].get("minx")) == pytest.approx(w, abs=0.01)
        l93 = [float(by["EPSG:2154"].get(k)) for k in ("minx", "miny", "maxx", "maxy")]
        assert l93[0] < 1e5 and l93[1] < 6.05e6 and l93[2] > 1.2e6 and l93[3] > 7.1e6  # metropolitan France
        styles = [st.findtext(WMS + "Name") for st in layer.findall(WMS + "Style")]
        assert styles == ["light", "high-contrast"]
        for st in layer.findall(WMS + "Style"):
            legend = st.find(WMS + "LegendURL")
            assert legend.findtext(WMS + "Format") == "image/png"
            status, headers, body = http_get(legend.find(WMS + "OnlineResource").get(XLINK))
            assert status == 200 and headers["Content-Type"] == "image/png"
            img = image(body)
            assert img.shape[1] == int(legend.get("width")) and img.shape[0] == int(legend.get("height"))
            assert drawn_mask(img).sum() > 200


def test_capabilities_111_structure_and_dtd(srv):
    status, headers, body = wms(srv.url, SERVICE="WMS", REQUEST="GetCapabilities", VERSION="1.1.1")
    assert status == 200 and headers["Content-Type"].startswith("application/vnd.ogc.wms_xml")
    assert b"<!DOCTYPE WMT_MS_Capabilities" in body and xmllint_valid(body) == (0, "")
    root = ET.fromstring(body)
    assert root.tag == "WMT_MS_Capabilities" and root.get("version") == "1.1.1"
    assert root.findtext("Service/Name") == "OGC:WMS"
    assert root.findtext("Capability/Request/GetCapabilities/Format") == "application/vnd.ogc.wms_xml"
    assert "application/vnd.ogc.se_xml" in [f.text for f in root.findall("Capability/Exception/Format")]
    top = root.find("Capability/Layer")
    srs = {s.text for s in top.findall("SRS")}
    assert srs == CRS_130 - {"CRS:84"}
    for layer in top.findall("Layer"):
        ll = layer.find("LatLonBoundingBox")
        assert float(ll.get("minx")) < float(ll.get("maxx")) and float(ll.get("miny")) < float(ll.get("maxy"))
        box = {b.get("SRS"): b for b in layer.findall("BoundingBox")}["EPSG:4326"]
        assert float(box.get("minx")) == pytest.approx(float(ll.get("minx")), abs=0.01)  # lon,lat in 1.1.1


def geo_box(layer):
    """(west, south, east, north) of a 1.3.0 layer's EX_GeographicBoundingBox."""
    geo = layer.find(WMS + "EX_GeographicBoundingBox")
    return tuple(float(geo.findtext(WMS + k)) for k in
                 ("westBoundLongitude", "southBoundLatitude", "eastBoundLongitude", "northBoundLatitude"))


def sql_box(dsn, sql, margin=0.0):
    w, s, e, n = sql_query(dsn, f"SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM (SELECT ST_Extent(geom) b "
                                f"FROM ({sql}) q) x")[0]
    return (w - margin, s - margin, e + margin, n + margin)


def test_capabilities_valid_and_boxes_from_the_data(srv, demo_dsn):
    """Every scope's capabilities validate (OGC schema, DTD); each layer advertises the
    extent of what it holds for that caller (SQL is the truth), the root all of them."""
    sites_93 = ("SELECT s.geom FROM shantytowns s JOIN cities c ON c.code = s.fk_city "
                "WHERE c.fk_departement = '93'")
    expected = {  # layer -> (scope -> SQL), the sites padded by 0.01 degree (wms_extent.h)
        "sites": {"national": ("SELECT geom FROM shantytowns", 0.01), "departement:93": (sites_93, 0.01)},
        "boundaries_departement": {"national": ("SELECT geom FROM departements", 0),
                                   "departement:93": ("SELECT geom FROM departements", 0)},
        "boundaries_city": {"public": ("SELECT geom FROM cities", 0)},
    }
    roots = {}
    for scope in ("public", "national", "departement:93"):
        headers = srv.headers(scope)
        for version in ("1.1.1", "1.3.0"):
            body = wms(srv.url, headers, SERVICE="WMS", REQUEST="GetCapabilities", VERSION=version)[2]
            assert xmllint_valid(body)[0] == 0, (scope, version, xmllint_valid(body)[1])
        caps = ET.fromstring(body)
        top = caps.find(f"{WMS}Capability/{WMS}Layer")
        layers = {l.findtext(WMS + "Name"): l for l in top.findall(WMS + "Layer")}
        for name, by_scope in expected.items():
            if scope in by_scope:
                want = sql_box(demo_dsn, *by_scope[scope])
                assert geo_box(layers[name]) == pytest.approx(want, abs=2e-4), (name, scope)
        root = geo_box(top)
        for layer in layers.values():  # the root holds every layer
            w, s, e, n = geo_box(layer)
            assert root[0] <= w and root[1] <= s and root[2] >= e and root[3] >= n
        roots[scope] = layers
    # A département's user is sent to the département, not to France.
    w, s, e, n = geo_box(roots["departement:93"]["sites"])
    assert 2.2 < w < e < 2.7 and 48.7 < s < n < 49.1
    # Nothing to see in public: the sites layer falls back to the boundaries' extent.
    assert geo_box(roots["public"]["sites"]) == geo_box(roots["public"]["boundaries"])
    # The validator is a real judge: a well-formed document without the service's title fails.
    caps_body = wms(srv.url, None, SERVICE="WMS", REQUEST="GetCapabilities", VERSION="1.3.0")[2]
    title = "<Title>Résorption-bidonvilles: sites, actions, territoires</Title>".encode()
    broken = caps_body.replace(title, b"", 1)
    assert broken != caps_body and ET.fromstring(broken) is not None and xmllint_valid(broken)[0] != 0


def test_capabilities_version_negotiation_and_public_url(srv):
    def version(**p):
        return ET.fromstring(wms(srv.url, SERVICE="WMS", REQUEST="GetCapabilities", **p)[2]).get("version")
    assert version() == "1.3.0"
    assert version(VERSION="100.0.0") == "1.3.0"
    assert version(VERSION="0.0.0") == "1.1.1"
    assert version(VERSION="1.2.0") == "1.1.1"
    # Behind a proxy the advertised URL follows X-Forwarded-*.
    _, _, body = http_get(srv.url + "/wms?request=GetCapabilities&service=WMS",
                          headers={"X-Forwarded-Proto": "https", "X-Forwarded-Host": "carto.example.fr"})
    assert b'xlink:href="https://carto.example.fr/wms?"' in body


def test_capabilities_escape_and_lowercase_keys(srv):
    status, _, body = wms(srv.url, service="wms", request="getcapabilities", extra="<unknown>")
    assert status == 200 and ET.fromstring(body).tag == WMS + "WMS_Capabilities"


# --- GetMap ---

def test_exact_sizes_formats_and_background(srv):
    for w, h in ((8, 5), (1024, 768), (300, 1)):
        for fmt in ("image/png", "image/jpeg"):
            status, headers, body = wms(srv.url, **getmap_params(LAYERS="boundaries", CRS="EPSG:2154",
                                                                  BBOX=PARIS_2154, WIDTH=w, HEIGHT=h, FORMAT=fmt))
            assert status == 200 and headers["Content-Type"] == fmt
            assert image(body).shape[:2] == (h, w)
    # Transparent PNG: nothing drawn is alpha 0; opaque: BGCOLOR.
    empty_bbox = "-2000000,-2000000,-1999000,-1999000"
    _, _, body = wms(srv.url, **getmap_params(LAYERS="boundaries", CRS="EPSG:3857", BBOX=empty_bbox, WIDTH=16,
                                              HEIGHT=16, TRANSPARENT="TRUE"))
    assert (image(body)[:, :, 3] == 0).all()
    _, _, body = wms(srv.url, **getmap_params(LAYERS="boundaries", CRS="EPSG:3857", BBOX=empty_bbox, WIDTH=16,
                                              HEIGHT=16, BGCOLOR="0x00FF00"))
    assert (image(body)[:, :, :3] == [0, 255, 0]).all()
    _, _, body = wms(srv.url, **getmap_params(LAYERS="boundaries", CRS="EPSG:3857", BBOX=empty_bbox, WIDTH=16,
                                              HEIGHT=16, BGCOLOR="0x0000FF", FORMAT="image/jpeg"))
    px = image(body)[:, :, :3].astype(int)
    assert (numpy.abs(px - [0, 0, 255]) < 8).all()
    # Exponential notation in BBOX, and a BBOX far outside every layer is a blank image.
    status, _, _ = wms(srv.url, **getmap_params(LAYERS="boundaries", CRS="EPSG:2154",
                                                 BBOX="6.4e5,6.85e6,6.65e5,6.875e6", WIDTH=64, HEIGHT=64))
    assert status == 200


def test_public_scope_draws_bubbles_and_boundaries_but_no_site(srv, national):
    params = getmap_params(LAYERS="sites,actions,clusters", CRS="EPSG:2154", BBOX=PARIS_2154, WIDTH=256, HEIGHT=256,
                           TRANSPARENT="TRUE")
    assert drawn_mask(image(wms(srv.url, **params)[2])).sum() == 0
    assert drawn_mask(image(wms(srv.url, national, **params)[2])).sum() > 1000
    for layer in ("boundaries", "territories"):
        params = getmap_params(LAYERS=layer, CRS="EPSG:3857", BBOX="-600000,5000000,1100000,6700000", WIDTH=256,
                               HEIGHT=256, TRANSPARENT="TRUE")
        assert drawn_mask(image(wms(srv.url, **params)[2])).sum() > 300, layer


def test_same_site_same_pixel_in_4326_crs84_and_2154(srv, national, isolated):
    site_id, lon, lat, x, y = isolated
    W, H = 200, 160
    # A box around the site, off-centre so that a swapped axis or a half-pixel slip shows.
    minlon, maxlon, minlat, maxlat = lon - 0.031, lon + 0.019, lat - 0.013, lat + 0.027
    expect = ((lon - minlon) / (maxlon - minlon) * W, (maxlat - lat) / (maxlat - minlat) * H)
    shots = {
        "EPSG:4326": getmap_params(CRS="EPSG:4326", BBOX=f"{minlat},{minlon},{maxlat},{maxlon}"),
        "CRS:84": getmap_params(CRS="CRS:84", BBOX=f"{minlon},{minlat},{maxlon},{maxlat}"),
        "1.1.1 EPSG:4326": getmap_params("1.1.1", SRS="EPSG:4326", BBOX=f"{minlon},{minlat},{maxlon},{maxlat}"),
    }
    # Lambert-93: a box with the same pixel size around the same site.
    mx, my = 2500.0, 2000.0
    shots["EPSG:2154"] = getmap_params(CRS="EPSG:2154", BBOX=f"{x - 1.3 * mx},{y - my},{x + 0.7 * mx},{y + 0.6 * my}")
    expect_2154 = (1.3 * mx / (2 * mx) * W, 0.6 * my / (1.6 * my) * H)
    for name, p in shots.items():
        p.update(LAYERS="sites", WIDTH=W, HEIGHT=H, TRANSPARENT="TRUE")
        status, _, body = wms(srv.url, national, **p)
        assert status == 200, body
        blobs = blob_centroids(drawn_mask(image(body)))
        assert len(blobs) == 1, (name, blobs)
        want = expect_2154 if name == "EPSG:2154" else expect
        assert abs(blobs[0][0] - want[0]) <= 1 and abs(blobs[0][1] - want[1]) <= 1, (name, blobs, want)
        # GetFeatureInfo on that pixel returns that site.
        info = dict(p, REQUEST="GetFeatureInfo", QUERY_LAYERS="sites", INFO_FORMAT="application/json")
        ij = ("X", "Y") if p["VERSION"] == "1.1.1" else ("I", "J")
        info[ij[0]], info[ij[1]] = int(want[0]), int(want[1])
        status, _, body = wms(srv.url, national, **info)
        feats = json.loads(body)["features"]
        assert status == 200 and [f["id"] for f in feats] == [site_id], (name, body[:300])
        assert feats[0]["geometry"]["coordinates"] == pytest.approx([lon, lat], abs=1e-6)


def test_layer_order_and_styles(srv, national):
    base = getmap_params(CRS="EPSG:2154", BBOX=PARIS_2154, WIDTH=300, HEIGHT=300, TRANSPARENT="TRUE")
    under = image(wms(srv.url, national, **dict(base, LAYERS="territories,clusters"))[2])
    over = image(wms(srv.url, national, **dict(base, LAYERS="clusters,territories"))[2])
    assert (under != over).any()  # the last layer is on top
    light = image(wms(srv.url, national, **dict(base, LAYERS="clusters", STYLES="light"))[2])
    contrast = image(wms(srv.url, national, **dict(base, LAYERS="clusters", STYLES="high-contrast"))[2])
    assert (light != contrast).any()
    status, _, _ = wms(srv.url, national, **dict(base, LAYERS="clusters,sites", STYLES=","))
    assert status == 200


def test_vendor_filters_change_the_map(srv, national, demo_dsn):
    base = getmap_params(LAYERS="sites", CRS="EPSG:2154", BBOX="100000,6050000,1250000,7120000", WIDTH=400,
                         HEIGHT=400, TRANSPARENT="TRUE")
    all_sites = drawn_mask(image(wms(srv.url, national, **base)[2])).sum()
    in_93 = drawn_mask(image(wms(srv.url, national, **dict(base, territory="departement:93"))[2])).sum()
    assert 0 < in_93 < all_sites
    status, _, body = wms(srv.url, national, **dict(base, status="nonsense"))
    assert status == 400 and b'locator="status"' in body


def test_exceptions(srv):
    def exc(expected_code, version="1.3.0", **p):
        status, headers, body = wms(srv.url, **p)
        assert status == 400, body
        root = ET.fromstring(body)
        if version == "1.3.0":
            assert headers["Content-Type"].startswith("text/xml") and root.tag == OGC + "ServiceExceptionReport"
            se = root.find(OGC + "ServiceException")
        else:
            assert headers["Content-Type"].startswith("application/vnd.ogc.se_xml")
            se = root.find("ServiceException")
        assert se.get("code") == expected_code, body
        return se
    good = dict(LAYERS="sites", CRS="EPSG:2154", BBOX=PARIS_2154, WIDTH=10, HEIGHT=10)
    exc("LayerNotDefined", **getmap_params(**dict(good, LAYERS="sites,nope")))
    exc("StyleNotDefined", **getmap_params(**dict(good, STYLES="fancy")))
    exc("InvalidFormat", **getmap_params(**dict(good, FORMAT="image/tiff")))
    exc("InvalidCRS", **getmap_params(**dict(good, CRS="EPSG:32631")))
    exc("InvalidSRS", "1.1.1", **getmap_params("1.1.1", **dict(good, SRS="EPSG:32631", CRS=None)))
    exc("MissingParameterValue", **getmap_params(**dict(good, LAYERS="")))
    exc("OperationNotSupported", REQUEST="GetSomething", SERVICE="WMS")
    se = exc("LayerNotDefined", **getmap_params(**dict(good, LAYERS="<script>alert(1)</script>")))
    assert "<script>" in se.text  # escaped in the document, intact once parsed
    for bad in ("1,2,3", "3,2,1,4", "1,2,3,nan", "0,0,1e999,1"):
        exc(None, **getmap_params(**dict(good, BBOX=bad)))
    exc(None, **getmap_params(**dict(good, WIDTH=4097)))
    exc(None, **getmap_params(**dict(good, WIDTH=0)))
    exc("MissingParameterValue", **{k: v for k, v in getmap_params(**good).items() if k != "VERSION"})
    # INIMAGE and BLANK answer with the image asked for.
    status, headers, body = wms(srv.url, **getmap_params(**dict(good, LAYERS="nope", WIDTH=64, HEIGHT=32,
                                                                EXCEPTIONS="BLANK", BGCOLOR="0xFF0000")))
    assert status == 200 and headers["Content-Type"] == "image/png"
    assert (image(body)[:, :, :3] == [255, 0, 0]).all() and image(body).shape[:2] == (32, 64)
    status, headers, body = wms(srv.url, **getmap_params(**dict(good, LAYERS="nope", WIDTH=300, HEIGHT=60,
                                                                EXCEPTIONS="INIMAGE", FORMAT="image/jpeg")))
    assert status == 200 and headers["Content-Type"] == "image/jpeg"
    assert drawn_mask(image(body), (255, 255, 255)).sum() > 50  # the message is drawn


# --- GetFeatureInfo ---

def test_feature_info_formats_count_and_errors(srv, national, isolated, demo_dsn):
    paris = dict(getmap_params(LAYERS="sites,boundaries", CRS="EPSG:2154", BBOX=PARIS_2154, WIDTH=256, HEIGHT=256),
                 REQUEST="GetFeatureInfo", QUERY_LAYERS="boundaries", I=128, J=128)
    status, headers, body = wms(srv.url, **dict(paris, INFO_FORMAT="application/json", FEATURE_COUNT=10))
    feats = json.loads(body)["features"]
    levels = [f["properties"]["level"] for f in feats]
    assert levels[:2] == ["region", "departement"] and feats[0]["properties"]["code"] == "11"
    status, headers, body = wms(srv.url, **dict(paris, INFO_FORMAT="application/json", FEATURE_COUNT=1))
    assert len(json.loads(body)["features"]) == 1
    status, headers, body = wms(srv.url, **dict(paris, INFO_FORMAT="text/html"))
    assert headers["Content-Type"].startswith("text/html") and "Île-de-France" in body.decode()
    status, headers, body = wms(srv.url, **dict(paris, INFO_FORMAT="text/plain"))
    assert headers["Content-Type"].startswith("text/plain") and "Layer 'boundaries'" in body.decode()
    status, headers, body = wms(srv.url, **dict(paris, INFO_FORMAT="application/vnd.ogc.gml"))
    root = ET.fromstring(body)
    assert root.find("boundaries_layer/boundaries_feature/code").text == "11"
    # Sites near a dense spot: FEATURE_COUNT caps and orders by distance.
    site_id, lon, lat, x, y = isolated
    q = dict(getmap_params(LAYERS="sites", CRS="EPSG:2154", BBOX=f"{x - 500},{y - 500},{x + 500},{y + 500}",
                           WIDTH=100, HEIGHT=100), REQUEST="GetFeatureInfo", QUERY_LAYERS="sites", I=50, J=50,
             INFO_FORMAT="application/vnd.ogc.gml")
    root = ET.fromstring(wms(srv.url, national, **q)[2])
    assert root.find("sites_layer/sites_feature/id").text == str(site_id)
    assert wms(srv.url, **q)[2].count(b"<sites_feature>") == 0  # public: no site
    # Errors.
    for bad, code in ((dict(I=100), "InvalidPoint"), (dict(J=-1), "InvalidPoint"),
                      (dict(QUERY_LAYERS="actions"), "LayerNotDefined"),
                      (dict(INFO_FORMAT="image/png"), "InvalidFormat")):
        status, _, body = wms(srv.url, national, **dict(q, **bad))
        assert status == 400 and f'code="{code}"'.encode() in body, (bad, body)


def test_feature_info_properties_follow_the_scope(srv, demo_dsn):
    site = sql_query(demo_dsn, """
        SELECT s.shantytown_id, ST_X(ST_Transform(s.geom, 2154)), ST_Y(ST_Transform(s.geom, 2154))
        FROM shantytowns s JOIN cities c ON c.code = s.fk_city
        WHERE c.fk_departement = '93' AND s.closed_at IS NULL ORDER BY s.shantytown_id LIMIT 1""")[0]
    site_id, x, y = site
    q = dict(getmap_params(LAYERS="sites", CRS="EPSG:2154", BBOX=f"{x - 50},{y - 50},{x + 50},{y + 50}", WIDTH=101,
                           HEIGHT=101), REQUEST="GetFeatureInfo", QUERY_LAYERS="sites", I=50, J=50,
             INFO_FORMAT="application/json", FEATURE_COUNT=50)

    def props(headers=None, **extra):
        feats = json.loads(wms(srv.url, headers, **dict(q, **extra))[2])["features"]
        return {f["id"]: f["properties"] for f in feats}
    assert site_id in props(srv.headers("departement:93"))
    assert site_id not in props(srv.headers("departement:75"))
    assert site_id in props(access_token=srv.mint("departement:93"))
    plain = props(srv.headers("national"))[site_id]
    justice = props(srv.headers("national", "--flags", "justice"))[site_id]
    assert not any(k.startswith(("justice", "owner", "police")) for k in plain)
    assert set(justice) > set(plain)


def test_legend_graphic(srv):
    for layer in LAYERS[:5]:
        for style in ("light", "high-contrast"):
            status, headers, body = wms(srv.url, REQUEST="GetLegendGraphic", LAYER=layer, STYLE=style,
                                        FORMAT="image/png", VERSION="1.3.0", SLD_VERSION="1.1.0")
            assert status == 200 and headers["Content-Type"] == "image/png"
            assert drawn_mask(image(body)).sum() > 100
    status, _, body = wms(srv.url, REQUEST="GetLegendGraphic", LAYER="nope", FORMAT="image/png")
    assert status == 400 and b"LayerNotDefined" in body


def test_sites_drawn_are_the_sites_in_sql(srv, national, demo_dsn):
    """Every open site of a département box is drawn: a marker's centre pixel is coloured."""
    box = (2.40, 48.88, 2.52, 48.95)
    rows = sql_query(demo_dsn, "SELECT ST_X(geom), ST_Y(geom) FROM shantytowns WHERE geom && "
                               "ST_MakeEnvelope(%s, %s, %s, %s, 4326)", box)
    W = H = 600
    img = image(wms(srv.url, national, **getmap_params(LAYERS="sites", CRS="CRS:84", BBOX=",".join(map(str, box)),
                                                       WIDTH=W, HEIGHT=H, TRANSPARENT="TRUE"))[2])
    assert rows
    for lon, lat in rows:
        px = int((lon - box[0]) / (box[2] - box[0]) * W)
        py = int((box[3] - lat) / (box[3] - box[1]) * H)
        if 0 <= px < W and 0 <= py < H:
            assert img[py, px, 3] > 0, (lon, lat)
    assert sql_scalar(demo_dsn, "SELECT count(*) FROM shantytowns") > len(rows)


def test_api_key_over_http_basic(srv, rbmap_bin, demo_dsn, isolated):
    """A WMS client with an API key (HTTP Basic, as QGIS and GDAL send it) sees the
    sites of its scope; a wrong secret is a 401 with the Basic challenge."""
    import base64
    import re
    import secrets
    from conftest import run_rbmap
    site_id, lon, lat, x, y = isolated
    r = run_rbmap(rbmap_bin, "keys", "create", "--scope", "national", "--label", "wms " + secrets.token_hex(4),
                  "--db", demo_dsn)
    assert r.returncode == 0, r.stderr
    key_id = re.search(r"^key_id: (\S+)$", r.stdout, re.M).group(1)
    secret = re.search(r"^secret: (\S+)$", r.stdout, re.M).group(1)
    try:
        def basic(s):
            return {"Authorization": "Basic " + base64.b64encode(f"{key_id}:{s}".encode()).decode()}
        q = dict(getmap_params(LAYERS="sites", CRS="EPSG:2154", BBOX=f"{x - 500},{y - 500},{x + 500},{y + 500}",
                               WIDTH=100, HEIGHT=100), REQUEST="GetFeatureInfo", QUERY_LAYERS="sites", I=50, J=50,
                 INFO_FORMAT="application/json")
        status, _, body = wms(srv.url, basic(secret), **q)
        assert status == 200 and [f["id"] for f in json.loads(body)["features"]] == [site_id]
        status, headers, _ = wms(srv.url, basic(secret + "x"), **q)
        assert status == 401 and headers["WWW-Authenticate"].startswith("Basic")
    finally:
        run_rbmap(rbmap_bin, "keys", "revoke", key_id, "--db", demo_dsn)
        sql_query(demo_dsn, "DELETE FROM rbmap_api_keys WHERE key_id = %s", (key_id,))
