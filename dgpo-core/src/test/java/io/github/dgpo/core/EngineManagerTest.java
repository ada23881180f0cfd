package io.github.dgpo.core;

import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Base of tests that share one engine manager per test class: {@link #manager} opens before the
 * class's first test and closes (freeing every array made in it) after its last.
 */
public abstract class EngineManagerTest {

    /** The class's manager, on the default device; open while the class's tests run. */
    protected static NDManager manager;

    @BeforeAll
    protected static void openManager() {
        manager = OfflineEngine.newManager();
    }

    @AfterAll
    protected static void closeManager() {
        manager.close();
    }
}
