package dev.cprof.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The HTTP workload of {@link ThirdPartyBench}: an embedded Jetty 12 server on loopback whose
 * handler does what a small order service does per request: look up and update an order in an
 * in-memory store, serialize it to JSON with Jackson, parse that JSON back (as a client body
 * would be), SHA-256 it, and answer with a JSON document. {@code wrk} drives it from outside.
 *
 * <pre>
 * java dev.cprof.bench.HttpServiceWorkload   → prints "READY port=N"; GET /stop ends it with a RESULT line
 * </pre>
 */
public final class HttpServiceWorkload {
    private static final int ORDERS = 20_000;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<Integer, Order> STORE = new ConcurrentHashMap<>();

    /** A stored order; items grow to a bound and are then replaced, so the store stays the same size. */
    public static final class Order {
        public int id;
        public String customer;
        public List<Item> items = new ArrayList<>();
        public long totalCents;
    }

    public record Item(String sku, int quantity, long priceCents) {}

    private HttpServiceWorkload() {}

    public static void main(String[] args) throws Exception {
        for (int i = 0; i < ORDERS; i++) {
            Order o = new Order();
            o.id = i;
            o.customer = "customer-" + (i % 977);
            STORE.put(i, o);
        }
        QueuedThreadPool pool = new QueuedThreadPool(16, 4);
        pool.setName("http");
        Server server = new Server(pool);
        ServerConnector connector = new ServerConnector(server, 1, 1);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                String path = Request.getPathInContext(request);
                if (path.equals("/stop")) {
                    response.write(true, ByteBuffer.wrap("bye\n".getBytes()), callback);
                    Thread t = new Thread(HttpServiceWorkload::stop, "stop");
                    t.start();
                    return true;
                }
                byte[] body = handleOrder();
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
                response.write(true, ByteBuffer.wrap(body), callback);
                return true;
            }
        });
        server.start();
        ResultLine.ready("port=" + connector.getLocalPort());
        server.join();
    }

    private static void stop() {
        try {
            Thread.sleep(100); // let the /stop response go out
            ResultLine.printAndExit(Map.of("kind", "http"));
        } catch (Exception e) {
            e.printStackTrace();
            System.exit(1);
        }
    }

    /** One request: read-modify-write of a random order, JSON out and back in, a digest. */
    static byte[] handleOrder() throws Exception {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        Order order = STORE.get(random.nextInt(ORDERS));
        byte[] json;
        synchronized (order) {
            if (order.items.size() >= 12) {
                order.items.remove(0);
            }
            order.items.add(new Item("sku-" + random.nextInt(5000), 1 + random.nextInt(5), 100 + random.nextInt(100_000)));
            long total = 0;
            for (Item it : order.items) {
                total += it.quantity() * it.priceCents();
            }
            order.totalCents = total;
            json = JSON.writeValueAsBytes(order);
        }
        JsonNode parsed = JSON.readTree(json);
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        byte[] digest = sha.digest(json);
        Map<String, Object> reply = Map.of(
                "id", parsed.get("id").asInt(),
                "items", parsed.get("items").size(),
                "total", parsed.get("totalCents").asLong(),
                "etag", HexFormat.of().formatHex(digest),
                "order", parsed);
        return JSON.writeValueAsBytes(reply);
    }
}
