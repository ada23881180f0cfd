package io.github.dgpo.examples.repro;

import io.github.dgpo.data.Message;
import io.github.dgpo.data.PreferenceExample;
import io.github.dgpo.data.Source;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * A controlled preference task on which a small model becomes confident: generated prompts with
 * structured answers (sort, reverse, add, largest, greet), whose chosen and rejected completions
 * share everything but a one- or two-token error in the answer (the high-similarity condition the
 * DGPO paper blames for likelihood displacement, §2.3). Every completion starts with an opener
 * drawn from eight words and ends with one of two marks, the same in both completions of a pair,
 * so the chosen completion keeps about 2.8 nats of irreducible entropy.
 *
 * <p>Deterministic for a seed. Words are separated by spaces and all belong to the word-level
 * tokenizer in {@code configs/repro/} ({@link #WORDS}); {@link PairJsonl} writes them in the
 * {@code jsonl} format and {@link LowSimilarity} makes the DGPO paper's §2.3 control of them.
 *
 * <pre>
 *   sort : 31 4 17              okay , sorted : 4 17 31 .       okay , sorted : 17 4 31 .
 *   reverse : 8 2 40 11         so , reversed : 11 40 2 8 !     so , reversed : 11 2 40 8 !
 *   what is 7 plus 5 ?          yes , the answer is 12 .        yes , the answer is 13 .
 *   largest of 3 17 9           fine , it is 17 .               fine , it is 9 .
 *   greet alice bob             sure , hello alice , hello bob , nice to meet you .   (bob → erin in the rejected)
 * </pre>
 */
public final class ControlledTask {

    /**
     * One preference pair.
     *
     * @param prompt the user's request
     * @param chosen the correct answer
     * @param rejected the same answer with a small error
     */
    public record Row(String prompt, String chosen, String rejected) {}

    /** Numbers are the tokens {@code 0} to {@code 49}. */
    static final int NUMBERS = 50;

    static final List<String> OPENERS = List.of("sure", "okay", "alright", "fine", "yes", "well", "right", "so");
    static final List<String> CLOSERS = List.of(".", "!");
    static final List<String> NAMES = List.of("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "oscar", "peggy",
            "trent", "victor", "walter");

    /** Every word a row can hold (the tokenizer's vocabulary without its special tokens and the template's words). */
    public static final Set<String> WORDS;

    static {
        Set<String> w = new HashSet<>(List.of(":", ",", ".", "!", "?", "sort", "sorted", "reverse", "reversed", "what", "is", "plus", "the", "answer", "largest",
                "of", "it", "greet", "hello", "nice", "to", "meet", "you"));
        IntStream.range(0, NUMBERS).forEach(i -> w.add(Integer.toString(i)));
        w.addAll(OPENERS);
        w.addAll(NAMES);
        WORDS = Set.copyOf(w);
    }

    private ControlledTask() {}

    /**
     * Generates pairs.
     *
     * @param seed the seed
     * @param count how many
     * @param exclude prompts not to generate (a training set's, for a held-out set)
     * @return the pairs
     */
    public static List<Row> generate(long seed, int count, Collection<String> exclude) {
        Set<String> excluded = new HashSet<>(exclude);
        Random r = new Random(seed);
        List<Row> rows = new ArrayList<>(count);
        int attempts = 0;
        while (rows.size() < count) {
            if (++attempts > 100 * count + 1000) {
                throw new IllegalStateException("cannot generate " + count + " pairs outside the " + excluded.size() + " excluded prompts");
            }
            Row row = row(r);
            if (!excluded.contains(row.prompt())) {
                rows.add(row);
            }
        }
        return rows;
    }

    /**
     * The rows as pairs for {@link PairJsonl} and {@link LowSimilarity}.
     *
     * @param rows the rows
     * @param name the source name (for messages)
     * @return one pair per row, the prompt as one user message
     */
    public static List<PreferenceExample> examples(List<Row> rows, String name) {
        List<PreferenceExample> out = new ArrayList<>(rows.size());
        for (int i = 0; i < rows.size(); i++) {
            Row row = rows.get(i);
            out.add(new PreferenceExample(List.of(Message.user(row.prompt())), row.chosen(), row.rejected(), null, null, new Source(name, i + 1)));
        }
        return out;
    }

    private static Row row(Random r) {
        String opener = OPENERS.get(r.nextInt(OPENERS.size())) + " , ";
        String closer = " " + CLOSERS.get(r.nextInt(CLOSERS.size()));
        String[] task = switch (r.nextInt(5)) {
            case 0 -> sort(r);
            case 1 -> reverse(r);
            case 2 -> add(r);
            case 3 -> largest(r);
            default -> greet(r);
        };
        return new Row(task[0], opener + task[1] + closer, opener + task[2] + closer);
    }

    private static String[] sort(Random r) {
        List<Integer> xs = distinct(r, 3 + r.nextInt(3));
        List<Integer> sorted = xs.stream().sorted().collect(Collectors.toList());
        return new String[] {"sort : " + words(xs), "sorted : " + words(sorted), "sorted : " + words(swapAdjacent(sorted, r))};
    }

    private static String[] reverse(Random r) {
        List<Integer> xs = distinct(r, 3 + r.nextInt(3));
        List<Integer> reversed = new ArrayList<>(xs);
        java.util.Collections.reverse(reversed);
        return new String[] {"reverse : " + words(xs), "reversed : " + words(reversed), "reversed : " + words(swapAdjacent(reversed, r))};
    }

    private static String[] add(Random r) {
        int a = r.nextInt(10);
        int b = r.nextInt(10);
        int wrong = a + b + (r.nextBoolean() ? 1 : -1) * (1 + r.nextInt(2));
        if (wrong < 0) {
            wrong = a + b + 1 + r.nextInt(2);
        }
        return new String[] {"what is " + a + " plus " + b + " ?", "the answer is " + (a + b), "the answer is " + wrong};
    }

    private static String[] largest(Random r) {
        List<Integer> xs = distinct(r, 3 + r.nextInt(3));
        int max = xs.stream().mapToInt(Integer::intValue).max().orElseThrow();
        List<Integer> others = xs.stream().filter(x -> x != max).toList();
        return new String[] {"largest of " + words(xs), "it is " + max, "it is " + others.get(r.nextInt(others.size()))};
    }

    private static String[] greet(Random r) {
        List<String> names = new ArrayList<>(NAMES);
        java.util.Collections.shuffle(names, r);
        String a = names.get(0);
        String b = names.get(1);
        String wrong = names.get(2);
        boolean first = r.nextBoolean();
        return new String[] {"greet " + a + " " + b, "hello " + a + " , hello " + b + " , nice to meet you",
            "hello " + (first ? wrong : a) + " , hello " + (first ? b : wrong) + " , nice to meet you"};
    }

    private static List<Integer> distinct(Random r, int k) {
        List<Integer> all = new ArrayList<>(IntStream.range(0, NUMBERS).boxed().toList());
        java.util.Collections.shuffle(all, r);
        return new ArrayList<>(all.subList(0, k));
    }

    private static List<Integer> swapAdjacent(List<Integer> xs, Random r) {
        List<Integer> out = new ArrayList<>(xs);
        int i = r.nextInt(out.size() - 1);
        out.set(i, xs.get(i + 1));
        out.set(i + 1, xs.get(i));
        return out;
    }

    private static String words(List<Integer> xs) {
        return xs.stream().map(String::valueOf).collect(Collectors.joining(" "));
    }
}
