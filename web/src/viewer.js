// rbmap's map viewer: the MapLibre style of this server (/styles/{name}.json), filters
// that become the query of the tiles' TileJSON URL, the geocoder as a search box, a
// popup per site, and links to the same view as WMS, GeoJSON and exports. The
// credential comes from the page's own URL (?access_token=) and is passed on.
import maplibregl from 'maplibre-gl';
import 'maplibre-gl/dist/maplibre-gl.css';
import './viewer.css';
import { siteDetails, statusLabel } from './site_details.js';

const page = new URLSearchParams(location.search);
const token = page.get('access_token');
const $ = (id) => document.getElementById(id);
const announce = (text) => { $('status').textContent = text; };

const DAY = 86400000;
const FIRST_DAY = Date.UTC(2012, 0, 1);
const isoDay = (ms) => new Date(ms).toISOString().slice(0, 10);
const frDay = (ms) => new Date(ms).toLocaleDateString('fr-FR', { timeZone: 'UTC' });

// The filters as the server's query parameters (DESIGN.md), plus the credential.
function filterParams() {
  const q = new URLSearchParams();
  const status = [...document.querySelectorAll('input[name=status]:checked')].map((i) => i.value);
  const all = document.querySelectorAll('input[name=status]').length;
  if (status.length && status.length < all) q.set('status', status.join(','));
  const types = [...document.querySelectorAll('input[name=field_type]')];
  const checked = types.filter((i) => i.checked).map((i) => i.value);
  if (types.length && checked.length && checked.length < types.length) q.set('field_type', checked.join(','));
  const territory = $('territory').value.trim();
  if (territory) q.set('territory', territory);
  // The slider at its end is today: no date parameter, the current data.
  const slider = $('date');
  if (!$('date-today').checked && Number(slider.value) < Number(slider.max)) q.set('date', isoDay(FIRST_DAY + Number(slider.value) * DAY));
  if (token) q.set('access_token', token);
  return q;
}

const withQuery = (path, q) => (q.toString() ? `${path}?${q}` : path);

function styleUrl(q) {
  const s = new URLSearchParams(q);
  const agg = document.querySelector('input[name=aggregation]:checked');
  if (agg) s.set('aggregation', agg.value);
  return withQuery(`/styles/${$('style').value}.json`, s);
}

const map = new maplibregl.Map({
  container: 'map',
  style: styleUrl(filterParams()),
  center: [2.0497727, 46.7755829],
  zoom: 5,
  hash: 'view',
  // Kept so that "save as image" and the browser tests can read the canvas back.
  canvasContextAttributes: { preserveDrawingBuffer: true },
  locale: {
    'NavigationControl.ZoomIn': 'Zoom avant',
    'NavigationControl.ZoomOut': 'Zoom arrière',
    'NavigationControl.ResetBearing': 'Réorienter vers le nord',
    'ScaleControl.Meters': 'm',
    'ScaleControl.Kilometers': 'km',
    'Popup.Close': 'Fermer',
    'Map.Title': 'Carte',
  },
});
map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');
map.keyboard.enable();
window.rbmap = { map, filterParams };

// The filters changed: same style, new tile query (TileJSON carries it into the tiles).
let lastQuery = filterParams().toString();
function applyFilters() {
  const q = filterParams();
  updateLinks(q);
  if (q.toString() === lastQuery) return;
  lastQuery = q.toString();
  const src = map.getSource('rbmap');
  if (src) src.setUrl(withQuery('/tiles/territories,clusters,actions.json', q));
  checkFilters(q);
}

// A bad filter (say, an unknown territory) gets a 400 naming it: say so beside the map.
async function checkFilters(q) {
  const r = await fetch(withQuery('/tiles/territories.json', q));
  if (!r.ok) {
    const body = await r.json().catch(() => ({}));
    announce(`Filtre refusé : ${body.error?.message || r.status}`);
  }
}

function updateLinks(q) {
  const b = map.getBounds();
  const bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(5)).join(',');
  const canvas = map.getCanvas();
  const wms = new URLSearchParams({ SERVICE: 'WMS', VERSION: '1.3.0', REQUEST: 'GetMap', LAYERS: 'boundaries,territories,sites',
    STYLES: '', CRS: 'EPSG:4326',
    BBOX: [b.getSouth(), b.getWest(), b.getNorth(), b.getEast()].map((v) => v.toFixed(5)).join(','),
    WIDTH: String(Math.min(2048, canvas.clientWidth)), HEIGHT: String(Math.min(2048, canvas.clientHeight)),
    FORMAT: 'image/png', TRANSPARENT: 'FALSE' });
  for (const [k, v] of q) wms.set(k, v);
  $('link-wms').href = `/wms?${wms}`;
  const withBbox = new URLSearchParams(q);
  withBbox.set('bbox', bbox);
  $('link-geojson').href = `/ogc/collections/sites/items?${withBbox}`;
  for (const ext of ['gpkg', 'csv', 'xlsx', 'kml']) $(`link-${ext}`).href = withQuery(`/export/sites.${ext}`, withBbox);
  $('link-style').href = styleUrl(q);
  $('link-wms-page').href = withQuery('/viewer/wms.html', new URLSearchParams(token ? { access_token: token } : {}));
}

// Field types (with their marker colours) come from the style's legend.
async function loadFieldTypes() {
  const box = $('field-type-filter');
  try {
    const legend = await (await fetch(`/styles/${$('style').value}/legend.json`)).json();
    const types = legend.sections.find((s) => s.id === 'field_type').items;
    box.querySelector('.hint')?.remove();
    for (const t of types) {
      const label = document.createElement('label');
      const input = document.createElement('input');
      Object.assign(input, { type: 'checkbox', name: 'field_type', value: String(t.field_type_id), checked: true });
      const swatch = document.createElement('span');
      swatch.className = 'swatch';
      swatch.style.background = t.fill;
      label.append(input, ' ', swatch, t.label);
      box.append(label);
    }
  } catch (e) {
    box.querySelector('.hint').textContent = 'Types de terrain indisponibles.';
  }
}

function setupDate() {
  const slider = $('date');
  slider.max = String(Math.floor((Date.now() - FIRST_DAY) / DAY));
  slider.value = slider.max;
  const show = () => { $('date-label').textContent = $('date-today').checked ? "aujourd'hui" : frDay(FIRST_DAY + Number(slider.value) * DAY); };
  $('date-today').addEventListener('change', () => { slider.disabled = $('date-today').checked; show(); applyFilters(); });
  slider.addEventListener('input', show);
  slider.addEventListener('change', applyFilters);
  show();
  // Replay: the map through time, one month per step, tiles re-requested with date=.
  let timer = null;
  const stop = () => { clearInterval(timer); timer = null; $('replay').setAttribute('aria-pressed', 'false'); $('replay').textContent = '▶ Rejouer'; };
  $('replay').addEventListener('click', () => {
    if (timer) return stop();
    $('date-today').checked = false;
    slider.disabled = false;
    if (Number(slider.value) >= Number(slider.max)) slider.value = '0';
    $('replay').setAttribute('aria-pressed', 'true');
    $('replay').textContent = '⏸ Pause';
    timer = setInterval(() => {
      const next = Math.min(Number(slider.max), Number(slider.value) + 30);
      slider.value = String(next);
      show();
      applyFilters();
      if (next >= Number(slider.max)) stop();
    }, 900);
  });
}

// Geocoder search box with autocomplete (GET /geocode/search/?autocomplete=1).
function setupSearch() {
  const input = $('search'), list = $('search-results');
  let results = [], active = -1, timer = null, marker = null, seq = 0;
  const close = () => { list.hidden = true; input.setAttribute('aria-expanded', 'false'); input.removeAttribute('aria-activedescendant'); active = -1; };
  const highlight = (i) => {
    active = i;
    [...list.children].forEach((li, k) => li.setAttribute('aria-selected', String(k === i)));
    if (i >= 0) input.setAttribute('aria-activedescendant', list.children[i].id);
  };
  const choose = (f) => {
    close();
    input.value = f.properties.label;
    const [lon, lat] = f.geometry.coordinates;
    marker?.remove();
    marker = new maplibregl.Marker({ color: '#c62828' }).setLngLat([lon, lat]).addTo(map);
    map.flyTo({ center: [lon, lat], zoom: 16, speed: 2.2 });
    announce(`Carte centrée sur ${f.properties.label}`);
    window.rbmap.lastSearch = { label: f.properties.label, lon, lat };
  };
  const search = async () => {
    const q = input.value.trim();
    if (q.length < 3) return close();
    const mine = ++seq;
    const r = await fetch(`/geocode/search/?${new URLSearchParams({ q, autocomplete: '1', limit: '6' })}`);
    if (mine !== seq || !r.ok) return;
    results = (await r.json()).features || [];
    list.replaceChildren(...results.map((f, i) => {
      const li = document.createElement('li');
      li.id = `search-result-${i}`;
      li.setAttribute('role', 'option');
      li.textContent = f.properties.label + (f.properties.context ? ` (${f.properties.context})` : '');
      li.addEventListener('mousedown', (e) => { e.preventDefault(); choose(f); });
      return li;
    }));
    list.hidden = !results.length;
    input.setAttribute('aria-expanded', String(!!results.length));
    highlight(-1);
    announce(results.length ? `${results.length} adresses trouvées` : 'Aucune adresse trouvée');
  };
  input.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(search, 200); });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown' && results.length) { e.preventDefault(); highlight((active + 1) % results.length); }
    else if (e.key === 'ArrowUp' && results.length) { e.preventDefault(); highlight((active - 1 + results.length) % results.length); }
    else if (e.key === 'Escape') close();
    else if (e.key === 'Enter') { e.preventDefault(); if (results.length) choose(results[Math.max(active, 0)]); }
  });
  input.addEventListener('blur', () => setTimeout(close, 150));
}

// Popups: a site's details; a cluster zooms to where it splits; a bubble to the next level.
function showSite(feature, lngLat) {
  new maplibregl.Popup({ maxWidth: '22rem', focusAfterOpen: true })
    .setLngLat(lngLat)
    .setDOMContent(siteDetails(feature.properties))
    .addTo(map);
}

function setupClicks() {
  map.on('click', 'sites-circle', (e) => showSite(e.features[0], e.features[0].geometry.coordinates));
  map.on('click', 'clusters-circle', async (e) => {
    const f = e.features[0];
    const q = filterParams();
    const r = await fetch(withQuery(`/clusters/sites/${f.properties.cluster_id}/expansion-zoom`, q));
    const zoom = r.ok ? (await r.json()).expansion_zoom : map.getZoom() + 2;
    map.easeTo({ center: f.geometry.coordinates, zoom });
  });
  map.on('click', 'territories-bubble', (e) => {
    const f = e.features[0];
    const next = { region: 8, departement: 12, city: 14 }[f.properties.level] || map.getZoom() + 2;
    map.easeTo({ center: f.geometry.coordinates, zoom: next });
  });
  for (const id of ['sites-circle', 'clusters-circle', 'territories-bubble']) {
    map.on('mouseenter', id, () => { map.getCanvas().style.cursor = 'pointer'; });
    map.on('mouseleave', id, () => { map.getCanvas().style.cursor = ''; });
  }
}

// The sites in view as a list of buttons: the keyboard way to open a popup.
function listVisibleSites() {
  if (!map.getLayer('sites-circle')) return;
  const seen = new Map();
  for (const f of map.queryRenderedFeatures({ layers: ['sites-circle'] })) seen.set(f.properties.id, f);
  let clustered = 0;
  const clusters = map.getLayer('clusters-circle') ? map.queryRenderedFeatures({ layers: ['clusters-circle'] }) : [];
  const ids = new Set();
  for (const c of clusters) if (!ids.has(c.properties.cluster_id)) { ids.add(c.properties.cluster_id); clustered += c.properties.point_count; }
  const list = $('visible-sites');
  const sites = [...seen.values()].slice(0, 60);
  list.replaceChildren(...sites.map((f) => {
    const li = document.createElement('li');
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = `${f.properties.name || 'Site sans nom'} – ${f.properties.city_name || ''} (${statusLabel(f.properties.status)})`;
    b.addEventListener('click', () => { map.easeTo({ center: f.geometry.coordinates }); showSite(f, f.geometry.coordinates); });
    li.append(b);
    return li;
  }));
  announce(`${seen.size} sites isolés et ${clustered} sites regroupés dans la vue`);
  window.rbmap.visible = { sites: seen.size, clustered, clusters: ids.size };
}

document.querySelectorAll('input[name=status]').forEach((i) => i.addEventListener('change', applyFilters));
$('field-type-filter').addEventListener('change', applyFilters);
$('territory').addEventListener('change', applyFilters);
$('style').addEventListener('change', () => map.setStyle(styleUrl(filterParams())));
document.querySelectorAll('input[name=aggregation]').forEach((i) => i.addEventListener('change', () => map.setStyle(styleUrl(filterParams()))));

map.on('style.load', () => {
  const agg = map.getStyle().metadata?.['rbmap:aggregation'];
  const radio = document.querySelector(`input[name=aggregation][value="${agg}"]`);
  if (radio) radio.checked = true;
});
map.on('moveend', () => updateLinks(filterParams()));
map.on('idle', listVisibleSites);
map.on('error', (e) => { console.error('map error:', e.error?.message || e); announce('Erreur de chargement de la carte.'); });
map.once('load', () => { window.rbmap.loaded = true; updateLinks(filterParams()); });
setupDate();
setupSearch();
setupClicks();
loadFieldTypes();
