package io.infrablocks.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Finds installed JDKs other than the running one, e.g. a JDK 21+ for virtual-thread tests while the build
 * runs on 17. Looks at {@code JAVA_HOME_<N>} style variables, then under {@code /usr/lib/jvm}.
 */
public final class Jdks {

    private static final Pattern RELEASE_VERSION = Pattern.compile("JAVA_VERSION=\"(\\d+)");

    private Jdks() {}

    /**
     * The newest installed JDK whose feature version is at least {@code minFeature}.
     *
     * @param minFeature e.g. 21
     * @return the JDK's home directory, or empty when none is installed
     */
    public static Optional<Path> atLeast(int minFeature) {
        List<Path> candidates = new ArrayList<>();
        System.getenv().forEach((k, v) -> {
            if (k.startsWith("JAVA_HOME") && !v.isBlank()) {
                candidates.add(Path.of(v));
            }
        });
        candidates.add(Path.of(System.getProperty("java.home")));
        Path jvmDir = Path.of("/usr/lib/jvm");
        if (Files.isDirectory(jvmDir)) {
            try (Stream<Path> dirs = Files.list(jvmDir)) {
                dirs.forEach(candidates::add);
            } catch (IOException e) {
                // No listing: only the variables are considered.
            }
        }
        return candidates.stream()
                .filter(home -> Files.isExecutable(home.resolve("bin/java")))
                .filter(home -> feature(home) >= minFeature)
                .max(Comparator.comparingInt(Jdks::feature));
    }

    /**
     * The feature version of the JDK at {@code home}, from its {@code release} file.
     *
     * @param home a JDK home directory
     * @return the feature version, or -1 when unknown
     */
    public static int feature(Path home) {
        try {
            String release = Files.readString(home.resolve("release"));
            Matcher m = RELEASE_VERSION.matcher(release);
            return m.find() ? Integer.parseInt(m.group(1)) : -1;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
