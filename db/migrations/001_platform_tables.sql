-- The Résorption-bidonvilles platform's own tables, with its names (see
-- ../shared/notes/platform.md §1). Everything is IF NOT EXISTS so that this migration
-- passes over a copy of the platform's database untouched; rbmap's additions
-- (geometry, indexes, triggers) come in later migrations.
-- Enumerations the platform keeps as PostgreSQL ENUMs are text + CHECK here: the
-- service reads them as text either way.

CREATE TABLE IF NOT EXISTS regions (
    code        varchar(2) PRIMARY KEY,
    name        varchar(255) NOT NULL UNIQUE,
    latitude    double precision,
    longitude   double precision,
    fk_city     varchar(5)
);

CREATE TABLE IF NOT EXISTS departements (
    code        varchar(3) PRIMARY KEY,
    name        varchar(255) NOT NULL UNIQUE,
    latitude    double precision NOT NULL,
    longitude   double precision NOT NULL,
    fk_region   varchar(2) NOT NULL REFERENCES regions(code),
    fk_city     varchar(5)
);

CREATE TABLE IF NOT EXISTS epci (
    code        varchar(9) PRIMARY KEY,
    name        varchar(255) NOT NULL
);

-- An EPCI can span several départements.
CREATE TABLE IF NOT EXISTS epci_to_departement (
    fk_epci         varchar(9) NOT NULL REFERENCES epci(code) ON DELETE CASCADE,
    fk_departement  varchar(3) NOT NULL REFERENCES departements(code) ON DELETE CASCADE,
    PRIMARY KEY (fk_epci, fk_departement)
);

-- fk_main: set on the municipal arrondissements of Paris, Lyon and Marseille
-- (751xx, 6938x, 132xx) and pointing to their commune (75056, 69123, 13055).
CREATE TABLE IF NOT EXISTS cities (
    code            varchar(5) PRIMARY KEY,
    name            varchar(255) NOT NULL,
    fk_epci         varchar(9) REFERENCES epci(code),
    fk_departement  varchar(3) NOT NULL REFERENCES departements(code),
    fk_main         varchar(5) REFERENCES cities(code),
    latitude        double precision,
    longitude       double precision,
    CONSTRAINT cities_main_is_not_self CHECK (fk_main IS NULL OR fk_main <> code)
);

CREATE TABLE IF NOT EXISTS field_types (
    field_type_id   serial PRIMARY KEY,
    label           varchar(255) NOT NULL UNIQUE,
    color           varchar(6) NOT NULL DEFAULT 'cccccc'
);

CREATE TABLE IF NOT EXISTS owner_types (
    owner_type_id   serial PRIMARY KEY,
    label           varchar(255) NOT NULL UNIQUE
);

CREATE TABLE IF NOT EXISTS electricity_types (
    electricity_type_id serial PRIMARY KEY,
    label           varchar(255) NOT NULL UNIQUE,
    uid             varchar(255) UNIQUE
);

CREATE TABLE IF NOT EXISTS social_origins (
    social_origin_id serial PRIMARY KEY,
    uid             varchar(255) NOT NULL UNIQUE,
    label           varchar(255) NOT NULL
);

CREATE TABLE IF NOT EXISTS organizations (
    organization_id serial PRIMARY KEY,
    name            varchar(255) NOT NULL,
    abbreviation    varchar(255)
);

CREATE TABLE IF NOT EXISTS users (
    user_id         serial PRIMARY KEY,
    first_name      varchar(255),
    last_name       varchar(255),
    fk_organization integer REFERENCES organizations(organization_id)
);

CREATE TABLE IF NOT EXISTS shantytowns (
    shantytown_id           serial PRIMARY KEY,
    name                    varchar(35),
    address                 varchar(255) NOT NULL,
    address_details         text,
    latitude                double precision NOT NULL,
    longitude               double precision NOT NULL,
    fk_city                 varchar(5) NOT NULL REFERENCES cities(code),
    built_at                date,
    declared_at             date,
    closed_at               timestamptz,
    status                  varchar(32) NOT NULL DEFAULT 'open',
    closing_context         text,
    closed_with_solutions   varchar(7),
    is_reinstallation       boolean,
    reinstallation_comments text,
    resorption_target       integer,
    heatwave_status         boolean NOT NULL DEFAULT false,
    fk_field_type           integer NOT NULL REFERENCES field_types(field_type_id),
    fk_owner_type           integer REFERENCES owner_types(owner_type_id),
    owner                   text,
    -- population and dwellings
    population_total        integer,
    population_total_females integer,
    population_couples      integer,
    population_minors       integer,
    population_minors_girls integer,
    population_minors_0_3   integer,
    population_minors_3_6   integer,
    population_minors_6_12  integer,
    population_minors_12_16 integer,
    population_minors_16_18 integer,
    minors_in_school        integer,
    population_updated_at   timestamptz,
    caravans                integer,
    huts                    integer,
    tents                   integer,
    cars                    integer,
    mattresses              integer,
    -- census
    census_status           varchar(9),
    census_conducted_at     date,
    census_conducted_by     varchar(255),
    -- living conditions (v1 columns kept for old rows; v2 is what the demo fills)
    living_conditions_version integer NOT NULL DEFAULT 2,
    access_to_water         boolean,
    water_comments          text,
    water_potable           boolean,
    water_continuous_access boolean,
    water_public_point      boolean,
    water_distance          varchar(255),
    water_roads_to_cross    boolean,
    water_everyone_has_access boolean,
    water_stagnant_water    boolean,
    water_hand_wash_access  boolean,
    water_hand_wash_access_number integer,
    access_to_sanitary      boolean,
    sanitary_comments       text,
    sanitary_number         integer,
    sanitary_insalubrious   boolean,
    sanitary_on_site        boolean,
    trash_evacuation        boolean,
    trash_cans_on_site      integer,
    trash_accumulation      boolean,
    trash_evacuation_regular boolean,
    vermin                  boolean,
    vermin_comments         text,
    fire_prevention_measures boolean,
    fire_prevention_diagnostic boolean,
    fire_prevention_site_accessible boolean,
    fire_prevention_devices boolean,
    fire_prevention_comments text,
    fk_electricity_type     integer REFERENCES electricity_types(electricity_type_id),
    electricity_comments    text,
    water_access_type       varchar(32),
    water_access_type_details text,
    water_access_is_public  boolean,
    water_access_is_continuous boolean,
    water_access_is_continuous_details text,
    water_access_is_local   boolean,
    water_access_is_close   boolean,
    water_access_is_unequal boolean,
    water_access_is_unequal_details text,
    water_access_has_stagnant_water boolean,
    water_access_comments   text,
    sanitary_access_open_air_defecation boolean,
    sanitary_access_working_toilets boolean,
    sanitary_access_toilets_are_inside boolean,
    sanitary_access_toilets_are_lighted boolean,
    sanitary_access_hand_washing boolean,
    electricity_access      boolean,
    electricity_access_is_unequal boolean,
    trash_is_piling         boolean,
    trash_evacuation_is_close boolean,
    trash_evacuation_is_safe boolean,
    trash_evacuation_is_regular boolean,
    trash_bulky_is_piling   boolean,
    pest_animals            boolean,
    pest_animals_details    text,
    fire_prevention         boolean,
    -- justice, police and administrative orders: sensitive, served only to scopes
    -- with the justice flag
    owner_complaint         boolean,
    justice_procedure       boolean,
    justice_rendered        boolean,
    justice_rendered_at     date,
    justice_rendered_by     varchar(255),
    justice_challenged      boolean,
    police_status           varchar(9),
    police_requested_at     date,
    police_granted_at       date,
    bailiff                 varchar(255),
    existing_litigation     boolean,
    evacuation_under_time_limit boolean,
    administrative_order_decision_at date,
    administrative_order_decision_rendered_by varchar(255),
    administrative_order_evacuation_at date,
    insalubrity_order       boolean,
    insalubrity_order_displayed boolean,
    insalubrity_order_type  varchar(255),
    insalubrity_order_by    varchar(255),
    insalubrity_order_at    date,
    insalubrity_parcels     text,
    -- bookkeeping
    created_at              timestamptz NOT NULL DEFAULT now(),
    created_by              integer REFERENCES users(user_id),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    updated_by              integer REFERENCES users(user_id),
    CONSTRAINT shantytowns_status_values CHECK (status IN ('open', 'closed_by_justice',
        'closed_by_pref_admin', 'closed_by_city_admin', 'resorbed', 'other', 'unknown')),
    CONSTRAINT shantytowns_open_iff_not_closed CHECK ((status = 'open') = (closed_at IS NULL)),
    CONSTRAINT shantytowns_closed_after_built CHECK (closed_at IS NULL OR built_at IS NULL OR closed_at > built_at),
    CONSTRAINT shantytowns_closed_with_solutions_values CHECK (closed_with_solutions IN ('yes', 'no', 'unknown')),
    CONSTRAINT shantytowns_police_status_values CHECK (police_status IN ('none', 'requested', 'granted')),
    CONSTRAINT shantytowns_census_status_values CHECK (census_status IN ('none', 'scheduled', 'done')),
    CONSTRAINT shantytowns_water_access_type_values CHECK (water_access_type IN ('fontaine_publique',
        'borne_incendie', 'achat_bouteille', 'reservoir', 'robinet_connecte_au_reseau', 'autre', 'inconnu'))
);

-- A full copy of each previous version of a site row ("archivedAt" = when it was replaced).
CREATE TABLE IF NOT EXISTS "ShantytownHistories" (
    hid             serial PRIMARY KEY,
    "archivedAt"    timestamptz NOT NULL DEFAULT now(),
    LIKE shantytowns
);
CREATE INDEX IF NOT EXISTS shantytown_histories_shantytown_id ON "ShantytownHistories"(shantytown_id);

CREATE TABLE IF NOT EXISTS shantytown_origins (
    fk_shantytown    integer NOT NULL REFERENCES shantytowns(shantytown_id) ON DELETE CASCADE,
    fk_social_origin integer NOT NULL REFERENCES social_origins(social_origin_id),
    PRIMARY KEY (fk_shantytown, fk_social_origin)
);

CREATE TABLE IF NOT EXISTS shantytown_parcel_owners (
    shantytown_parcel_owner_id serial PRIMARY KEY,
    fk_shantytown   integer NOT NULL REFERENCES shantytowns(shantytown_id) ON DELETE CASCADE,
    fk_user         integer REFERENCES users(user_id),
    owner_name      varchar(255),
    fk_owner_type   integer REFERENCES owner_types(owner_type_id),
    active          boolean NOT NULL DEFAULT true,
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS closing_solutions (
    closing_solution_id serial PRIMARY KEY,
    label           varchar(255) NOT NULL UNIQUE
);

CREATE TABLE IF NOT EXISTS shantytown_closing_solutions (
    fk_shantytown   integer NOT NULL REFERENCES shantytowns(shantytown_id) ON DELETE CASCADE,
    fk_closing_solution integer NOT NULL REFERENCES closing_solutions(closing_solution_id),
    number_of_people_affected integer,
    number_of_households_affected integer,
    message         text,
    PRIMARY KEY (fk_shantytown, fk_closing_solution)
);

CREATE TABLE IF NOT EXISTS topics (
    uid             varchar(255) PRIMARY KEY,
    name            varchar(255) NOT NULL
);

CREATE TABLE IF NOT EXISTS actions (
    action_id       serial PRIMARY KEY,
    action_ref      varchar(255),
    name            varchar(255) NOT NULL,
    started_at      date NOT NULL,
    ended_at        date,
    goals           text,
    fk_departement  varchar(3) NOT NULL REFERENCES departements(code),
    location_type   varchar(16) NOT NULL,
    location_other  text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    created_by      integer REFERENCES users(user_id),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    updated_by      integer REFERENCES users(user_id),
    CONSTRAINT actions_location_type_values CHECK (location_type IN ('eti', 'logement', 'sur_site', 'autre')),
    CONSTRAINT check_actions_location_columns CHECK ((location_type = 'autre') = (location_other IS NOT NULL))
);

CREATE TABLE IF NOT EXISTS action_topics (
    fk_action       integer NOT NULL REFERENCES actions(action_id) ON DELETE CASCADE,
    fk_topic        varchar(255) NOT NULL REFERENCES topics(uid),
    PRIMARY KEY (fk_action, fk_topic)
);

-- The points of an ETI action (several since 2025).
CREATE TABLE IF NOT EXISTS action_addresses (
    action_address_id serial PRIMARY KEY,
    fk_action       integer NOT NULL REFERENCES actions(action_id) ON DELETE CASCADE,
    fk_city         varchar(5) NOT NULL REFERENCES cities(code),
    address         varchar(255) NOT NULL,
    latitude        double precision NOT NULL,
    longitude       double precision NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (fk_action, address, latitude, longitude, fk_city)
);

-- The sites of a sur_site action.
CREATE TABLE IF NOT EXISTS action_shantytowns (
    fk_action       integer NOT NULL REFERENCES actions(action_id) ON DELETE CASCADE,
    fk_shantytown   integer NOT NULL REFERENCES shantytowns(shantytown_id) ON DELETE CASCADE,
    PRIMARY KEY (fk_action, fk_shantytown)
);

CREATE TABLE IF NOT EXISTS action_operators (
    fk_action       integer NOT NULL REFERENCES actions(action_id) ON DELETE CASCADE,
    fk_user         integer NOT NULL REFERENCES users(user_id),
    PRIMARY KEY (fk_action, fk_user)
);

-- Sensitive: served only to scopes with the finances flag.
CREATE TABLE IF NOT EXISTS action_finances (
    action_finance_id serial PRIMARY KEY,
    fk_action       integer NOT NULL REFERENCES actions(action_id) ON DELETE CASCADE,
    year            integer NOT NULL,
    fk_action_finance_type varchar(16) NOT NULL,
    amount          numeric(12, 2) NOT NULL,
    real_amount     numeric(12, 2),
    comments        text,
    CONSTRAINT action_finances_type_values CHECK (fk_action_finance_type IN
        ('etatique', 'dedie', 'collectivite', 'europeen', 'prive', 'autre'))
);

-- Reference rows the platform seeds in its own migrations.
INSERT INTO field_types(label, color) VALUES
    ('Inconnu', 'cccccc'), ('Terrain', 'ef8c00'), ('Immeuble bâti', '6a4aa4')
ON CONFLICT (label) DO NOTHING;
INSERT INTO owner_types(label) VALUES ('Inconnu'), ('Public'), ('Privé') ON CONFLICT (label) DO NOTHING;
INSERT INTO social_origins(uid, label) VALUES
    ('french', 'Ressortissants français'), ('european', 'Ressortissants européens'),
    ('other', 'Ressortissants extracommunautaires')
ON CONFLICT (uid) DO NOTHING;
INSERT INTO closing_solutions(label) VALUES
    ('Mise à l''abri / hébergement d''urgence (dont CHU)'),
    ('Hébergement d''insertion (dont CHRS, ALT)'),
    ('Logement'),
    ('Dispositif dédié (terrain d''insertion, espace temporaire d''accompagnement…)'),
    ('Dispositif spécifique (ex : CADA, HUDA, CAES…)'),
    ('Veille sociale / sans solution')
ON CONFLICT (label) DO NOTHING;
INSERT INTO topics(uid, name) VALUES
    ('health', 'Santé'), ('school', 'Éducation et scolarisation'), ('work', 'Formation et emploi'),
    ('housing', 'Logement'), ('safety', 'Stabilisation et sécurisation du site')
ON CONFLICT (uid) DO NOTHING;
