/** Client-side load balancing: strategies, active and passive health, failover, stickiness, draining. */
package io.infrablocks.lb;
