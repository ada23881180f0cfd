package io.github.dgpo.core.safetensors;

import java.io.IOException;
import java.nio.file.Path;

/** A safetensors file or checkpoint folder that cannot be read, naming the file and tensor. */
public class SafetensorsException extends IOException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param file the file
     * @param message what is wrong (should name the tensor where there is one)
     */
    public SafetensorsException(Path file, String message) {
        super(file + ": " + message);
    }
}
