package io.infrablocks.journal.internal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;

/** Opens the journal's writable files; tests replace it with a fault-injecting one. */
@FunctionalInterface
public interface ChannelFactory {

    /** The platform's {@link FileChannel#open(Path, OpenOption...)}. */
    ChannelFactory DEFAULT = FileChannel::open;

    /**
     * Opens a file.
     *
     * @param path the file
     * @param options how to open it
     * @return the channel
     * @throws IOException on I/O failure
     */
    FileChannel open(Path path, OpenOption... options) throws IOException;
}
