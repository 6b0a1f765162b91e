/**
 * JMH benchmarks of every block against its peers, and the simulators. Run {@code java -jar
 * infra-bench/target/benchmarks.jar -l} to list them.
 */
package io.infrablocks.bench;
