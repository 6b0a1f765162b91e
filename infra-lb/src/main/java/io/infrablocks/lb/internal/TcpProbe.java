package io.infrablocks.lb.internal;

import io.infrablocks.lb.Endpoint;
import io.infrablocks.lb.HealthProbe;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;

/** Healthy when a TCP connection to the endpoint's address opens within the timeout. */
public final class TcpProbe implements HealthProbe {

    /** Creates the probe. */
    public TcpProbe() {}

    @Override
    public boolean check(Endpoint endpoint, Duration timeout) throws IOException {
        InetSocketAddress a = endpoint.address();
        InetSocketAddress resolved = a.isUnresolved() ? new InetSocketAddress(a.getHostString(), a.getPort()) : a;
        try (Socket socket = new Socket()) {
            socket.connect(resolved, (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis())));
            return socket.isConnected();
        }
    }

    @Override
    public String toString() {
        return "tcp";
    }
}
