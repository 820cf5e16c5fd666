-- API keys for GIS clients (QGIS, ArcGIS, a police service's WMS viewer) that cannot
-- fetch a token from the platform: HTTP Basic with key_id as user name and the secret
-- as password. Only a PBKDF2-HMAC-SHA256 hash of the secret is stored (hex, with its
-- hex salt and iteration count, so the count can be raised for new keys later).
-- areas and flags use the token claims' forms ('national', 'departement:93', 'justice');
-- the same read widening applies. Keys are never deleted, only revoked, so that the
-- audit log keeps meaning who a key was.
CREATE TABLE IF NOT EXISTS rbmap_api_keys (
    key_id      text PRIMARY KEY,
    secret_hash text NOT NULL,
    salt        text NOT NULL,
    iterations  integer NOT NULL CHECK (iterations >= 10000),
    areas       text[] NOT NULL CHECK (cardinality(areas) BETWEEN 1 AND 32),
    flags       text[] NOT NULL DEFAULT '{}',
    label       text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz,
    revoked_at  timestamptz
);
