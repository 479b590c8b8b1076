package dev.eventfold

import com.fasterxml.jackson.core.JsonGenerationException
import com.fasterxml.jackson.core.JsonGenerator
import com.fasterxml.jackson.core.JsonProcessingException
import com.fasterxml.jackson.core.StreamReadConstraints
import com.fasterxml.jackson.core.json.JsonReadFeature
import com.fasterxml.jackson.databind.DeserializationFeature
import com.fasterxml.jackson.databind.SerializerProvider
import com.fasterxml.jackson.databind.json.JsonMapper
import com.fasterxml.jackson.databind.module.SimpleModule
import com.fasterxml.jackson.databind.ser.std.StdSerializer
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer
import dev.eventfold.ffi.FfiException
import dev.eventfold.ffi.InternalException
import java.nio.charset.CharacterCodingException
import java.time.Instant

// The one place where the generated UniFFI code meets the public API: its
// exceptions become EventfoldException, and host values become JSON text.

/** Runs one call into the native library and maps whatever it throws. */
internal inline fun <T> native(block: () -> T): T =
    try {
        block()
    } catch (e: FfiException) {
        throw e.toPublic()
    } catch (e: InternalException) {
        // UniFFI's own: a panic it caught, or a handle it could not use.
        throw EventfoldException.Internal(e.message ?: "internal error")
    } catch (e: CharacterCodingException) {
        // UniFFI refuses a String that is not valid UTF-16 (a lone surrogate).
        throw EventfoldException.InvalidJson("the text is not valid Unicode (it holds a lone surrogate)")
    }

internal fun FfiException.toPublic(): EventfoldException =
    when (this) {
        is FfiException.Rejected -> EventfoldException.Rejected(reason, detail)
        is FfiException.InvalidJson -> EventfoldException.InvalidJson(detail)
        is FfiException.InvalidCommand -> EventfoldException.InvalidCommand(path, detail)
        is FfiException.UnknownCommand -> EventfoldException.UnknownCommand(detail)
        is FfiException.InvalidEvent -> EventfoldException.InvalidEvent(path, detail)
        is FfiException.UnknownEvent -> EventfoldException.UnknownEvent(detail)
        is FfiException.UnknownModel -> EventfoldException.UnknownModel(detail)
        is FfiException.UnknownQuery -> EventfoldException.UnknownQuery(detail)
        is FfiException.ModelException ->
            EventfoldException.ModelError(
                diagnostics.map { Diagnostic(it.file, it.line.toInt(), it.column.toInt(), it.detail) },
                detail,
            )
        is FfiException.EvaluationException -> EventfoldException.EvaluationError(detail)
        is FfiException.VersionConflict ->
            EventfoldException.VersionConflict(expected.toLong(), actual.toLong(), detail)
        is FfiException.LimitExceeded -> EventfoldException.LimitExceeded(limit, detail)
        is FfiException.StoreException -> EventfoldException.StoreError(kind, detail)
        is FfiException.ModelChanged -> EventfoldException.ModelChanged(model, detail)
        is FfiException.UnknownTable -> EventfoldException.UnknownTable(detail)
        is FfiException.UnknownProjection -> EventfoldException.UnknownProjection(detail)
        is FfiException.IoException -> EventfoldException.IoError(path, detail)
        is FfiException.Internal -> EventfoldException.Internal(detail)
    }

/**
 * JSON for the Map/List layer, through Jackson. Integers come back as [Long]
 * (never `Integer`, so equality with `1L` holds), numbers past a long as
 * [java.math.BigInteger], floats as [Double], timestamps as RFC 3339 strings.
 * An [Instant] going in becomes its RFC 3339 text.
 */
internal object Json {
    private val mapper: JsonMapper =
        JsonMapper.builder()
            .enable(DeserializationFeature.USE_LONG_FOR_INTS)
            .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .addModule(
                SimpleModule("eventfold")
                    .addSerializer(Instant::class.java, ToStringSerializer.instance)
                    .addSerializer(Double::class.javaObjectType, FiniteSerializer(Double::class.javaObjectType))
                    .addSerializer(Float::class.javaObjectType, FiniteSerializer(Float::class.javaObjectType)),
            )
            .build()
            .also {
                // The core enforces its own limits (16 MiB, 64 levels); what
                // it returns must always be readable here.
                it.factory.setStreamReadConstraints(
                    StreamReadConstraints.builder()
                        .maxStringLength(Int.MAX_VALUE)
                        .maxNestingDepth(10_000)
                        .build(),
                )
            }

    fun write(value: Any?): String =
        try {
            mapper.writeValueAsString(value)
        } catch (e: JsonProcessingException) {
            throw EventfoldException.InvalidJson("cannot turn the value into JSON: ${e.originalMessage}")
        }

    fun read(text: String): Any? = mapper.readValue(text, Any::class.java)

    @Suppress("UNCHECKED_CAST")
    fun readMap(text: String): Map<String, Any?> = read(text) as Map<String, Any?>

    @Suppress("UNCHECKED_CAST")
    fun readList(text: String): List<Any?> = read(text) as List<Any?>

    @Suppress("UNCHECKED_CAST")
    fun readMaps(text: String): List<Map<String, Any?>> = read(text) as List<Map<String, Any?>>

    /** Tables as `project` gives them: `{"table": [rows]}`. */
    @Suppress("UNCHECKED_CAST")
    fun readTables(text: String): Map<String, List<Map<String, Any?>>> = read(text) as Map<String, List<Map<String, Any?>>>
}

/** NaN and the infinities have no JSON form: refused here rather than sent as the string "NaN". */
private class FiniteSerializer<T : Number>(type: Class<T>) : StdSerializer<T>(type) {
    override fun serialize(value: T, gen: JsonGenerator, provider: SerializerProvider) {
        val d = value.toDouble()
        if (!d.isFinite()) throw JsonGenerationException("$d has no JSON form (JSON numbers are finite)", gen)
        if (value is Float) gen.writeNumber(value) else gen.writeNumber(d)
    }
}

// Fields of the core's own JSON output, which always has them.
@Suppress("UNCHECKED_CAST")
internal fun Map<String, Any?>.obj(key: String): Map<String, Any?> = (this[key] as Map<String, Any?>?) ?: emptyMap()

/** An array of objects; absent or null: empty. */
@Suppress("UNCHECKED_CAST")
internal fun Map<String, Any?>.objs(key: String): List<Map<String, Any?>> = (this[key] as List<Map<String, Any?>>?).orEmpty()

internal fun Map<String, Any?>.long(key: String): Long = (this[key] as Number).toLong()

internal fun Map<String, Any?>.double(key: String): Double = (this[key] as Number).toDouble()

internal fun Map<String, Any?>.string(key: String): String = this[key] as String

/**
 * A count or position going to the core, which takes them unsigned: a
 * negative one is refused here, at [path], as the core refuses bad options.
 */
internal fun unsigned(path: String, value: Long): ULong =
    if (value < 0) throw EventfoldException.InvalidCommand(path, "$path must be 0 or more, got $value") else value.toULong()
