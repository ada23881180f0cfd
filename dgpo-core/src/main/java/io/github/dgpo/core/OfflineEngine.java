package io.github.dgpo.core;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The PyTorch engine, offline unless the build or the user allows a download of the natives.
 *
 * <p>DJL's {@code Engine} class calls home (an EC2 metadata address, then a telemetry URL)
 * from its static initializer unless offline mode or tracking opt-out is set, and the
 * tokenizer does the same on {@code newInstance}. Every dgpo entry point calls {@link
 * #configure()} before touching any DJL class, so a user who depends on the library never
 * makes a network call by accident. Natives come from the {@code pytorch-native-cpu} jar on
 * the class path and are extracted into DJL's cache folder ({@code DJL_CACHE_DIR}, default
 * {@code ~/.djl.ai}), which survives {@code mvn clean}.
 *
 * <p>The one exception: a build with the {@code cuda} Maven profile ships no natives (Maven
 * Central has no CUDA build of them) and records so in {@code natives.properties}; there, and
 * wherever the user sets {@code DGPO_ALLOW_NATIVE_DOWNLOAD=true} (environment or system
 * property), offline mode is left off so DJL may download its PyTorch build of the recorded
 * flavor ({@code PYTORCH_FLAVOR}, e.g. {@code cu128}) into its cache once. Tracking stays off.
 */
public final class OfflineEngine {

    /** DJL's engine name for PyTorch. */
    public static final String ENGINE_NAME = "PyTorch";

    /** Environment variable or system property that allows DJL to download natives. */
    public static final String ALLOW_DOWNLOAD = "DGPO_ALLOW_NATIVE_DOWNLOAD";

    private static volatile boolean configured;

    private OfflineEngine() {}

    /**
     * Sets {@code ai.djl.offline} (unless a download of natives is allowed) and {@code
     * OPT_OUT_TRACKING} as system properties unless the user set them already, and the build's
     * {@code PYTORCH_FLAVOR} when it names one. Must run before any DJL class is loaded; calling
     * it again is free.
     */
    public static void configure() {
        if (configured) {
            return;
        }
        synchronized (OfflineEngine.class) {
            Properties natives = natives();
            if (downloadAllowed(natives)) {
                String flavor = natives.getProperty("pytorch.flavor", "");
                if (!flavor.isBlank() && System.getenv("PYTORCH_FLAVOR") == null) {
                    setIfAbsent("PYTORCH_FLAVOR", flavor);
                }
            } else {
                setIfAbsent("ai.djl.offline", "true");
            }
            setIfAbsent("OPT_OUT_TRACKING", "true");
            configured = true;
        }
    }

    /**
     * Returns whether this build or the user allows DJL to download PyTorch natives.
     *
     * @return true under the {@code cuda} profile or with {@value #ALLOW_DOWNLOAD}{@code =true}
     */
    public static boolean nativeDownloadAllowed() {
        return downloadAllowed(natives());
    }

    private static boolean downloadAllowed(Properties natives) {
        String user = System.getProperty(ALLOW_DOWNLOAD, System.getenv(ALLOW_DOWNLOAD));
        return Boolean.parseBoolean(user) || Boolean.parseBoolean(natives.getProperty("natives.download", "false"));
    }

    private static Properties natives() {
        Properties p = new Properties();
        try (InputStream in = OfflineEngine.class.getResourceAsStream("natives.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p;
    }

    /**
     * Returns the PyTorch engine, configuring offline mode first.
     *
     * @return the loaded engine
     */
    public static Engine engine() {
        configure();
        try {
            return Engine.getEngine(ENGINE_NAME);
        } catch (ai.djl.engine.EngineException e) {
            if (nativeDownloadAllowed()) {
                throw new IllegalStateException("the PyTorch engine could not load or download its natives (this build downloads DJL's PyTorch "
                        + System.getProperty("PYTORCH_FLAVOR", "") + " build from publish.djl.ai on first use, into DJL_CACHE_DIR, default ~/.djl.ai): "
                        + e.getMessage(), e);
            }
            throw e;
        }
    }

    /**
     * Creates a new root {@link NDManager} on the PyTorch engine's default device (the first GPU
     * when the natives see one, else the CPU).
     *
     * @return a new manager the caller must close
     */
    public static NDManager newManager() {
        return engine().newBaseManager();
    }

    /**
     * Creates a new root {@link NDManager} on a device; every sub-manager and array made from it
     * lives there.
     *
     * @param device the device ({@link Devices#parse})
     * @return a new manager the caller must close
     */
    public static NDManager newManager(Device device) {
        return engine().newBaseManager(device);
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }
}
