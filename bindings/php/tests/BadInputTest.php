<?php

declare(strict_types=1);

namespace Eventfold\Tests;

use Eventfold\Domain;
use Eventfold\Engine;
use Eventfold\Exception;
use Eventfold\Exception\EventfoldException;
use PHPUnit\Framework\TestCase;

/** Input a careless or hostile caller sends: always a typed exception, never a crash. */
final class BadInputTest extends TestCase
{
    private static function domain(): Domain
    {
        return Domain::compile(['counter.model' => DomainTest::COUNTER]);
    }

    /** @return array<string, array{string, callable(Domain): mixed}> */
    public static function inputs(): array
    {
        $deep = str_repeat('[', 100000) . str_repeat(']', 100000);
        $deepArray = [];
        for ($i = 0; $i < 600; $i++) {
            $deepArray = [$deepArray];
        }
        return [
            'not JSON' => ['invalid_json', fn (Domain $d) => $d->propose('Counter', null, '{"type": "bump", "data": {')],
            'empty text' => ['invalid_json', fn (Domain $d) => $d->propose('Counter', null, '')],
            'NUL in JSON text' => ['invalid_json', fn (Domain $d) => $d->propose('Counter', null, "{\"type\": \"bump\"}\0garbage")],
            'NUL in a model name' => ['invalid_json', fn (Domain $d) => $d->initialState("Counter\0")],
            'NUL in a query name' => ['invalid_json', fn (Domain $d) => $d->query('Counter', null, "twice\0")],
            'invalid UTF-8 in a model name' => ['invalid_json', fn (Domain $d) => $d->initialState("Count\xff")],
            'invalid UTF-8 in data' => ['invalid_json', fn (Domain $d) => $d->propose('Counter', null, ['type' => 'bump', 'data' => ['user' => "\xc3\x28"]])],
            'invalid UTF-8 in JSON text' => ['invalid_json', fn (Domain $d) => $d->propose('Counter', null, "{\"type\": \"bu\xffmp\"}")],
            'INF' => ['invalid_json', fn (Domain $d) => $d->propose('Counter', null, ['type' => 'bump', 'data' => ['by' => INF]])],
            'a huge number' => ['invalid_command', fn (Domain $d) => $d->propose('Counter', null, '{"type": "bump", "data": {"by": 123456789012345678901234567890}}')],
            'a float for an int' => ['invalid_command', fn (Domain $d) => $d->propose('Counter', null, ['type' => 'bump', 'data' => ['by' => 1.5]])],
            'deeply nested JSON text' => ['limit_exceeded', fn (Domain $d) => $d->replay('Counter', $deep)],
            'deeply nested array' => ['limit_exceeded', fn (Domain $d) => $d->propose('Counter', null, ['type' => 'bump', 'data' => ['by' => $deepArray]])],
            'a list for a command' => ['invalid_command', fn (Domain $d) => $d->propose('Counter', null, [1, 2])],
            'a number for a command' => ['invalid_command', fn (Domain $d) => $d->propose('Counter', null, 5)],
            'null data' => ['invalid_command', fn (Domain $d) => $d->propose('Counter', null, ['type' => 'bump', 'data' => null])],
            'an object for events' => ['invalid_event', fn (Domain $d) => $d->replay('Counter', ['type' => 'bumped'])],
            'a string state' => ['invalid_json', fn (Domain $d) => $d->propose('Counter', 'state', ['type' => 'bump'])],
            'a bad timestamp' => ['invalid_command', fn (Domain $d) => $d->propose('Counter', null, ['type' => 'bump'], 'yesterday')],
            'an unknown model' => ['unknown_model', fn (Domain $d) => $d->propose('Nope', null, ['type' => 'bump'])],
            'an empty model name' => ['unknown_model', fn (Domain $d) => $d->initialState('')],
            'project: events not JSON' => ['invalid_json', fn (Domain $d) => Domain::compile(['t.model' => DomainTest::TALLY])->project('tally', '[{')],
            'project: tables not JSON' => ['invalid_json', fn (Domain $d) => Domain::compile(['t.model' => DomainTest::TALLY])->project('tally', [], '{"tallies": [')],
            'project: an event of no model' => ['unknown_model', fn (Domain $d) => Domain::compile(['t.model' => DomainTest::TALLY])->project('tally', [['model' => 'Nope', 'id' => 'a', 'type' => 'bumped']])],
            'project: an event of the wrong shape' => ['invalid_event', fn (Domain $d) => Domain::compile(['t.model' => DomainTest::TALLY])->project('tally', [['model' => 'Counter', 'id' => 'a', 'type' => 'bumped', 'data' => ['by' => 'x']]])],
            'NUL in a projection name' => ['invalid_json', fn (Domain $d) => $d->project("counts\0", [])],
            'invalid UTF-8 in a projection name' => ['invalid_json', fn (Domain $d) => $d->project("co\xffunts", [])],
            'project: deeply nested tables' => ['limit_exceeded', fn (Domain $d) => $d->project('counts', [], ['rows' => [$deepArray]])],
            'upcast: not JSON' => ['invalid_json', fn (Domain $d) => $d->upcast('Counter', '{"type": ')],
            'upcast: NUL in JSON text' => ['invalid_json', fn (Domain $d) => $d->upcast('Counter', "{\"type\": \"bumped\"}\0x")],
            'upcast: deeply nested JSON text' => ['limit_exceeded', fn (Domain $d) => $d->upcast('Counter', $deep)],
            'upcast: a list for an event' => ['invalid_event', fn (Domain $d) => $d->upcast('Counter', [1, 2])],
            'sources not text' => ['invalid_json', fn (Domain $d) => Domain::compile([['name' => 'a', 'text' => 5]])],
            'an empty model file' => ['model_error', fn (Domain $d) => Domain::compile(['a.model' => 'model'])],
            'a huge model file' => ['limit_exceeded', fn (Domain $d) => Domain::compile(['a.model' => str_repeat(' ', 2 << 20)])],
            'a missing model file' => ['io_error', fn (Domain $d) => Domain::fromFiles('/nonexistent.model')],
            'rows: NUL in a table name' => ['invalid_json', fn (Domain $d) => Engine::open('memory:', $d)->rows("rows\0")],
            'rows: invalid UTF-8 in a table name' => ['invalid_json', fn (Domain $d) => Engine::open('memory:', $d)->rows("ro\xffws")],
            'rows: an object for a limit' => ['invalid_command', fn (Domain $d) => Engine::open('memory:', Domain::compile(['t.model' => DomainTest::TALLY]))->rows('tallies', ['limit' => ['x' => 1]])],
            'waitFor: a negative timeout' => ['invalid_command', fn (Domain $d) => Engine::open('memory:', $d)->waitFor(1, timeout: -1.0)],
            'waitFor: NAN for a timeout' => ['invalid_command', fn (Domain $d) => Engine::open('memory:', $d)->waitFor(1, timeout: NAN)],
            'subscribe: NUL in a name' => ['invalid_json', fn (Domain $d) => Engine::open('memory:', $d)->subscribe("s\0")],
            'subscribe: a list for from' => ['invalid_command', fn (Domain $d) => Engine::open('memory:', $d)->subscribe('s', ['from' => [1]])],
            'poll: a negative max' => ['invalid_command', fn (Domain $d) => Engine::open('memory:', $d)->subscribe('s')->poll(-1)],
            'poll: a negative timeout' => ['invalid_command', fn (Domain $d) => Engine::open('memory:', $d)->subscribe('s')->poll(1, -0.5)],
            'park: NUL in a reason' => ['invalid_json', fn (Domain $d) => Engine::open('memory:', $d)->subscribe('s')->park(1, "x\0")],
        ];
    }

    /** @dataProvider inputs */
    public function testBadInputIsATypedError(string $code, callable $call): void
    {
        try {
            $call(self::domain());
            $this->fail("no $code");
        } catch (EventfoldException $e) {
            $this->assertSame($code, $e->errorCode, $e->getMessage());
            $this->assertNotSame('', $e->getMessage());
        }
    }

    /** json_encode overflowed the C stack on this (a segfault), before the depth was checked first. */
    public function testAnArrayNested100000DeepIsTheCoresLimitNotACrash(): void
    {
        $deep = 1;
        for ($i = 0; $i < 100000; $i++) {
            $deep = [$deep];
        }
        // (PHP itself cannot free objects nested 100,000 deep: it overflows
        // its own stack there, so objects nest 1,000 deep here.)
        $object = new \stdClass();
        for ($i = 0; $i < 1000; $i++) {
            $object = (object) ['d' => $object];
        }
        foreach (['an array' => $deep, 'an object' => $object] as $what => $value) {
            try {
                self::domain()->propose('Counter', null, ['type' => 'bump', 'data' => ['by' => $value]]);
                $this->fail("no limit_exceeded for $what");
            } catch (Exception\LimitExceededException $e) {
                $this->assertSame('max_input_depth', $e->limit, $what);
                $this->assertStringContainsString('`command` nests deeper than 64 levels', $e->getMessage());
            }
        }
    }

    /** The depth is the core's own limit: 64 levels reach the core, 65 do not. */
    public function testTheDepthLimitIsTheCores(): void
    {
        $nest = static function (int $levels): array {
            $v = 1;
            for ($i = 0; $i < $levels; $i++) {
                $v = [$v];
            }
            return $v;
        };
        // The command itself and its data are two levels.
        try {
            self::domain()->propose('Counter', null, ['type' => 'bump', 'data' => ['by' => $nest(62)]]);
            $this->fail('a list is no int');
        } catch (Exception\InvalidCommandException $e) {
            $this->assertSame('data.by', $e->path);
        }
        $this->expectException(Exception\LimitExceededException::class);
        self::domain()->propose('Counter', null, ['type' => 'bump', 'data' => ['by' => $nest(63)]]);
    }

    public function testTheDomainStillWorksAfterwards(): void
    {
        $d = self::domain();
        foreach (self::inputs() as [$code, $call]) {
            try {
                $call($d);
            } catch (EventfoldException) {
            }
        }
        $this->assertSame(1, $d->propose('Counter', null, ['type' => 'bump'])[0]['data']['by']);
    }
}
