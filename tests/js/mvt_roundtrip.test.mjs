// Round trip of the valid @mapbox/mvt-fixtures through rbmap's encoder:
// fixture -> description (mvt_describe.mjs) -> `test_mvt --encode-json` (our encoder)
// -> tile -> description, which must equal the fixture's: same layers, ids, geometry
// types, properties with their value types, geometry as @mapbox/vector-tile decodes it,
// and the very same command integers.
//
// Run with node's own runner:  node --test tests/js/
// RBMAP_TEST_MVT names the test_mvt binary (default build/asan/tests/test_mvt).
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'node:test';
import * as mvtf from '@mapbox/mvt-fixtures';
import {describeTile, fixtureIndex, EXCLUDED} from './mvt_describe.mjs';

const root = path.resolve(import.meta.dirname, '..', '..');
const binary = process.env.RBMAP_TEST_MVT || path.join(root, 'build/asan/tests/test_mvt');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'rbmap-mvt-'));

function encodeWithRbmap(description, name) {
    const input = path.join(work, `${name}.json`);
    const output = path.join(work, `${name}.mvt`);
    fs.writeFileSync(input, JSON.stringify(description));
    execFileSync(binary, ['--encode-json', input, output], {stdio: ['ignore', 'ignore', 'inherit']});
    return fs.readFileSync(output);
}

test('every valid fixture is either round-tripped or excluded with a reason', () => {
    const index = fixtureIndex();
    assert.ok(index.applicable.length >= 40, `only ${index.applicable.length} applicable fixtures`);
    assert.deepEqual(Object.keys(index.excluded).sort(), Object.keys(EXCLUDED).sort());
});

for (const id of fixtureIndex().applicable) {
    test(`fixture ${id}: ${mvtf.get(id).description.slice(0, 70)}`, () => {
        const expected = describeTile(mvtf.get(id).buffer);
        const ours = describeTile(encodeWithRbmap(expected, id));
        assert.deepEqual(ours, expected);
        for (const layer of ours.layers) {
            assert.equal(layer.version, 2);
            assert.equal(layer.duplicate_keys, 0);
            assert.equal(layer.duplicate_values, 0);
        }
    });
}

test('our tiles are canonical: one layer per name, keys and values shared across features', () => {
    const description = {
        layers: [{
            name: 'sites', extent: 4096,
            features: [1, 2, 3].map(i => ({
                id: String(i), type: 1, geometry: [[[i * 10, i * 20]]],
                properties: {
                    status: {type: 'string', value: i === 3 ? 'closed' : 'open'},
                    population: {type: 'uint', value: '12'},
                    big: {type: 'uint', value: '18446744073709551615'},
                    neg: {type: 'sint', value: '-9223372036854775808'},
                },
            })),
        }],
    };
    const tile = encodeWithRbmap(description, 'canonical');
    const ours = describeTile(tile);
    assert.equal(ours.layers.length, 1);
    assert.equal(ours.layers[0].duplicate_keys, 0);
    assert.equal(ours.layers[0].duplicate_values, 0);
    assert.equal(ours.layers[0].features[2].properties.big.value, '18446744073709551615');
    assert.equal(ours.layers[0].features[0].properties.neg.value, '-9223372036854775808');
    assert.deepEqual(ours.layers[0].features.map(f => f.id), ['1', '2', '3']);
});

test('rings in the wrong winding, repeated points and degenerate rings are fixed by the encoder', () => {
    // "polygons" gives ring roles explicitly (exterior first), so the winding can be
    // wrong on purpose: exterior counter-clockwise on screen, hole clockwise, a repeated
    // point, and a second polygon that rounds to a line.
    const description = {
        layers: [{
            name: 'zones', extent: 4096,
            features: [{
                id: '7', type: 3, properties: {},
                polygons: [
                    [[[0, 0], [0, 100], [0, 100], [100, 100], [100, 0]], [[20, 20], [80, 20], [80, 80], [20, 80]]],
                    [[[200, 200], [200.2, 300], [199.9, 400]]],
                ],
            }],
        }],
    };
    const ours = describeTile(encodeWithRbmap(description, 'winding'));
    const rings = ours.layers[0].features[0].geometry;
    const area = r => r.slice(0, -1).reduce((s, p, i) => s + p[0] * r[i + 1][1] - r[i + 1][0] * p[1], 0) / 2;
    assert.equal(rings.length, 2);
    assert.equal(area(rings[0]), 10000, 'exterior ring: positive area (clockwise, y down)');
    assert.equal(area(rings[1]), -3600, 'interior ring: negative area');
    assert.equal(rings[0].length, 5, 'four corners and the closing point, no repeat');
    assert.deepEqual(ours.layers[0].features[0].raw_geometry,
        [9, 0, 0, 26, 200, 0, 0, 200, 199, 0, 15, 9, 40, 159, 26, 0, 120, 120, 0, 0, 119, 15]);
});
