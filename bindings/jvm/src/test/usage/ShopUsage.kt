// A typed program over the Kotlin generated for src/test/models/shop.model
// (package test.shop): enums, optionals, lists, maps, records, timestamps,
// durations, a table and a query returning a record.
package usage

import dev.eventfold.Domain
import dev.eventfold.Engine
import dev.eventfold.ExecuteOptions
import test.shop.ReadSide
import test.shop.shop.AddLine
import test.shop.shop.Held
import test.shop.shop.HoldFor
import test.shop.shop.LineAdded
import test.shop.shop.Open
import test.shop.shop.ShopModel
import test.shop.shop.Size
import java.time.Duration
import java.time.Instant

object ShopUsage {
    @JvmStatic
    fun run(model: String): List<String> {
        val out = ArrayList<String>()
        Domain.fromFiles(model).use { domain ->
            Engine.open("memory:", domain).use { engine ->
                val basket = ShopModel(engine).stream("b1")
                val at = Instant.parse("2026-03-01T10:00:00Z")
                basket.open(Open(customer = "ada"), ExecuteOptions(now = at))
                val added = basket.addLine(AddLine(sku = "tea", price = 2.5, size = Size.LARGE, tags = listOf("hot", "leaf")))
                val line = (added.events.single().event as LineAdded).line
                out += "line ${line.sku} qty=${line.qty} price=${line.price} size=${line.size} tags=${line.tags}"
                basket.addLine(AddLine(sku = "cup", qty = 2, price = 4.0))
                val held = basket.holdFor(HoldFor(Duration.ofMinutes(90).plusMillis(500)))
                out += "held ${(held.events().single() as Held).span}"
                val state = basket.state()
                out += "state customer=${state.customer} opened=${state.openedAt} held=${state.held} skus=${state.lines.keys}"
                out += "query line=${basket.line("cup")?.qty} none=${basket.line("nope")} count=${basket.count()} skus=${basket.skus()}"
                out += "all ${basket.allLines().mapValues { it.value.size }}"
                val rows = ReadSide(engine).shopLines(shopId = "b1")
                out += "rows ${rows.map { "${it.sku}:${it.qty}:${it.size}:${it.tags}" }}"
            }
        }
        return out
    }
}
