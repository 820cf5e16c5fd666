// Builds the viewer's files into OUTDIR (default ../build/web), which
// web/embed_assets.sh embeds into the binary:
//   index.html, viewer/viewer.js + viewer.css (MapLibre GL JS 5 from npm, bundled),
//   viewer/wms.html, viewer/wms.js + wms.css (OpenLayers + proj4),
//   glyphs/DejaVu Sans/{range}.pbf (from Debian's fonts-dejavu-core).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { writeRanges } from './glyphs.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.resolve(process.argv[2] || path.join(here, '..', 'build', 'web'));
const font = process.env.RBMAP_GLYPH_FONT || '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';

fs.mkdirSync(path.join(out, 'viewer'), { recursive: true });
await esbuild.build({
  entryPoints: { viewer: path.join(here, 'src', 'viewer.js'), wms: path.join(here, 'src', 'wms.js') },
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['chrome110', 'firefox110', 'safari16'],
  outdir: path.join(out, 'viewer'),
  legalComments: 'eof',
  logLevel: 'warning',
});
fs.copyFileSync(path.join(here, 'index.html'), path.join(out, 'index.html'));
fs.copyFileSync(path.join(here, 'wms.html'), path.join(out, 'viewer', 'wms.html'));
writeRanges(font, 'DejaVu Sans', path.join(out, 'glyphs'), [0, 256, 8192, 9472]);
