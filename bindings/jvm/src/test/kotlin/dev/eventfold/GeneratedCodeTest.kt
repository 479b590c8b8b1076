package dev.eventfold

import org.jetbrains.kotlin.cli.common.ExitCode
import org.jetbrains.kotlin.cli.jvm.K2JVMCompiler
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import java.io.ByteArrayOutputStream
import java.io.File
import java.io.PrintStream
import java.net.URLClassLoader
import java.nio.file.Files
import java.nio.file.Path
import javax.tools.Diagnostic
import javax.tools.DiagnosticCollector
import javax.tools.JavaFileObject
import javax.tools.ToolProvider

/**
 * `eventfold generate --lang kotlin|java` end to end: the CLI writes the code
 * for examples/todos/todos.model and for a richer fixture (src/test/models/
 * shop.model); kotlinc (K2JVMCompiler, in process) and javac (javax.tools)
 * compile it with warnings as errors, with a typed program beside it
 * (src/test/usage/) that then runs against a real engine; and a wrong field
 * name and a wrong field type each fail to compile, at the field.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GeneratedCodeTest {
    private val cli = Path.of(System.getProperty("eventfold.cli", "../../target/debug/eventfold"))
    private val todosModel = TODOS_MODEL.toAbsolutePath().normalize()
    private val shopModel = Path.of("src/test/models/shop.model").toAbsolutePath()
    private val usage = Path.of("src/test/usage").toAbsolutePath()
    private val work: Path = Files.createTempDirectory("eventfold-generated")

    /** The test's class path, less the compiler's own jars: what a user's project has. */
    private val classpath: String =
        (System.getProperty("surefire.test.class.path") ?: System.getProperty("java.class.path"))
            .split(File.pathSeparator)
            .filter { p -> listOf("kotlin-compiler", "kotlin-script", "kotlin-daemon", "junit", "opentest4j", "apiguardian").none { p.contains(it) } }
            .joinToString(File.pathSeparator)

    private fun generate(lang: String, model: Path, out: Path, vararg extra: String): List<Path> {
        val p = ProcessBuilder(listOf(cli.toString(), "generate", "--lang", lang, model.toString(), "-o", out.toString()) + extra)
            .redirectErrorStream(true)
            .start()
        val text = p.inputStream.bufferedReader().readText()
        assertEquals(0, p.waitFor(), text)
        return Files.walk(out).use { s -> s.filter { Files.isRegularFile(it) }.sorted().toList() }
    }

    private class Compiled(val ok: Boolean, val output: String)

    private fun kotlinc(sources: List<Path>, out: Path, extraClasspath: List<Path> = emptyList()): Compiled {
        val err = ByteArrayOutputStream()
        val cp = (listOf(classpath) + extraClasspath.map { it.toString() }).joinToString(File.pathSeparator)
        val args = listOf("-d", out.toString(), "-classpath", cp, "-no-stdlib", "-no-reflect", "-jvm-target", "17", "-Werror") +
            sources.map { it.toString() }
        val code = K2JVMCompiler().exec(PrintStream(err, true, Charsets.UTF_8), *args.toTypedArray())
        return Compiled(code == ExitCode.OK, err.toString(Charsets.UTF_8))
    }

    private fun javac(sources: List<Path>, out: Path, extraClasspath: List<Path> = emptyList()): Pair<Boolean, List<Diagnostic<out JavaFileObject>>> {
        val compiler = ToolProvider.getSystemJavaCompiler()
        val diagnostics = DiagnosticCollector<JavaFileObject>()
        compiler.getStandardFileManager(diagnostics, null, Charsets.UTF_8).use { fm ->
            val units = fm.getJavaFileObjectsFromPaths(sources)
            val cp = (listOf(classpath) + extraClasspath.map { it.toString() }).joinToString(File.pathSeparator)
            val options = listOf("-d", out.toString(), "-classpath", cp, "-Xlint:all", "-Werror", "--release", "17")
            val ok = compiler.getTask(null, fm, diagnostics, options, null, units).call()
            return ok to diagnostics.diagnostics
        }
    }

    private fun run(classes: Path, className: String, model: Path): List<String> =
        URLClassLoader(arrayOf(classes.toUri().toURL()), javaClass.classLoader).use { loader ->
            @Suppress("UNCHECKED_CAST")
            loader.loadClass(className).getMethod("run", String::class.java).invoke(null, model.toString()) as List<String>
        }

    private val todosKotlin by lazy {
        val src = work.resolve("kt-todos-src")
        val files = generate("kotlin", todosModel, src)
        val out = work.resolve("kt-todos-classes")
        val c = kotlinc(files + listOf(usage.resolve("TodosUsage.kt")), out)
        assertTrue(c.ok, c.output)
        out
    }

    private val todosJava by lazy {
        val src = work.resolve("java-todos-src")
        val files = generate("java", todosModel, src)
        val out = work.resolve("java-todos-classes")
        val (ok, diags) = javac(files + listOf(usage.resolve("TodosUsageJava.java")), out)
        assertTrue(ok, diags.joinToString("\n"))
        out
    }

    @Test
    fun `the generated Kotlin for the todos compiles, and a typed program runs on a real engine`() {
        val lines = run(todosKotlin, "usage.TodosUsage", todosModel)
        assertEquals(
            listOf(
                "created milk Buy milk completed=false v1",
                "rejected DUPLICATE true in [DUPLICATE, BLANK]",
                "state [bread, milk] milk=Buy milk",
                "remaining 1 has=true get=true none=null",
                "done [bread]",
                "rows [bread:true:true, milk:false:false]",
                "cleared [bread]",
                "events [created, created, completed-changed, done-cleared]",
                "propose [created]",
                "suspend v1 1",
            ),
            lines,
        )
    }

    @Test
    fun `the generated Java for the todos compiles, and a typed program runs on a real engine`() {
        val lines = run(todosJava, "usage.TodosUsageJava", todosModel)
        assertEquals(
            listOf(
                "created milk Buy milk completed=false v1",
                "rejected DUPLICATE true in [DUPLICATE, BLANK]",
                "state [bread, milk] milk=Buy milk",
                "remaining 1 has=true none=null",
                "rows [bread:true:true, milk:false:false]",
                "cleared [bread]",
                "async v1 1",
            ),
            lines,
        )
    }

    @Test
    fun `the richer model compiles and runs in Kotlin and Java (enums, optionals, lists, maps, records, timestamps, durations, a table)`() {
        val ktSrc = work.resolve("kt-shop-src")
        val ktOut = work.resolve("kt-shop-classes")
        val kt = kotlinc(generate("kotlin", shopModel, ktSrc, "--package", "test.shop") + listOf(usage.resolve("ShopUsage.kt")), ktOut)
        assertTrue(kt.ok, kt.output)
        assertEquals(
            listOf(
                "line tea qty=1 price=2.5 size=LARGE tags=[hot, leaf]",
                "held PT1H30M0.5S",
                "state customer=ada opened=2026-03-01T10:00:00Z held=PT1H30M0.5S skus=[cup, tea]",
                "query line=2 none=null count=3 skus=[cup, tea]",
                "all {cup=null, tea=LARGE}",
                "rows [cup:2:null:[], tea:1:LARGE:[hot, leaf]]",
            ),
            run(ktOut, "usage.ShopUsage", shopModel),
        )

        val jSrc = work.resolve("java-shop-src")
        val jOut = work.resolve("java-shop-classes")
        val (ok, diags) = javac(generate("java", shopModel, jSrc, "--package", "test.shop") + listOf(usage.resolve("ShopUsageJava.java")), jOut)
        assertTrue(ok, diags.joinToString("\n"))
        assertEquals(
            listOf(
                "state customer=ada opened=2026-03-01T10:00:00Z held=PT1H30M0.5S skus=[cup, tea]",
                // The short constructor leaves qty to the model's default, 1.
                "query qty=1 size=null count=2 skus=[cup, tea]",
                "rows [cup:1:null:[], tea:1:LARGE:[hot, leaf]]",
            ),
            run(jOut, "usage.ShopUsageJava", shopModel),
        )
    }

    @Test
    fun `every model of the shared scenarios generates code that compiles in Kotlin and Java`() {
        val dir = Path.of(System.getProperty("eventfold.scenarios", "../../../shared/scenarios")).resolve("v1")
        val models = Files.list(dir).use { s -> s.filter { it.toString().endsWith(".model") }.sorted().toList() }
        assertTrue(models.isNotEmpty(), "no models in $dir")
        for (model in models) {
            val name = model.fileName.toString().removeSuffix(".model")
            val kt = kotlinc(generate("kotlin", model, work.resolve("kt-$name-src")), work.resolve("kt-$name-classes"))
            assertTrue(kt.ok, "$model: ${kt.output}")
            val (ok, diags) = javac(generate("java", model, work.resolve("java-$name-src")), work.resolve("java-$name-classes"))
            assertTrue(ok, "$model: ${diags.joinToString("\n")}")
        }
    }

    private fun snippet(name: String, text: String): Path {
        val dir = Files.createDirectories(work.resolve("wrong"))
        return Files.writeString(dir.resolve(name), text)
    }

    @Test
    fun `kotlinc rejects a wrong field name and a wrong field type`() {
        val name = kotlinc(
            listOf(snippet("WrongName.kt", "package usage\n\nimport eventfold.generated.todos.CreateNew\n\nfun wrong() = CreateNew(id = \"a\", txt = \"b\")\n")),
            work.resolve("wrong-kt-1"),
            listOf(todosKotlin),
        )
        assertTrue(!name.ok, name.output)
        assertTrue(name.output.contains("txt"), name.output)
        assertTrue(name.output.contains("WrongName.kt:5:"), name.output)

        val line = "fun wrong() = CreateNew(id = \"a\", text = 5)"
        val type = kotlinc(
            listOf(snippet("WrongType.kt", "package usage\n\nimport eventfold.generated.todos.CreateNew\n\n$line\n")),
            work.resolve("wrong-kt-2"),
            listOf(todosKotlin),
        )
        assertTrue(!type.ok, type.output)
        // At the field's value, saying what it should be.
        assertTrue(type.output.contains("WrongType.kt:5:${line.indexOf("5") + 1}:"), type.output)
        assertTrue(type.output.contains("String"), type.output)

        // And reading: a field the state does not have.
        val read = kotlinc(
            listOf(snippet("WrongRead.kt", "package usage\n\nimport eventfold.generated.todos.Todo\n\nfun wrong(t: Todo): Boolean = t.done\n")),
            work.resolve("wrong-kt-3"),
            listOf(todosKotlin),
        )
        assertTrue(!read.ok && read.output.contains("done"), read.output)
    }

    @Test
    fun `javac rejects a wrong field name and a wrong field type`() {
        val (nameOk, nameDiags) = javac(
            listOf(
                snippet(
                    "WrongName.java",
                    "package usage;\n\nimport eventfold.generated.Todos;\n\nclass WrongName {\n    String t = new Todos.CreateNew(\"a\", \"b\").txt();\n}\n",
                ),
            ),
            work.resolve("wrong-java-1"),
            listOf(todosJava),
        )
        assertTrue(!nameOk)
        val nameError = nameDiags.single { it.kind == Diagnostic.Kind.ERROR }
        assertEquals(6, nameError.lineNumber)
        assertTrue(nameError.getMessage(null).contains("txt"), nameError.getMessage(null))

        val line = "    Todos.CreateNew c = new Todos.CreateNew(\"a\", 5);"
        val (typeOk, typeDiags) = javac(
            listOf(snippet("WrongType.java", "package usage;\n\nimport eventfold.generated.Todos;\n\nclass WrongType {\n$line\n}\n")),
            work.resolve("wrong-java-2"),
            listOf(todosJava),
        )
        assertTrue(!typeOk)
        val typeError = typeDiags.first { it.kind == Diagnostic.Kind.ERROR }
        assertEquals(6, typeError.lineNumber)
        val msg = typeError.getMessage(null)
        assertTrue(msg.contains("int") && msg.contains("String"), msg)
        assertNotEquals(0L, typeError.columnNumber)
    }
}
