/** Write-ahead journal: transactions, checksummed segment files, group commit and crash recovery. */
package io.infrablocks.journal;
