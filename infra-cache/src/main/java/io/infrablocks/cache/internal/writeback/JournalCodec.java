package io.infrablocks.cache.internal.writeback;

import io.infrablocks.cache.Codec;
import java.nio.ByteBuffer;

/**
 * Encodes write-back puts and deletes as journal records ({@link JournalRecords} documents the layout).
 *
 * @param <K> the key type
 * @param <V> the value type
 */
final class JournalCodec<K, V> {

    /** A decoded write: the value is null for a delete. */
    record Write<K, V>(K key, V value) {}

    private final Codec<K> keyCodec;
    private final Codec<V> valueCodec;

    JournalCodec(Codec<K> keyCodec, Codec<V> valueCodec) {
        this.keyCodec = keyCodec;
        this.valueCodec = valueCodec;
    }

    byte[] encode(K key, V value) {
        byte[] k = keyCodec.encode(key);
        return value == null
                ? JournalRecords.encode(JournalRecords.DELETE, k, null)
                : JournalRecords.encode(JournalRecords.PUT, k, valueCodec.encode(value));
    }

    Write<K, V> decode(ByteBuffer record) {
        JournalRecords.Decoded d = JournalRecords.decode(record);
        K key = keyCodec.decode(d.key());
        return new Write<>(key, d.op() == JournalRecords.PUT ? valueCodec.decode(d.value()) : null);
    }
}
