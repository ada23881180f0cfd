package io.github.dgpo.core;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.net.URL;
import java.net.URLConnection;
import java.net.URLStreamHandler;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Child-JVM probe for {@link OfflineEngineTest}: records every http(s) URL the JVM opens and
 * refuses the connection, then loads the engine and runs one op. Prints {@code URLS <n>}
 * followed by the URLs, and {@code SUM <x>}.
 *
 * <p>DJL opens its telemetry connections with {@code Proxy.NO_PROXY}, so a {@code
 * ProxySelector} cannot see them; a stream-handler factory installed before the first URL
 * is created sees every one.
 */
public final class NetworkProbeMain {

    private static final List<String> OPENED = new CopyOnWriteArrayList<>();

    private NetworkProbeMain() {}

    /**
     * Runs the probe.
     *
     * @param args {@code dgpo} to go through {@link OfflineEngine}, {@code raw} to load DJL
     *     directly (the negative control)
     */
    public static void main(String[] args) {
        URL.setURLStreamHandlerFactory(
                protocol ->
                        protocol.startsWith("http")
                                ? new URLStreamHandler() {
                                    @Override
                                    protected URLConnection openConnection(URL u)
                                            throws IOException {
                                        OPENED.add(u.toString());
                                        throw new IOException("network disabled by probe");
                                    }

                                    @Override
                                    protected URLConnection openConnection(
                                            URL u, java.net.Proxy p) throws IOException {
                                        return openConnection(u);
                                    }
                                }
                                : null);
        Engine engine =
                "dgpo".equals(args[0])
                        ? OfflineEngine.engine()
                        : Engine.getEngine(OfflineEngine.ENGINE_NAME);
        try (NDManager manager = engine.newBaseManager()) {
            NDArray x = manager.create(new float[] {1f, 2f, 3f});
            System.out.println("SUM " + x.sum().getFloat());
        }
        System.out.println("URLS " + OPENED.size());
        OPENED.forEach(System.out::println);
    }
}
