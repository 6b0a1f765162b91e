package io.infrablocks.journal;

import java.nio.file.Path;

/** The journal holds damage that the recovery mode does not accept. */
public class JournalCorruptedException extends JournalException {

    private static final long serialVersionUID = 1L;

    /** The damaged segment file. */
    private final transient Path segment;

    /** The byte offset of the damage within the segment. */
    private final long offset;

    /**
     * Creates an exception.
     *
     * @param segment the damaged segment file
     * @param offset the byte offset of the damage
     * @param what what is wrong there
     */
    public JournalCorruptedException(Path segment, long offset, String what) {
        super("journal corrupted in " + segment + " at offset " + offset + ": " + what);
        this.segment = segment;
        this.offset = offset;
    }

    /**
     * The damaged segment file.
     *
     * @return the path
     */
    public Path segment() {
        return segment;
    }

    /**
     * The byte offset of the damage.
     *
     * @return the offset
     */
    public long offset() {
        return offset;
    }
}
