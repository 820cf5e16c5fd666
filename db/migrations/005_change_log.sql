-- A change log beside the notifications of 003: NOTIFY does not reach a streaming
-- replica, so an rbmap that reads from one polls this table instead
-- (changelog_poll_ms). Every payload sent on `rbmap_changes` is also appended here, in
-- the same transaction, so it is visible exactly when the change is.
-- Bounded: every 256th row deletes the rows older than one hour (a poller away longer
-- than that reloads everything when it reconnects anyway).

CREATE TABLE IF NOT EXISTS rbmap_change_log (
    seq     bigserial PRIMARY KEY,
    kind    text NOT NULL,
    id      integer,
    op      text NOT NULL,
    at      timestamptz NOT NULL DEFAULT now(),
    payload jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS rbmap_change_log_at ON rbmap_change_log (at);

CREATE OR REPLACE FUNCTION rbmap_publish_change(payload json) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    new_seq bigint;
BEGIN
    PERFORM pg_notify('rbmap_changes', payload::text);
    INSERT INTO rbmap_change_log (kind, id, op, payload)
    VALUES (payload->>'kind', (payload->>'id')::integer, payload->>'op', payload::jsonb)
    RETURNING seq INTO new_seq;
    IF new_seq % 256 = 0 THEN
        DELETE FROM rbmap_change_log WHERE at < now() - interval '1 hour';
    END IF;
END
$$;

-- 003's trigger function, publishing through rbmap_publish_change.
CREATE OR REPLACE FUNCTION rbmap_notify_changes() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    kind    text := TG_ARGV[0];
    id_col  text := TG_ARGV[1];
    lon_col text := CASE WHEN TG_NARGS > 2 THEN quote_ident(TG_ARGV[2]) ELSE 'NULL::float8' END;
    lat_col text := CASE WHEN TG_NARGS > 3 THEN quote_ident(TG_ARGV[3]) ELSE 'NULL::float8' END;
    row_limit CONSTANT integer := 1000;
    rows_sql text;
    changed bigint;
    payload json;
    r record;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        PERFORM rbmap_publish_change(json_build_object('kind', kind, 'op', TG_OP, 'bulk', true));
        RETURN NULL;
    END IF;
    rows_sql := CASE TG_OP
        WHEN 'INSERT' THEN format('SELECT %I AS id, %s AS lon, %s AS lat FROM rbmap_new_rows', id_col, lon_col, lat_col)
        WHEN 'DELETE' THEN format('SELECT %I AS id, %s AS lon, %s AS lat FROM rbmap_old_rows', id_col, lon_col, lat_col)
        ELSE format('SELECT %1$I AS id, %2$s AS lon, %3$s AS lat FROM rbmap_new_rows UNION ALL '
                    'SELECT %1$I, %2$s, %3$s FROM rbmap_old_rows', id_col, lon_col, lat_col)
    END;
    EXECUTE format('SELECT count(DISTINCT id) FROM (%s) s', rows_sql) INTO changed;
    IF changed = 0 THEN
        RETURN NULL;
    END IF;
    IF changed > row_limit THEN
        EXECUTE format('SELECT json_build_object(''kind'', %L, ''op'', %L, ''bulk'', true, ''count'', %s,'
                       ' ''bbox'', CASE WHEN min(lon) IS NULL THEN NULL ELSE json_build_array(min(lon), min(lat), max(lon), max(lat)) END)'
                       ' FROM (%s) s', kind, TG_OP, changed, rows_sql) INTO payload;
        PERFORM rbmap_publish_change(payload);
        RETURN NULL;
    END IF;
    FOR r IN EXECUTE format('SELECT id, min(lon) AS x0, min(lat) AS y0, max(lon) AS x1, max(lat) AS y1'
                            ' FROM (%s) s GROUP BY id ORDER BY id', rows_sql) LOOP
        PERFORM rbmap_publish_change(json_build_object('kind', kind, 'op', TG_OP, 'id', r.id,
            'bbox', CASE WHEN r.x0 IS NULL THEN NULL ELSE json_build_array(r.x0, r.y0, r.x1, r.y1) END));
    END LOOP;
    RETURN NULL;
END
$$;
