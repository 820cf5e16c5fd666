// Drives rbmap's viewer in Debian's chromium (headless, software WebGL) with
// playwright-core and reports what it saw as JSON; tests/integration/test_viewer.py
// compares that with SQL. One browser, one page, every scenario in turn (time budget).
// Usage: node viewer_browser.mjs PLAN.json → JSON on stdout. PLAN: {base, token, outDir,
//   site: {id, name, lon, lat, color}, address: {query, lon, lat}, dense: {lon, lat}, date}
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const { chromium } = createRequire(path.join(root, 'web', 'package.json'))('playwright-core');
const plan = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
fs.mkdirSync(plan.outDir, { recursive: true });

const report = { console_errors: [], http_errors: [], timings: {}, steps: {} };
const t0 = Date.now();
const lap = (name) => { report.timings[name] = Date.now() - t0; };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless=new', '--no-sandbox', '--enable-unsafe-swiftshader', '--use-angle=swiftshader'],
});
// Reduced motion: MapLibre then jumps instead of animating (software WebGL is slow).
const page = await browser.newPage({ viewport: { width: 800, height: 520 }, reducedMotion: 'reduce' });
page.setDefaultTimeout(120000);
page.on('console', (m) => { if (m.type() === 'error') report.console_errors.push(m.text()); });
page.on('pageerror', (e) => report.console_errors.push(`pageerror: ${e.message}`));
const requests = [];
page.on('request', (r) => requests.push(r.url()));
page.on('response', (r) => { if (r.status() >= 400) report.http_errors.push(`${r.status()} ${r.url()}`); });

// Resolves once the map has drawn everything it asked for.
const idle = () => page.evaluate(() => new Promise((resolve) => {
  const m = window.rbmap.map;
  const check = () => (m.loaded() && m.areTilesLoaded() && !m.isMoving() ? resolve() : m.once('idle', check));
  setTimeout(check, 50);
}));
const jump = async (lon, lat, zoom) => { await page.evaluate(([a, b, z]) => window.rbmap.map.jumpTo({ center: [a, b], zoom: z }), [lon, lat, zoom]); await idle(); };
const shot = (name) => page.screenshot({ path: path.join(plan.outDir, `viewer-${name}.png`) });
// RGB of the map canvas at a geographic point (the middle pixel of a 3x3 average).
const pixelAt = (lon, lat) => page.evaluate(([a, b]) => {
  const m = window.rbmap.map;
  const p = m.project([a, b]);
  const src = m.getCanvas();
  const ratio = src.width / src.clientWidth;
  const c = document.createElement('canvas');
  c.width = src.width; c.height = src.height;
  const ctx = c.getContext('2d');
  ctx.drawImage(src, 0, 0);
  const d = ctx.getImageData(Math.round(p.x * ratio) - 1, Math.round(p.y * ratio) - 1, 3, 3).data;
  const rgb = [0, 0, 0];
  for (let i = 0; i < 9; i++) for (let k = 0; k < 3; k++) rgb[k] += d[i * 4 + k] / 9;
  return { x: p.x, y: p.y, rgb: rgb.map(Math.round) };
}, [lon, lat]);
const renderedSites = () => page.evaluate(() => window.rbmap.map.queryRenderedFeatures({ layers: ['sites-circle'] })
  .map((f) => ({ id: f.properties.id, status: f.properties.status })));

try {
  // 1. Load: France with clusters, credential from the page URL.
  await page.goto(`${plan.base}/?access_token=${encodeURIComponent(plan.token)}`);
  await page.waitForFunction(() => window.rbmap?.loaded);
  await idle();
  lap('loaded');
  await shot('france');
  report.steps.load = await page.evaluate(() => ({
    style: window.rbmap.map.getStyle().metadata,
    source: window.rbmap.map.getSource('rbmap').url,
    visible: window.rbmap.visible,
    unlabelled: [...document.querySelectorAll('input, select')]
      .filter((e) => !(e.labels?.length || e.getAttribute('aria-label'))).map((e) => e.id || e.name),
    field_types: [...document.querySelectorAll('input[name=field_type]')].map((e) => e.value),
    links: Object.fromEntries([...document.querySelectorAll('nav a')].map((a) => [a.id, a.getAttribute('href')])),
  }));

  // 2. A known site drawn where SQL puts it, in its field type colour.
  await jump(plan.site.lon, plan.site.lat, 15);
  report.steps.site = { pixel: await pixelAt(plan.site.lon, plan.site.lat), rendered: await renderedSites() };
  await shot('site');
  lap('site');

  // 3. A filter changes what is drawn: only closed sites, the open one goes.
  await page.uncheck('input[name=status][value=open]');
  await page.check('input[name=status][value=closed]');
  await page.waitForFunction(() => window.rbmap.map.getSource('rbmap').url.includes('status=closed'));
  await page.waitForTimeout(300);
  await idle();
  report.steps.filtered = { pixel: await pixelAt(plan.site.lon, plan.site.lat), rendered: await renderedSites(),
    source: await page.evaluate(() => window.rbmap.map.getSource('rbmap').url) };
  await shot('filtered-closed');
  await page.check('input[name=status][value=open]');
  await page.uncheck('input[name=status][value=closed]');
  await page.waitForFunction(() => !window.rbmap.map.getSource('rbmap').url.includes('closed'));
  await page.waitForTimeout(300);
  await idle();
  lap('filter');

  // 4. A click on the site opens its popup with its name.
  const p = report.steps.site.pixel;
  const mapBox = await page.locator('#map').boundingBox();
  await page.mouse.click(mapBox.x + p.x, mapBox.y + p.y);
  await page.waitForSelector('.maplibregl-popup .popup h3', { timeout: 20000 });
  report.steps.popup = await page.evaluate(() => ({
    title: document.querySelector('.maplibregl-popup .popup h3').textContent,
    text: document.querySelector('.maplibregl-popup .popup').textContent,
  }));
  await shot('popup');
  lap('popup');

  // 5. Clusters split when zooming in and merge again when zooming out.
  const clustersNear = (lon, lat) => page.evaluate(([a, b]) => {
    const m = window.rbmap.map;
    const p = m.project([a, b]);
    const box = [[p.x - 200, p.y - 200], [p.x + 200, p.y + 200]];
    const seen = new Map();
    for (const f of m.queryRenderedFeatures(box, { layers: ['clusters-circle', 'sites-circle'] })) {
      const key = f.properties.point_count ? `c${f.properties.cluster_id}` : `s${f.properties.id}`;
      seen.set(key, { cluster_id: f.properties.cluster_id, count: f.properties.point_count || 1, lon: f.geometry.coordinates[0], lat: f.geometry.coordinates[1] });
    }
    return [...seen.values()].sort((x, y) => y.count - x.count);
  }, [lon, lat]);
  await page.evaluate(() => document.querySelector('.maplibregl-popup-close-button')?.click());
  await jump(plan.dense.lon, plan.dense.lat, 9);
  const before = await clustersNear(plan.dense.lon, plan.dense.lat);
  const big = before[0];
  await shot('clusters-z9');
  // Click the biggest cluster: the viewer zooms to where it splits (expansion-zoom).
  const bp = await page.evaluate(([a, b]) => window.rbmap.map.project([a, b]), [big.lon, big.lat]);
  await page.mouse.click(mapBox.x + bp.x, mapBox.y + bp.y);
  await page.waitForFunction((z) => window.rbmap.map.getZoom() > z + 0.5 && !window.rbmap.map.isMoving(), 9);
  await idle();
  const zoomIn = await page.evaluate(() => window.rbmap.map.getZoom());
  const after = await clustersNear(big.lon, big.lat);
  await shot('clusters-split');
  await jump(plan.dense.lon, plan.dense.lat, 9);
  const again = await clustersNear(plan.dense.lon, plan.dense.lat);
  report.steps.clusters = { before, big, zoom_in: zoomIn, after, again };
  lap('clusters');

  // 6. Date slider: tiles re-requested with date=.
  const n0 = requests.length;
  await page.uncheck('#date-today');
  await page.locator('#date').evaluate((el, day) => {
    el.value = String(Math.round((Date.parse(day) - Date.UTC(2012, 0, 1)) / 86400000));
    el.dispatchEvent(new Event('input'));
    el.dispatchEvent(new Event('change'));
  }, plan.date);
  await page.waitForFunction(() => window.rbmap.map.getSource('rbmap').url.includes('date='));
  await page.waitForTimeout(300);
  await idle();
  report.steps.date = { label: await page.textContent('#date-label'),
    tile_requests: requests.slice(n0).filter((u) => u.includes('.mvt')).slice(0, 50) };
  await page.check('#date-today');
  lap('date');

  // 7. The search box: autocomplete, keyboard choice, the map flies there.
  await page.click('#search');
  await page.keyboard.type(plan.address.query, { delay: 20 });
  await page.waitForSelector('#search-results li', { timeout: 20000 });
  report.steps.search_options = await page.$$eval('#search-results li', (els) => els.map((e) => e.textContent));
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => window.rbmap.lastSearch && !window.rbmap.map.isMoving() && window.rbmap.map.getZoom() > 15);
  await idle();
  report.steps.search = await page.evaluate(() => ({ chosen: window.rbmap.lastSearch,
    center: window.rbmap.map.getCenter().toArray(), zoom: window.rbmap.map.getZoom(),
    status: document.getElementById('status').textContent }));
  await shot('search');
  lap('search');

  // 8. Without a credential: the platform's bubbles per région, no site.
  await page.goto(`${plan.base}/`);
  await page.waitForFunction(() => window.rbmap?.loaded);
  await idle();
  report.steps.public = await page.evaluate(() => {
    const m = window.rbmap.map;
    const bubbles = new Map();
    for (const f of m.queryRenderedFeatures({ layers: ['territories-bubble'] })) bubbles.set(f.properties.code, f.properties);
    return { aggregation: m.getStyle().metadata['rbmap:aggregation'], source: m.getSource('rbmap').url,
      bubbles: [...bubbles.values()], sites: m.queryRenderedFeatures({ layers: ['sites-circle', 'clusters-circle'] }).length };
  });
  await shot('public');
  lap('public');

  // 9. The WMS page: OpenLayers in EPSG:2154 loads one GetMap image.
  if (plan.wms) {
    const wms = await browser.newPage({ viewport: { width: 800, height: 520 } });
    wms.on('console', (m) => { if (m.type() === 'error') report.console_errors.push(`wms: ${m.text()}`); });
    const getmaps = [];
    wms.on('response', (r) => { if (r.url().includes('/wms?')) getmaps.push({ url: r.url(), status: r.status(), type: r.headers()['content-type'] }); });
    await wms.goto(`${plan.base}/viewer/wms.html?access_token=${encodeURIComponent(plan.token)}`);
    await wms.waitForFunction(() => window.rbmapWms && (window.rbmapWms.loaded > 0 || window.rbmapWms.errors > 0), null, { timeout: 60000 });
    report.steps.wms = { getmaps, loaded: await wms.evaluate(() => window.rbmapWms.loaded),
      projection: await wms.evaluate(() => window.rbmapWms.map.getView().getProjection().getCode()) };
    await wms.screenshot({ path: path.join(plan.outDir, 'viewer-wms-lambert93.png') });
    lap('wms');
  }
} catch (e) {
  report.error = String(e.stack || e);
  await shot('failure').catch(() => {});
}
await browser.close();
process.stdout.write(JSON.stringify(report));
