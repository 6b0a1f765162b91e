/** A resource pool with strict FIFO hand-off to waiting callers, validation, keepalive and leak detection. */
package io.infrablocks.pool;
