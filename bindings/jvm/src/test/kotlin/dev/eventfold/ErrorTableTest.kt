package dev.eventfold

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** The sealed EventfoldException against the core's table of codes and fields. */
class ErrorTableTest {
    private val table = EventfoldException.table()

    @Test
    fun `the table is the core's`() {
        assertEquals(18, table.size)
        val store = table.single { it["code"] == "store_error" }
        assertEquals(listOf("kind"), store["fields"])
        assertEquals(listOf("busy", "unavailable", "corrupt", "closed", "io"), store["kinds"])
    }

    @Test
    fun `every code has its subclass`() {
        val base = EventfoldException::class.java
        val subclasses = base.declaredClasses.filter { base.isAssignableFrom(it) }
        assertEquals(table.size, subclasses.size)
        val thrown = table.map { spec ->
            val code = spec["code"] as String
            assertThrows<EventfoldException> { native { dev.eventfold.ffi.throwExampleForTest(code) } }.javaClass
        }
        assertEquals(subclasses.toSet(), thrown.toSet())
    }

    @Test
    fun `every field of the table is a property of the exception`() {
        for (spec in table) {
            val code = spec["code"] as String
            val e = assertThrows<EventfoldException> { native { dev.eventfold.ffi.throwExampleForTest(code) } }
            assertEquals(code, e.code)
            @Suppress("UNCHECKED_CAST")
            for (field in spec["fields"] as List<String>) {
                val getter = e.javaClass.getMethod("get" + field.replaceFirstChar { it.uppercase() })
                val value = getter.invoke(e)
                assertNotNull(value, "$code.$field")
                assertNotNull(e.toMap()[field], "$code.$field in toMap")
            }
        }
    }

    @Test
    fun `a missing model file is an io error that names it`() {
        val missing = java.nio.file.Path.of("no-such-dir", "missing.model").toString()
        val e = assertThrows<EventfoldException.IoError> { Domain.fromFiles(missing) }
        assertEquals("io_error", e.code)
        assertEquals(missing, e.path)
        assert(e.message.contains(missing)) { e.message }
        assertEquals(missing, e.toMap()["path"])
        // From a Path, and among other files that do read.
        val e2 = assertThrows<EventfoldException.IoError> {
            Domain.fromFiles(listOf(TODOS_MODEL, java.nio.file.Path.of(missing)))
        }
        assertEquals(missing, e2.path)
    }

    @Test
    fun `a closed engine is a store error of kind closed`() {
        val domain = Domain.fromFiles(TODOS_MODEL)
        val engine = Engine.open("memory:", domain)
        engine.close()
        val e = assertThrows<EventfoldException.StoreError> { engine.load("Todos", "a") }
        assertEquals("closed", e.kind)
        domain.close()
    }
}
