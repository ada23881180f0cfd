package io.github.dgpo.core.util;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Resident memory of this process including libtorch's native allocations (JMX sees only the
 * Java heap): {@code VmRSS} and the high-water mark {@code VmHWM} from {@code
 * /proc/self/status}; writing {@code 5} to {@code /proc/self/clear_refs} resets the mark.
 * Linux only; elsewhere every reading is -1.
 */
public final class ProcessMemory {

    private static final Path STATUS = Paths.get("/proc/self/status");
    private static final Path CLEAR_REFS = Paths.get("/proc/self/clear_refs");

    private ProcessMemory() {}

    /**
     * Current resident set size.
     *
     * @return MiB, or -1 when unavailable
     */
    public static double rssMb() {
        return field("VmRSS:");
    }

    /**
     * Peak resident set size since start or the last {@link #resetPeak()}.
     *
     * @return MiB, or -1 when unavailable
     */
    public static double peakMb() {
        return field("VmHWM:");
    }

    /**
     * Resets the peak to the current resident size.
     *
     * @return whether the reset worked
     */
    public static boolean resetPeak() {
        try {
            Files.writeString(CLEAR_REFS, "5");
            return true;
        } catch (IOException | SecurityException e) {
            return false;
        }
    }

    private static double field(String name) {
        try {
            for (String line : Files.readAllLines(STATUS)) {
                if (line.startsWith(name)) {
                    String[] parts = line.substring(name.length()).trim().split("\\s+");
                    return Long.parseLong(parts[0]) / 1024.0;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
