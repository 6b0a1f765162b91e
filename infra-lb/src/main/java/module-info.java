/** infrablocks load balancing: strategies, health checks, failover, session persistence and draining. */
module io.infrablocks.lb {
    requires org.slf4j;
    requires java.net.http;

    exports io.infrablocks.lb;
}
