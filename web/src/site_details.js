// A site's popup: the tile properties this caller may see, with French labels. Only
// what the server put in the tile is shown (justice fields only reach callers allowed
// to see them); text goes in with textContent, never as HTML.
const STATUS = {
  open: 'Existant', closed_by_justice: 'Fermé (décision de justice)', closed_by_pref_admin: 'Fermé (préfecture)',
  closed_by_city_admin: 'Fermé (commune)', resorbed: 'Résorbé', other: 'Fermé (autre)', unknown: 'Statut inconnu',
};
const WATER = { good: 'satisfaisant', toImprove: 'à améliorer', bad: "pas d'accès", unknown: 'inconnu' };
const POLICE = { none: 'non demandé', requested: 'demandé', granted: 'accordé' };
const FIELDS = [
  ['status', 'Statut', (v) => STATUS[v] || v],
  ['field_type', 'Type de terrain'],
  ['population', 'Personnes'],
  ['water', "Accès à l'eau", (v) => WATER[v] || v],
  ['city_name', 'Commune'],
  ['departement', 'Département'],
  ['built_at', "Date d'installation"],
  ['declared_at', 'Date de signalement'],
  ['closed_at', 'Date de fermeture'],
  ['resorbed', 'Résorbé', (v) => (v ? 'oui' : 'non')],
  ['owner_complaint', 'Plainte du propriétaire', yesNo],
  ['justice_procedure', 'Procédure judiciaire', yesNo],
  ['justice_rendered', 'Décision rendue', yesNo],
  ['justice_rendered_at', 'Date de la décision'],
  ['police_status', 'Concours de la force publique', (v) => POLICE[v] || v],
  ['police_requested_at', 'CFP demandé le'],
  ['police_granted_at', 'CFP accordé le'],
  ['bailiff', 'Huissier'],
  ['existing_litigation', 'Contentieux', yesNo],
  ['evacuation_under_time_limit', "Arrêté d'évacuation sous délai", yesNo],
  ['insalubrity_order', "Arrêté d'insalubrité", yesNo],
  ['administrative_order_evacuation_at', "Date d'évacuation administrative"],
];

function yesNo(v) { return v === true || v === 'true' || v === 1 ? 'oui' : 'non'; }

export function statusLabel(s) { return STATUS[s] || s || ''; }

export function siteDetails(p) {
  const root = document.createElement('div');
  root.className = 'popup';
  const h = document.createElement('h3');
  h.textContent = p.name || 'Site sans nom';
  const dl = document.createElement('dl');
  for (const [key, label, fmt] of FIELDS) {
    if (p[key] === undefined || p[key] === null || p[key] === '') continue;
    const dt = document.createElement('dt');
    dt.textContent = label;
    const dd = document.createElement('dd');
    dd.textContent = fmt ? fmt(p[key]) : String(p[key]);
    dl.append(dt, dd);
  }
  const small = document.createElement('p');
  small.className = 'hint';
  small.textContent = `Site n° ${p.id}`;
  root.append(h, dl, small);
  return root;
}
