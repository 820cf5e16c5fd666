#!/usr/bin/python3
"""Synthetic France-sized BAN: writes N addresses in the BAN addresses CSV format
(`id;id_fantoir;numero;rep;nom_voie;code_postal;code_insee;nom_commune;...;x;y;lon;lat`)
from the real communes (codes, names, postcodes and population of the COG, boxes of the
2018 polygons in ../shared/data) and the real street names of the BAN extracts
(New Caledonia and Mont-Bonvillers), so that `rbmap import-ban` can be measured at the
scale of France (26 million addresses, about 2 million streets).

- addresses per commune grow with population^0.6 (a village keeps a few dozen, Paris
  gets tens of thousands, as in the BAN), scaled to N in total;
- streets of ~12 numbers on average; each commune draws distinct names from the real
  ones, also with their street type swapped (Rue des Sapins -> Allée des Sapins) so that
  large communes have enough names;
- house numbers 1..n along the street, 5 % with bis/ter; positions inside the commune's
  box, clustered along the street; x/y in the territory's legal projection (PROJ).

usage: bench/ban_synth.py --addresses N [--output FILE] [--seed S]  (FILE default stdout)
"""
import argparse
import gzip
import json
import os
import re
import sys

import numpy as np
from pyproj import Transformer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.environ.get("RBMAP_SHARED_DATA", os.path.join(ROOT, "..", "shared", "data"))
HEADER = ("id;id_fantoir;numero;rep;nom_voie;code_postal;code_insee;nom_commune;code_insee_ancienne_commune;"
          "nom_ancienne_commune;x;y;lon;lat;type_position;alias;nom_ld;libelle_acheminement;nom_afnor;"
          "source_position;source_nom_voie;certification_commune;cad_parcelles")
TYPES = ["Rue", "Avenue", "Boulevard", "Chemin", "Impasse", "Allée", "Route", "Place", "Lotissement",
         "Résidence", "Sentier", "Passage", "Square", "Quai", "Cours", "Voie", "Montée", "Hameau"]
LEGAL_CRS = {"971": 5490, "972": 5490, "973": 2972, "974": 2975, "976": 4471}


def street_names():
    """The real names, and each one's body under every street type."""
    names = set()
    with gzip.open(f"{DATA}/addresses/ban-addok-988.ndjson.gz", "rt", encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            if d["type"] == "street":
                names.add(d["name"])
    with open(f"{DATA}/addresses/ban-54084.csv", encoding="utf-8") as f:
        next(f)
        for line in f:
            names.add(line.split(";")[1].strip('"'))
    real = sorted(n for n in names if n)
    bodies = sorted({n.split(" ", 1)[1] for n in real if " " in n and n.split(" ", 1)[0] in TYPES})
    variants = sorted({f"{t} {b}" for t in TYPES for b in bodies} - set(real))
    return real, variants


def communes():
    """(code, name, postcode, population, (minlon, minlat, maxlon, maxlat)) per commune."""
    cog = {}
    with gzip.open(f"{DATA}/cog/communes.json.gz", "rt", encoding="utf-8") as f:
        for c in json.load(f):
            if c.get("type", "commune-actuelle") == "commune-actuelle":
                cog[c["code"]] = c
    out = []
    number = re.compile(r"-?\d+\.?\d*")
    with gzip.open(f"{DATA}/territories/communes.geojson.gz", "rt", encoding="utf-8") as f:
        for line in f:
            m = re.search(r'"code":\s*"([0-9AB]{5})"', line)
            g = line.find('"coordinates"')
            if not m or g < 0:
                continue
            xy = np.array(number.findall(line[g + 13:line.find("}", g)]), dtype=float)
            lon, lat = xy[0::2], xy[1::2]
            c = cog.get(m.group(1), {})
            name = c.get("nom") or re.search(r'"nom":\s*"([^"]*)"', line).group(1)
            pcs = c.get("codesPostaux") or [m.group(1)]
            out.append((m.group(1), name, pcs[0], c.get("population") or 100,
                        (lon.min(), lat.min(), lon.max(), lat.max())))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--addresses", type=int, required=True, help="total number of addresses")
    ap.add_argument("--output", default="-", help="CSV file to write (default stdout)")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    real, variants = street_names()
    towns = communes()
    weight = np.array([float(t[3]) for t in towns]) ** 0.6
    share = weight / weight.sum() * args.addresses
    per_town = np.floor(share).astype(np.int64)
    rest = args.addresses - int(per_town.sum())  # exact total: largest remainders get one more
    per_town[np.argsort(per_town - share)[:rest]] += 1
    transformers = {}
    out = sys.stdout if args.output == "-" else open(args.output, "w", encoding="utf-8")
    out.write(HEADER + "\n")
    names = real + variants
    for (code, city, pc, _, box), n in zip(towns, per_town):
        if n == 0:
            continue
        n_streets = max(1, min(len(names), int(n) // 12))
        # real names first, so small communes carry the real ones
        pick = rng.choice(len(real), min(n_streets, len(real)), replace=False)
        if n_streets > len(real):
            pick = np.concatenate([pick, len(real) + rng.choice(len(variants), n_streets - len(real), replace=False)])
        street_of = np.sort(rng.integers(0, n_streets, int(n)))
        starts = np.searchsorted(street_of, np.arange(n_streets))
        numero = np.arange(int(n)) - starts[street_of] + 1
        # a street runs from its origin for up to ~1 km in one direction
        (x0, y0, x1, y1) = box
        ox, oy = rng.uniform(x0, x1, n_streets), rng.uniform(y0, y1, n_streets)
        ang = rng.uniform(0, 2 * np.pi, n_streets)
        step = 0.0002 * numero
        lon = np.clip(ox[street_of] + step * np.cos(ang[street_of]), x0, x1)
        lat = np.clip(oy[street_of] + step * np.sin(ang[street_of]), y0, y1)
        epsg = LEGAL_CRS.get(code[:3], 2154)
        if epsg not in transformers:
            transformers[epsg] = Transformer.from_crs(4326, epsg, always_xy=True)
        x, y = transformers[epsg].transform(lon, lat)
        rep = rng.choice(["", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "bis", "ter"], int(n))
        lines = []
        for i in range(int(n)):
            s = int(street_of[i])
            fantoir = f"{int(pick[s]) % 10000:04d}" if s < len(real) else f"B{s:03d}"
            lines.append(f"{code}_{s:04d}_{numero[i]:05d}{rep[i]};{code}_{fantoir};{numero[i]};{rep[i]};"
                         f"{names[int(pick[s])]};{pc};{code};{city};;;{x[i]:.2f};{y[i]:.2f};"
                         f"{lon[i]:.6f};{lat[i]:.6f};entrée;;;;;commune;commune;non;\n")
        out.write("".join(lines))
    if out is not sys.stdout:
        out.close()
    print(f"{int(per_town.sum())} addresses, {len(towns)} communes, {len(real)} real street names "
          f"(+{len(variants)} with another street type)", file=sys.stderr)


if __name__ == "__main__":
    main()
