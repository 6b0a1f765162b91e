package io.infrablocks.testing;

import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * The extension behind {@link RequiresPostgres}: skips when no database is configured (outside CI), fails
 * when none is configured in CI, and resolves {@link PostgresDatabase} parameters.
 */
public final class PostgresExtension implements ExecutionCondition, BeforeAllCallback, ParameterResolver {

    private final Map<String, String> env;

    /** Reads the process environment. */
    public PostgresExtension() {
        this(System.getenv());
    }

    PostgresExtension(Map<String, String> env) {
        this.env = env;
    }

    private Optional<PostgresDatabase> database() {
        return PostgresDatabase.fromEnvironment(env);
    }

    private boolean inCi() {
        return "true".equalsIgnoreCase(env.get("CI"));
    }

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        if (database().isPresent()) {
            return ConditionEvaluationResult.enabled("PostgreSQL configured by " + PostgresDatabase.URL_VARIABLE);
        }
        if (inCi()) {
            // Enabled so that beforeAll can fail the class loudly.
            return ConditionEvaluationResult.enabled("CI=true: a missing PostgreSQL is a failure");
        }
        return ConditionEvaluationResult.disabled(PostgresDatabase.URL_VARIABLE
                + " is not set: PostgreSQL tests skipped (run .ci/run, or export "
                + PostgresDatabase.URL_VARIABLE + ", " + PostgresDatabase.USER_VARIABLE + " and "
                + PostgresDatabase.PASSWORD_VARIABLE + ")");
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        if (database().isEmpty() && inCi()) {
            throw new IllegalStateException("CI=true but " + PostgresDatabase.URL_VARIABLE
                    + " is not set: .ci/run must start PostgreSQL and export its coordinates before the tests");
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return parameterContext.getParameter().getType() == PostgresDatabase.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return database()
                .orElseThrow(() -> new ParameterResolutionException(
                        PostgresDatabase.URL_VARIABLE + " is not set: no PostgreSQL to hand to the test"));
    }
}
