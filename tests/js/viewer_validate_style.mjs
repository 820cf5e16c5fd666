// Validates MapLibre styles with @maplibre/maplibre-gl-style-spec (the judge MapLibre
// itself uses), installed under web/node_modules.
// Usage: node viewer_validate_style.mjs STYLE.json...  → prints {"file": [errors]} and
// exits 1 when any style has an error.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(path.join(root, 'web', 'package.json'));
const spec = await import(pathToFileURL(require.resolve('@maplibre/maplibre-gl-style-spec')).href);

const report = {};
let bad = 0;
for (const file of process.argv.slice(2)) {
  const errors = spec.validateStyleMin(JSON.parse(fs.readFileSync(file, 'utf8')));
  report[file] = errors.map((e) => e.message);
  bad += errors.length;
}
console.log(JSON.stringify(report));
process.exit(bad ? 1 : 0);
