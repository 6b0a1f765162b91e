package io.infrablocks.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

class JournalConfigPropertyTest {

    @Property
    void segmentSizeBelowOnePageIsRejectedWithSettingAndValue(@ForAll @LongRange(max = 4095) long size) {
        var e = assertThrows(
                IllegalArgumentException.class,
                () -> JournalConfig.builder().segmentSize(size).build());
        assertEquals("segmentSize must be >= 4096 but was " + size, e.getMessage());
    }

    @Property
    void validSettingsAreKeptExactly(
            @ForAll @LongRange(min = 4096) long size,
            @ForAll @IntRange(min = 1) int maxRecord,
            @ForAll @IntRange(min = 1) int groupBytes) {
        var config = JournalConfig.builder()
                .segmentSize(size)
                .maxRecordSize(maxRecord)
                .groupCommitMaxBytes(groupBytes)
                .durability(Durability.periodic(Duration.ofMillis(5)))
                .build();
        assertEquals(size, config.segmentSize());
        assertEquals(maxRecord, config.maxRecordSize());
        assertEquals(groupBytes, config.groupCommitMaxBytes());
        assertEquals(Durability.periodic(Duration.ofMillis(5)), config.durability());
    }
}
