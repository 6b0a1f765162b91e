package io.infrablocks.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Durable mode: unstored writes survive a close (and so a crash) in the journal and are replayed at open. */
@Timeout(60)
class WriteBackJournalTest {

    @TempDir
    Path dir;

    private final TestStore<String, String> store = new TestStore<>();
    private final List<DeadLetter<String, String>> letters = new CopyOnWriteArrayList<>();

    private WriteBackCache<String, String> open(Duration closeTimeout) {
        return CacheBuilder.newBuilder()
                .maximumSize(10)
                .writeBack(store)
                .name("durable")
                .maxDelay(Duration.ofHours(1))
                .backoff(Duration.ofHours(1), Duration.ofHours(1))
                .closeTimeout(closeTimeout)
                .deadLetterHandler(letters::add)
                .journal(dir)
                .codecs(Codec.utf8(), Codec.utf8())
                .build();
    }

    @Test
    void writesNotStoredAtCloseAreReplayedAtTheNextOpen() throws Exception {
        store.data.put("b", "old");
        store.down.set(true);
        WriteBackCache<String, String> first = open(Duration.ZERO);
        first.put("a", "1");
        first.put("a", "2");
        first.delete("b");
        first.put("c", "3");
        UnstoredWritesException e = assertThrows(UnstoredWritesException.class, first::close);
        assertEquals(3, e.unstoredKeys().size());
        assertTrue(e.getMessage().contains("they stay in the journal and are replayed"), e.getMessage());
        assertEquals(List.of(), letters, "journaled writes are not dead letters");

        store.down.set(false);
        WriteBackCache<String, String> second = open(Duration.ofSeconds(10));
        assertEquals(4, second.metrics().replayedWrites());
        assertEquals(3, second.dirtyCount());
        assertEquals("2", second.get("a"));
        assertNull(second.get("b"));
        second.flush().get(10, TimeUnit.SECONDS);
        assertEquals(Map.of("a", "2", "c", "3"), store.snapshot());
        second.close();

        WriteBackCache<String, String> third = open(Duration.ofSeconds(10));
        assertEquals(0, third.metrics().replayedWrites(), "stored writes were checkpointed");
        assertEquals(0, third.dirtyCount());
        third.close();
    }

    @Test
    void aDurableCacheStoresAndCheckpointsLikeAPlainOne() throws Exception {
        try (WriteBackCache<String, String> cache = open(Duration.ofSeconds(10))) {
            for (int i = 0; i < 200; i++) {
                cache.put("k" + (i % 20), "v" + i);
            }
            cache.flush().get(10, TimeUnit.SECONDS);
            assertEquals(20, store.data.size());
            assertEquals("v199", store.data.get("k19"));
        }
        try (WriteBackCache<String, String> cache = open(Duration.ofSeconds(10))) {
            assertEquals(0, cache.metrics().replayedWrites());
        }
    }
}
