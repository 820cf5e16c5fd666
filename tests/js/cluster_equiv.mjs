// The supercluster reference for rbmap's clusters: loads points into supercluster and
// answers a list of queries, so that a C test (tests/unit/test_cluster.c) or the HTTP
// tests (tests/integration/test_clusters.py) can compare rbmap's answers with it.
//
// Usage: node cluster_equiv.mjs INPUT.json > OUTPUT.json
// INPUT: {"points": [[lon, lat], ...], "options": {...supercluster options},
//         "queries": [{"type": "clusters", "bbox": [w,s,e,n], "zoom": z},
//                     {"type": "tile", "z": z, "x": x, "y": y},
//                     {"type": "children"|"expansion", "id": id},
//                     {"type": "leaves", "id": id, "limit": l, "offset": o}]}
// OUTPUT: {"results": [...]} one per query: a list of features, each a cluster
// {"c": cluster_id, "n": point_count, "a": point_count_abbreviated, "x": lon, "y": lat}
// (tile features: "x", "y" in tile coordinates) or a point {"p": input index}; an
// expansion zoom number; or {"error": message} where supercluster throws.
import {readFileSync} from 'node:fs';
import Supercluster from 'supercluster';

const input = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const points = input.points.map((c, i) => ({
    type: 'Feature', id: i, properties: {index: i},
    geometry: {type: 'Point', coordinates: c}
}));
const index = new Supercluster(input.options || {});
index.load(points);

function feature(f) {
    if (f.properties && f.properties.cluster) {
        const [x, y] = f.geometry.coordinates;
        return {c: f.properties.cluster_id, n: f.properties.point_count,
                a: f.properties.point_count_abbreviated, x, y};
    }
    return {p: f.properties.index};
}

function tileFeature(f) {
    const [[x, y]] = f.geometry;
    if (f.tags.cluster)
        return {c: f.tags.cluster_id, n: f.tags.point_count, a: f.tags.point_count_abbreviated, x, y};
    return {p: f.tags.index, x, y};
}

const results = input.queries.map(q => {
    try {
        switch (q.type) {
        case 'clusters': return index.getClusters(q.bbox, q.zoom).map(feature);
        case 'tile': {
            const t = index.getTile(q.z, q.x, q.y);
            return t ? t.features.map(tileFeature) : [];
        }
        case 'children': return index.getChildren(q.id).map(feature);
        case 'leaves': return index.getLeaves(q.id, q.limit, q.offset).map(feature);
        case 'expansion': return index.getClusterExpansionZoom(q.id);
        default: return {error: `unknown query type ${q.type}`};
        }
    } catch (e) {
        return {error: e.message};
    }
});
process.stdout.write(JSON.stringify({results}));
