// Generates MapLibre glyph PBFs (signed distance fields, 24 px, 3 px buffer, radius 8,
// cutoff 0.25: the parameters of fontnik and TinySDF) from a TrueType font, for the
// style's text layers. The SDF is computed exactly from the glyph outline (distance to
// the flattened contour, sign from the non-zero winding rule), so no native build
// (fontnik) and no canvas are needed.
// Usage: node glyphs.mjs FONT.ttf "Font Name" OUTDIR [ranges...]
import fs from 'node:fs';
import path from 'node:path';
import opentype from 'opentype.js';
import Pbf from 'pbf';

const SIZE = 24, BUFFER = 3, RADIUS = 8, CUTOFF = 0.25;

function flatten(commands) {
  const segs = [];
  let x0 = 0, y0 = 0, sx = 0, sy = 0;
  const line = (x, y) => { if (x !== x0 || y !== y0) segs.push([x0, y0, x, y]); x0 = x; y0 = y; };
  for (const c of commands) {
    if (c.type === 'M') { if (x0 !== sx || y0 !== sy) line(sx, sy); x0 = sx = c.x; y0 = sy = c.y; }
    else if (c.type === 'L') line(c.x, c.y);
    else if (c.type === 'Q') {
      const ax = x0, ay = y0;
      for (let i = 1; i <= 8; i++) {
        const t = i / 8, u = 1 - t;
        line(u * u * ax + 2 * u * t * c.x1 + t * t * c.x, u * u * ay + 2 * u * t * c.y1 + t * t * c.y);
      }
    } else if (c.type === 'C') {
      const ax = x0, ay = y0;
      for (let i = 1; i <= 10; i++) {
        const t = i / 10, u = 1 - t;
        line(u * u * u * ax + 3 * u * u * t * c.x1 + 3 * u * t * t * c.x2 + t * t * t * c.x,
             u * u * u * ay + 3 * u * u * t * c.y1 + 3 * u * t * t * c.y2 + t * t * t * c.y);
      }
    } else if (c.type === 'Z') line(sx, sy);
  }
  if (x0 !== sx || y0 !== sy) line(sx, sy);
  return segs;
}

function sdf(segs, ox, oy, w, h) {
  const out = new Uint8Array(w * h);
  for (let j = 0; j < h; j++) {
    const py = oy + j + 0.5;
    for (let i = 0; i < w; i++) {
      const px = ox + i + 0.5;
      let best = Infinity, winding = 0;
      for (const [ax, ay, bx, by] of segs) {
        const dx = bx - ax, dy = by - ay;
        const len2 = dx * dx + dy * dy;
        let t = len2 ? ((px - ax) * dx + (py - ay) * dy) / len2 : 0;
        t = t < 0 ? 0 : t > 1 ? 1 : t;
        const ex = ax + t * dx - px, ey = ay + t * dy - py;
        const d2 = ex * ex + ey * ey;
        if (d2 < best) best = d2;
        if (ay <= py) { if (by > py && dx * (py - ay) - (px - ax) * dy > 0) winding++; }
        else if (by <= py && dx * (py - ay) - (px - ax) * dy < 0) winding--;
      }
      const d = Math.sqrt(best) * (winding !== 0 ? -1 : 1);
      out[j * w + i] = Math.max(0, Math.min(255, Math.round(255 - 255 * (d / RADIUS + CUTOFF))));
    }
  }
  return out;
}

function glyph(font, cp, ascender) {
  const g = font.charToGlyph(String.fromCodePoint(cp));
  if (!g || g.index === 0) return null;
  const scale = SIZE / font.unitsPerEm;
  const advance = Math.round(g.advanceWidth * scale);
  const p = g.getPath(0, 0, SIZE); // pixels, y down, baseline at 0
  const segs = flatten(p.commands);
  if (!segs.length) return { id: cp, width: 0, height: 0, left: 0, top: 0, advance };
  const bb = p.getBoundingBox();
  const left = Math.floor(bb.x1), right = Math.ceil(bb.x2);
  const top = Math.floor(bb.y1), bottom = Math.ceil(bb.y2);
  const width = right - left, height = bottom - top;
  const bitmap = sdf(segs, left - BUFFER, top - BUFFER, width + 2 * BUFFER, height + 2 * BUFFER);
  return { id: cp, bitmap, width, height, left, top: -top - ascender, advance };
}

function writeGlyph(g, pbf) {
  pbf.writeVarintField(1, g.id);
  if (g.bitmap) pbf.writeBytesField(2, g.bitmap);
  pbf.writeVarintField(3, g.width);
  pbf.writeVarintField(4, g.height);
  pbf.writeSVarintField(5, g.left);
  pbf.writeSVarintField(6, g.top);
  pbf.writeVarintField(7, g.advance);
}

export function writeRanges(fontFile, name, outDir, starts) {
  const buf = fs.readFileSync(fontFile);
  const font = opentype.parse(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  const ascender = Math.round(font.ascender * SIZE / font.unitsPerEm);
  fs.mkdirSync(path.join(outDir, name), { recursive: true });
  for (const start of starts) {
    const range = `${start}-${start + 255}`;
    const glyphs = [];
    for (let cp = start; cp <= start + 255; cp++) {
      const g = glyph(font, cp, ascender);
      if (g) glyphs.push(g);
    }
    const pbf = new Pbf();
    pbf.writeMessage(1, (_, p) => {
      p.writeStringField(1, name);
      p.writeStringField(2, range);
      for (const g of glyphs) p.writeMessage(3, writeGlyph, g);
    });
    fs.writeFileSync(path.join(outDir, name, `${range}.pbf`), pbf.finish());
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [font, name, out, ...ranges] = process.argv.slice(2);
  writeRanges(font, name, out, ranges.length ? ranges.map(Number) : [0, 256, 8192, 9472]);
}
