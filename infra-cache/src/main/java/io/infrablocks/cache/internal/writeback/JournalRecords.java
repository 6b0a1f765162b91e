package io.infrablocks.cache.internal.writeback;

import java.nio.ByteBuffer;

/**
 * The journal record of one write-back put or delete. One record per journal transaction.
 *
 * <table>
 *   <caption>Record layout (big-endian)</caption>
 *   <tr><th>Offset</th><th>Size</th><th>Field</th></tr>
 *   <tr><td>0</td><td>1</td><td>operation: 1 = put, 2 = delete</td></tr>
 *   <tr><td>1</td><td>4</td><td>key length {@code n}</td></tr>
 *   <tr><td>5</td><td>n</td><td>key bytes (the key codec's encoding)</td></tr>
 *   <tr><td>5 + n</td><td>rest</td><td>value bytes (the value codec's encoding), put only</td></tr>
 * </table>
 */
final class JournalRecords {

    static final byte PUT = 1;
    static final byte DELETE = 2;

    private JournalRecords() {}

    static byte[] encode(byte op, byte[] key, byte[] value) {
        int valueLength = value == null ? 0 : value.length;
        ByteBuffer buf = ByteBuffer.allocate(1 + 4 + key.length + valueLength);
        buf.put(op).putInt(key.length).put(key);
        if (value != null) {
            buf.put(value);
        }
        return buf.array();
    }

    /** A decoded record: op, key bytes, value bytes (null for a delete). */
    record Decoded(byte op, byte[] key, byte[] value) {}

    static Decoded decode(ByteBuffer record) {
        ByteBuffer buf = record.duplicate();
        byte op = buf.get();
        if (op != PUT && op != DELETE) {
            throw new IllegalStateException("unknown write-back journal operation " + op);
        }
        int keyLength = buf.getInt();
        if (keyLength < 0 || keyLength > buf.remaining()) {
            throw new IllegalStateException("bad key length " + keyLength + " in a write-back journal record");
        }
        byte[] key = new byte[keyLength];
        buf.get(key);
        byte[] value = null;
        if (op == PUT) {
            value = new byte[buf.remaining()];
            buf.get(value);
        }
        return new Decoded(op, key, value);
    }
}
