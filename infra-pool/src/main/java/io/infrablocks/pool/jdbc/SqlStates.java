package io.infrablocks.pool.jdbc;

import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLRecoverableException;
import java.util.Set;

/** Which SQLExceptions mean the physical connection is unusable and must be discarded. */
final class SqlStates {

    /**
     * SQLStates outside class 08 that still mean the session is gone: PostgreSQL's admin shutdown
     * (57P01, e.g. pg_terminate_backend), crash shutdown (57P02), cannot connect now (57P03), idle-session
     * timeout (57P05); disconnect errors of other drivers (01002, JZ0C0, JZ0C1).
     */
    private static final Set<String> FATAL = Set.of("57P01", "57P02", "57P03", "57P05", "01002", "JZ0C0", "JZ0C1");

    private SqlStates() {}

    /**
     * Whether {@code e} (or a chained or causing exception) signals a dead connection: SQLState class 08
     * (connection exception), one of the states above, or a {@link SQLNonTransientConnectionException} /
     * {@link SQLRecoverableException}.
     *
     * @param e the exception a connection or statement threw
     * @return true when the connection must be discarded
     */
    static boolean isFatal(SQLException e) {
        int depth = 0;
        for (Throwable t = e; t != null && depth < 10; depth++) {
            if (t instanceof SQLException) {
                SQLException s = (SQLException) t;
                if (t instanceof SQLNonTransientConnectionException || t instanceof SQLRecoverableException) {
                    return true;
                }
                String state = s.getSQLState();
                if (state != null && (state.startsWith("08") || FATAL.contains(state))) {
                    return true;
                }
                SQLException next = s.getNextException();
                t = next != null ? next : t.getCause();
            } else {
                t = t.getCause();
            }
        }
        return false;
    }
}
