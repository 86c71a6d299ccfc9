#ifndef ROUTINES_CSQLITE_SHIM_H
#define ROUTINES_CSQLITE_SHIM_H

#include <sqlite3.h>

// SQLITE_TRANSIENT is a cast macro Swift cannot import: bound text is copied by SQLite.
static inline sqlite3_destructor_type routines_sqlite_transient(void) { return SQLITE_TRANSIENT; }

// sqlite3_db_config is variadic (Swift cannot call it). Turns off double-quoted string literals in
// statements and schema, so a misquoted identifier is an error instead of a silent string.
static inline int routines_sqlite_strict_quotes(sqlite3 *db) {
    int rc = sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DML, 0, (int *)0);
    if (rc != SQLITE_OK) return rc;
    return sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DDL, 0, (int *)0);
}

#endif
