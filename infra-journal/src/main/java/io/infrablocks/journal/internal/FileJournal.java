package io.infrablocks.journal.internal;

import io.infrablocks.journal.Journal;
import io.infrablocks.journal.JournalConfig;
import java.nio.file.Path;

/** The file-based journal. Implementation to come with the journal issue. */
public final class FileJournal {

    private FileJournal() {}

    /**
     * Opens the journal in {@code directory}.
     *
     * @param directory the directory
     * @param config the configuration
     * @return the journal
     */
    public static Journal open(Path directory, JournalConfig config) {
        throw new UnsupportedOperationException("the file journal is not implemented yet");
    }
}
