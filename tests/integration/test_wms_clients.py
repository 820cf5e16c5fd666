"""rbmap's WMS judged by real clients: OWSLib (1.1.1 and 1.3.0: capabilities, GetMap
in EPSG:2154 and EPSG:4326, GetFeatureInfo), GDAL's WMS driver (gdalinfo on the
capabilities, gdal_translate of a GetMap, georeferenced), QGIS's Python API offscreen
(the wms provider renders sites), and MapServer 8 drawing the same table with the same
symbols (bench/mapserver/wms_sites.map): the same points at the same pixels.
The server here answers requests without credentials with the national scope, as
rbmap's demo does, so that the clients need no headers."""
import json
import os
import subprocess
import sys
import textwrap

import numpy
import pytest
from osgeo import gdal

from conftest import Server, sql_query
from wms_util import ISOLATED_SITE, blob_centroids, drawn_mask, image, wms, wms_url

gdal.UseExceptions()
HERE = os.path.dirname(os.path.abspath(__file__))
MAPFILE = os.path.join(HERE, "..", "..", "bench", "mapserver", "wms_sites.map")


@pytest.fixture(scope="module")
def srv(rbmap_bin, demo_dsn, tmp_path_factory):
    d = tmp_path_factory.mktemp("wms_clients")
    conf = d / "rbmap.conf"
    conf.write_text("default_scope = national\n")
    s = Server(rbmap_bin, demo_dsn, d, ["--config", str(conf)])
    s.wait_boundaries()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def isolated(demo_dsn):
    return sql_query(demo_dsn, ISOLATED_SITE)[0]


def around_2154(x, y, half=3000):
    return (x - 1.2 * half, y - 0.8 * half, x + 0.8 * half, y + 1.2 * half)


def expected_pixel(bbox, x, y, w, h):
    return ((x - bbox[0]) / (bbox[2] - bbox[0]) * w, (bbox[3] - y) / (bbox[3] - bbox[1]) * h)


def one_blob_at(body, want):
    blobs = blob_centroids(drawn_mask(image(body)))
    assert len(blobs) == 1, blobs
    assert abs(blobs[0][0] - want[0]) <= 1 and abs(blobs[0][1] - want[1]) <= 1, (blobs, want)


@pytest.mark.parametrize("version", ["1.1.1", "1.3.0"])
def test_owslib(srv, isolated, version):
    from owslib.wms import WebMapService
    site_id, lon, lat, x, y = isolated
    service = WebMapService(srv.url + "/wms", version=version)
    assert service.identification.type in ("WMS", "OGC:WMS")
    assert {"sites", "territories", "boundaries", "clusters", "actions"} <= set(service.contents)
    sites = service["sites"]
    assert "EPSG:2154" in sites.crsOptions and "EPSG:4326" in sites.crsOptions
    assert sites.boundingBoxWGS84[0] < lon < sites.boundingBoxWGS84[2]
    assert set(sites.styles) == {"light", "high-contrast"}
    assert [m for m in service.getOperationByName("GetMap").formatOptions if m == "image/png"]
    size = (160, 120)
    # EPSG:2154 and EPSG:4326 (OWSLib takes lon,lat and swaps for 1.3.0 itself).
    bbox_2154 = around_2154(x, y)
    bbox_4326 = (lon - 0.03, lat - 0.02, lon + 0.02, lat + 0.025)
    for srs, bbox, (px, py) in (("EPSG:2154", bbox_2154, (x, y)), ("EPSG:4326", bbox_4326, (lon, lat))):
        img = service.getmap(layers=["sites"], styles=[""], srs=srs, bbox=bbox, size=size, format="image/png",
                             transparent=True)
        want = expected_pixel(bbox, px, py, *size)
        one_blob_at(img.read(), want)
        info = service.getfeatureinfo(layers=["sites"], styles=[""], srs=srs, bbox=bbox, size=size,
                                      format="image/png", query_layers=["sites"], info_format="application/json",
                                      xy=(int(want[0]), int(want[1])), feature_count=5)
        feats = json.loads(info.read())["features"]
        assert [f["id"] for f in feats] == [site_id]


def test_gdal_capabilities_and_translate(srv, isolated, tmp_path):
    site_id, lon, lat, x, y = isolated
    info = gdal.Info("WMS:" + wms_url(srv.url, SERVICE="WMS", REQUEST="GetCapabilities"), format="json")
    names = " ".join(v for k, v in info["metadata"]["SUBDATASETS"].items() if k.endswith("_NAME"))
    assert "LAYERS=sites" in names and "LAYERS=boundaries" in names
    for version, crs_key, bbox, point in (
            ("1.1.1", "SRS", around_2154(x, y), (x, y)),
            ("1.3.0", "CRS", around_2154(x, y), (x, y)),
            ("1.3.0", "CRS", (lat - 0.02, lon - 0.03, lat + 0.025, lon + 0.02), (lon, lat))):
        crs = "EPSG:4326" if point == (lon, lat) else "EPSG:2154"
        # GDAL splits the URL itself: keep ':' and ',' as they are.
        url = (f"{srv.url}/wms?SERVICE=WMS&VERSION={version}&REQUEST=GetMap&LAYERS=sites&STYLES=&FORMAT=image/png"
               f"&TRANSPARENT=TRUE&{crs_key}={crs}&BBOX=" + ",".join(map(str, bbox)))
        out = str(tmp_path / f"gdal_{version}_{crs[5:]}.tif")
        ds = gdal.Translate(out, "WMS:" + url, format="GTiff", width=200, height=200)
        assert ds is not None
        gt = ds.GetGeoTransform()
        # GDAL's own georeferencing of the image says where the site must be.
        col = (point[0] - gt[0]) / gt[1]
        row = (point[1] - gt[3]) / gt[5]
        arr = numpy.stack([ds.GetRasterBand(b + 1).ReadAsArray() for b in range(ds.RasterCount)], axis=2)
        ds = None
        mask = arr[:, :, 3] > 0 if arr.shape[2] == 4 else numpy.any(arr[:, :, :3] < 230, axis=2)
        blobs = blob_centroids(mask, min_pixels=4)  # GDAL asks 1024 px and scales down
        assert len(blobs) == 1 and abs(blobs[0][0] - col) <= 1 and abs(blobs[0][1] - row) <= 1, (version, crs, blobs,
                                                                                               col, row)


QGIS_SCRIPT = textwrap.dedent("""
    import sys
    from qgis.core import (QgsApplication, QgsCoordinateReferenceSystem, QgsMapRendererSequentialJob,
                           QgsMapSettings, QgsRasterLayer, QgsRectangle)
    from qgis.PyQt.QtCore import QSize
    from qgis.PyQt.QtGui import QColor
    url, out, minx, miny, maxx, maxy = sys.argv[1], sys.argv[2], *map(float, sys.argv[3:7])
    app = QgsApplication([], False)
    app.initQgis()
    layer = QgsRasterLayer(f"crs=EPSG:2154&format=image/png&layers=sites&styles=&url={url}", "sites", "wms")
    if not layer.isValid():
        print("invalid layer:", layer.error().summary())
        sys.exit(2)
    settings = QgsMapSettings()
    settings.setLayers([layer])
    settings.setDestinationCrs(QgsCoordinateReferenceSystem("EPSG:2154"))
    settings.setExtent(QgsRectangle(minx, miny, maxx, maxy))
    settings.setOutputSize(QSize(300, 300))
    settings.setBackgroundColor(QColor(255, 255, 255))
    job = QgsMapRendererSequentialJob(settings)
    job.start()
    job.waitForFinished()
    job.renderedImage().save(out, "PNG")
    print("extent", settings.visibleExtent().toString())
    app.exitQgis()
""")


def test_qgis_renders_the_wms_layer(srv, isolated, tmp_path):
    site_id, lon, lat, x, y = isolated
    script = tmp_path / "qgis_wms.py"
    script.write_text(QGIS_SCRIPT)
    out = tmp_path / "qgis.png"
    bbox = (x - 3000, y - 3000, x + 3000, y + 3000)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_RUNTIME_DIR=str(tmp_path))
    r = subprocess.run(["/usr/bin/python3", str(script), srv.url + "/wms", str(out), *map(str, bbox)],
                       capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    img = image(out.read_bytes())
    mask = drawn_mask(img, (255, 255, 255))
    blobs = blob_centroids(mask)
    assert len(blobs) == 1, blobs
    # A square extent in a square image: the site is at the centre.
    assert abs(blobs[0][0] - 150) <= 1.5 and abs(blobs[0][1] - 150) <= 1.5, blobs
    log = srv.read_log()
    assert '"route":"wms"' in log and "GetMap" in log


def mapserver_getmap(demo_dsn, tmp_path, query):
    mapfile = tmp_path / "wms_sites.map"
    mapfile.write_text(open(MAPFILE).read().replace("@CONNECTION@", demo_dsn))
    conf = tmp_path / "mapserver.conf"
    conf.write_text(f'CONFIG\n  ENV\n    MS_MAP_PATTERN "^{tmp_path}/.*\\.map$"\n  END\nEND\n')
    env = dict(os.environ, MAPSERVER_CONFIG_FILE=str(conf), REQUEST_METHOD="GET",
               QUERY_STRING=f"MAP={mapfile}&{query}")
    r = subprocess.run(["mapserv"], capture_output=True, env=env, timeout=60)
    head, _, body = r.stdout.partition(b"\r\n\r\n")
    assert b"image/png" in head, r.stdout[:500]
    return body


@pytest.mark.parametrize("crs,bbox", [
    ("EPSG:3857", (255000, 6240000, 270000, 6255000)),          # Paris
    ("EPSG:2154", (830000, 6500000, 860000, 6530000)),          # Lyon
])
def test_same_points_as_mapserver(srv, demo_dsn, tmp_path, crs, bbox):
    W, H, M = 700, 600, 20
    common = "SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=sites&STYLES=&FORMAT=image/png&TRANSPARENT=TRUE"
    ours = image(wms(srv.url, **dict(p.split("=", 1) for p in common.split("&")), CRS=crs,
                     BBOX=",".join(map(str, bbox)), WIDTH=W, HEIGHT=H)[2])
    # MapServer only draws points inside its BBOX, rbmap also those whose marker reaches
    # the image: ask MapServer M pixels more on every side and crop.
    rx, ry = (bbox[2] - bbox[0]) / W, (bbox[3] - bbox[1]) / H
    wide = (bbox[0] - M * rx, bbox[1] - M * ry, bbox[2] + M * rx, bbox[3] + M * ry)
    query = f"{common}&CRS={crs}&BBOX={','.join(map(str, wide))}&WIDTH={W + 2 * M}&HEIGHT={H + 2 * M}"
    theirs = image(mapserver_getmap(demo_dsn, tmp_path, query))[M:-M, M:-M]
    assert ours.shape == theirs.shape
    ma, mb = drawn_mask(ours), drawn_mask(theirs)
    a, b = blob_centroids(ma), blob_centroids(mb)
    assert len(a) >= 10, "the box should hold several sites"
    assert len(a) == len(b), (len(a), len(b))
    for mine, other in ((a, b), (b, a)):
        unmatched = [p for p in mine if min(max(abs(p[0] - q[0]), abs(p[1] - q[1])) for q in other) > 1.0]
        assert not unmatched, unmatched
    # The markers cover the same pixels (anti-aliasing differs at the edges only).
    assert (ma ^ mb).sum() < 0.15 * (ma | mb).sum()
