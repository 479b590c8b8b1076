package dev.eventfold

import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Assumptions.assumeTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.fail
import org.junit.jupiter.api.io.TempDir
import org.junit.jupiter.params.ParameterizedTest
import org.junit.jupiter.params.provider.ValueSource
import java.io.File
import java.nio.file.Path
import java.util.concurrent.TimeUnit

/**
 * A smoke test of the PostgreSQL store through the JVM skin: the same
 * engine on an SQLite file and on a PostgreSQL schema of its own
 * (`t_jvm_<pid>_<n>`). `make test` starts a server and sets
 * `EVENTFOLD_TEST_POSTGRES` to its URL and `EVENTFOLD_REQUIRE_POSTGRES`;
 * without a server the PostgreSQL case is skipped, unless one is required.
 * The schemas of this process are dropped before and after, with `psql`.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PostgresTest {
    private val domain = Domain.fromFiles(TODOS_MODEL)
    private val server: String? = System.getenv("EVENTFOLD_TEST_POSTGRES")?.takeIf { it.isNotEmpty() }
    private val prefix = "t_jvm_${ProcessHandle.current().pid()}_"
    private var schemas = 0

    @TempDir
    lateinit var tmp: Path

    @BeforeAll
    fun clean() = dropSchemas()

    @AfterAll
    fun close() {
        dropSchemas()
        domain.close()
    }

    /** A store URL of [kind]: a new SQLite file, or a new schema on the test server. */
    private fun store(kind: String): String {
        if (kind == "sqlite") return "sqlite:${tmp.resolve("events-${System.nanoTime()}.db")}"
        if (server == null) {
            if (!System.getenv("EVENTFOLD_REQUIRE_POSTGRES").isNullOrEmpty()) {
                fail("EVENTFOLD_REQUIRE_POSTGRES is set but EVENTFOLD_TEST_POSTGRES is not")
            }
            assumeTrue(false, "no PostgreSQL server (set EVENTFOLD_TEST_POSTGRES=postgres://user:pass@host:port/db)")
        }
        val base = server!!
        return "$base${if ('?' in base) '&' else '?'}schema=$prefix${++schemas}"
    }

    private fun create(id: String, text: String) = mapOf("type" to "create-new", "data" to mapOf("id" to id, "text" to text))

    @ParameterizedTest(name = "on {0}")
    @ValueSource(strings = ["sqlite", "postgres"])
    fun `execute and read the rows`(kind: String) {
        val url = store(kind)
        Engine.open(url, domain).use { engine ->
            engine.execute("Todos", "home", create("a", "Buy milk"))
            engine.execute("Todos", "home", create("b", "Call mum"))
            val first = engine.execute("Todos", "work", create("c", "Ship it"), ExecuteOptions(commandId = "c-1"))
            assertEquals(first, engine.execute("Todos", "work", create("c", "Ship it"), ExecuteOptions(commandId = "c-1")))
            engine.execute("Todos", "home", mapOf("type" to "change-completed", "data" to mapOf("id" to "a", "completed" to true)))
            assertEquals(3L, engine.load("Todos", "home").version)
            assertEquals(listOf(1L, 2L, 3L, 4L), engine.readAll().map { it.position })
            val rows = engine.rows("todo_rows")
            assertEquals(listOf("home/a/true", "home/b/false", "work/c/false"), rows.map { "${it["list_id"]}/${it["id"]}/${it["completed"]}" })
            assertEquals(listOf("list_id", "id", "text", "completed", "done_at"), rows.first().keys.toList())
        }
        // Another engine on the same store reads what the first wrote.
        Engine.open(url, domain).use { engine ->
            assertEquals(listOf("a", "b"), engine.rows("todo_rows", listOf("home")).map { it["id"] })
            assertEquals(4L, engine.execute("Todos", "home", create("d", "Tea")).version)
        }
    }

    @Test
    fun `a bad PostgreSQL URL is unavailable and hides the password`() {
        for (url in listOf("postgres://ann:s3cret-pw@127.0.0.1:1/db", "postgres://ann:s3cret-pw@127.0.0.1/db?schema=Bad-Name")) {
            val e = assertThrows<EventfoldException.StoreError> { Engine.open(url, domain).close() }
            assertEquals("unavailable", e.kind, e.message)
            assertFalse(e.message!!.contains("s3cret-pw"), e.message)
            assertTrue(e.message!!.contains("ann:***@"), e.message)
        }
    }

    private fun psql(): String? {
        System.getenv("PATH").orEmpty().split(File.pathSeparator).map { File(it, "psql") }.firstOrNull { it.canExecute() }?.let { return it.path }
        val servers = File("/usr/lib/postgresql").listFiles().orEmpty().sortedBy { it.name.toIntOrNull() ?: 0 }
        return servers.map { File(it, "bin/psql") }.lastOrNull { it.canExecute() }?.path
    }

    /** Drops the schemas of this process (by their prefix), one transaction each. */
    private fun dropSchemas() {
        val base = server ?: return
        val client = psql() ?: return System.err.println("no psql: the schemas $prefix* are left on the test server")
        val args = listOf(client, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", base.substringBefore('?'))
        val like = prefix.replace("_", "\\_") + "%"
        val names = run(args + listOf("-c", "SELECT nspname FROM pg_namespace WHERE nspname LIKE '$like'")).lines().filter { it.isNotBlank() }
        if (names.isNotEmpty()) run(args + names.flatMap { listOf("-c", "DROP SCHEMA IF EXISTS \"$it\" CASCADE") })
    }

    private fun run(command: List<String>): String {
        val p = ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start()
        val out = p.inputStream.bufferedReader().readText()
        p.waitFor(120, TimeUnit.SECONDS)
        return out
    }
}
