package example.spring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * The app on a real HTTP server (Tomcat on a random free port, started and
 * stopped by Spring's test support; it is ready when the context is), driven
 * with real requests.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class TodoAppTest {
    @LocalServerPort
    int port;

    private final HttpClient http = HttpClient.newHttpClient();
    private final ObjectMapper json = new ObjectMapper();

    private HttpResponse<String> send(String method, String path, String body) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
                .header("Content-Type", "application/json");
        r.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void todosOverHttp() throws Exception {
        HttpResponse<String> created = send("POST", "/lists/kitchen/todos", "{\"id\":\"milk\",\"text\":\"Buy milk\"}");
        assertEquals(201, created.statusCode(), created.body());
        JsonNode c = json.readTree(created.body());
        assertEquals(1, c.get("version").asInt());
        assertEquals("created", c.get("events").get(0).asText());

        assertEquals(201, send("POST", "/lists/kitchen/todos", "{\"id\":\"bread\",\"text\":\"Bake bread\"}").statusCode());

        // A rejection: 409 for a duplicate, 422 for another reason, the reason in the body.
        HttpResponse<String> dup = send("POST", "/lists/kitchen/todos", "{\"id\":\"milk\",\"text\":\"again\"}");
        assertEquals(409, dup.statusCode(), dup.body());
        JsonNode d = json.readTree(dup.body());
        assertEquals("rejected", d.get("code").asText());
        assertEquals("duplicate", d.get("reason").asText());
        assertEquals("todo milk already exists", d.get("message").asText());

        HttpResponse<String> blank = send("POST", "/lists/kitchen/todos", "{\"id\":\"egg\",\"text\":\"  \"}");
        assertEquals(422, blank.statusCode(), blank.body());
        assertEquals("blank", json.readTree(blank.body()).get("reason").asText());

        HttpResponse<String> missing = send("PUT", "/lists/kitchen/todos/nope", "{\"completed\":true}");
        assertEquals(422, missing.statusCode(), missing.body());
        assertEquals("missing", json.readTree(missing.body()).get("reason").asText());

        HttpResponse<String> done = send("PUT", "/lists/kitchen/todos/bread", "{\"completed\":true}");
        assertEquals(200, done.statusCode(), done.body());
        assertEquals("completed-changed", json.readTree(done.body()).get("events").get(0).asText());

        // The projection's table, typed rows as JSON, in key order.
        HttpResponse<String> rows = send("GET", "/lists/kitchen/todos", null);
        assertEquals(200, rows.statusCode(), rows.body());
        JsonNode r = json.readTree(rows.body());
        assertEquals(2, r.size(), rows.body());
        assertEquals("bread", r.get(0).get("id").asText());
        assertTrue(r.get(0).get("completed").asBoolean());
        assertTrue(r.get(0).hasNonNull("doneAt"), rows.body());
        assertEquals("kitchen", r.get(1).get("listId").asText());
        assertEquals("Buy milk", r.get(1).get("text").asText());
        assertTrue(r.get(1).get("doneAt").isNull());

        HttpResponse<String> state = send("GET", "/lists/kitchen", null);
        assertEquals(1, json.readTree(state.body()).get("remaining").asInt(), state.body());

        assertEquals(200, send("DELETE", "/lists/kitchen/todos/milk", null).statusCode());
        assertEquals(1, json.readTree(send("GET", "/lists/kitchen/todos", null).body()).size());
        // Another list is another stream, with rows of its own.
        assertEquals(0, json.readTree(send("GET", "/lists/hall/todos", null).body()).size());
    }
}
