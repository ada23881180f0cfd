package io.github.dgpo.train.cli;

import io.github.dgpo.core.util.InputFiles;
import io.github.dgpo.data.DataFormatException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystemException;

/**
 * Which failures are the user's to fix, and their one-line messages. A problem with a file, a
 * config value, an option or the data (an {@link IOException}, {@link UserInputException},
 * {@link IllegalArgumentException} or {@link DataFormatException}) is a user error; the
 * classes that throw them name the file, field or value. File-system exceptions, whose
 * messages are just a path, get their reason appended, and a message is never {@code null}.
 */
final class UserErrors {

    private UserErrors() {}

    static boolean isUserError(Throwable e) {
        return e instanceof UserInputException || e instanceof IllegalArgumentException || e instanceof IOException
                || e instanceof UncheckedIOException || e instanceof DataFormatException;
    }

    static String message(Throwable e) {
        if (e instanceof UncheckedIOException u && (u.getMessage() == null || u.getMessage().equals(String.valueOf(u.getCause())))) {
            return message(u.getCause());
        }
        if (e instanceof FileSystemException f && f.getFile() != null && f.getReason() == null && !f.getFile().contains(": ")) {
            // NoSuchFileException("/x") and its kin say only the path
            return f.getFile() + ": " + InputFiles.reason(f);
        }
        if (e instanceof IOException io && io.getMessage() == null) {
            return InputFiles.reason(io);
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
