"""A port of the OGC test suite ets-ogcapi-features10 (core and "CRS by reference"
groups) as pytest, since the Java suite cannot run here. Each test names the suite's
class and abstract test it follows; the assertions are the suite's, driven the same
way: test points from the OpenAPI document's paths, collections from /collections,
bboxes from each collection's extent, limits from the declared limit schema. A national
token is used (the suite runs with one set of credentials)."""
import datetime
import http.client
import json
import math
import urllib.parse

import pytest
from osgeo import osr

from conftest import http_get

CORE = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
OPENAPI_TYPE = "application/vnd.oai.openapi+json;version=3.0"
ZOOM = {"clusters": "zoom=6&"}  # our declared vendor parameter, required for clusters


@pytest.fixture(scope="module")
def iut(auth_server):
    auth_server.srv.wait_boundaries()
    return auth_server


def fetch(iut, url, accept="application/json", expect=200):
    if url.startswith("/"):
        url = iut.url + "/ogc" + url
    headers = dict(iut.headers("national"), Accept=accept)
    status, h, body = http_get(url, headers=headers)
    assert status == expect, (url, status, body[:300])
    return h, json.loads(body)


def link(links, rel, type_=None):
    return next((l for l in links if l["rel"] == rel and (type_ is None or l.get("type") == type_)), None)


@pytest.fixture(scope="module")
def collections(iut):
    return fetch(iut, "/collections")[1]["collections"]


@pytest.fixture(scope="module")
def openapi(iut):
    landing = fetch(iut, "/")[1]
    desc = link(landing["links"], "service-desc")
    return fetch(iut, desc["href"], accept=OPENAPI_TYPE)[1]


def declared(openapi, path, name):
    """The parameter `name` of GET `path`, $refs resolved (OpenApiUtils.retrieveParameterByName)."""
    for p in openapi["paths"][path]["get"]["parameters"]:
        if "$ref" in p:
            p = openapi["components"]["parameters"][p["$ref"].rsplit("/", 1)[1]]
        if p["name"] == name:
            return p
    return None


def test_general_http_1_1(iut):  # GeneralHttp: the server speaks HTTP/1.1
    parsed = urllib.parse.urlparse(iut.url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=10)
    conn.request("GET", "/ogc")
    resp = conn.getresponse()
    assert resp.version == 11 and resp.status == 200
    conn.close()


def test_landing_page(iut):  # LandingPage, Abstract Tests 3-4
    doc = fetch(iut, "/")[1]
    rels = {l["rel"] for l in doc["links"]}
    assert ({"service-desc", "service-doc"} & rels) and {"conformance", "data"} <= rels
    assert all("href" in l and "rel" in l and "type" in l for l in doc["links"])


def test_api_definition(iut, openapi):  # ApiDefinition, Abstract Tests 5-6
    landing = fetch(iut, "/")[1]
    desc = link(landing["links"], "service-desc")
    assert desc["type"].replace(" ", "") == OPENAPI_TYPE
    h, _ = fetch(iut, desc["href"], accept=OPENAPI_TYPE)
    assert h["Content-Type"] == OPENAPI_TYPE
    assert openapi["openapi"].startswith("3.0.") and openapi["info"]["title"] and openapi["info"]["version"]
    assert openapi["servers"][0]["url"].endswith("/ogc")
    for path, item in openapi["paths"].items():  # every operation well formed, every $ref resolvable
        op = item["get"]
        assert op["operationId"] and "200" in op["responses"], path
        for p in op["parameters"]:
            ref = p.get("$ref", "")
            assert not ref or ref.rsplit("/", 1)[1] in openapi["components"]["parameters"], (path, ref)
    ids = {op["get"]["operationId"] for op in openapi["paths"].values()}
    assert len(ids) == len(openapi["paths"])


def test_conformance(iut):  # Conformance, Abstract Tests 7-8
    classes = fetch(iut, "/conformance")[1]["conformsTo"]
    assert CORE in classes
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in classes


def test_feature_collections(iut):  # FeatureCollections, Abstract Tests 9-10, /req/core/crs84
    doc = fetch(iut, "/collections")[1]
    self_link = link(doc["links"], "self")
    assert self_link and self_link.get("type")
    alternate = [l for l in doc["links"] if l["rel"] == "alternate"]
    assert {l["type"] for l in alternate} >= {"text/html"}
    assert doc["crs"][0] == CRS84
    assert doc["collections"]
    for c in doc["collections"]:
        assert c["id"] and c["itemType"] == "feature"
        assert link(c["links"], "items", "application/geo+json")
        for box in c.get("extent", {}).get("spatial", {}).get("bbox", []):
            assert -180 <= box[0] <= box[2] <= 180 and -90 <= box[1] <= box[3] <= 90


def test_feature_collection(iut, collections):  # FeatureCollection, Abstract Tests 11-12
    for c in collections:
        one = fetch(iut, f"/collections/{c['id']}")[1]
        for key in ("id", "title", "description", "extent"):
            assert one.get(key) == c.get(key), (c["id"], key)
    fetch(iut, "/collections/dUmmYColLection", expect=404)


def check_items_page(iut, doc, headers):  # AbstractFeatures: type, features, links, timeStamp, numberReturned
    assert headers["Content-Type"] == "application/geo+json"
    assert doc["type"] == "FeatureCollection" and isinstance(doc["features"], list)
    self_link = link(doc["links"], "self")
    assert self_link and self_link.get("type")
    assert link(doc["links"], "alternate", "text/html")
    assert datetime.datetime.fromisoformat(doc["timeStamp"].replace("Z", "+00:00"))
    assert doc["numberReturned"] == len(doc["features"])
    for f in doc["features"]:  # validateGeometriesInCrs84
        for x, y in coordinates(f["geometry"]):
            assert -180 <= x <= 180 and -90 <= y <= 90


def coordinates(geom):
    def walk(c):
        if isinstance(c[0], (int, float)):
            yield c[0], c[1]
        else:
            for part in c:
                yield from walk(part)
    yield from walk(geom["coordinates"])


def test_features_and_number_matched(iut, collections):  # Features, Abstract Tests 13, 22-26
    for c in collections:
        h, doc = fetch(iut, f"/collections/{c['id']}/items?{ZOOM.get(c['id'], '')}", accept="application/geo+json")
        check_items_page(iut, doc, h)
        if doc["numberMatched"] > 5000:
            continue  # the suite's NUMBERMATCHED_LIMIT: too many to page through
        total, url = 0, f"{iut.url}/ogc/collections/{c['id']}/items?{ZOOM.get(c['id'], '')}limit=1000"
        while url:
            h, page = fetch(iut, url, accept="application/geo+json")
            check_items_page(iut, page, h)
            total += page["numberReturned"]
            nxt = link(page["links"], "next")
            url = nxt and nxt["href"]
        assert total == doc["numberMatched"], c["id"]


def test_bbox_parameter_and_responses(iut, openapi, collections):  # FeaturesBBox, Abstract Tests 14-15
    for c in collections:
        bbox = declared(openapi, f"/collections/{c['id']}/items", "bbox")
        assert bbox["in"] == "query" and not bbox.get("required") and bbox["style"] == "form"
        assert bbox["explode"] is False
        s = bbox["schema"]
        assert s["type"] == "array" and s["minItems"] == 4 and s["maxItems"] == 6 and s["items"]["type"] == "number"
        west, south, east, north = c["extent"]["spatial"]["bbox"][0]
        # the suite's boxes: the extent, and a quarter of it around its centre
        cx, cy = (west + east) / 2, (south + north) / 2
        for box in ((west, south, east, north), (cx - (east - west) / 4, cy - (north - south) / 4,
                                                 cx + (east - west) / 4, cy + (north - south) / 4)):
            q = "bbox=" + ",".join(f"{v:.6f}" for v in box)
            h, doc = fetch(iut, f"/collections/{c['id']}/items?{ZOOM.get(c['id'], '')}{q}&limit=200")
            check_items_page(iut, doc, h)
            for f in doc["features"]:
                xs, ys = zip(*coordinates(f["geometry"]))
                assert min(xs) <= box[2] + 1e-6 and max(xs) >= box[0] - 1e-6, (c["id"], f["id"])
                assert min(ys) <= box[3] + 1e-6 and max(ys) >= box[1] - 1e-6, (c["id"], f["id"])


def test_limit_parameter_and_responses(iut, openapi, collections):  # FeaturesLimit, Abstract Tests 16-17
    for c in collections:
        limit = declared(openapi, f"/collections/{c['id']}/items", "limit")
        assert limit["in"] == "query" and not limit.get("required") and limit["style"] == "form"
        assert limit["explode"] is False
        s = limit["schema"]
        assert s["type"] == "integer" and s["minimum"] >= 0 and s["default"] >= 0
        lo, hi = s["minimum"], s["maximum"]
        # boundaries: 10,000 polygons twice would dominate the run time; a bbox keeps it small
        where = "bbox=2.2,48.8,2.5,49&" if c["id"] == "boundaries" else ZOOM.get(c["id"], "")
        for value in (lo, s["default"], hi, hi + 1):
            h, doc = fetch(iut, f"/collections/{c['id']}/items?{where}limit={value}&properties="
                                f"{c_first_key(iut, c['id'])}")
            check_items_page(iut, doc, h)
            assert doc["numberReturned"] <= min(value, hi)


def c_first_key(iut, cid):
    return next(iter(fetch(iut, f"/collections/{cid}/queryables")[1]["properties"].keys() - {"geometry"}))


def test_datetime_parameter_and_responses(iut, openapi, collections):  # FeaturesTime, Abstract Tests 18-19
    for c in collections:
        p = declared(openapi, f"/collections/{c['id']}/items", "datetime")
        assert p["in"] == "query" and not p.get("required") and p["style"] == "form" and p["explode"] is False
        assert p["schema"]["type"] == "string"
        interval = c.get("extent", {}).get("temporal", {}).get("interval")
        if not interval:
            continue
        begin = datetime.datetime.fromisoformat(interval[0][0].replace("Z", "+00:00"))
        end = (datetime.datetime.fromisoformat(interval[0][1].replace("Z", "+00:00")) if interval[0][1]
               else datetime.datetime.now(datetime.timezone.utc))
        quarter = (end - begin) / 4
        b1 = begin + quarter
        e1 = b1 + quarter
        iso = "%Y-%m-%dT%H:%M:%SZ"
        for value in (begin.strftime(iso), f"{b1.strftime(iso)}/{e1.strftime(iso)}", f"{b1.date()}/P2D"):
            h, doc = fetch(iut, f"/collections/{c['id']}/items?datetime={urllib.parse.quote(value)}")
            check_items_page(iut, doc, h)


def test_error_conditions(iut, collections):  # FeaturesErrorConditions, Abstract Tests 20-21
    for c in collections:
        fetch(iut, f"/collections/{c['id']}/items?{ZOOM.get(c['id'], '')}limit=unlimited", expect=400)
        fetch(iut, f"/collections/{c['id']}/items?{ZOOM.get(c['id'], '')}unknownQueryParameter=1", expect=400)


def test_feature(iut, collections):  # Feature, Abstract Tests 27-29
    for c in collections:
        first = fetch(iut, f"/collections/{c['id']}/items?{ZOOM.get(c['id'], '')}limit=1")[1]["features"][0]
        h, doc = fetch(iut, f"/collections/{c['id']}/items/{urllib.parse.quote(str(first['id']))}",
                       accept="application/geo+json")
        assert h["Content-Type"] == "application/geo+json" and doc["type"] == "Feature" and doc["id"] == first["id"]
        for rel in ("self", "collection"):
            assert link(doc["links"], rel) and link(doc["links"], rel).get("type"), rel
        assert link(doc["links"], "alternate", "text/html")


# --- CRS by reference (the suite runs these only when /conf/crs is declared) ---

def valid_crs_uri(uri):
    return uri.startswith("http://www.opengis.net/def/crs/EPSG") or uri.startswith("urn:ogc:def:crs:EPSG") or \
        uri.startswith("http://www.opengis.net/def/crs/OGC")


def test_crs_discovery(iut, collections):  # DiscoveryCollection(s)CrsUri/DefaultCrs/StorageCrs, Abstract Tests 1-3
    doc = fetch(iut, "/collections")[1]
    assert all(valid_crs_uri(u) for u in doc["crs"])
    for c in collections:
        crs = c["crs"] if c["crs"] != ["#/crs"] else doc["crs"]
        assert all(valid_crs_uri(u) for u in crs) and CRS84 in crs
        assert c["storageCrs"] in crs


def transform(x, y, to_uri):
    src = osr.SpatialReference()
    src.SetFromUserInput(CRS84)
    dst = osr.SpatialReference()
    dst.SetFromUserInput(to_uri.replace("http://www.opengis.net/def/crs/EPSG/0/", "EPSG:"))
    pt = osr.CoordinateTransformation(src, dst).TransformPoint(x, y)  # authority axis order: 4326 is lat,lon
    return pt[0], pt[1]


def test_crs_parameter_on_features_and_feature(iut, collections):  # Features/FeatureCrsParameter*, Tests 5-7
    for c in collections:
        if c["id"] == "boundaries":
            continue  # polygons: covered by the points of the other collections
        base = f"/collections/{c['id']}/items?{ZOOM.get(c['id'], '')}limit=5&bbox=2.2,48.8,2.5,49"
        h, default = fetch(iut, base)
        assert h["Content-Crs"] == f"<{CRS84}>"
        for uri in c["crs"]:
            if uri == CRS84 or ("2154" not in uri and "4326" not in uri and "3857" not in uri):
                continue  # the overseas CRSs do not cover Paris (tested on their territories elsewhere)
            h, doc = fetch(iut, base + "&crs=" + urllib.parse.quote(uri))
            assert h["Content-Crs"] == f"<{uri}>"
            for f0, f1 in zip(default["features"], doc["features"]):
                assert f0["id"] == f1["id"]
                x, y = transform(*f0["geometry"]["coordinates"], uri)
                tol = 1e-6 if "4326" in uri else 0.01
                assert math.isclose(f1["geometry"]["coordinates"][0], x, abs_tol=tol), (c["id"], uri)
                assert math.isclose(f1["geometry"]["coordinates"][1], y, abs_tol=tol), (c["id"], uri)
            fid = urllib.parse.quote(str(doc["features"][0]["id"]))
            h, one = fetch(iut, f"/collections/{c['id']}/items/{fid}?crs=" + urllib.parse.quote(uri))
            assert h["Content-Crs"] == f"<{uri}>" and one["geometry"] == doc["features"][0]["geometry"]
        fetch(iut, f"{base}&crs=http://www.opengis.net/def/crs/EPSG/0/123456", expect=400)
        first = urllib.parse.quote(str(default["features"][0]["id"]))
        fetch(iut, f"/collections/{c['id']}/items/{first}?crs=http://www.opengis.net/def/crs/EPSG/0/123456",
              expect=400)


def test_bbox_crs_parameter(iut, collections):  # BBoxCrsParameter/Default/Invalid, Tests 8-9
    box = (2.2, 48.8, 2.5, 49.0)
    for c in collections:
        if c["id"] in ("boundaries",):
            continue
        pre = f"/collections/{c['id']}/items?{ZOOM.get(c['id'], '')}limit=10000&properties={c_first_key(iut, c['id'])}"
        ids = {f["id"] for f in fetch(iut, f"{pre}&bbox={','.join(map(str, box))}")[1]["features"]}
        same = {f["id"] for f in fetch(iut, f"{pre}&bbox={','.join(map(str, box))}&bbox-crs={CRS84}")[1]["features"]}
        assert ids == same and ids, c["id"]
        for uri in ("http://www.opengis.net/def/crs/EPSG/0/4326", "http://www.opengis.net/def/crs/EPSG/0/2154",
                    "http://www.opengis.net/def/crs/EPSG/0/3857"):
            corners = [transform(x, y, uri) for x in box[::2] for y in box[1::2]]
            xs, ys = zip(*corners)
            q = f"{min(xs)},{min(ys)},{max(xs)},{max(ys)}"
            got = {f["id"] for f in fetch(iut, f"{pre}&bbox={q}&bbox-crs={urllib.parse.quote(uri)}")[1]["features"]}
            assert ids <= got, (c["id"], uri)  # a box transformed to another CRS covers at least the original
            if "4326" in uri:
                assert got == ids
        fetch(iut, f"{pre}&bbox=1,2,3,4&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/123456", expect=400)
