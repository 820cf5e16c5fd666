// supercluster's side of bench/cluster_bench.sh: the same N points (same generator as
// bench/cluster_bench.c), load() CPU time (every thread of the process, the garbage
// collector's included), peak RSS, RSS growth per point, mean getTile time over z0-16.
// One JSON line.
// Usage: node cluster_bench.mjs N [aggregates]
import Supercluster from 'supercluster';

const n = +process.argv[2] || 100000;
const aggregates = process.argv[3] === '1';
let s = 12345n;
const M = (1n << 64n) - 1n;
function next() {
    s = (s * 6364136223846793005n + 1442695040888963407n) & M;
    return Number(s >> 11n) / 9007199254740992;
}
const points = new Array(n);
for (let i = 0; i < n; i++) {
    const a = next(), b = next();
    points[i] = {type: 'Feature', properties: {population: i % 50, status: i % 7, ft: i % 3},
                 geometry: {type: 'Point', coordinates: [-180 + a * 360, -85 + b * 170]}};
}
const options = aggregates ? {
    map: p => ({population: p.population, counts: [p.status === 0, p.status === 1, p.status === 2, p.status === 3,
        p.status === 4, p.status === 5, p.status === 6, p.ft === 0, p.ft === 1, p.ft === 2].map(Number)}),
    reduce: (a, b) => { a.population += b.population; for (let k = 0; k < 10; k++) a.counts[k] += b.counts[k]; }
} : {};
global.gc && global.gc();
const rss0 = process.memoryUsage().rss;
const cpu0 = process.cpuUsage();
const wall0 = performance.now();
const index = new Supercluster(options).load(points);
const wall = performance.now() - wall0;
const cpu = process.cpuUsage(cpu0);
const build = (cpu.user + cpu.system) / 1e3;
const rss = process.memoryUsage().rss;
let tiles = 0;
const t1 = performance.now();
for (let z = 0; z <= 16; z++)
    for (let k = 0; k < 200; k++) {
        const z2 = 2 ** z;
        index.getTile(z, Number((BigInt(k) * 2654435761n) % BigInt(z2)), Number((BigInt(k) * 40503n + 7n) % BigInt(z2)));
        tiles++;
    }
const tileMs = (performance.now() - t1) / tiles;
console.log(JSON.stringify({impl: 'supercluster', points: n, aggregates, build_cpu_s: +(build / 1e3).toFixed(3),
    build_wall_s: +(wall / 1e3).toFixed(3),
    bytes_per_point: +((rss - rss0) / n).toFixed(1), peak_rss_mb: +(process.resourceUsage().maxRSS / 1024).toFixed(1),
    tile_ms: +tileMs.toFixed(4)}));
