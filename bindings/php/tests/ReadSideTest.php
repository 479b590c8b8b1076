<?php

declare(strict_types=1);

namespace Eventfold\Tests;

use Eventfold\Domain;
use Eventfold\Engine;
use Eventfold\Exception;
use Eventfold\Subscription;
use PHPUnit\Framework\TestCase;

/**
 * The read side through PHP: tables (inline and async) against the pure
 * `project` over the stored events, rows' options, wait_for, rebuild, and
 * subscriptions iterated as a generator. Nothing here waits on the clock:
 * `waitFor` and poll timeouts are only upper bounds.
 */
final class ReadSideTest extends TestCase
{
    private string $dir;

    protected function setUp(): void
    {
        $this->dir = sys_get_temp_dir() . '/eventfold-php-read-' . bin2hex(random_bytes(6));
        mkdir($this->dir);
    }

    protected function tearDown(): void
    {
        foreach (glob("$this->dir/*") ?: [] as $f) {
            unlink($f);
        }
        rmdir($this->dir);
    }

    private static function modelText(): string
    {
        return (string) file_get_contents(dirname(__DIR__, 3) . '/examples/todos/todos.model');
    }

    /** The todo model, its board projection inline (as written) or async (a copy made here). */
    private static function todos(bool $async = false): Domain
    {
        $text = self::modelText();
        if ($async) {
            $text = str_replace('projection todo-board inline', 'projection todo-board async', $text, $count);
            self::assertSame(1, $count, 'the example model has the board projection');
        }
        return Domain::compile(['todos.model' => $text]);
    }

    private function open(Domain $domain, array $options = []): Engine
    {
        return Engine::open("sqlite:$this->dir/events.db", $domain, $options);
    }

    private static function create(string $id, string $text): array
    {
        return ['type' => 'create-new', 'data' => ['id' => $id, 'text' => $text]];
    }

    /** Commands over two lists; the result of the last one. */
    private static function work(Engine $engine): array
    {
        $engine->execute('Todos', 'home', self::create('t1', 'Buy milk'));
        $engine->execute('Todos', 'home', self::create('t2', 'Walk the dog'));
        $engine->execute('Todos', 'work', self::create('w1', 'Send the report'));
        $engine->execute('Todos', 'home', ['type' => 'change-completed', 'data' => ['id' => 't1', 'completed' => true]]);
        $engine->execute('Todos', 'work', ['type' => 'change-text', 'data' => ['id' => 'w1', 'new_text' => 'Send it']]);
        $engine->execute('Todos', 'home', ['type' => 'create-complete', 'data' => ['id' => 't3', 'text' => 'Done before']]);
        $engine->execute('Todos', 'home', ['type' => 'delete', 'data' => ['id' => 't2']]);
        return $engine->execute('Todos', 'work', self::create('w2', 'Plan'));
    }

    /** Stored events (`readAll`) as `project` takes them (MODEL-LANGUAGE.md §13). */
    public static function projectInput(array $stored): array
    {
        return array_map(static function (array $e): array {
            [$model, $id] = explode('-', $e['stream'], 2);
            $metadata = $e['metadata'];
            $recordedAt = $metadata['recorded_at'];
            unset($metadata['recorded_at']);
            return [
                'model' => $model, 'id' => $id, 'type' => $e['type'], 'schema' => $e['schema'],
                'data' => $e['data'], 'version' => $e['version'], 'position' => $e['position'],
                'recorded_at' => $recordedAt, 'metadata' => $metadata, 'event_id' => $e['id'],
            ];
        }, $stored);
    }

    private static function projected(Engine $engine): array
    {
        return $engine->domain()->project('todo-board', self::projectInput($engine->readAll()))['todo_rows'];
    }

    public function testInlineRowsEqualProject(): void
    {
        $engine = $this->open(self::todos());
        $last = self::work($engine);
        $this->assertSame(8, $last['position']);
        $rows = $engine->rows('todo_rows');
        $this->assertCount(4, $rows);
        $this->assertSame(['list_id', 'id', 'text', 'completed', 'done_at'], array_keys($rows[0]));
        $this->assertSame(self::projected($engine), $rows);
        // Inline: no waiting, and the position is reached already.
        $this->assertTrue($engine->waitFor($last['position'], 'todo-board'));
        $engine->close();

        // The rows are in the store file.
        $reopened = $this->open(self::todos());
        $this->assertSame($rows, $reopened->rows('todo_rows'));
        $reopened->close();
    }

    public function testAsyncRowsEqualProjectAfterWaitFor(): void
    {
        $engine = $this->open(self::todos(async: true));
        $last = self::work($engine);
        $this->assertTrue($engine->waitFor($last['position']));
        $this->assertSame(self::projected($engine), $engine->rows('todo_rows'));
        $this->assertTrue($engine->waitFor($last['position'], projection: 'todo-board', timeout: 60.0));

        $board = $engine->projections()[0];
        $this->assertSame(['todo-board', 'async', 'live'], [$board['name'], $board['mode'], $board['status']]);
        $this->assertSame($last['position'], $board['position']);
        $this->assertSame(0, $board['lag']);
        $this->assertNull($board['error']);

        $rebuilt = $engine->rebuild('todo-board');
        $this->assertSame('todo-board', $rebuilt['projection']);
        $this->assertSame(self::projected($engine), $engine->rows('todo_rows'));
    }

    public function testWaitForPastTheHeadIsFalse(): void
    {
        $engine = $this->open(self::todos(async: true));
        $last = $engine->execute('Todos', 'home', self::create('t1', 'x'));
        // No event has that position: false, however fast the machine.
        $this->assertFalse($engine->waitFor($last['position'] + 100, timeout: 0.01));
        $this->expectException(Exception\UnknownProjectionException::class);
        $engine->waitFor(1, 'nope');
    }

    public function testAnEngineThatRunsNoProjections(): void
    {
        $domain = self::todos(async: true);
        $writer = $this->open($domain, ['runProjections' => false, 'onProjectionError' => 'park']);
        $last = $writer->execute('Todos', 'home', self::create('t1', 'x'));
        $this->assertSame([], $writer->rows('todo_rows'));
        $writer->close();
        // Another engine on the file runs the projection.
        $runner = $this->open($domain, ['run_projections' => true]);
        $this->assertTrue($runner->waitFor($last['position']));
        $this->assertSame(self::projected($runner), $runner->rows('todo_rows'));

        $this->expectException(Exception\InvalidCommandException::class);
        $this->open($domain, ['onProjectionError' => 'ignore']);
    }

    public function testRowsOptions(): void
    {
        $engine = $this->open(self::todos());
        self::work($engine);
        $all = $engine->rows('todo_rows');
        $keys = array_map(static fn ($r) => [$r['list_id'], $r['id']], $all);
        $this->assertSame([['home', 't1'], ['home', 't3'], ['work', 'w1'], ['work', 'w2']], $keys);

        $this->assertSame(array_slice($all, 0, 2), $engine->rows('todo_rows', ['key' => ['home']]));
        $this->assertSame(array_slice($all, 0, 2), $engine->rows('todo_rows', key: 'home'));
        $this->assertSame([$all[2]], $engine->rows('todo_rows', key: ['work', 'w1']));
        $this->assertSame(array_slice($all, 2), $engine->rows('todo_rows', after: ['home', 't3']));
        $this->assertSame([$all[0]], $engine->rows('todo_rows', limit: 1));
        $this->assertSame([$all[1]], $engine->rows('todo_rows', ['key' => ['home']], after: ['home', 't1'], limit: 5));
        $this->assertSame([], $engine->rows('todo_rows', key: 'nowhere'));
        $this->assertTrue($all[0]['completed']);
        $this->assertIsString($all[0]['done_at']);
        $this->assertNull($all[3]['done_at']);

        try {
            $engine->rows('todo_rows', key: ['home', 7]);
            $this->fail('a key of the wrong type');
        } catch (Exception\InvalidCommandException $e) {
            $this->assertSame('options.key[1]', $e->path);
        }
        try {
            $engine->rows('nope');
            $this->fail('an unknown table');
        } catch (Exception\UnknownTableException $e) {
            $this->assertSame('unknown_table', $e->errorCode);
        }
    }

    public function testIterationAcksResumesAndNeverSkips(): void
    {
        $engine = $this->open(self::todos());
        $last = self::work($engine); // positions 1..8

        $sub = $engine->subscribe('mailer');
        $this->assertInstanceOf(Subscription::class, $sub);
        $this->assertSame('mailer', $sub->name());
        $first = [];
        foreach ($sub as $position => $event) {
            $this->assertSame($position, $event['position']);
            $first[] = $position;
            if ($position === 3) {
                break; // 1 and 2 are acked, 3 is not
            }
        }
        $this->assertSame([1, 2, 3], $first);
        $this->assertSame(2, self::subscription($engine, 'mailer')['checkpoint']);

        // The same object again: 3 first, since its loop broke off.
        foreach ($sub as $position => $event) {
            $this->assertSame(3, $position);
            break;
        }
        $sub->close();
        $sub->close(); // twice is fine

        // A new subscriber of the name resumes after the checkpoint.
        $again = $engine->subscribe('mailer');
        $second = [];
        foreach ($again as $position => $event) {
            $second[] = $position;
            if ($position === $last['position']) {
                $again->close(); // ends the loop cleanly, this one unacked
            }
        }
        $this->assertSame([3, 4, 5, 6, 7, 8], $second);
        $this->assertSame(7, self::subscription($engine, 'mailer')['checkpoint']);
        // At least once, in order, nothing skipped.
        $this->assertSame(range(1, 8), array_values(array_unique(array_merge($first, $second))));

        $this->expectException(Exception\StoreErrorException::class);
        $again->poll();
    }

    public function testPollAckParkAndFilters(): void
    {
        $engine = $this->open(self::todos());
        $engine->execute('Todos', 'home', self::create('t1', 'x'));
        $engine->execute('Todos', 'home', ['type' => 'delete', 'data' => ['id' => 't1']]);

        $sub = $engine->subscribe('audit', types: ['deleted']);
        $events = $sub->poll(10, 30.0);
        $this->assertSame(['deleted'], array_column($events, 'type'));
        $this->assertSame(['id', 'stream', 'version', 'position', 'type', 'schema', 'data', 'metadata'], array_keys($events[0]));
        $sub->park($events[0]['position'], 'no mailbox');
        $parked = $engine->parked('audit');
        $this->assertCount(1, $parked);
        $this->assertSame([2, 'no mailbox', 'audit'], [$parked[0]['position'], $parked[0]['reason'], $parked[0]['name']]);
        $this->assertSame('deleted', $parked[0]['event']['type']);
        $this->assertSame([], $engine->parked('nobody'));
        $this->assertSame(2, self::subscription($engine, 'audit')['checkpoint']);

        // A second consumer of the name waits while the first holds it.
        $rival = $engine->subscribe('audit');
        $engine->execute('Todos', 'home', self::create('t2', 'y'));
        $engine->execute('Todos', 'home', ['type' => 'delete', 'data' => ['id' => 't2']]);
        $this->assertSame([], $rival->poll(10, 0.0));
        $rival->close();
        $sub->close();

        // From the end: only what comes after.
        $tail = $engine->subscribe('tail', ['from' => 'end']);
        $this->assertSame([], $tail->poll(10, 0.0));
        $r = $engine->execute('Todos', 'home', self::create('t3', 'z'));
        $events = $tail->poll(10, 30.0);
        $this->assertSame([$r['position']], array_column($events, 'position'));
        $tail->ack($r['position']);
        $this->assertSame($r['position'], self::subscription($engine, 'tail')['checkpoint']);

        // From a position, that one included.
        $from = $engine->subscribe('from-two', from: 2);
        $this->assertSame(2, $from->poll(1, 30.0)[0]['position']);

        $this->expectException(Exception\InvalidCommandException::class);
        $engine->subscribe('bad', from: 'middle');
    }

    public function testEveryReadCallAfterCloseThrows(): void
    {
        $engine = $this->open(self::todos());
        $sub = $engine->subscribe('s');
        $engine->close();
        $calls = [
            fn () => $engine->rows('todo_rows'),
            fn () => $engine->projections(),
            fn () => $engine->waitFor(1),
            fn () => $engine->rebuild('todo-board'),
            fn () => $engine->subscribe('t'),
            fn () => $engine->subscriptions(),
            fn () => $engine->parked('s'),
            fn () => $sub->poll(1, 0.0),
            fn () => $sub->ack(1),
        ];
        foreach ($calls as $i => $call) {
            try {
                $call();
                $this->fail("call $i after close did not throw");
            } catch (Exception\StoreErrorException $e) {
                $this->assertSame('store_error', $e->errorCode);
            }
        }
        // Iterating a subscription of a closed engine ends at once.
        $this->assertSame([], iterator_to_array($sub));
    }

    private static function subscription(Engine $engine, string $name): array
    {
        foreach ($engine->subscriptions() as $s) {
            if ($s['name'] === $name) {
                return $s;
            }
        }
        self::fail("no subscription $name");
    }
}
