/** A concurrent bounded cache with an adaptive, scan-resistant default policy, and a write-back cache. */
package io.infrablocks.cache;
