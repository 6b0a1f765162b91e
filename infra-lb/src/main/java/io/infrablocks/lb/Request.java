package io.infrablocks.lb;

import java.util.Objects;

/**
 * What a pick may carry: an optional key (client IP, session id, URL ...) used by the hash strategies and
 * by sticky sessions. The key's 64-bit hash is computed once here, so requests built ahead of time (or
 * reused) make {@link LoadBalancer#pick(Request)} allocation-free.
 */
public final class Request {

    private static final Request NONE = new Request(null, 0L, false);

    private final String key;
    private final long hash;
    private final boolean hashed;

    private Request(String key, long hash, boolean hashed) {
        this.key = key;
        this.hash = hash;
        this.hashed = hashed;
    }

    /**
     * Returns the request without a key: hash strategies then hash a random value.
     *
     * @return the shared keyless request
     */
    public static Request none() {
        return NONE;
    }

    /**
     * Creates a request with a key; the key feeds the hash strategies and sticky sessions.
     *
     * @param key e.g. a session id or client address
     * @return the request
     */
    public static Request ofKey(CharSequence key) {
        String k = Objects.requireNonNull(key, "key").toString();
        return new Request(k, hash(k), true);
    }

    /**
     * Creates a request from a hash the caller already computed (no sticky key).
     *
     * @param hash a well-mixed 64-bit hash
     * @return the request
     */
    public static Request ofHash(long hash) {
        return new Request(null, hash, true);
    }

    /**
     * The hash this library uses for keys: FNV-1a over the UTF-16 code units, finished by a 64-bit mixer
     * (Stafford variant 13 of the MurmurHash3 finalizer) so that every output bit depends on every input.
     *
     * @param key the key
     * @return a well-mixed 64-bit hash
     */
    public static long hash(CharSequence key) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0, n = key.length(); i < n; i++) {
            h ^= key.charAt(i);
            h *= 0x100000001b3L;
        }
        return mix(h);
    }

    /**
     * A 64-bit finalizer (Stafford's variant 13 of the MurmurHash3 fmix64).
     *
     * @param z any value
     * @return the mixed value
     */
    public static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /**
     * Returns the key, or {@code null} when the request has none (sticky sessions are then skipped).
     *
     * @return the key or null
     */
    public String key() {
        return key;
    }

    /**
     * Returns the 64-bit hash of the key (0 when {@link #hashed()} is false).
     *
     * @return the hash
     */
    public long hash() {
        return hash;
    }

    /**
     * Tells whether this request carries a key or a hash.
     *
     * @return true for {@link #ofKey} and {@link #ofHash}
     */
    public boolean hashed() {
        return hashed;
    }

    @Override
    public String toString() {
        return hashed ? "Request[key=" + key + ", hash=" + Long.toHexString(hash) + "]" : "Request[none]";
    }
}
