"""The benchmark's tile list: deterministic, spread over z0-z16 over France.

At every zoom: the tiles holding a set of anchor places (the dense places first:
Seine-Saint-Denis, Marseille, Lyon, Lille, Toulouse; then other big cities, sparse
rural départements and the overseas départements), then rings of neighbours around
them, taken round-robin over the anchors so that the dense places get the most tiles,
until PER_ZOOM tiles (fewer at low zooms, where fewer distinct tiles exist).

Run as a script it prints the list as z/x/y lines.
"""
import math

PER_ZOOM = 30
MAX_ZOOM = 16

# (name, lon, lat, rings of neighbours to take)
ANCHORS = [
    ("Saint-Denis (93)", 2.3580, 48.9362, 3),
    ("Marseille", 5.3810, 43.3200, 3),
    ("Lyon", 4.8500, 45.7600, 2),
    ("Lille", 3.0630, 50.6300, 2),
    ("Toulouse", 1.4440, 43.6050, 2),
    ("Montreuil (93)", 2.4430, 48.8630, 1),
    ("Bordeaux", -0.5800, 44.8400, 1),
    ("Nantes", -1.5540, 47.2180, 1),
    ("Montpellier", 3.8770, 43.6110, 1),
    ("Guéret (Creuse)", 1.8710, 46.1710, 1),
    ("Mende (Lozère)", 3.4990, 44.5180, 1),
    ("Quimper (Finistère)", -4.1000, 47.9960, 1),
    ("Cayenne (Guyane)", -52.3300, 4.9330, 1),
    ("Mamoudzou (Mayotte)", 45.2270, -12.7800, 1),
    ("Pointe-à-Pitre", -61.5330, 16.2410, 0),
    ("Fort-de-France", -61.0720, 14.6040, 0),
    ("Saint-Denis (Réunion)", 55.4480, -20.8820, 0),
]


def lonlat_to_tile(lon, lat, z):
    n = 1 << z
    x = int((lon + 180.0) / 360.0 * n)
    s = math.sin(math.radians(lat))
    y = int((0.5 - math.log((1 + s) / (1 - s)) / (4 * math.pi)) * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


# Neighbour tiles are kept only where they touch France: metropolitan France with
# Corsica, and a degree around each overseas anchor (no empty ocean tiles at low zoom).
FRANCE_BOXES = [(-5.5, 41.0, 10.0, 51.5)] + [
    (lon - 1, lat - 1, lon + 1, lat + 1) for _, lon, lat, _ in ANCHORS if lon < -20 or lon > 20
]


def tile_bounds(z, x, y):
    n = 1 << z

    def lat(t):
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * t / n))))

    return (x / n * 360.0 - 180.0, lat(y + 1), (x + 1) / n * 360.0 - 180.0, lat(y))


def touches_france(z, x, y):
    a = tile_bounds(z, x, y)
    return any(a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3] for b in FRANCE_BOXES)


def ring(r):
    """Offsets at Chebyshev distance r, in a fixed order."""
    if r == 0:
        return [(0, 0)]
    out = []
    for dy in range(-r, r + 1):
        for dx in range(-r, r + 1):
            if max(abs(dx), abs(dy)) == r:
                out.append((dx, dy))
    return out


def tiles_for_zoom(z, per_zoom=PER_ZOOM):
    n = 1 << z
    seen, out = set(), []
    max_ring = max(a[3] for a in ANCHORS)
    for r in range(0, max_ring + 1):
        offsets = ring(r)
        # round-robin over anchors within a ring: dense places first
        for k in range(len(offsets)):
            for name, lon, lat, rings in ANCHORS:
                if r > rings:
                    continue
                cx, cy = lonlat_to_tile(lon, lat, z)
                dx, dy = offsets[k]
                x, y = cx + dx, cy + dy
                if not (0 <= x < n and 0 <= y < n) or (x, y) in seen:
                    continue
                if r > 0 and not touches_france(z, x, y):
                    continue
                seen.add((x, y))
                out.append((z, x, y))
                if len(out) >= per_zoom:
                    return out
    return out


def tile_list(per_zoom=PER_ZOOM, max_zoom=MAX_ZOOM):
    tiles = []
    for z in range(0, max_zoom + 1):
        tiles.extend(tiles_for_zoom(z, per_zoom))
    return tiles


if __name__ == "__main__":
    tl = tile_list()
    for z, x, y in tl:
        print(f"{z}/{x}/{y}")
