package dev.cprof.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.lucene.analysis.standard.StandardAnalyzer;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.LongPoint;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.store.ByteBuffersDirectory;

/**
 * The allocation-heavy batch job of {@link ThirdPartyBench}: Lucene indexing of generated text
 * into an in-memory directory (THREADS threads adding documents to one IndexWriter), a commit,
 * then a few hundred term queries and a sort of every distinct word by its frequency. The metric
 * is the job's run time from the start of main (JIT warm-up included, as for any batch job).
 *
 * <pre>
 * java dev.cprof.bench.IndexingWorkload DOCS THREADS [LOOP_S]
 * </pre>
 * With LOOP_S &gt; 0 it repeats the job until LOOP_S seconds have passed (the accuracy runs need
 * a workload that lasts as long as the profiling session), or until "stop" on stdin; the RESULT
 * then gives jobs done.
 */
public final class IndexingWorkload {
    private static final int VOCABULARY = 30_000;

    private IndexingWorkload() {}

    public static void main(String[] args) throws Exception {
        long start = System.nanoTime();
        int docs = Integer.parseInt(args[0]);
        int threads = Integer.parseInt(args[1]);
        int loopSeconds = args.length > 2 ? Integer.parseInt(args[2]) : 0;
        String[] words = vocabulary();
        ResultLine.ready("docs=" + docs);
        int jobs = 0;
        long hits = 0;
        do {
            hits += job(words, docs, threads, 1000 + jobs);
            jobs++;
        } while (loopSeconds > 0 && !ResultLine.stopped() && System.nanoTime() - start < loopSeconds * 1_000_000_000L);
        double seconds = (System.nanoTime() - start) / 1e9;
        ResultLine.printAndExit(Map.of("kind", "index", "runSeconds", String.format(Locale.ROOT, "%.3f", seconds),
                "jobs", jobs, "hits", hits));
    }

    private static String[] vocabulary() {
        SplittableRandom random = new SplittableRandom(7);
        String[] words = new String[VOCABULARY];
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < VOCABULARY; i++) {
            sb.setLength(0);
            int len = 3 + random.nextInt(9);
            for (int j = 0; j < len; j++) {
                sb.append((char) ('a' + random.nextInt(26)));
            }
            words[i] = sb.toString();
        }
        return words;
    }

    /** A Zipf-like pick: small indexes (common words) far more often than large ones. */
    private static String word(String[] words, SplittableRandom random) {
        double u = random.nextDouble();
        return words[(int) (Math.pow(u, 3) * words.length)];
    }

    private static long job(String[] words, int docs, int threads, long seed) throws Exception {
        try (ByteBuffersDirectory dir = new ByteBuffersDirectory();
             IndexWriter writer = new IndexWriter(dir, new IndexWriterConfig(new StandardAnalyzer()).setRAMBufferSizeMB(32))) {
            Thread[] workers = new Thread[threads];
            Exception[] failure = new Exception[1];
            for (int t = 0; t < threads; t++) {
                int from = t * docs / threads;
                int to = (t + 1) * docs / threads;
                SplittableRandom random = new SplittableRandom(seed * 31 + t);
                workers[t] = new Thread(() -> {
                    try {
                        StringBuilder body = new StringBuilder(4096);
                        for (int d = from; d < to; d++) {
                            body.setLength(0);
                            int n = 150 + random.nextInt(150);
                            for (int i = 0; i < n; i++) {
                                body.append(word(words, random)).append(i % 17 == 16 ? ". " : " ");
                            }
                            Document doc = new Document();
                            doc.add(new StringField("id", "doc-" + d, Field.Store.YES));
                            doc.add(new TextField("title", word(words, random) + " " + word(words, random), Field.Store.YES));
                            doc.add(new TextField("body", body.toString(), Field.Store.NO));
                            doc.add(new LongPoint("price", random.nextLong(1_000_000)));
                            writer.addDocument(doc);
                        }
                    } catch (Exception e) {
                        failure[0] = e;
                    }
                }, "indexer-" + t);
                workers[t].start();
            }
            for (Thread w : workers) {
                w.join();
            }
            if (failure[0] != null) {
                throw failure[0];
            }
            writer.commit();
            long hits = 0;
            try (DirectoryReader reader = DirectoryReader.open(dir)) {
                IndexSearcher searcher = new IndexSearcher(reader);
                for (int q = 0; q < 300; q++) {
                    hits += searcher.count(new TermQuery(new Term("body", words[(q * 97) % 2000])));
                }
            }
            // The collection part of the batch: every word with a count, sorted by count then word.
            List<Map.Entry<String, Integer>> counted = new ArrayList<>();
            SplittableRandom random = new SplittableRandom(seed);
            java.util.HashMap<String, Integer> freq = new java.util.HashMap<>();
            for (int i = 0; i < docs * 20; i++) {
                freq.merge(word(words, random), 1, Integer::sum);
            }
            counted.addAll(freq.entrySet());
            Collections.sort(counted, Map.Entry.<String, Integer>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()));
            return hits + counted.get(0).getValue();
        }
    }
}
