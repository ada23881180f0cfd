package io.github.dgpo.train.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.dgpo.data.ReadReport;
import io.github.dgpo.data.Source;
import io.github.dgpo.data.tokenize.TokenizedPair;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The up-front check that a run's token ids fit the model's vocabulary. */
class TrainingDataTest {

    @Test
    void anIdPastTheVocabularyIsNamedWithItsExample() {
        TokenizedPair ok = new TokenizedPair(new long[] {1, 5}, new long[] {7, 2}, new long[] {8, 2}, false, new Source("d.jsonl", 1));
        TokenizedPair bad = new TokenizedPair(new long[] {1, 5}, new long[] {31999, 2}, new long[] {8, 2}, false, new Source("d.jsonl", 2));
        TrainingData data = new TrainingData(List.of(ok), List.of(bad), List.of(), List.of(), new ReadReport(false), 2);
        data.checkVocabulary(32000, Path.of("tok"));
        String msg = assertThrows(IllegalArgumentException.class, () -> data.checkVocabulary(512, Path.of("tok"))).getMessage();
        assertEquals("token id 31999 (in d.jsonl:2) is outside the model's vocabulary (vocab_size 512): the tokenizer tok does not belong to this model;"
                + " use the model's own tokenizer", msg);
    }
}
