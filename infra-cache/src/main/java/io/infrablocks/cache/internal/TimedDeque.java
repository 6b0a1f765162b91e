package io.infrablocks.cache.internal;

/**
 * A doubly linked deque of {@link Node.Timed} nodes, threaded through one of the node's two pairs of links: the
 * write-order deque ({@link #writeOrder()}, oldest write first, for {@code expireAfterWrite}) or the access-order
 * deque ({@link #accessOrder()}, least recently used first, for {@code expireAfterAccess}). The two orders share
 * this one implementation; a subclass only says which pair of links it uses.
 *
 * <p>Not thread-safe: the cache uses it only under its eviction lock. Every operation is O(1). A node that is not
 * in the deque has both links null and is not the head, so {@link #unlink} of such a node does nothing and
 * {@link #moveToLast} of it appends it.
 *
 * @param <K> the key type
 * @param <V> the value type
 */
abstract class TimedDeque<K, V> {

    private Node.Timed<K, V> head;
    private Node.Timed<K, V> tail;

    private TimedDeque() {}

    /** A deque threaded through {@code writePrev}/{@code writeNext}. */
    static <K, V> TimedDeque<K, V> writeOrder() {
        return new WriteOrder<>();
    }

    /** A deque threaded through {@code accessPrev}/{@code accessNext}. */
    static <K, V> TimedDeque<K, V> accessOrder() {
        return new AccessOrder<>();
    }

    abstract Node.Timed<K, V> prev(Node.Timed<K, V> n);

    abstract Node.Timed<K, V> next(Node.Timed<K, V> n);

    abstract void setPrev(Node.Timed<K, V> n, Node.Timed<K, V> prev);

    abstract void setNext(Node.Timed<K, V> n, Node.Timed<K, V> next);

    /** The first (oldest) node, or null when empty. */
    Node.Timed<K, V> first() {
        return head;
    }

    /** Appends a node that is not in the deque. */
    void linkLast(Node.Timed<K, V> n) {
        setPrev(n, tail);
        setNext(n, null);
        if (tail == null) {
            head = n;
        } else {
            setNext(tail, n);
        }
        tail = n;
    }

    /** Removes a node if it is in the deque and clears its links. */
    void unlink(Node.Timed<K, V> n) {
        Node.Timed<K, V> p = prev(n);
        Node.Timed<K, V> x = next(n);
        if (p == null) {
            if (head == n) {
                head = x;
            }
        } else {
            setNext(p, x);
        }
        if (x == null) {
            if (tail == n) {
                tail = p;
            }
        } else {
            setPrev(x, p);
        }
        setPrev(n, null);
        setNext(n, null);
    }

    /** Moves a node to the young end (appends it if it was not in the deque). */
    void moveToLast(Node.Timed<K, V> n) {
        if (tail != n) {
            unlink(n);
            linkLast(n);
        }
    }

    private static final class WriteOrder<K, V> extends TimedDeque<K, V> {
        @Override
        Node.Timed<K, V> prev(Node.Timed<K, V> n) {
            return n.writePrev;
        }

        @Override
        Node.Timed<K, V> next(Node.Timed<K, V> n) {
            return n.writeNext;
        }

        @Override
        void setPrev(Node.Timed<K, V> n, Node.Timed<K, V> prev) {
            n.writePrev = prev;
        }

        @Override
        void setNext(Node.Timed<K, V> n, Node.Timed<K, V> next) {
            n.writeNext = next;
        }
    }

    private static final class AccessOrder<K, V> extends TimedDeque<K, V> {
        @Override
        Node.Timed<K, V> prev(Node.Timed<K, V> n) {
            return n.accessPrev;
        }

        @Override
        Node.Timed<K, V> next(Node.Timed<K, V> n) {
            return n.accessNext;
        }

        @Override
        void setPrev(Node.Timed<K, V> n, Node.Timed<K, V> prev) {
            n.accessPrev = prev;
        }

        @Override
        void setNext(Node.Timed<K, V> n, Node.Timed<K, V> next) {
            n.accessNext = next;
        }
    }
}
