-- Owners of a site and finances of an action are served to scopes with the `owners` and
-- `finances` flags (db/feature_props.h): a change to them is a change of the site or the
-- action, announced like one so that the in-memory stores reload it (no position: the
-- tiles carry neither field, so no tile is evicted beyond what the reload decides).
SELECT rbmap_install_notify_triggers('shantytown_parcel_owners', '''site'', ''fk_shantytown''');
SELECT rbmap_install_notify_triggers('action_finances', '''action'', ''fk_action''');
