package io.infrablocks.cache;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * An in-memory store for tests: records every call, can fail whole calls (outage), fail chosen keys (partial
 * failure), and checks that no key is in two calls at once.
 */
final class TestStore<K, V> implements CacheStore<K, V> {

    /** One store call as seen by the store. */
    record Call(String op, List<Object> keys) {}

    final ConcurrentHashMap<K, V> data = new ConcurrentHashMap<>();
    final List<Call> calls = new CopyOnWriteArrayList<>();
    final AtomicBoolean down = new AtomicBoolean();
    final AtomicInteger attempts = new AtomicInteger();
    final AtomicInteger loads = new AtomicInteger();
    final Set<Object> inFlight = ConcurrentHashMap.newKeySet();
    final AtomicInteger overlaps = new AtomicInteger();
    volatile Predicate<Object> poison = k -> false;
    volatile Runnable beforeCall = () -> {};
    /** Released once after every call, successful or not. */
    final java.util.concurrent.Semaphore callsMade = new java.util.concurrent.Semaphore(0);

    @Override
    public V load(K key) {
        loads.incrementAndGet();
        return data.get(key);
    }

    @Override
    public void writeAll(Map<? extends K, ? extends V> entries) {
        run("write", entries.keySet(), ok -> {
            for (Map.Entry<? extends K, ? extends V> e : entries.entrySet()) {
                if (ok.test(e.getKey())) {
                    data.put(e.getKey(), e.getValue());
                }
            }
        });
    }

    @Override
    public void deleteAll(Collection<? extends K> keys) {
        run("delete", keys, ok -> {
            for (K k : keys) {
                if (ok.test(k)) {
                    data.remove(k);
                }
            }
        });
    }

    private void run(String op, Collection<? extends K> keys, java.util.function.Consumer<Predicate<Object>> apply) {
        attempts.incrementAndGet();
        for (Object k : keys) {
            if (!inFlight.add(k)) {
                overlaps.incrementAndGet();
            }
        }
        try {
            beforeCall.run();
            if (down.get()) {
                throw new IllegalStateException("store is down");
            }
            calls.add(new Call(op, new ArrayList<>(keys)));
            List<Object> failed = new ArrayList<>();
            Predicate<Object> p = poison;
            for (Object k : keys) {
                if (p.test(k)) {
                    failed.add(k);
                }
            }
            apply.accept(k -> !failed.contains(k));
            if (!failed.isEmpty()) {
                throw CacheStoreException.partial("poisoned keys " + failed, failed, null);
            }
        } finally {
            for (Object k : keys) {
                inFlight.remove(k);
            }
            callsMade.release();
        }
    }

    Map<K, V> snapshot() {
        return new HashMap<>(data);
    }

    int keysWritten() {
        int n = 0;
        for (Call c : calls) {
            n += c.keys().size();
        }
        return n;
    }
}
