package io.infrablocks.testing;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks a test class that needs the real PostgreSQL server. Test methods and constructors may take a
 * {@link PostgresDatabase} parameter.
 *
 * <p>Without {@code INFRA_PG_URL} in the environment the tests are skipped with the reason, except when
 * {@code CI=true}: there a missing database fails the class, so CI can never skip them silently.
 */
@Documented
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Tag("postgres")
@ExtendWith(PostgresExtension.class)
public @interface RequiresPostgres {}
