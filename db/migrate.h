/* Versioned schema migrations. The SQL lives in db/migrations/NNN_name.sql and is
 * embedded in the binary at build time, so `rbmap migrate` and `rbmap serve` can
 * bring any database (empty, or a copy of the platform's own) up to date. */
#ifndef RBMAP_DB_MIGRATE_H
#define RBMAP_DB_MIGRATE_H
#include <libpq-fe.h>
#include <stddef.h>

struct migration {
    int version;
    const char *name;
    const char *sql;
};

extern const struct migration rbmap_migrations[];
extern const size_t rbmap_migration_count;

/* Applies every migration not yet recorded in rbmap_schema_migrations, each in its own
 * transaction, under an advisory lock so two processes never migrate at once.
 * Returns the number applied, or -1 with the failing migration and error in err. */
int db_migrate(PGconn *conn, int verbose, char *err, size_t errlen);

/* `rbmap migrate [--db CONNINFO]` */
int cmd_migrate(int argc, char **argv);

#endif
