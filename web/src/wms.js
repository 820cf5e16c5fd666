// OpenLayers showing rbmap's WMS in Lambert-93 (EPSG:2154), with the projection
// registered from its proj4 definition, as a prefecture's GIS would overlay it. The
// credential of the page URL (?access_token=) and its filters go into every GetMap.
import 'ol/ol.css';
import './wms.css';
import Map from 'ol/Map.js';
import View from 'ol/View.js';
import ImageLayer from 'ol/layer/Image.js';
import ImageWMS from 'ol/source/ImageWMS.js';
import { register } from 'ol/proj/proj4.js';
import { get as getProjection } from 'ol/proj.js';
import ScaleLine from 'ol/control/ScaleLine.js';
import { defaults as defaultControls } from 'ol/control/defaults.js';
import proj4 from 'proj4';

proj4.defs('EPSG:2154', '+proj=lcc +lat_0=46.5 +lon_0=3 +lat_1=49 +lat_2=44 +x_0=700000 +y_0=6600000 '
  + '+ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs +type=crs');
register(proj4);
const lambert93 = getProjection('EPSG:2154');
lambert93.setExtent([-378305.81, 6093283.21, 1212610.74, 7186901.68]);

const page = new URLSearchParams(location.search);
const params = { LAYERS: page.get('layers') || 'boundaries,territories,sites', STYLES: '', FORMAT: 'image/png', TRANSPARENT: 'false' };
for (const key of ['access_token', 'status', 'territory', 'field_type', 'date']) if (page.get(key)) params[key] = page.get(key);

const source = new ImageWMS({ url: '/wms', params, projection: 'EPSG:2154', ratio: 1, serverType: undefined });
const status = document.getElementById('wms-status');
let loaded = 0;
source.on('imageloadend', () => { loaded++; status.textContent = 'Image WMS chargée.'; window.rbmapWms.loaded = loaded; });
source.on('imageloaderror', () => { status.textContent = "Erreur : le WMS n'a pas rendu l'image."; window.rbmapWms.errors++; });

const map = new Map({
  target: 'wms-map',
  layers: [new ImageLayer({ source })],
  controls: defaultControls().extend([new ScaleLine({ units: 'metric' })]),
  view: new View({ projection: lambert93, center: [660000, 6600000], zoom: 2, extent: lambert93.getExtent() }),
});
map.getView().fit([99000, 6040000, 1243000, 7120000], { size: map.getSize() });
window.rbmapWms = { map, source, loaded: 0, errors: 0 };
