package io.github.dgpo.data;

/**
 * Where a record came from.
 *
 * @param file the file
 * @param line 1-based line of a JSONL file, or row of a Parquet file
 */
public record Source(String file, long line) {
    @Override
    public String toString() {
        return file + ":" + line;
    }
}
