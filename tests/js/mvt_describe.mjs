// Describes a vector tile as plain JSON, the common ground on which rbmap's encoder
// output is compared with @mapbox/mvt-fixtures:
//   {"layers":[{"name","version","extent","duplicate_keys","duplicate_values",
//     "features":[{"id","type","properties":{"k":{"type","value"}},"geometry","raw_geometry"}]}]}
// Geometry comes from @mapbox/vector-tile's loadGeometry (what a renderer sees);
// value types, 64-bit integers and raw command integers come from reading the protobuf
// with pbf, because the decoder folds float/double and int/uint/sint into JS numbers
// and would hide a wrong type. The two readings are cross-checked.
// 64-bit integers (ids, int/uint/sint values) are decimal strings, so nothing is lost.
//
// Command line:
//   node mvt_describe.mjs describe TILE.mvt          JSON description on stdout
//   node mvt_describe.mjs fixtures OUTDIR            one NNN.json per applicable valid
//                                                    fixture, plus index.json
import fs from 'node:fs';
import path from 'node:path';
import {PbfReader} from 'pbf';
import {VectorTile} from '@mapbox/vector-tile';
import * as mvtf from '@mapbox/mvt-fixtures';

// Valid (v2) fixtures an encoder cannot or must not produce. Everything else that is
// valid is applicable, so a new valid fixture in a later release is not skipped silently.
export const EXCLUDED = {
    '016': 'UNKNOWN geometry type: rbmap encodes points, lines and polygons only',
    '025': 'layer without features: the spec says encoders should not write one, ours leaves it out',
    '039': 'version 1 layer with an UNKNOWN feature: ours writes version 2 only',
    '049': 'x beyond int32 (2^31-1 then +1): ours clamps coordinates to +-2^28',
    '050': 'y beyond int32 (2^31-1 then +1): ours clamps coordinates to +-2^28',
    '057': 'MoveTo count 2^29-1 with one point: a decoder over-allocation trap, not a geometry',
};

function readVarint64(pbf) {
    let result = 0n;
    let shift = 0n;
    for (;;) {
        const b = pbf.buf[pbf.pos++];
        result |= BigInt(b & 0x7f) << shift;
        if (b < 0x80) return result;
        shift += 7n;
    }
}

function readValue(pbf, end) {
    let value = null;
    while (pbf.pos < end) {
        const tag = pbf.readVarint();
        const field = tag >> 3;
        if (field === 1) value = {type: 'string', value: pbf.readString()};
        else if (field === 2) value = {type: 'float', value: pbf.readFloat()};
        else if (field === 3) value = {type: 'double', value: pbf.readDouble()};
        else if (field === 4) value = {type: 'int', value: BigInt.asIntN(64, readVarint64(pbf)).toString()};
        else if (field === 5) value = {type: 'uint', value: readVarint64(pbf).toString()};
        else if (field === 6) {
            const z = readVarint64(pbf);
            value = {type: 'sint', value: ((z >> 1n) ^ -(z & 1n)).toString()};
        } else if (field === 7) value = {type: 'bool', value: pbf.readVarint() !== 0};
        else pbf.skip(tag);
    }
    return value;
}

function readPacked(pbf) {
    const out = [];
    const end = pbf.readVarint() + pbf.pos;
    while (pbf.pos < end) out.push(pbf.readVarint());
    return out;
}

// The raw layers: keys, typed values and features with ids, tags and commands.
function readRaw(buffer) {
    const pbf = new PbfReader(buffer);
    const layers = [];
    while (pbf.pos < pbf.length) {
        const tag = pbf.readVarint();
        if (tag >> 3 !== 3) {
            pbf.skip(tag);
            continue;
        }
        const end = pbf.readVarint() + pbf.pos;
        const layer = {name: null, version: 1, extent: 4096, keys: [], values: [], features: []};
        while (pbf.pos < end) {
            const t = pbf.readVarint();
            const field = t >> 3;
            if (field === 1) layer.name = pbf.readString();
            else if (field === 15) layer.version = pbf.readVarint();
            else if (field === 5) layer.extent = pbf.readVarint();
            else if (field === 3) layer.keys.push(pbf.readString());
            else if (field === 4) layer.values.push(readValue(pbf, pbf.readVarint() + pbf.pos));
            else if (field === 2) {
                const fend = pbf.readVarint() + pbf.pos;
                const f = {id: null, type: 0, tags: [], geometry: []};
                while (pbf.pos < fend) {
                    const ft = pbf.readVarint();
                    const ff = ft >> 3;
                    if (ff === 1) f.id = readVarint64(pbf).toString();
                    else if (ff === 2) f.tags = readPacked(pbf);
                    else if (ff === 3) f.type = pbf.readVarint();
                    else if (ff === 4) f.geometry = readPacked(pbf);
                    else pbf.skip(ft);
                }
                layer.features.push(f);
            } else pbf.skip(t);
        }
        layers.push(layer);
    }
    return layers;
}

function sameAsDecoded(typed, decoded) {
    if (typed.type === 'int' || typed.type === 'uint' || typed.type === 'sint') {
        return Number(typed.value) === decoded || BigInt(typed.value) > 2n ** 53n || BigInt(typed.value) < -(2n ** 53n);
    }
    return typed.value === decoded || (Number.isNaN(typed.value) && Number.isNaN(decoded));
}

export function describeTile(buffer) {
    const raw = readRaw(buffer);
    const tile = new VectorTile(new PbfReader(buffer));
    const layers = raw.map(rl => {
        const vl = tile.layers[rl.name];
        if (!vl) throw new Error(`@mapbox/vector-tile does not see layer ${rl.name}`);
        if (vl.length !== rl.features.length) throw new Error(`layer ${rl.name}: feature counts differ`);
        const valueKeys = rl.values.map(v => `${v.type}:${JSON.stringify(v.value)}`);
        const features = rl.features.map((rf, i) => {
            const vf = vl.feature(i);
            const properties = {};
            for (let k = 0; k + 1 < rf.tags.length; k += 2) {
                const key = rl.keys[rf.tags[k]];
                const value = rl.values[rf.tags[k + 1]];
                if (key === undefined || value === undefined) throw new Error(`layer ${rl.name}: tag index out of range`);
                if (key in properties) throw new Error(`layer ${rl.name} feature ${i}: key ${key} twice`);
                if (!sameAsDecoded(value, vf.properties[key])) {
                    throw new Error(`layer ${rl.name} feature ${i}: ${key} reads ${vf.properties[key]} and ${value.value}`);
                }
                properties[key] = value;
            }
            return {
                id: rf.id,
                type: vf.type,
                properties,
                geometry: vf.loadGeometry().map(part => part.map(p => [p.x, p.y])),
                raw_geometry: rf.geometry,
            };
        });
        return {
            name: rl.name,
            version: vl.version,
            extent: vl.extent,
            duplicate_keys: rl.keys.length - new Set(rl.keys).size,
            duplicate_values: valueKeys.length - new Set(valueKeys).size,
            features,
        };
    });
    return {layers};
}

// Valid v2 fixtures: {applicable: [ids], excluded: {id: reason}}.
export function fixtureIndex() {
    const applicable = [];
    const excluded = {};
    mvtf.each(f => {
        if (!f.validity || !f.validity.v2) return;
        if (EXCLUDED[f.id]) excluded[f.id] = EXCLUDED[f.id];
        else applicable.push(f.id);
    });
    applicable.sort();
    return {applicable, excluded};
}

function main(argv) {
    const [cmd, arg] = argv;
    if (cmd === 'describe' && arg) {
        process.stdout.write(JSON.stringify(describeTile(fs.readFileSync(arg))) + '\n');
    } else if (cmd === 'fixtures' && arg) {
        fs.mkdirSync(arg, {recursive: true});
        const index = fixtureIndex();
        for (const id of index.applicable) {
            const f = mvtf.get(id);
            fs.writeFileSync(path.join(arg, `${id}.json`), JSON.stringify(describeTile(f.buffer)));
            fs.writeFileSync(path.join(arg, `${id}.fixture.mvt`), f.buffer);
        }
        fs.writeFileSync(path.join(arg, 'index.json'), JSON.stringify(index, null, 1));
        process.stdout.write(JSON.stringify(index) + '\n');
    } else {
        process.stderr.write('usage: node mvt_describe.mjs describe TILE.mvt | fixtures OUTDIR\n');
        process.exit(2);
    }
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) main(process.argv.slice(2));
