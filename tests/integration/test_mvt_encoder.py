"""The MVT encoder (tiles/mvt.c) judged by outside decoders.

1. @mapbox/mvt-fixtures: every valid fixture that an encoder can produce is decoded by
   tests/js/mvt_describe.mjs (@mapbox/vector-tile + pbf), re-encoded by our encoder
   (`test_mvt --encode-json`), decoded again, and both descriptions must be equal:
   layers, ids, geometry types, properties with their value types, decoded geometry,
   and the command integers themselves.
   Excluded valid fixtures (an encoder cannot or must not produce them):
     016  UNKNOWN geometry type: we encode points, lines and polygons only
     025  layer without features: the spec says encoders should not write one; ours drops it
     039  version 1 layer with an UNKNOWN feature: we write version 2 only
     049  x coordinate beyond int32: we clamp coordinates to +-2^28
     050  y coordinate beyond int32: same
     057  MoveTo count 2^29-1 with a single point: a decoder over-allocation trap
   The invalid fixtures (003-008, 010-015, 023, 024, 026, 030, 040-042, 044-048, 051,
   052, 058, 061) are for decoders and are not re-encoded.
2. node --test tests/js/: the same round trip plus encoder-specific checks, run by
   node's own test runner.
3. GDAL's MVT driver (ogrinfo) reads a tile of points, lines and polygons with holes
   with the right feature counts, attributes, geometry types and coordinates.

The test_mvt binary sits beside RBMAP_BIN (build/asan/tests/test_mvt) unless
RBMAP_TEST_MVT names it.
"""
import json
import math
import os
import re
import shutil
import subprocess

import pytest

from conftest import ROOT, SANITIZER_REPORT

JS_DIR = os.path.join(ROOT, "tests", "js")

APPLICABLE = [
    "001", "002", "009", "017", "018", "019", "020", "021", "022", "027",
    "032", "033", "034", "035", "036", "037", "038", "043", "053", "054",
    "055", "056", "059", "060", "062", "063", "064", "065", "066", "067",
    "068", "069", "070", "071", "072", "073", "074", "075", "076", "077",
]
EXCLUDED = ["016", "025", "039", "049", "050", "057"]


@pytest.fixture(scope="session")
def test_mvt(rbmap_bin):
    path = os.environ.get("RBMAP_TEST_MVT") or os.path.join(os.path.dirname(rbmap_bin), "tests", "test_mvt")
    assert os.access(path, os.X_OK), f"{path} is not built (make asan)"
    return path


@pytest.fixture(scope="session")
def node_modules():
    """tests/js/node_modules, installed from package-lock.json when missing."""
    assert shutil.which("node"), "node is not installed"
    if not os.path.isdir(os.path.join(JS_DIR, "node_modules", "@mapbox", "mvt-fixtures")):
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=JS_DIR, check=True,
                       capture_output=True, timeout=600)
    return JS_DIR


def node(*args, timeout=120):
    proc = subprocess.run(["node", os.path.join(JS_DIR, "mvt_describe.mjs"), *args],
                          capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def encode(test_mvt, description, tmp_path, name):
    src, dst = tmp_path / f"{name}.json", tmp_path / f"{name}.mvt"
    src.write_text(json.dumps(description))
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=0")
    proc = subprocess.run([test_mvt, "--encode-json", str(src), str(dst)], capture_output=True, text=True,
                          env=env, timeout=60)
    assert not SANITIZER_REPORT.search(proc.stderr), proc.stderr
    assert proc.returncode == 0, proc.stderr
    return dst


@pytest.fixture(scope="session")
def fixtures_dir(node_modules, tmp_path_factory):
    out = tmp_path_factory.mktemp("mvt-fixtures")
    index = json.loads(node("fixtures", str(out)))
    return out, index


def test_fixture_lists_match_the_package(fixtures_dir):
    _, index = fixtures_dir
    assert index["applicable"] == APPLICABLE
    assert sorted(index["excluded"]) == EXCLUDED


@pytest.mark.parametrize("fixture", APPLICABLE)
def test_fixture_round_trips_through_our_encoder(fixture, fixtures_dir, test_mvt, tmp_path):
    out, _ = fixtures_dir
    expected = json.loads((out / f"{fixture}.json").read_text())
    ours_path = encode(test_mvt, expected, tmp_path, fixture)
    ours = json.loads(node("describe", str(ours_path)))
    assert ours == expected
    for layer in ours["layers"]:
        assert layer["version"] == 2
        assert layer["duplicate_keys"] == 0 and layer["duplicate_values"] == 0
    if fixture == "001":
        assert ours_path.stat().st_size == 0


def test_node_judge_suite(node_modules, test_mvt):
    env = dict(os.environ, RBMAP_TEST_MVT=test_mvt)
    proc = subprocess.run(["node", "--test", "tests/js/"], cwd=ROOT, capture_output=True, text=True, env=env,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-2000:]
    passed = int(re.search(r"^# pass (\d+)", proc.stdout, re.M).group(1))
    assert re.search(r"^# fail 0$", proc.stdout, re.M)
    assert passed >= len(APPLICABLE) + 3


# --- GDAL ---

Z, X, Y = 12, 2075, 1409  # over Saint-Denis (93)
HALF = 20037508.342789244


def tile_to_mercator(px, py, extent=4096):
    size = 2 * HALF / (1 << Z)
    return -HALF + (X + px / extent) * size, HALF - (Y + py / extent) * size


GDAL_TILE = {"layers": [
    {"name": "sites", "extent": 4096, "features": [
        {"id": "1", "type": 1, "geometry": [[[100, 200]]], "properties": {
            "name": {"type": "string", "value": "Les Roses"}, "population": {"type": "uint", "value": "42"},
            "ratio": {"type": "double", "value": 0.25}, "water": {"type": "bool", "value": True},
            "delta": {"type": "sint", "value": "-3"}}},
        {"id": "2", "type": 1, "geometry": [[[300, 400]]], "properties": {
            "name": {"type": "string", "value": "La Digue — Île"}, "population": {"type": "uint", "value": "7"},
            "ratio": {"type": "double", "value": 0.5}, "water": {"type": "bool", "value": False},
            "delta": {"type": "sint", "value": "4"}}},
        {"id": "3", "type": 1, "geometry": [[[10, 10]], [[20, 20]]], "properties": {
            "name": {"type": "string", "value": "multipoint"}}},
    ]},
    {"name": "lines", "extent": 4096, "features": [
        {"id": "10", "type": 2, "geometry": [[[0, 0], [100, 100], [200, 0]]],
         "properties": {"kind": {"type": "string", "value": "road"}}},
        {"id": "11", "type": 2, "geometry": [[[0, 500], [100, 500]], [[0, 600], [100, 600]]],
         "properties": {"kind": {"type": "string", "value": "rail"}}},
    ]},
    {"name": "zones", "extent": 4096, "features": [
        # Rings in the wrong winding on purpose: the encoder reorients them.
        {"id": "20", "type": 3, "properties": {"code": {"type": "string", "value": "93"}},
         "polygons": [[[[0, 0], [0, 1000], [1000, 1000], [1000, 0]],
                       [[200, 200], [400, 200], [400, 400], [200, 400]]]]},
        {"id": "21", "type": 3, "properties": {"code": {"type": "string", "value": "94"}},
         "polygons": [[[[2000, 2000], [2500, 2000], [2500, 2500], [2000, 2500]]],
                      [[[3000, 3000], [3500, 3000], [3500, 3500], [3000, 3500]],
                       [[3100, 3100], [3100, 3200], [3200, 3200], [3200, 3100]]]]},
    ]},
]}


def ogrinfo_features(path):
    assert shutil.which("ogrinfo"), "ogrinfo (gdal-bin) is not installed"
    proc = subprocess.run(["ogrinfo", "-ro", "-al", "-oo", f"X={X}", "-oo", f"Y={Y}", "-oo", f"Z={Z}", str(path)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "using driver `MVT'" in proc.stdout
    layers = {}
    for block in re.split(r"^Layer name: ", proc.stdout, flags=re.M)[1:]:
        name = block.split("\n", 1)[0].strip()
        count = int(re.search(r"^Feature Count: (\d+)", block, re.M).group(1))
        fields = dict(re.findall(r"^(\w+): ([\w()]+) \(", block, re.M))
        feats = []
        for fb in re.split(r"^OGRFeature\(", block, flags=re.M)[1:]:
            attrs = dict(re.findall(r"^  (\w+) \([\w()]+\) = (.*)$", fb, re.M))
            wkt = re.search(r"^  ((?:MULTI)?(?:POINT|LINESTRING|POLYGON) .*)$", fb, re.M).group(1)
            feats.append((attrs, wkt))
        layers[name] = {"count": count, "fields": fields, "features": feats}
    return layers


def test_gdal_reads_points_lines_and_polygons_with_holes(test_mvt, tmp_path):
    path = encode(test_mvt, GDAL_TILE, tmp_path, "gdal")
    layers = ogrinfo_features(path)
    assert sorted(layers) == ["lines", "sites", "zones"]
    assert [layers[n]["count"] for n in ("sites", "lines", "zones")] == [3, 2, 2]

    sites = layers["sites"]
    assert sites["fields"]["name"] == "String"
    assert sites["fields"]["population"] == "Integer"
    assert sites["fields"]["ratio"] == "Real"
    assert sites["fields"]["water"] == "Integer(Boolean)"
    assert sites["fields"]["delta"] == "Integer"
    a0, w0 = sites["features"][0]
    assert a0 == {"mvt_id": "1", "name": "Les Roses", "population": "42", "ratio": "0.25", "water": "1",
                  "delta": "-3"}
    # GDAL reads the layer as MultiPoint once one feature is a multipoint.
    x, y = (float(v) for v in re.match(r"(?:MULTI)?POINT \(\(?([-\d.e]+) ([-\d.e]+)\)", w0).groups())
    ex, ey = tile_to_mercator(100, 200)
    assert math.isclose(x, ex, abs_tol=1e-3) and math.isclose(y, ey, abs_tol=1e-3)
    assert sites["features"][1][0]["name"] == "La Digue — Île"
    assert sites["features"][1][0]["water"] == "0"
    assert sites["features"][2][1].startswith("MULTIPOINT") and sites["features"][2][1].count("),(") == 1

    lines = layers["lines"]
    assert [a["kind"] for a, _ in lines["features"]] == ["road", "rail"]
    assert all("LINESTRING" in w for _, w in lines["features"])
    assert lines["features"][1][1].count("),(") == 1  # two parts

    zones = layers["zones"]
    (za, zw), (zb, zw2) = zones["features"]
    assert za["code"] == "93" and za["mvt_id"] == "20"
    assert "POLYGON" in zw
    assert zw.count("),(") == 1 and ")),((" not in zw  # one polygon, one hole
    assert zb["code"] == "94"
    assert zw2.startswith("MULTIPOLYGON") and zw2.count(")),((") == 1  # two polygons
    assert zw2.count("),(") == 2  # once between the two polygons, once before the hole


def test_layer_without_features_gives_an_empty_tile(test_mvt, tmp_path):
    path = encode(test_mvt, {"layers": [{"name": "empty", "extent": 4096, "features": []}]}, tmp_path, "empty")
    assert path.stat().st_size == 0
