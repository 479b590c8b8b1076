package dev.eventfold

import com.fasterxml.jackson.databind.DeserializationFeature
import com.fasterxml.jackson.databind.json.JsonMapper
import org.junit.jupiter.api.Assertions.fail
import org.junit.jupiter.api.DynamicContainer
import org.junit.jupiter.api.DynamicContainer.dynamicContainer
import org.junit.jupiter.api.DynamicNode
import org.junit.jupiter.api.DynamicTest.dynamicTest
import org.junit.jupiter.api.TestFactory
import java.math.BigDecimal
import java.nio.file.Files
import java.nio.file.Path
import java.time.OffsetDateTime
import kotlin.io.path.name

/**
 * Every case of the shared scenarios (`../shared/scenarios` and its `v1`),
 * one dynamic test each, through the public API: once over JSON text, once over
 * Map/List values (but for the cases whose input is not JSON at all).
 */
class ScenarioTest {
    private val mapper = JsonMapper.builder().enable(DeserializationFeature.USE_LONG_FOR_INTS).build()

    private val dir: Path =
        Path.of(
            System.getProperty("eventfold.scenarios")
                ?: System.getenv("EVENTFOLD_SCENARIOS")
                ?: "../../../shared/scenarios",
        )

    private fun files(): List<Path> =
        listOf(dir, dir.resolve("v1"))
            .filter { Files.isDirectory(it) }
            .flatMap { d -> Files.list(d).use { s -> s.filter { it.name.endsWith(".scenarios.json") }.sorted().toList() } }
            .also { check(it.isNotEmpty()) { "no scenario files in ${dir.toAbsolutePath()}" } }

    @Suppress("UNCHECKED_CAST")
    private fun spec(file: Path) = mapper.readValue(file.toFile(), Map::class.java) as Map<String, Any?>

    @Suppress("UNCHECKED_CAST")
    private fun cases(spec: Map<String, Any?>) = spec["cases"] as List<Map<String, Any?>>

    @TestFactory
    fun overJson(): List<DynamicContainer> = run(Json)

    @TestFactory
    fun overValues(): List<DynamicContainer> = run(Values)

    private fun run(api: Api): List<DynamicContainer> =
        files().map { file ->
            val spec = spec(file)
            // A scenario's `files` are relative to its own directory.
            val here = file.parent
            val nodes: List<DynamicNode> =
                if (spec["model"] == null) {
                    cases(spec).map { case -> dynamicTest(case["name"] as String) { checkCase(here, case) } }
                } else {
                    val domain by lazy {
                        @Suppress("UNCHECKED_CAST")
                        Domain.compile((spec["files"] as List<String>).associateWith { Files.readString(here.resolve(it)) })
                    }
                    cases(spec)
                        .filter { api == Json || it["when_raw"] == null }
                        .map { case -> dynamicTest(case["name"] as String) { modelCase(api, domain, spec["model"] as String, case) } }
                }
            dynamicContainer(dir.relativize(file).toString(), nodes)
        }

    @Suppress("UNCHECKED_CAST")
    private fun checkCase(here: Path, case: Map<String, Any?>) {
        val sources =
            (case["source"] as String?)?.let { mapOf("source.model" to it) }
                ?: (case["files"] as List<String>).associateWith { Files.readString(here.resolve(it)) }
        val result = runCatching { Domain.compile(sources).close() }
        if (case["ok"] == true) {
            result.getOrThrow()
            return
        }
        val error = result.exceptionOrNull() ?: fail("expected diagnostics, the model compiled")
        if (error !is EventfoldException.ModelError) throw error
        val got = error.diagnostics
        val used = BooleanArray(got.size)
        for (want in case["diagnostics"] as List<Map<String, Any?>>) {
            val i =
                got.indices.firstOrNull { i ->
                    val d = got[i]
                    !used[i] &&
                        (want["line"] == null || (want["line"] as Long) == d.line.toLong()) &&
                        (want["column"] == null || (want["column"] as Long) == d.column.toLong()) &&
                        (want["contains"] == null || d.message.lowercase().contains((want["contains"] as String).lowercase()))
                } ?: fail("expected a diagnostic like $want, got:\n${got.joinToString("\n")}")
            used[i] = true
        }
    }

    @Suppress("UNCHECKED_CAST")
    private fun modelCase(api: Api, domain: Domain, model: String, case: Map<String, Any?>) {
        val then = case["then"] as Map<String, Any?>? ?: emptyMap()
        try {
            if (case["projection"] != null) {
                // `given` are whole project events ({model, id, type, data, ...}).
                val rows = api.project(domain, case["projection"] as String, case["given"] as List<Any?>? ?: emptyList(), case["tables"])
                if (then["error"] != null) fail<Unit>("expected ${expectation(case)}, got rows $rows")
                expectSame(case["rows"], rows, "rows")
                return
            }
            if (case["upcast"] != null) {
                val events = api.upcast(domain, model, case["upcast"])
                if (then["error"] != null) fail<Unit>("expected ${expectation(case)}, got events $events")
                expectSame(case["events"], events, "events")
                return
            }
            var state: Any? = null
            for (event in case["given"] as List<Any?>? ?: emptyList()) state = api.accept(domain, model, state, event)
            val now = (case["now"] as String?)?.let { OffsetDateTime.parse(it).toInstant().toString() }
            val command = case["when_raw"] ?: case["when"]
            if (command != null) {
                val events = api.propose(domain, model, state, command, now)
                val want = then["events"] ?: fail<Any?>("expected ${expectation(case)}, got events $events")
                expectSame(want, events, "events")
                if ("state" in case) expectSame(case["state"], api.replay(domain, model, events, state), "state")
            } else if (case["query"] != null) {
                val q = case["query"] as Map<String, Any?>
                val result = api.query(domain, model, state, q["name"] as String, q["args"])
                if ("result" !in case) fail<Unit>("expected ${expectation(case)}, got result $result")
                expectSame(case["result"], result, "result")
            } else {
                val final = api.state(state) ?: domain.initialState(model)
                if (then["error"] != null) fail<Unit>("expected ${expectation(case)}, got state $final")
                if ("state" in case) expectSame(case["state"], final, "state")
            }
        } catch (e: EventfoldException) {
            val rejected = then["rejected"] as Map<String, Any?>?
            val error = then["error"] as Map<String, Any?>?
            when {
                rejected != null && e is EventfoldException.Rejected ->
                    expectSame(rejected, mapOf("reason" to e.reason, "message" to e.message), "rejection")
                error != null -> {
                    if (error["code"] != e.code) fail<Unit>("expected error $error, got ${e.toMap()}")
                    if ("path" in error && error["path"] != e.toMap()["path"]) fail<Unit>("expected error $error, got ${e.toMap()}")
                }
                else -> fail("expected ${expectation(case)}, got error ${e.toMap()}", e)
            }
        }
    }

    private fun expectation(case: Map<String, Any?>): String {
        @Suppress("UNCHECKED_CAST")
        val then = case["then"] as Map<String, Any?>? ?: emptyMap()
        return listOf("error", "rejected", "events").firstNotNullOfOrNull { k -> then[k]?.let { "$k $it" } }
            ?: case["result"]?.let { "result $it" }
            ?: case["rows"]?.let { "rows $it" }
            ?: case["events"]?.let { "events $it" }
            ?: "state ${case["state"]}"
    }

    private fun expectSame(want: Any?, got: Any?, what: String) {
        if (!same(want, got)) fail<Unit>("expected $what $want, got $what $got")
    }

    /** The scenarios' equality: objects without regard to key order, numbers by value. */
    private fun same(a: Any?, b: Any?): Boolean =
        when {
            a is Number && b is Number -> BigDecimal(a.toString()).compareTo(BigDecimal(b.toString())) == 0
            a is List<*> && b is List<*> -> a.size == b.size && a.indices.all { same(a[it], b[it]) }
            a is Map<*, *> && b is Map<*, *> -> a.size == b.size && a.all { (k, v) -> b.containsKey(k) && same(v, b[k]) }
            else -> a == b
        }

    /** The two faces of the Domain API; states and results travel as parsed values either way. */
    private interface Api {
        fun accept(d: Domain, model: String, state: Any?, event: Any?): Any?

        fun propose(d: Domain, model: String, state: Any?, command: Any?, now: String?): List<Any?>

        fun replay(d: Domain, model: String, events: List<Any?>, state: Any?): Any?

        fun query(d: Domain, model: String, state: Any?, name: String, args: Any?): Any?

        fun upcast(d: Domain, model: String, event: Any?): List<Any?>

        fun project(d: Domain, projection: String, events: List<Any?>, tables: Any?): Any?

        fun state(state: Any?): Any?
    }

    private object Json : Api {
        private fun text(v: Any?): String? = v?.let { it as? String ?: dev.eventfold.Json.write(it) }

        private fun parse(s: String): Any? = dev.eventfold.Json.read(s)

        override fun accept(d: Domain, model: String, state: Any?, event: Any?) = d.acceptJson(model, text(state), text(event)!!)

        override fun propose(d: Domain, model: String, state: Any?, command: Any?, now: String?) =
            parse(d.proposeJson(model, text(state), text(command)!!, now)) as List<Any?>

        override fun replay(d: Domain, model: String, events: List<Any?>, state: Any?) =
            parse(d.replayJson(model, text(events)!!, text(state)))

        override fun query(d: Domain, model: String, state: Any?, name: String, args: Any?) =
            parse(d.queryJson(model, text(state), name, text(args)))

        override fun upcast(d: Domain, model: String, event: Any?) = parse(d.upcastJson(model, text(event)!!)) as List<Any?>

        override fun project(d: Domain, projection: String, events: List<Any?>, tables: Any?) =
            parse(d.projectJson(projection, text(events)!!, text(tables)))

        // A state here is JSON text, or null for the initial state.
        override fun state(state: Any?): Any? = (state as String?)?.let(::parse)
    }

    @Suppress("UNCHECKED_CAST")
    private object Values : Api {
        override fun accept(d: Domain, model: String, state: Any?, event: Any?) =
            d.accept(model, state as Map<String, Any?>?, event as Map<String, Any?>)

        override fun propose(d: Domain, model: String, state: Any?, command: Any?, now: String?) =
            d.propose(model, state as Map<String, Any?>?, command as Map<String, Any?>, now?.let(java.time.Instant::parse))

        override fun replay(d: Domain, model: String, events: List<Any?>, state: Any?) =
            d.replay(model, events as List<Map<String, Any?>>, state as Map<String, Any?>?)

        override fun query(d: Domain, model: String, state: Any?, name: String, args: Any?) =
            d.query(model, state as Map<String, Any?>?, name, args as Map<String, Any?>?)

        override fun upcast(d: Domain, model: String, event: Any?) = d.upcast(model, event as Map<String, Any?>)

        override fun project(d: Domain, projection: String, events: List<Any?>, tables: Any?) =
            d.project(projection, events as List<Map<String, Any?>>, tables as Map<String, List<Map<String, Any?>>>?)

        override fun state(state: Any?): Any? = state
    }
}
