package io.github.dgpo.core;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.nio.file.Paths;

/** Paths of the test resources shipped in dgpo-core's test jar. */
public final class TestResources {

    private TestResources() {}

    /**
     * Returns a test resource folder or file as a path.
     *
     * @param name resource path, e.g. {@code models/stories260K}
     * @return the path
     */
    public static Path path(String name) {
        try {
            return Paths.get(TestResources.class.getResource("/" + name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("missing test resource " + name, e);
        }
    }

    /**
     * Returns the real stories260K model folder.
     *
     * @return the folder
     */
    public static Path stories260K() {
        return path("models/stories260K");
    }
}
