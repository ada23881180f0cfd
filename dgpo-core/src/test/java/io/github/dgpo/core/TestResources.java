package io.github.dgpo.core;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Paths of the test resources of dgpo-core's test jar. Other modules see them inside a jar
 * when the reactor resolves the test jar; those are copied once into a temporary folder so
 * every caller gets a real path.
 */
public final class TestResources {

    private static final Map<String, Path> EXTRACTED = new HashMap<>();

    private TestResources() {}

    /**
     * Returns a test resource folder or file as a path.
     *
     * @param name resource path, e.g. {@code models/stories260K}
     * @return the path
     */
    public static synchronized Path path(String name) {
        URL url = TestResources.class.getResource("/" + name);
        if (url == null) {
            throw new IllegalStateException("missing test resource " + name);
        }
        try {
            URI uri = url.toURI();
            if (!"jar".equals(uri.getScheme())) {
                return Paths.get(uri);
            }
            Path cached = EXTRACTED.get(name);
            if (cached != null) {
                return cached;
            }
            FileSystem fs;
            try {
                fs = FileSystems.newFileSystem(uri, Map.of());
            } catch (FileSystemAlreadyExistsException e) {
                fs = FileSystems.getFileSystem(uri);
            }
            Path source = fs.provider().getPath(uri);
            Path target = Files.createTempDirectory("dgpo-test-resource").resolve(source.getFileName().toString());
            try (Stream<Path> files = Files.walk(source)) {
                for (Path p : (Iterable<Path>) files::iterator) {
                    Path dest = target.resolve(source.relativize(p).toString());
                    if (Files.isDirectory(p)) {
                        Files.createDirectories(dest);
                    } else {
                        Files.createDirectories(dest.getParent());
                        Files.copy(p, dest);
                    }
                }
            }
            EXTRACTED.put(name, target);
            return target;
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
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
