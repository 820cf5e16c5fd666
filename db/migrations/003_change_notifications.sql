-- Every change of a site or an action is announced on the channel `rbmap_changes`, so
-- the service can refresh its in-memory layers and evict the cached tiles the change
-- touches. Payload (JSON): {"kind": "site"|"action", "op": "INSERT"|"UPDATE"|"DELETE"|
-- "TRUNCATE", "id": N, "bbox": [minlon, minlat, maxlon, maxlat]} per changed row, the
-- bbox covering the old and the new position. A statement that changes more than
-- rbmap_notify_row_limit rows sends one {"bulk": true, "count": N, "bbox": [...]} instead:
-- a bulk load must not queue a million notifications.
-- The triggers are statement-level with transition tables, so a COPY of a million rows
-- costs one trigger call.

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
    payload text;
    r record;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        PERFORM pg_notify('rbmap_changes', json_build_object('kind', kind, 'op', TG_OP, 'bulk', true)::text);
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
                       ' ''bbox'', CASE WHEN min(lon) IS NULL THEN NULL ELSE json_build_array(min(lon), min(lat), max(lon), max(lat)) END)::text'
                       ' FROM (%s) s', kind, TG_OP, changed, rows_sql) INTO payload;
        PERFORM pg_notify('rbmap_changes', payload);
        RETURN NULL;
    END IF;
    FOR r IN EXECUTE format('SELECT id, min(lon) AS x0, min(lat) AS y0, max(lon) AS x1, max(lat) AS y1'
                            ' FROM (%s) s GROUP BY id ORDER BY id', rows_sql) LOOP
        PERFORM pg_notify('rbmap_changes', json_build_object('kind', kind, 'op', TG_OP, 'id', r.id,
            'bbox', CASE WHEN r.x0 IS NULL THEN NULL ELSE json_build_array(r.x0, r.y0, r.x1, r.y1) END)::text);
    END LOOP;
    RETURN NULL;
END
$$;

-- Creates the four statement triggers (insert, update, delete, truncate) on one table.
CREATE OR REPLACE FUNCTION rbmap_install_notify_triggers(tbl regclass, args text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('DROP TRIGGER IF EXISTS rbmap_notify_insert ON %s', tbl);
    EXECUTE format('DROP TRIGGER IF EXISTS rbmap_notify_update ON %s', tbl);
    EXECUTE format('DROP TRIGGER IF EXISTS rbmap_notify_delete ON %s', tbl);
    EXECUTE format('DROP TRIGGER IF EXISTS rbmap_notify_truncate ON %s', tbl);
    EXECUTE format('CREATE TRIGGER rbmap_notify_insert AFTER INSERT ON %s REFERENCING NEW TABLE AS rbmap_new_rows'
                   ' FOR EACH STATEMENT EXECUTE FUNCTION rbmap_notify_changes(%s)', tbl, args);
    EXECUTE format('CREATE TRIGGER rbmap_notify_update AFTER UPDATE ON %s REFERENCING OLD TABLE AS rbmap_old_rows'
                   ' NEW TABLE AS rbmap_new_rows FOR EACH STATEMENT EXECUTE FUNCTION rbmap_notify_changes(%s)', tbl, args);
    EXECUTE format('CREATE TRIGGER rbmap_notify_delete AFTER DELETE ON %s REFERENCING OLD TABLE AS rbmap_old_rows'
                   ' FOR EACH STATEMENT EXECUTE FUNCTION rbmap_notify_changes(%s)', tbl, args);
    EXECUTE format('CREATE TRIGGER rbmap_notify_truncate AFTER TRUNCATE ON %s'
                   ' FOR EACH STATEMENT EXECUTE FUNCTION rbmap_notify_changes(%s)', tbl, args);
END
$$;

SELECT rbmap_install_notify_triggers('shantytowns', '''site'', ''shantytown_id'', ''longitude'', ''latitude''');
SELECT rbmap_install_notify_triggers('actions', '''action'', ''action_id''');
SELECT rbmap_install_notify_triggers('action_addresses', '''action'', ''fk_action'', ''longitude'', ''latitude''');
SELECT rbmap_install_notify_triggers('action_shantytowns', '''action'', ''fk_action''');
SELECT rbmap_install_notify_triggers('action_topics', '''action'', ''fk_action''');
