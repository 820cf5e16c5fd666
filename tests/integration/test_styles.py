"""GET /styles/{name}.json, legend.json and the glyphs: every style MapLibre's own
validator accepts (@maplibre/maplibre-gl-style-spec, node), sources that carry the
caller's filters and credential through TileJSON into tiles that GDAL decodes, field type
colours as in the database, glyph PBFs that decode, 4xx for bad names and values."""
import json
import os
import subprocess
import urllib.parse

import pytest

from conftest import http_get, sql_query
from tiles_util import decode, tile_of

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VALIDATOR = os.path.join(ROOT, "tests", "js", "viewer_validate_style.mjs")
STYLES = ("light", "high-contrast")


def get_json(url, headers=None):
    status, hdrs, body = http_get(url, headers)
    assert status == 200, (url, status, body[:300])
    return json.loads(body), hdrs


def validate(tmp_path, docs):
    """Runs the style-spec validator on {name: style}; returns {name: [messages]}."""
    files = []
    for name, doc in docs.items():
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(doc))
        files.append(str(path))
    r = subprocess.run(["node", VALIDATOR, *files], capture_output=True, text=True, timeout=120)
    assert r.stdout, r.stderr
    report = json.loads(r.stdout)
    return {os.path.basename(k)[:-5]: v for k, v in report.items()}, r.returncode


def test_every_style_is_valid_for_maplibre(auth_server, tmp_path):
    token = auth_server.mint("national")
    docs = {}
    for name in STYLES:
        for agg in ("clusters", "territories"):
            docs[f"{name}-{agg}"], _ = get_json(f"{auth_server.url}/styles/{name}.json?aggregation={agg}&access_token={token}")
        docs[f"{name}-public"], _ = get_json(f"{auth_server.url}/styles/{name}.json")
    report, rc = validate(tmp_path, docs)
    assert rc == 0 and all(v == [] for v in report.values()), report
    # The judge does judge: the same style with a wrong paint value is refused.
    broken = json.loads(json.dumps(docs["light-clusters"]))
    next(l for l in broken["layers"] if l["id"] == "sites-circle")["paint"]["circle-radius"] = "large"
    del broken["sources"]["rbmap"]["type"]
    report, rc = validate(tmp_path, {"broken": broken})
    assert rc == 1 and len(report["broken"]) >= 2, report


def test_layers_cover_what_the_map_shows(auth_server):
    doc, _ = get_json(f"{auth_server.url}/styles/light.json?access_token={auth_server.mint('national')}")
    ids = {l["id"]: l for l in doc["layers"]}
    for level in ("region", "departement", "epci", "city"):
        assert ids[f"boundaries-{level}-line"]["source"] == "boundaries"
    for layer in ("territories-bubble", "territories-label", "clusters-circle", "clusters-count", "actions",
                  "sites-circle", "sites-label"):
        assert layer in ids, layer
    assert doc["metadata"]["rbmap:aggregation"] == "clusters"
    assert ids["territories-bubble"]["layout"]["visibility"] == "none"
    site = ids["sites-circle"]
    assert site["source-layer"] == "clusters" and site["filter"] == ["!", ["has", "point_count"]]
    assert site["paint"]["circle-color"][:2] == ["to-color", ["get", "color"]]
    ring = site["paint"]["circle-stroke-color"]
    assert ring[0] == "match" and set(ring[2:-1:2]) == {"good", "toImprove", "bad"}
    # Closed sites fainter than open ones.
    opacity = site["paint"]["circle-opacity"]
    assert opacity[0] == "case" and opacity[2] == 1 and 0 < opacity[3] < 1
    # Radii grow with the count, as steps.
    radius = ids["clusters-circle"]["paint"]["circle-radius"]
    assert radius[0] == "step" and radius[2::2] == sorted(radius[2::2]) and len(radius) > 4
    label = ids["territories-label"]["layout"]["text-field"]
    assert label[0] == "concat" and " – " in label
    # Public: the platform's bubbles by default, clusters from z14 (where they are empty).
    pub, _ = get_json(f"{auth_server.url}/styles/high-contrast.json")
    pub_ids = {l["id"]: l for l in pub["layers"]}
    assert pub["metadata"]["rbmap:aggregation"] == "territories"
    assert pub_ids["territories-bubble"].get("layout", {}).get("visibility") == "visible"
    assert pub_ids["clusters-circle"]["minzoom"] == 14
    assert "raster-base" not in pub["sources"]
    assert pub["glyphs"].startswith(auth_server.url) and "{fontstack}" in pub["glyphs"]


def test_filters_and_credential_reach_the_tiles(auth_server, demo_dsn, tmp_path):
    """style → TileJSON → tile URL keep filters and access_token; the tile shows it."""
    token = auth_server.mint("national")
    q = urllib.parse.urlencode({"status": "open", "field_type": "2", "access_token": token})
    doc, hdrs = get_json(f"{auth_server.url}/styles/light.json?{q}&aggregation=clusters&unrelated=1")
    assert "private" in hdrs["Cache-Control"]
    src = doc["sources"]["rbmap"]["url"]
    parsed = urllib.parse.urlparse(src)
    params = urllib.parse.parse_qs(parsed.query)
    assert params == {"status": ["open"], "field_type": ["2"], "access_token": [token]}, src
    tilejson, _ = get_json(src)
    tile_url = tilejson["tiles"][0]
    assert urllib.parse.parse_qs(urllib.parse.urlparse(tile_url).query) == params, tile_url
    # A site of Seine-Saint-Denis (93) at z17 (unclustered) as the style's source would fetch them.
    lon, lat = sql_query(demo_dsn, """SELECT ST_X(geom), ST_Y(geom) FROM shantytowns s
        WHERE closed_at IS NULL AND fk_field_type = 2 AND fk_city LIKE '93%' ORDER BY shantytown_id LIMIT 1""")[0]
    z = 17
    x, y = tile_of(lon, lat, z)
    url = tile_url.replace("{z}", str(z)).replace("{x}", str(x)).replace("{y}", str(y))
    status, _, body = http_get(url)
    assert status == 200
    feats = decode(tmp_path, z, x, y, body).get("clusters", [])
    sites = [f for f in feats if not f.get("cluster")]
    assert sites and all(f["status"] == "open" and f["field_type_id"] == 2 for f in sites), feats
    # Without the credential carried, the same tile shows no site (public scope).
    status, _, body = http_get(url.replace(f"access_token={token}", "access_token="))
    no_cred = decode(tmp_path / "nocred", z, x, y, body).get("clusters", []) if status == 200 and body else []
    assert status in (200, 204, 401) and not no_cred


def test_legend_lists_field_types_as_the_database_has_them(auth_server, demo_dsn):
    rows = sql_query(demo_dsn, "SELECT field_type_id, label, color FROM field_types ORDER BY field_type_id")
    for name in STYLES:
        legend, _ = get_json(f"{auth_server.url}/styles/{name}/legend.json")
        sections = {s["id"]: s for s in legend["sections"]}
        assert set(sections) >= {"field_type", "water", "status", "clusters", "territories", "actions", "boundaries"}
        types = sorted((i["field_type_id"], i["label"], i["fill"].lstrip("#").lower()) for i in sections["field_type"]["items"])
        assert types == sorted((r[0], r[1], (r[2] or "cccccc").lower()) for r in rows)
        assert [i["value"] for i in sections["water"]["items"]] == ["good", "toImprove", "bad", "unknown"]
        assert all(i["label"].startswith("Accès") or i["label"].startswith("Pas") for i in sections["water"]["items"])
        assert [i["label"] for i in sections["boundaries"]["items"]] == ["Région", "Département", "EPCI", "Commune"]
        # The legend and the style share their colours (one table).
        style, _ = get_json(f"{auth_server.url}/styles/{name}.json?aggregation=clusters")
        ring = next(l for l in style["layers"] if l["id"] == "sites-circle")["paint"]["circle-stroke-color"]
        by_value = dict(zip(ring[2:-1:2], ring[3:-1:2]))
        for item in sections["water"]["items"][:3]:
            assert by_value[item["value"]] == item["stroke"]
        assert ring[-1] == sections["water"]["items"][3]["stroke"]


def read_varint(buf, i):
    shift = value = 0
    while True:
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return value, i


def pbf_fields(buf):
    """(field number, value) pairs of one protobuf message: ints and bytes."""
    i, out = 0, []
    while i < len(buf):
        key, i = read_varint(buf, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            v, i = read_varint(buf, i)
        elif wire == 2:
            n, i = read_varint(buf, i)
            v, i = bytes(buf[i:i + n]), i + n
        else:
            raise AssertionError(f"unexpected wire type {wire}")
        out.append((field, v))
    return out


def test_glyphs_decode_as_maplibre_reads_them(auth_server):
    doc, _ = get_json(f"{auth_server.url}/styles/light.json")
    fonts = {tuple(l["layout"]["text-font"]) for l in doc["layers"] if "text-font" in l.get("layout", {})}
    assert fonts == {("DejaVu Sans",)}
    url = doc["glyphs"].replace("{fontstack}", "DejaVu%20Sans").replace("{range}", "0-255")
    status, hdrs, body = http_get(url, {"Accept-Encoding": "identity"})
    assert status == 200 and hdrs["Content-Type"] == "application/x-protobuf"
    (field, stack), = pbf_fields(body)
    assert field == 1
    fields = pbf_fields(stack)
    assert (1, b"DejaVu Sans") in fields and (2, b"0-255") in fields
    glyphs = {}
    for f, g in fields:
        if f == 3:
            d = dict(pbf_fields(g))
            glyphs[d[1]] = d
    assert len(glyphs) > 180 and all(chr(c) in "".join(map(chr, glyphs)) for c in b"Sites 0123456789")
    a = glyphs[ord("A")]
    assert len(a[2]) == (a[3] + 6) * (a[4] + 6) and a[7] > 10  # 3 px SDF buffer, advance
    assert max(a[2]) > 191 > min(a[2])  # inside and outside the edge (192 = edge)
    # The en dash of "Name – N sites" and the action square come from other ranges.
    for rng, cp in (("8192-8447", 0x2013), ("9472-9727", 0x25A0)):
        status, _, body = http_get(url.replace("0-255", rng))
        ids = [dict(pbf_fields(g))[1] for f, g in pbf_fields(pbf_fields(body)[0][1]) if f == 3]
        assert status == 200 and cp in ids
    # A range the font lacks: an empty, valid message (no failed request in the browser).
    status, _, body = http_get(url.replace("0-255", "65280-65535"))
    assert status == 200 and body == b""
    for bad in ("Arial/0-255.pbf", "DejaVu%20Sans/0-254.pbf", "DejaVu%20Sans/abc.pbf", "DejaVu%20Sans/0-255.png",
                "../../etc/passwd"):
        status, _, _ = http_get(f"{auth_server.url}/styles/glyphs/{bad}")
        assert status == 404, bad


@pytest.mark.parametrize("path,status,word", [
    ("/styles/nope.json", 404, "nope"),
    ("/styles/light/nope.json", 404, "light"),
    ("/styles/.json", 404, "style"),
    ("/styles/light.json?status=bogus", 400, "status"),
    ("/styles/light.json?territory=planet:1", 400, "territory"),
    ("/styles/light.json?date=2021-13-45", 400, "date"),
    ("/styles/light.json?aggregation=hexagons", 400, "aggregation"),
    ("/styles/nope/legend.json", 404, "nope"),
])
def test_bad_names_and_values_are_4xx_naming_them(server, path, status, word):
    code, _, body = http_get(server.url + path)
    assert code == status, body
    assert word in json.loads(body)["error"]["message"]


def test_raster_base_by_configuration(start_server, demo_dsn, tmp_path):
    conf = tmp_path / "raster.conf"
    conf.write_text("raster_base_url = https://tile.example.org/{z}/{x}/{y}.png\n"
                    "raster_base_attribution = © OpenStreetMap\n")
    # Boundaries load in the background; a stop in the middle of it waits for it.
    srv = start_server(demo_dsn, ["--config", str(conf)]).wait_boundaries()
    doc, _ = get_json(f"{srv.url}/styles/light.json")
    src = doc["sources"]["raster-base"]
    assert src["type"] == "raster" and src["tiles"] == ["https://tile.example.org/{z}/{x}/{y}.png"]
    assert src["attribution"] == "© OpenStreetMap"
    assert [l["id"] for l in doc["layers"]][:2] == ["background", "raster-base"]
    report, rc = validate(tmp_path, {"raster": doc})
    assert rc == 0, report


def test_legend_png_draws_the_field_type_colours(auth_server, demo_dsn):
    from osgeo import gdal
    colours = [r[0].lower() for r in sql_query(demo_dsn, "SELECT color FROM field_types WHERE color IS NOT NULL")]
    for name in STYLES:
        status, hdrs, body = http_get(f"{auth_server.url}/styles/{name}/legend.png")
        assert status == 200 and hdrs["Content-Type"] == "image/png" and body[:8] == b"\x89PNG\r\n\x1a\n"
        path = f"/vsimem/legend-{name}.png"
        gdal.FileFromMemBuffer(path, body)
        ds = gdal.Open(path)
        assert ds.RasterXSize >= 100 and ds.RasterYSize >= 300  # five sections stacked
        bands = [ds.GetRasterBand(i + 1).ReadRaster() for i in range(3)]
        pixels = set(zip(bands[0], bands[1], bands[2]))
        for c in colours:
            want = tuple(int(c[i:i + 2], 16) for i in (0, 2, 4))
            assert any(all(abs(a - b) <= 6 for a, b in zip(p, want)) for p in pixels), (name, c)
        gdal.Unlink(path)
    status, _, _ = http_get(f"{auth_server.url}/styles/nope/legend.png")
    assert status == 404
