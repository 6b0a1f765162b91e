package io.infrablocks.testing;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Coordinates of the PostgreSQL server that {@code .ci/run} starts, read from the environment:
 * {@code INFRA_PG_URL}, {@code INFRA_PG_USER}, {@code INFRA_PG_PASSWORD}, and optionally
 * {@code INFRA_PG_RESTART_CMD} (a shell command that restarts the server, for recovery tests).
 *
 * <p>Tests receive an instance as a parameter when their class is annotated {@link RequiresPostgres}.
 *
 * @param url the JDBC URL, e.g. {@code jdbc:postgresql://127.0.0.1:5432/infra_test}
 * @param user the role to connect as
 * @param password the role's password
 * @param restartCommand the shell command that restarts the server, if the environment offers one
 */
public record PostgresDatabase(String url, String user, String password, Optional<String> restartCommand) {

    /** Environment variable holding the JDBC URL. */
    public static final String URL_VARIABLE = "INFRA_PG_URL";
    /** Environment variable holding the user name. */
    public static final String USER_VARIABLE = "INFRA_PG_USER";
    /** Environment variable holding the password. */
    public static final String PASSWORD_VARIABLE = "INFRA_PG_PASSWORD";
    /** Environment variable holding a shell command that restarts the server. */
    public static final String RESTART_VARIABLE = "INFRA_PG_RESTART_CMD";

    /** Validates the components. */
    public PostgresDatabase {
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(password, "password");
        Objects.requireNonNull(restartCommand, "restartCommand");
    }

    /**
     * Reads the coordinates from the process environment.
     *
     * @return the database, or empty when {@code INFRA_PG_URL} is not set
     */
    public static Optional<PostgresDatabase> fromEnvironment() {
        return fromEnvironment(System.getenv());
    }

    static Optional<PostgresDatabase> fromEnvironment(Map<String, String> env) {
        String url = env.get(URL_VARIABLE);
        if (url == null || url.isBlank()) {
            return Optional.empty();
        }
        String restart = env.get(RESTART_VARIABLE);
        return Optional.of(new PostgresDatabase(
                url,
                env.getOrDefault(USER_VARIABLE, ""),
                env.getOrDefault(PASSWORD_VARIABLE, ""),
                restart == null || restart.isBlank() ? Optional.empty() : Optional.of(restart)));
    }

    /**
     * Opens a new connection with {@link DriverManager}.
     *
     * @return a new connection the caller closes
     * @throws SQLException when the server refuses the connection
     */
    public Connection connect() throws SQLException {
        return DriverManager.getConnection(url, user, password);
    }

    /**
     * Restarts the server with {@link #restartCommand()} and waits for the command to finish.
     *
     * @throws IllegalStateException when no restart command is configured or it fails
     */
    public void restart() {
        String command = restartCommand.orElseThrow(() -> new IllegalStateException(RESTART_VARIABLE + " is not set"));
        try {
            Process p = new ProcessBuilder(List.of("sh", "-c", command))
                    .redirectErrorStream(true)
                    .start();
            String output = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            int code = p.waitFor();
            if (code != 0) {
                throw new IllegalStateException("'" + command + "' exited with " + code + ": " + output);
            }
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot run '" + command + "'", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running '" + command + "'", e);
        }
    }

    /** Hides the password. */
    @Override
    public String toString() {
        return "PostgresDatabase[" + url + " as " + user + "]";
    }
}
