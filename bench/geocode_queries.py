#!/usr/bin/python3
"""Queries for bench/geocode_latency.c: N random addresses of a BAN addresses CSV (read by
random seeks, so a 4 GB file costs nothing) or of the real extracts (--real), each as a
full-label search, an autocomplete of its first two thirds (as typed) and a reverse of its
point. TSV on stdout: kind, expected id, query, lon, lat.

usage: bench/geocode_queries.py (--csv FILE | --real) [--queries N] [--seed S]
"""
import argparse
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from geocode_bench import addresses, label  # noqa: E402


def sample_csv(path, n, rng):
    size = os.path.getsize(path)
    out = []
    with open(path, "rb") as f:
        cols = f.readline().decode().rstrip("\n").split(";")
        at = {c: cols.index(c) for c in ("id", "numero", "rep", "nom_voie", "code_postal", "nom_commune", "lon", "lat")}
        while len(out) < n:
            f.seek(rng.randrange(size))
            f.readline()
            row = f.readline().decode("utf-8").rstrip("\n").split(";")
            if len(row) < len(cols):
                continue
            out.append(dict(id=row[at["id"]], number=row[at["numero"]] + row[at["rep"]], street=row[at["nom_voie"]],
                            postcode=row[at["code_postal"]], city=row[at["nom_commune"]],
                            lon=row[at["lon"]], lat=row[at["lat"]]))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--csv")
    src.add_argument("--real", action="store_true")
    ap.add_argument("--queries", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    sample = sample_csv(args.csv, args.queries, rng) if args.csv else rng.sample(addresses(), args.queries)
    for kind in ("search", "autocomplete", "reverse"):
        for a in sample:
            q = label(a)
            if kind == "autocomplete":
                q = q[: max(6, len(q) * 2 // 3)]
            print(f"{kind}\t{a['id']}\t{q}\t{a['lon']}\t{a['lat']}")


if __name__ == "__main__":
    main()
