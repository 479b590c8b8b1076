<?php

declare(strict_types=1);

namespace Eventfold\Tests;

use Eventfold\Domain;
use Eventfold\Engine;
use Eventfold\Exception\EventfoldException;
use PHPUnit\Framework\TestCase;

/**
 * 100,000 calls, many of them failing, domain and engine, with memory
 * flat: every string the library returns is freed, in PHP's heap and in the
 * process.
 */
final class LeakTest extends TestCase
{
    private static function rss(): int
    {
        $status = (string) @file_get_contents('/proc/self/status');
        return preg_match('/^VmRSS:\s+(\d+) kB/m', $status, $m) ? (int) $m[1] * 1024 : 0;
    }

    public function testHundredThousandCallsKeepMemoryFlat(): void
    {
        $d = Domain::compile(['counter.model' => DomainTest::COUNTER]);
        $engine = Engine::open('memory:', $d);
        $engine->execute('Counter', 'c', ['type' => 'bump']);
        $state = $d->initialState('Counter');
        $ok = ['type' => 'bump', 'data' => ['by' => 2, 'user' => 'ann']];
        $bad = ['type' => 'bump', 'data' => ['by' => -1]];
        $calls = [
            fn () => $d->propose('Counter', $state, $ok),
            fn () => $d->propose('Counter', $state, $bad),           // rejected
            fn () => $engine->load('Counter', 'c'),
            fn () => $engine->query('Counter', 'c', 'nope'),         // unknown_query
            fn () => $d->accept('Counter', $state, ['type' => 'bumped', 'data' => ['by' => 1, 'user' => 'x']]),
            fn () => $d->propose('Counter', $state, '{"type": '),    // invalid_json
            fn () => $engine->domain()->models(),                    // a new handle each call, freed
        ];
        $round = function (int $n) use ($calls): void {
            for ($i = 0; $i < $n; $i++) {
                try {
                    $calls[$i % count($calls)]();
                } catch (EventfoldException) {
                }
            }
        };
        $round(10_000); // warm up: allocator pools, caches
        gc_collect_cycles();
        [$heap, $rss] = [memory_get_usage(), self::rss()];
        $round(90_000);
        gc_collect_cycles();
        $heapGrowth = memory_get_usage() - $heap;
        $rssGrowth = self::rss() - $rss;
        $this->assertLessThan(64 * 1024, $heapGrowth, "PHP heap grew by $heapGrowth bytes");
        $this->assertLessThan(4 * 1024 * 1024, $rssGrowth, "RSS grew by $rssGrowth bytes");
    }
}
