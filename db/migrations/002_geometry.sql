-- What rbmap adds to the platform's tables: PostGIS geometry generated from the
-- latitude/longitude the platform stores, boundary polygons of territories, and the
-- indexes the map queries need. Every statement tolerates a database where some of it
-- already exists, so a copy of the platform database (lat/lon only) is brought up to date.

CREATE EXTENSION IF NOT EXISTS postgis;

-- Points generated from the platform's own columns: the platform keeps writing
-- latitude/longitude and the geometry follows.
ALTER TABLE shantytowns ADD COLUMN IF NOT EXISTS geom geometry(Point, 4326)
    GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(longitude, latitude), 4326)) STORED;
ALTER TABLE action_addresses ADD COLUMN IF NOT EXISTS geom geometry(Point, 4326)
    GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(longitude, latitude), 4326)) STORED;
ALTER TABLE "ShantytownHistories" ADD COLUMN IF NOT EXISTS geom geometry(Point, 4326)
    GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(longitude, latitude), 4326)) STORED;

-- Reference points of territories (the platform's bubble positions) and their
-- boundaries. Arrondissements and communes newer than the polygons have no boundary.
ALTER TABLE regions ADD COLUMN IF NOT EXISTS center geometry(Point, 4326)
    GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(longitude, latitude), 4326)) STORED;
ALTER TABLE departements ADD COLUMN IF NOT EXISTS center geometry(Point, 4326)
    GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(longitude, latitude), 4326)) STORED;
ALTER TABLE cities ADD COLUMN IF NOT EXISTS center geometry(Point, 4326)
    GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(longitude, latitude), 4326)) STORED;
ALTER TABLE regions ADD COLUMN IF NOT EXISTS geom geometry(MultiPolygon, 4326);
ALTER TABLE departements ADD COLUMN IF NOT EXISTS geom geometry(MultiPolygon, 4326);
ALTER TABLE epci ADD COLUMN IF NOT EXISTS geom geometry(MultiPolygon, 4326);
ALTER TABLE cities ADD COLUMN IF NOT EXISTS geom geometry(MultiPolygon, 4326);
-- Population (INSEE légal populations), used to place demo sites and for labels.
ALTER TABLE cities ADD COLUMN IF NOT EXISTS population integer;

CREATE INDEX IF NOT EXISTS shantytowns_geom_gist ON shantytowns USING gist (geom);
CREATE INDEX IF NOT EXISTS shantytowns_fk_city ON shantytowns (fk_city);
CREATE INDEX IF NOT EXISTS shantytowns_status ON shantytowns (status);
CREATE INDEX IF NOT EXISTS shantytowns_updated_at ON shantytowns (updated_at);
CREATE INDEX IF NOT EXISTS action_addresses_geom_gist ON action_addresses USING gist (geom);
CREATE INDEX IF NOT EXISTS action_addresses_fk_action ON action_addresses (fk_action);
CREATE INDEX IF NOT EXISTS action_shantytowns_fk_shantytown ON action_shantytowns (fk_shantytown);
CREATE INDEX IF NOT EXISTS actions_fk_departement ON actions (fk_departement);
CREATE INDEX IF NOT EXISTS shantytown_histories_geom_gist ON "ShantytownHistories" USING gist (geom);
CREATE INDEX IF NOT EXISTS regions_geom_gist ON regions USING gist (geom);
CREATE INDEX IF NOT EXISTS departements_geom_gist ON departements USING gist (geom);
CREATE INDEX IF NOT EXISTS epci_geom_gist ON epci USING gist (geom);
CREATE INDEX IF NOT EXISTS cities_geom_gist ON cities USING gist (geom);
CREATE INDEX IF NOT EXISTS cities_fk_departement ON cities (fk_departement);
CREATE INDEX IF NOT EXISTS cities_fk_epci ON cities (fk_epci);
CREATE INDEX IF NOT EXISTS cities_fk_main ON cities (fk_main);
