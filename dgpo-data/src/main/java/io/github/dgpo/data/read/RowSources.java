package io.github.dgpo.data.read;

import io.github.dgpo.core.util.InputFiles;
import io.github.dgpo.data.BadRowException;
import io.github.dgpo.data.DataFormatException;
import io.github.dgpo.data.ReadReport;
import io.github.dgpo.data.Source;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The files of a dataset path (a file, or a folder filtered by split) and their rows as JSON:
 * JSONL lines, or Parquet rows read through DuckDB's JDBC driver ({@code to_json} of each row,
 * so both formats share one row parser).
 */
final class RowSources {

    private RowSources() {}

    /**
     * Files of a dataset: the file itself, or the {@code .parquet}/{@code .jsonl}/{@code
     * .jsonl.gz} files under a folder whose name starts with the split (HF's {@code
     * data/train_prefs-00000-of-00001.parquet} layout).
     */
    static List<Path> files(Path path, String split) {
        if (!Files.isDirectory(path)) {
            if (!Files.exists(path)) {
                throw new DataFormatException(path + ": no such file or folder");
            }
            try {
                return List.of(InputFiles.requireRegularFile(path));
            } catch (IOException e) {
                throw new DataFormatException(e.getMessage(), e);
            }
        }
        List<Path> all;
        try (Stream<Path> s = Files.walk(path)) {
            all = s.filter(Files::isRegularFile).filter(RowSources::isData).sorted().collect(Collectors.toList());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<Path> chosen = split == null ? all : all.stream().filter(p -> p.getFileName().toString().startsWith(split)).collect(Collectors.toList());
        if (chosen.isEmpty()) {
            throw new DataFormatException(path + ": no data files" + (split == null ? "" : " for split '" + split + "'") + "; found: "
                    + all.stream().map(p -> path.relativize(p).toString()).collect(Collectors.joining(", ")));
        }
        return chosen;
    }

    /**
     * The file's absolute path as a DuckDB pattern matching exactly that file: DuckDB expands
     * {@code *}, {@code ?} and {@code [...]} in every file name it reads, so each of those
     * characters becomes a one-character class ({@code [*]}, {@code [?]}, {@code [[]}).
     */
    static String literalPath(Path file) {
        StringBuilder b = new StringBuilder();
        for (char ch : file.toAbsolutePath().toString().toCharArray()) {
            if (ch == '*' || ch == '?' || ch == '[') {
                b.append('[').append(ch).append(']');
            } else {
                b.append(ch);
            }
        }
        return b.toString();
    }

    private static boolean isData(Path p) {
        String n = p.getFileName().toString();
        return n.endsWith(".parquet") || n.endsWith(".jsonl") || n.endsWith(".jsonl.gz");
    }

    /** Parses a row into zero or more examples, or rejects it with a {@code BadRowException}. */
    interface RowParser<T> {
        List<T> parse(com.fasterxml.jackson.databind.JsonNode row, Source source);
    }

    /** The examples of every row of a dataset path, each counted as kept in the report. */
    static <T> List<T> collect(Path path, String split, ReadReport report, RowParser<T> parser) {
        List<T> out = new java.util.ArrayList<>();
        forEachRow(files(path, split), report, (row, source) -> {
            List<T> examples = parser.parse(row, source);
            out.addAll(examples);
            report.countKept(examples.size());
        });
        return out;
    }

    /** Every row of every file, counted in the report; handler rejections are dropped rows. */
    static void forEachRow(List<Path> files, ReadReport report, JsonLines.RowHandler handler) {
        for (Path f : files) {
            if (f.getFileName().toString().endsWith(".parquet")) {
                parquet(f, report, handler);
            } else {
                JsonLines.forEach(f, report, handler);
            }
        }
    }

    private static void parquet(Path file, ReadReport report, JsonLines.RowHandler handler) {
        try {
            InputFiles.requireRegularFile(file);
        } catch (IOException e) {
            throw new DataFormatException(e.getMessage(), e);
        }
        String sql = "SELECT CAST(to_json(t) AS VARCHAR) FROM read_parquet('" + literalPath(file).replace("'", "''") + "') t";
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            long row = 0;
            while (rs.next()) {
                row++;
                report.countRead();
                Source source = new Source(file.toString(), row);
                try {
                    handler.accept(JsonLines.parse(rs.getString(1)), source);
                } catch (BadRowException e) {
                    report.drop(source, e);
                }
            }
        } catch (SQLException e) {
            throw new DataFormatException(file + ": cannot read Parquet: " + e.getMessage(), e);
        }
    }
}
