package io.github.dgpo.core.util;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Files a user points dgpo at (model, weights, config, tokenizer and data files), opened only
 * when they are regular files: a FIFO would block the reader forever and a device such as
 * {@code /dev/zero} would never end, so both are refused before opening, as is a folder.
 * Formats with a natural size (a JSON config is a few KiB) are read with a limit, so a huge or
 * endless file fails with its size instead of exhausting memory. Every error names the file.
 */
public final class InputFiles {

    /** Largest JSON config read whole: {@code config.json}, {@code tokenizer_config.json}, shard indexes, trainer state. */
    public static final long MAX_CONFIG_BYTES = 16L << 20;

    /** Largest {@code tokenizer.json}, compressed or decompressed (the largest published ones are about 35 MB). */
    public static final long MAX_TOKENIZER_BYTES = 512L << 20;

    private static final int MAX_ARRAY = Integer.MAX_VALUE - 9;

    private InputFiles() {}

    /**
     * Checks that a path is an existing regular file (after following symbolic links).
     *
     * @param file the path
     * @return the path
     * @throws NoSuchFileException if nothing is there
     * @throws IOException naming the file if it is a folder, a FIFO, a device or a socket
     */
    public static Path requireRegularFile(Path file) throws IOException {
        if (Files.isRegularFile(file)) {
            return file;
        }
        if (Files.isDirectory(file)) {
            throw new IOException(file + ": is a folder, not a file");
        }
        if (!Files.exists(file)) {
            throw new NoSuchFileException(file.toString(), null, "no such file");
        }
        throw new IOException(file + ": not a regular file (a FIFO, device or socket); dgpo reads only regular files");
    }

    /**
     * Opens a regular file for reading.
     *
     * @param file the file
     * @return the stream; close it
     * @throws IOException if it is not a regular file or cannot be opened
     */
    public static InputStream open(Path file) throws IOException {
        return Files.newInputStream(requireRegularFile(file));
    }

    /**
     * Opens a regular file, decompressing it when its name ends in {@code .gz}; a file that is
     * not gzip fails here, naming it.
     *
     * @param file the file
     * @return the stream; close it
     * @throws IOException if it cannot be opened or is not gzip
     */
    public static InputStream openMaybeGzip(Path file) throws IOException {
        InputStream raw = open(file);
        return file.getFileName().toString().endsWith(".gz") ? gunzip(raw, file) : raw;
    }

    /**
     * Decompresses gzip data read from a file (or already read into memory from it).
     *
     * @param raw the compressed bytes, closed here if they are not gzip data
     * @param file the file they come from, named in errors
     * @return the decompressed stream
     * @throws IOException if the data does not start as gzip data
     */
    public static InputStream gunzip(InputStream raw, Path file) throws IOException {
        try {
            return new GZIPInputStream(raw, 1 << 16);
        } catch (IOException e) {
            raw.close();
            throw new IOException(file + ": " + reason(e), e);
        }
    }

    /**
     * Reads a whole regular file of at most {@code maxBytes} bytes.
     *
     * @param file the file
     * @param maxBytes the limit (capped at the 2 GiB one array holds)
     * @param what what the file is, for the message (e.g. "a JSON config")
     * @return the bytes
     * @throws IOException naming the file when it is not regular, too large or unreadable
     */
    public static byte[] readBounded(Path file, long maxBytes, String what) throws IOException {
        maxBytes = Math.min(maxBytes, MAX_ARRAY);
        requireRegularFile(file);
        long size = Files.size(file);
        if (size > maxBytes) {
            throw new IOException(file + ": is " + mib(size) + ", more than the " + mib(maxBytes) + " " + what + " may be");
        }
        try (InputStream in = Files.newInputStream(file)) {
            // the file may grow after the size check: never read past the limit
            byte[] bytes = in.readNBytes((int) maxBytes + 1);
            if (bytes.length > maxBytes) {
                throw new IOException(file + ": grew past the " + mib(maxBytes) + " " + what + " may be while it was read");
            }
            return bytes;
        } catch (IOException e) {
            throw e.getMessage() != null && e.getMessage().startsWith(file.toString()) ? e : new IOException(file + ": " + reason(e), e);
        }
    }

    /**
     * Copies a stream to an output, failing once more than {@code maxBytes} bytes arrive (a
     * decompression bomb stops there).
     *
     * @param in the source
     * @param out the target
     * @param maxBytes the limit
     * @param source what is copied, for the message
     * @return bytes copied
     * @throws IOException naming the source when the limit is passed or reading fails
     */
    public static long copyBounded(InputStream in, java.io.OutputStream out, long maxBytes, String source) throws IOException {
        byte[] buf = new byte[1 << 16];
        long total = 0;
        int n;
        try {
            while ((n = in.read(buf)) > 0) {
                total += n;
                if (total > maxBytes) {
                    throw new IOException(source + ": holds more than " + mib(maxBytes) + " (decompressed); refusing to read on");
                }
                out.write(buf, 0, n);
            }
        } catch (IOException e) {
            throw e.getMessage() != null && e.getMessage().startsWith(source) ? e : new IOException(source + ": " + reason(e), e);
        }
        return total;
    }

    /**
     * Says what went wrong in a read as a phrase without the path: a truncated or non-gzip
     * stream, a missing file, a permission problem, or the exception's own message (never
     * just {@code null}).
     *
     * @param e the failure
     * @return e.g. "ends early (truncated?): copy the file again"
     */
    public static String reason(IOException e) {
        if (e instanceof EOFException) {
            return "ends early (truncated?): copy the file again";
        }
        if (e instanceof ZipException && "Not in GZIP format".equals(e.getMessage())) {
            return "not gzip data, though the name ends in .gz";
        }
        if (e instanceof ZipException) {
            return "damaged gzip data (" + e.getMessage() + "): copy the file again";
        }
        if (e instanceof NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason().toLowerCase(Locale.ROOT);
        }
        if (e.getMessage() == null) {
            return e.getClass().getSimpleName();
        }
        return e.getMessage();
    }

    /** A byte count as MiB with one decimal, e.g. {@code 16.0 MiB}. */
    static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024.0));
    }
}
