package io.github.dgpo.examples.repro;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Paths;

/**
 * CPU time and machine load, for the study's cost report: this process's CPU time (all threads,
 * libtorch's included), the CPU time of its finished child processes (the benchmarks), and the
 * 1-minute load average (other work on the machine slows the runs down; the curves do not depend
 * on it).
 */
final class CpuClock {

    /** Clock ticks per second of {@code /proc/self/stat} (USER_HZ, 100 on Linux). */
    private static final double TICKS = 100.0;

    private CpuClock() {}

    /** @return CPU seconds of this process, or NaN when the JVM does not say */
    static double processSeconds() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            long ns = os.getProcessCpuTime();
            return ns < 0 ? Double.NaN : ns / 1e9;
        }
        return Double.NaN;
    }

    /** @return CPU seconds of the finished child processes ({@code cutime + cstime} of {@code /proc/self/stat}), or NaN off Linux */
    static double childrenSeconds() {
        try {
            String stat = Files.readString(Paths.get("/proc/self/stat"));
            // fields after the command name, which is in parentheses and may hold spaces
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
            return (Long.parseLong(f[13]) + Long.parseLong(f[14])) / TICKS;
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    /** @return the 1-minute load average, or NaN */
    static double load1() {
        double l = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        return l < 0 ? Double.NaN : l;
    }
}
