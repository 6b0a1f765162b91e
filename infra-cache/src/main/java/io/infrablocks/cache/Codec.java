package io.infrablocks.cache;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.function.Function;

/**
 * Turns keys or values into bytes and back, for the write-back journal and {@code JdbcCacheStore}. Must be a
 * bijection on the values used: {@code decode(encode(x))} equals {@code x}.
 *
 * @param <T> the type encoded
 */
public interface Codec<T> {

    /**
     * Encodes a value.
     *
     * @param value non-null
     * @return its bytes
     */
    byte[] encode(T value);

    /**
     * Decodes bytes made by {@link #encode}.
     *
     * @param bytes the bytes
     * @return the value
     */
    T decode(byte[] bytes);

    /**
     * Strings as UTF-8.
     *
     * @return the codec
     */
    static Codec<String> utf8() {
        return of(s -> s.getBytes(StandardCharsets.UTF_8), b -> new String(b, StandardCharsets.UTF_8));
    }

    /**
     * Longs as 8 big-endian bytes.
     *
     * @return the codec
     */
    static Codec<Long> int64() {
        return of(v -> ByteBuffer.allocate(Long.BYTES).putLong(v).array(), b -> {
            if (b.length != Long.BYTES) {
                throw new IllegalArgumentException("a long needs 8 bytes but got " + b.length);
            }
            return ByteBuffer.wrap(b).getLong();
        });
    }

    /**
     * Byte arrays as themselves (copied).
     *
     * @return the codec
     */
    static Codec<byte[]> bytes() {
        return of(byte[]::clone, byte[]::clone);
    }

    /**
     * A codec from two functions.
     *
     * @param encoder value to bytes
     * @param decoder bytes to value
     * @param <T> the type encoded
     * @return the codec
     */
    static <T> Codec<T> of(Function<? super T, byte[]> encoder, Function<byte[], ? extends T> decoder) {
        Objects.requireNonNull(encoder, "encoder");
        Objects.requireNonNull(decoder, "decoder");
        return new Codec<>() {
            @Override
            public byte[] encode(T value) {
                return encoder.apply(Objects.requireNonNull(value, "value"));
            }

            @Override
            public T decode(byte[] bytes) {
                return decoder.apply(Objects.requireNonNull(bytes, "bytes"));
            }
        };
    }
}
