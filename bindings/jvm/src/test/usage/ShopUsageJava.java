// A typed Java program over the Java generated for src/test/models/shop.model (package test.shop).
package usage;

import dev.eventfold.Domain;
import dev.eventfold.Engine;
import dev.eventfold.ExecuteOptions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import test.shop.ReadSide;
import test.shop.Shop;

public final class ShopUsageJava {
    private ShopUsageJava() {}

    public static List<String> run(String model) {
        List<String> out = new ArrayList<>();
        try (Domain domain = Domain.fromFiles(model); Engine engine = Engine.open("memory:", domain)) {
            Shop.Stream basket = new Shop(engine).stream("b1");
            basket.open(new Shop.Open("ada"), new ExecuteOptions().withNow(Instant.parse("2026-03-01T10:00:00Z")));
            basket.addLine(new Shop.AddLine("tea", null, 2.5, Shop.Size.LARGE, List.of("hot", "leaf")));
            basket.addLine(new Shop.AddLine("cup", 4.0));
            basket.holdFor(new Shop.HoldFor(Duration.ofMinutes(90).plusMillis(500)));
            Shop.State state = basket.state();
            out.add("state customer=" + state.customer() + " opened=" + state.openedAt() + " held=" + state.held() + " skus=" + state.lines().keySet());
            Shop.Line cup = basket.line("cup");
            out.add("query qty=" + cup.qty() + " size=" + cup.size() + " count=" + basket.count() + " skus=" + basket.skus());
            List<ReadSide.ShopLinesRow> rows = new ReadSide(engine).shopLines("b1");
            out.add("rows " + rows.stream().map(r -> r.sku() + ":" + r.qty() + ":" + r.size() + ":" + r.tags()).toList());
        }
        return out;
    }
}
