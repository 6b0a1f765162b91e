package io.infrablocks.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Starts a {@code main} class in a child JVM on this JVM's class path, for crash tests ({@code kill -9}
 * through {@link Process#destroyForcibly()}, which sends SIGKILL on Linux) and for tests that need another
 * JDK (see {@link Jdks}).
 */
public final class ChildJvm {

    private final Path javaHome;
    private final List<String> jvmArgs = new ArrayList<>();

    private ChildJvm(Path javaHome) {
        this.javaHome = javaHome;
    }

    /**
     * A child JVM of the same JDK as this one.
     *
     * @return a launcher
     */
    public static ChildJvm sameJdk() {
        return new ChildJvm(Path.of(System.getProperty("java.home")));
    }

    /**
     * A child JVM of the given JDK.
     *
     * @param javaHome the JDK's home directory
     * @return a launcher
     */
    public static ChildJvm of(Path javaHome) {
        return new ChildJvm(Objects.requireNonNull(javaHome, "javaHome"));
    }

    /**
     * Adds JVM options (e.g. {@code -Xmx64m}).
     *
     * @param args the options
     * @return this launcher
     */
    public ChildJvm jvmArgs(String... args) {
        jvmArgs.addAll(List.of(args));
        return this;
    }

    /**
     * The process builder for {@code mainClass} with {@code args}; standard error is inherited so that
     * a child's failure shows in the test log.
     *
     * @param mainClass the class whose {@code main} runs
     * @param args its arguments
     * @return a process builder the caller may adjust and start
     */
    public ProcessBuilder builder(Class<?> mainClass, String... args) {
        Path java = javaHome.resolve("bin").resolve("java");
        if (!Files.isExecutable(java)) {
            throw new IllegalStateException("no java executable at " + java);
        }
        List<String> command = new ArrayList<>();
        command.add(java.toString());
        command.addAll(jvmArgs);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(mainClass.getName());
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
    }

    /**
     * Starts {@code mainClass} with {@code args}.
     *
     * @param mainClass the class whose {@code main} runs
     * @param args its arguments
     * @return the started process
     * @throws IOException when the process cannot start
     */
    public Process start(Class<?> mainClass, String... args) throws IOException {
        return builder(mainClass, args).start();
    }
}
