#!/usr/bin/python3
"""The uncached part of the tile benchmark only, for iterating on the renderer: rbmap's
cold pass (1 connection, fresh server) with p50/p99 per zoom, rbmap's uncached pass over
8 connections on a second fresh server, and optionally the ST_AsMVT passes (1 and 8
connections) over the same tiles, for the throughput ratio. Uses the classes of
bench/tiles_bench.py, the same tile list and the same shuffled order.

  /usr/bin/python3 bench/quick_tiles.py --db CONNINFO --client TILECLIENT [--rbmap BIN]
        [--st-asmvt] [--peer-per-zoom N] [--layer sites]
"""
import argparse
import os
import random
import shutil
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tiles_bench as tb  # noqa: E402
from tile_list import tile_list  # noqa: E402

import psycopg2  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", required=True)
    ap.add_argument("--client", required=True)
    ap.add_argument("--rbmap", default=os.path.join(tb.ROOT, "build", "rbmap"))
    ap.add_argument("--st-asmvt", action="store_true")
    ap.add_argument("--peer-per-zoom", type=int, default=0, help="tiles per zoom for ST_AsMVT (0: all)")
    ap.add_argument("--layer", default="sites")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="rbmap-quick-")
    binary = os.path.join(work, "rbmap")
    shutil.copy2(args.rbmap, binary)
    tiles = tile_list(per_zoom=30)
    n = len(tiles)
    order = list(range(n))
    random.Random(20260101).shuffle(order)
    peer = set(range(n))
    if args.peer_per_zoom:
        rng = random.Random(7)
        peer = set()
        for z in range(0, 17):
            idx = [i for i, t in enumerate(tiles) if t[0] == z]
            peer.update(rng.sample(idx, min(args.peer_per_zoom, len(idx))))
    peer_order = [i for i in order if i in peer]
    with psycopg2.connect(args.db) as c, c.cursor() as cur:
        cur.execute("SELECT count(*) FROM shantytowns")
        sites = cur.fetchone()[0]
    c.close()
    print(f"# {sites:,} sites, {n} tiles, load average {tb.loadavg():.1f}, {tb.describe_build(args.rbmap)}")
    a = tb.Rbmap(binary, args.client, args.db, sites, work, "a")
    b = tb.Rbmap(binary, args.client, args.db, sites, work, "b")
    a.launch()
    b.launch()
    try:
        a.wait_ready()
        b.wait_ready()
        t0 = time.time()
        a.settle()
        b.settle()
        cold = a.tile_pass(tiles, order, 1, layer=args.layer)
        c8 = b.tile_pass(tiles, peer_order, 8, layer=args.layer)
        print(f"# settle {time.time() - t0:.1f} s, start-up {a.start_s:.1f} s, first sites tile (per-snapshot "
              f"index and properties) {a.index_s:.2f} s")
    finally:
        a.stop()
        b.stop()
    print("| z | tiles | p50 ms | p99 ms | max ms | largest KB |")
    print("|---:|---:|---:|---:|---:|---:|")
    for z in range(17):
        idx = [i for i, t in enumerate(tiles) if t[0] == z]
        v = [cold.ms[i] for i in idx]
        print(f"| {z} | {len(idx)} | {tb.fmt(tb.pct(v, 50))} | {tb.fmt(tb.pct(v, 99))} | {tb.fmt(max(v))} | "
              f"{tb.fmt(max(cold.bytes[i] or 0 for i in idx) / 1024, 1)} |")
    allv = [m for m in cold.ms if m is not None]
    pv = [cold.ms[i] for i in peer]
    print(f"all tiles: p50 {tb.fmt(tb.pct(allv, 50))} ms, p99 {tb.fmt(tb.pct(allv, 99))} ms, "
          f"max {tb.fmt(max(allv))} ms, over 5 ms: {sum(1 for v in allv if v > 5)}; errors {cold.errors + c8.errors}")
    print(f"rbmap uncached: {len(pv) / (sum(pv) / 1000):.0f} tiles/s with 1 connection, {c8.tput():.0f} tiles/s "
          f"with 8, CPU {c8.cpu / len(peer_order) * 1000:.3f} ms/tile (the {len(peer)} peer tiles)")
    if args.st_asmvt:
        st = tb.StAsMvt(args.db)
        st.start(8)
        try:
            s1 = st.tile_pass(tiles, peer_order, 1)
            s8 = st.tile_pass(tiles, peer_order, 8)
        finally:
            st.stop()
        sv = [s1.ms[i] for i in peer]
        print(f"ST_AsMVT: {len(sv) / (sum(sv) / 1000):.0f} tiles/s with 1 connection, {s8.tput():.0f} with 8, "
              f"CPU {s1.cpu / len(peer_order) * 1000:.3f} ms/tile")
        print(f"ratio rbmap/ST_AsMVT: {sum(sv) / sum(pv):.1f}x (1 connection), {c8.tput() / s8.tput():.1f}x (8), "
              f"{s1.cpu / c8.cpu:.1f}x CPU")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
