"""Helpers shared by the WMS tests: requests, image decoding, blob centroids, and a
server whose requests without credentials see the national scope (for clients such as
QGIS and GDAL that are simplest to drive without headers)."""
import io
import urllib.parse

import numpy
from PIL import Image
from scipy import ndimage

from conftest import http_get

# A site far from every other (SQL): its marker is alone in a small box around it.
ISOLATED_SITE = """
SELECT s.shantytown_id, ST_X(s.geom), ST_Y(s.geom),
       ST_X(ST_Transform(s.geom, 2154)), ST_Y(ST_Transform(s.geom, 2154))
FROM shantytowns s
WHERE s.closed_at IS NULL AND ST_X(s.geom) BETWEEN -4.5 AND 8 AND ST_Y(s.geom) BETWEEN 42.5 AND 51
  AND NOT EXISTS (SELECT 1 FROM shantytowns o WHERE o.shantytown_id <> s.shantytown_id
                  AND ST_DWithin(o.geom::geography, s.geom::geography, 6000))
ORDER BY s.shantytown_id LIMIT 1"""


def wms_url(base, **params):
    return base + "/wms?" + urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})


def wms(base, headers=None, **params):
    """(status, headers, body) of GET /wms with these parameters."""
    return http_get(wms_url(base, **params), headers=headers)


def getmap_params(version="1.3.0", **extra):
    p = {"SERVICE": "WMS", "VERSION": version, "REQUEST": "GetMap", "STYLES": "", "FORMAT": "image/png"}
    p.update(extra)
    return p


def image(body):
    """RGBA numpy array of a PNG or JPEG body."""
    return numpy.asarray(Image.open(io.BytesIO(body)).convert("RGBA"))


def drawn_mask(img, background=None):
    """Pixels that differ from the background (transparent when None)."""
    if background is None:
        return img[:, :, 3] > 0
    return numpy.any(numpy.abs(img[:, :, :3].astype(int) - numpy.array(background)) > 24, axis=2)


def blob_centroids(mask, min_pixels=20):
    """Centres (x, y) in pixel-edge coordinates (0 = the image's left edge) of each
    connected group of drawn pixels."""
    labels, n = ndimage.label(mask)
    out = []
    for k in range(1, n + 1):
        ys, xs = numpy.nonzero(labels == k)
        if len(xs) >= min_pixels:
            out.append((xs.mean() + 0.5, ys.mean() + 0.5))
    return out
