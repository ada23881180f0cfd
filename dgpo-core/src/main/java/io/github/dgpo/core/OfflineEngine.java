package io.github.dgpo.core;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;

/**
 * The PyTorch engine, always offline.
 *
 * <p>DJL's {@code Engine} class calls home (an EC2 metadata address, then a telemetry URL)
 * from its static initializer unless offline mode or tracking opt-out is set, and the
 * tokenizer does the same on {@code newInstance}. Every dgpo entry point calls {@link
 * #configure()} before touching any DJL class, so a user who depends on the library never
 * makes a network call by accident. Natives come from the {@code pytorch-native-cpu} jar on
 * the class path and are extracted into DJL's cache folder ({@code DJL_CACHE_DIR}, default
 * {@code ~/.djl.ai}), which survives {@code mvn clean}.
 */
public final class OfflineEngine {

    /** DJL's engine name for PyTorch. */
    public static final String ENGINE_NAME = "PyTorch";

    private static volatile boolean configured;

    private OfflineEngine() {}

    /**
     * Sets {@code ai.djl.offline} and {@code OPT_OUT_TRACKING} as system properties unless the
     * user set them already. Must run before any DJL class is loaded; calling it again is free.
     */
    public static void configure() {
        if (configured) {
            return;
        }
        synchronized (OfflineEngine.class) {
            setIfAbsent("ai.djl.offline", "true");
            setIfAbsent("OPT_OUT_TRACKING", "true");
            configured = true;
        }
    }

    /**
     * Returns the PyTorch engine, configuring offline mode first.
     *
     * @return the loaded engine
     */
    public static Engine engine() {
        configure();
        return Engine.getEngine(ENGINE_NAME);
    }

    /**
     * Creates a new root {@link NDManager} on the PyTorch engine (CPU).
     *
     * @return a new manager the caller must close
     */
    public static NDManager newManager() {
        return engine().newBaseManager();
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }
}
