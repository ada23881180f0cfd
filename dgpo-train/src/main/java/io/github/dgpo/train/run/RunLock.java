package io.github.dgpo.train.run;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The exclusive lock a run holds on its output folder for its whole life: {@code .dgpo.lock}
 * with the owner's pid, host and start time, locked with {@link FileChannel#tryLock}. A second
 * training on the folder is refused with the holder named. The operating system releases the lock
 * when its process dies, so a lock file with an owner but no lock is a stale one from a killed run
 * and is taken over (with a log line). Local file systems only: network file systems may not
 * honour the lock.
 */
final class RunLock implements AutoCloseable {

    /** The lock file's name inside the output folder. */
    static final String FILE = ".dgpo.lock";

    private static final Logger LOG = LoggerFactory.getLogger(RunLock.class);

    private final FileChannel channel;
    private final FileLock lock;

    private RunLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Takes the lock of a folder (which must exist).
     *
     * @param dir the output folder
     * @return the lock, to close at the end of the run
     * @throws IOException if the lock file cannot be opened
     * @throws IllegalArgumentException naming the holder when another run has it
     */
    static RunLock acquire(Path dir) throws IOException {
        Path file = dir.resolve(FILE);
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        }
        String holder = read(channel);
        if (lock == null) {
            channel.close();
            throw new IllegalArgumentException("output_dir " + dir + " is in use by another training (" + (holder.isBlank() ? "an unknown holder" : holder)
                    + "); wait for it to end, or choose another output_dir");
        }
        if (!holder.isBlank()) {
            LOG.warn("output_dir {}: taking over a stale lock ({}); that run ended without releasing it", dir, holder);
        }
        byte[] owner = ("pid " + ProcessHandle.current().pid() + " on host " + host() + ", started " + Instant.now()).getBytes(StandardCharsets.UTF_8);
        channel.truncate(0);
        channel.write(ByteBuffer.wrap(owner), 0);
        channel.force(true);
        return new RunLock(channel, lock);
    }

    private static String read(FileChannel channel) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(channel.size(), 4096));
        channel.read(buf, 0);
        return new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8).trim();
    }

    private static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** Releases the lock and leaves the file empty (an empty lock file is no stale lock). */
    @Override
    public void close() throws IOException {
        try {
            channel.truncate(0);
            lock.release();
        } finally {
            channel.close();
        }
    }
}
