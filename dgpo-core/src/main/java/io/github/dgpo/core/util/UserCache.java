package io.github.dgpo.core.util;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * dgpo's cache folder, private to the user: the system property {@value #PROPERTY}, else the
 * environment variable {@value #ENV}, else {@code $XDG_CACHE_HOME/dgpo}, else {@code
 * ~/.cache/dgpo}. Folders are created readable by their owner only; an existing one owned by
 * someone else, or writable by others, is refused, so no other user can plant or change what
 * dgpo reads back from it (a shared temporary folder gives no such guarantee).
 */
public final class UserCache {

    /** System property naming the cache folder. */
    public static final String PROPERTY = "dgpo.cache.dir";
    /** Environment variable naming the cache folder. */
    public static final String ENV = "DGPO_CACHE_DIR";

    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rwx------");

    private UserCache() {}

    /**
     * The cache folder's root (not created).
     *
     * @return the path
     */
    public static Path root() {
        String dir = System.getProperty(PROPERTY);
        if (dir == null || dir.isBlank()) {
            dir = System.getenv(ENV);
        }
        if (dir != null && !dir.isBlank()) {
            return Paths.get(dir);
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank()) {
            return Paths.get(xdg, "dgpo");
        }
        return Paths.get(System.getProperty("user.home"), ".cache", "dgpo");
    }

    /**
     * A sub-folder of the cache, created owner-only if absent and checked if present.
     *
     * @param name e.g. {@code tokenizers}
     * @return the folder
     * @throws IOException if it cannot be created, or belongs to another user or is writable by others
     */
    public static Path folder(String name) throws IOException {
        Path root = root();
        Path dir = root.resolve(name);
        boolean posix = Files.getFileStore(existingAncestor(dir)).supportsFileAttributeView(PosixFileAttributeView.class);
        if (posix) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
            checkPrivate(root);
            checkPrivate(dir);
        } else {
            Files.createDirectories(dir);
        }
        return dir;
    }

    private static Path existingAncestor(Path p) {
        Path a = p.toAbsolutePath();
        while (a != null && !Files.exists(a)) {
            a = a.getParent();
        }
        return a == null ? p.toAbsolutePath().getRoot() : a;
    }

    private static void checkPrivate(Path dir) throws IOException {
        PosixFileAttributes a = Files.readAttributes(dir, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (a.isSymbolicLink()) {
            a = Files.readAttributes(dir, PosixFileAttributes.class);
        }
        String me = System.getProperty("user.name");
        if (!a.owner().getName().equals(me)) {
            throw new IOException(dir + ": the cache folder belongs to " + a.owner().getName() + ", not to " + me
                    + "; set " + ENV + " (or -D" + PROPERTY + ") to a folder of your own");
        }
        Set<PosixFilePermission> p = a.permissions();
        if (p.contains(PosixFilePermission.GROUP_WRITE) || p.contains(PosixFilePermission.OTHERS_WRITE)) {
            throw new IOException(dir + ": the cache folder is writable by other users (" + PosixFilePermissions.toString(p)
                    + "); run chmod go-w on it or set " + ENV + " to a private folder");
        }
    }
}
