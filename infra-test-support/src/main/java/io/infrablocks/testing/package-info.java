/**
 * Test helpers shared by the blocks: {@link io.infrablocks.testing.RequiresPostgres} for database
 * integration tests, {@link io.infrablocks.testing.ChildJvm} for crash tests, {@link
 * io.infrablocks.testing.Jdks} to find a newer JDK. Not published.
 */
package io.infrablocks.testing;
