<?php

declare(strict_types=1);

namespace Eventfold\Tests;

use Eventfold\Domain;
use Eventfold\Exception;
use Eventfold\Exception\EventfoldException;
use PHPUnit\Framework\TestCase;

final class DomainTest extends TestCase
{
    public const COUNTER = <<<'MODEL'
        model Counter {
          enum Mood { calm, busy }
          record Note { text: string; tags: map<string, int> }
          state {
            count: int
            by_user: map<string, int>
            notes: list<Note>
            last: Note?
            mood: Mood = Mood.calm
          }
          command bump(by: int = 1, user: string = "anon") {
            reject negative "by must not be negative" if by < 0
            emit bumped(by, user)
          }
          command note(note: Note) { emit noted(note) }
          event bumped(by: int, user: string) {
            set count = count + by
            set by_user[user] = by_user.get(user, 0) + by
          }
          event noted(note: Note) {
            set notes = notes + [note]
            set last = note
          }
          query twice(): int = count * 2
          query plus(n: int): int = count + n
          query user(name: string): int = by_user.get(name, 0)
        }
        MODEL;

    /** Version 1: an event at its second version, an upcast, a drop, a table and a projection. */
    public const TALLY = <<<'MODEL'
        model Counter {
          state { count: int; by_user: map<string, int> }
          event bumped@2(by: int, user: string, tags: map<string, int>) {
            set count = count + by
            set by_user[user] = by_user.get(user, 0) + by
          }
          /// Before users.
          upcast bumped@1(by: int, tags: map<string, int>) {
            emit bumped(by, user: "anon", tags)
          }
          /// Resets were never folded.
          upcast reset@1() {
          }
        }

        table tallies {
          key user: string
          n: int = 0
          tags: map<string, int> = {}
        }

        projection tally inline {
          on Counter.bumped {
            if !tallies.has(user) {
              insert tallies(user, tags)
            }
            update tallies[user](n: row.n + by)
          }
        }
        MODEL;

    private static function domain(): Domain
    {
        return Domain::compile(['counter.model' => self::COUNTER]);
    }

    public function testModelsAndDescribe(): void
    {
        $d = self::domain();
        $this->assertSame(['Counter'], $d->models());
        $describe = $d->describe();
        $this->assertSame('Counter', $describe['models'][0]['name']);
        $this->assertSame('bump', $describe['models'][0]['commands'][0]['name']);
    }

    public function testEmptyMapsAndRecordsRoundTrip(): void
    {
        $d = self::domain();
        $state = $d->initialState('Counter');
        $this->assertSame(['count' => 0, 'by_user' => [], 'notes' => [], 'last' => null, 'mood' => 'calm'], $state);
        // The state comes back with `[]` for the empty map; it goes in again as `{}`.
        $events = $d->propose('Counter', $state, ['type' => 'bump', 'data' => []]);
        $this->assertSame([['type' => 'bumped', 'data' => ['by' => 1, 'user' => 'anon']]], $events);
        $note = ['text' => 'hi', 'tags' => []];
        $noted = $d->propose('Counter', $state, ['type' => 'note', 'data' => ['note' => $note]]);
        $state = $d->accept('Counter', $state, $noted[0]);
        $this->assertSame([$note], $state['notes']);
        $this->assertSame($note, $state['last']);
        $events = $d->propose('Counter', $state, ['type' => 'bump', 'data' => ['by' => 2, 'user' => '0'], 'metadata' => []]);
        $state = $d->accept('Counter', $state, $events[0]);
        $this->assertSame(2, $state['count']);
        $this->assertSame(['0' => 2], $state['by_user']); // a key that looks like an index stays a map key
        $state = $d->accept('Counter', $state, $events[0]);
        $this->assertSame(4, $d->query('Counter', $state, 'user', ['name' => '0']));
        $this->assertSame(8, $d->query('Counter', $state, 'twice'));
        $this->assertSame(4, $d->query('Counter', $state, 'plus', ['n' => 0]));
        $this->assertSame($state, $d->replay('Counter', [$noted[0], $events[0], $events[0]]));
        $this->assertSame(6, $d->replay('Counter', [$events[0]], $state)['count']);
    }

    public function testUpcastOfACurrentEventGivesItBackAtItsSchema(): void
    {
        $d = self::domain();
        $bumped = ['type' => 'bumped', 'schema' => 1, 'data' => ['by' => 3, 'user' => 'ann']];
        $this->assertSame([$bumped], $d->upcast('Counter', $bumped));
        $this->assertSame([$bumped], $d->upcast('Counter', ['type' => 'bumped', 'data' => ['by' => 3, 'user' => 'ann']]));
        $this->assertSame([$bumped], $d->upcast('Counter', '{"type": "bumped", "schema": 1, "data": {"by": 3, "user": "ann"}}'));
        // An empty map inside a record goes in as `{}`, as for accept.
        $noted = ['type' => 'noted', 'schema' => 1, 'data' => ['note' => ['text' => 'hi', 'tags' => []]]];
        $this->assertSame([$noted], $d->upcast('Counter', $noted));
        // The stored envelope's keys are taken too.
        $stored = $bumped + ['id' => 'e-1', 'stream' => 'Counter-a', 'version' => 1, 'position' => 4, 'metadata' => []];
        $this->assertSame([$bumped], $d->upcast('Counter', $stored));
    }

    public function testAcceptAndReplayTakeASchema(): void
    {
        $d = self::domain();
        $bumped = ['type' => 'bumped', 'schema' => 1, 'data' => ['by' => 3, 'user' => 'ann']];
        $this->assertSame(3, $d->accept('Counter', null, $bumped)['count']);
        $this->assertSame(6, $d->replay('Counter', [$bumped, ['type' => 'bumped', 'data' => ['by' => 3, 'user' => 'ann']]])['count']);
        try {
            $d->replay('Counter', [$bumped, ['schema' => 2] + $bumped]);
            $this->fail('no unknown_event');
        } catch (Exception\UnknownEventException $e) {
            $this->assertStringContainsString('event 1', $e->getMessage());
        }
    }

    public function testProjectOfAnUndeclaredProjection(): void
    {
        $d = self::domain();
        $event = ['model' => 'Counter', 'id' => 'a', 'type' => 'bumped', 'data' => ['by' => 1, 'user' => 'ann']];
        foreach ([null, [], ['counts' => []]] as $tables) {
            try {
                $d->project('counts', [$event], $tables);
                $this->fail('no unknown_projection');
            } catch (Exception\UnknownProjectionException $e) {
                $this->assertSame('unknown_projection', $e->errorCode);
                $this->assertSame(17, $e->getCode());
                $this->assertStringContainsString('counts', $e->getMessage());
            }
        }
    }

    public function testUpcastReadsAnOldShapeWithItsOwnTypes(): void
    {
        $d = Domain::compile(['tally.model' => self::TALLY]);
        // `tags` is a map of the old shape: it goes in as `{}` although PHP holds `[]`.
        $this->assertSame(
            [['type' => 'bumped', 'schema' => 2, 'data' => ['by' => 2, 'user' => 'anon', 'tags' => []]]],
            $d->upcast('Counter', ['type' => 'bumped', 'schema' => 1, 'data' => ['by' => 2, 'tags' => []]]),
        );
        $this->assertSame([], $d->upcast('Counter', ['type' => 'reset', 'schema' => 1]));
        // A retired name without a schema is its newest upcast.
        $this->assertSame([], $d->upcast('Counter', ['type' => 'reset']));
        $state = $d->replay('Counter', [
            ['type' => 'bumped', 'schema' => 1, 'data' => ['by' => 2, 'tags' => []]],
            ['type' => 'reset', 'schema' => 1],
            ['type' => 'bumped', 'data' => ['by' => 3, 'user' => 'ann', 'tags' => ['x' => 1]]],
        ]);
        $this->assertSame(['count' => 5, 'by_user' => ['ann' => 3, 'anon' => 2]], $state);
        $this->assertSame(7, $d->accept('Counter', $state, ['type' => 'bumped', 'schema' => 1, 'data' => ['by' => 2, 'tags' => []]])['count']);
    }

    public function testProjectFoldsEventsOntoTables(): void
    {
        $d = Domain::compile(['tally.model' => self::TALLY]);
        $events = [
            ['model' => 'Counter', 'id' => 'a', 'type' => 'bumped', 'schema' => 1, 'data' => ['by' => 2, 'tags' => []]],
            ['model' => 'Counter', 'id' => 'a', 'type' => 'bumped', 'data' => ['by' => 3, 'user' => 'ann', 'tags' => []],
             'recorded_at' => new \DateTimeImmutable('2026-01-02T03:04:05Z'), 'metadata' => []],
        ];
        $tables = $d->project('tally', $events);
        $this->assertSame(['tallies' => [
            ['user' => 'ann', 'n' => 3, 'tags' => []],
            ['user' => 'anon', 'n' => 2, 'tags' => []],
        ]], $tables);
        // What project gave goes in again: its empty maps as `{}`.
        $again = $d->project('tally', $events, $tables);
        $this->assertSame([6, 4], array_column($again['tallies'], 'n'));
        $this->assertSame(['tallies' => []], $d->project('tally', []));
        $this->assertSame(['tallies' => []], $d->project('tally', [], []));
        $this->assertSame(['tallies' => []], $d->project('tally', '[]', '{}'));
        try {
            $d->project('tally', [], ['nope' => []]);
            $this->fail('no unknown_table');
        } catch (Exception\UnknownTableException $e) {
            $this->assertSame(16, $e->getCode());
            $this->assertStringContainsString('nope', $e->getMessage());
        }
    }

    public function testDescribeHasVersionsTablesAndProjections(): void
    {
        $describe = Domain::compile(['tally.model' => self::TALLY])->describe();
        $model = $describe['models'][0];
        $this->assertSame(2, $model['events'][0]['version']);
        $this->assertSame(['bumped', 'reset'], array_column($model['upcasts'], 'name'));
        $this->assertSame([['name' => 'bumped', 'version' => 2]], $model['upcasts'][0]['emits']);
        $this->assertSame('tallies', $describe['tables'][0]['name']);
        $this->assertSame(['user'], $describe['tables'][0]['key']);
        $this->assertSame('tally', $describe['tables'][0]['projection']);
        $this->assertSame('inline', $describe['projections'][0]['mode']);
        $this->assertSame([['model' => 'Counter', 'event' => 'bumped']], $describe['projections'][0]['handles']);
        $this->assertSame(['tallies'], $describe['projections'][0]['writes']);
        $this->assertMatchesRegularExpression('/^\d{4}[a-z]$/', $describe['tzdb']);
    }

    public function testJsonTextIsTakenAsIs(): void
    {
        $d = self::domain();
        $events = $d->propose('Counter', '{"count": 1, "by_user": {}, "notes": [], "last": null}', '{"type": "bump", "data": {"by": 3}}');
        $this->assertSame(3, $events[0]['data']['by']);
    }

    public function testNowAcceptsDateTime(): void
    {
        $d = Domain::compile(['t.model' => 'model T { state { at: timestamp? } command go() { emit went(at: now) } event went(at: timestamp) { set at = at } }']);
        $events = $d->propose('T', null, ['type' => 'go'], new \DateTimeImmutable('2026-01-02T03:04:05Z'));
        $this->assertSame('2026-01-02T03:04:05Z', $events[0]['data']['at']);
        $events = $d->propose('T', null, ['type' => 'go'], '2026-01-02T03:04:05.5+01:00');
        $this->assertSame('2026-01-02T02:04:05.5Z', $events[0]['data']['at']);
    }

    public function testRejected(): void
    {
        try {
            self::domain()->propose('Counter', null, ['type' => 'bump', 'data' => ['by' => -1]]);
            $this->fail('no exception');
        } catch (Exception\RejectedException $e) {
            $this->assertSame('rejected', $e->errorCode);
            $this->assertSame('negative', $e->reason);
            $this->assertSame('by must not be negative', $e->getMessage());
            $this->assertSame(1, $e->getCode());
            $this->assertInstanceOf(EventfoldException::class, $e);
        }
    }

    public function testModelError(): void
    {
        try {
            Domain::compile(['bad.model' => "model X {\n  state { n: nope }\n}\n", 'worse.model' => 'model']);
            $this->fail('no exception');
        } catch (Exception\ModelErrorException $e) {
            $this->assertSame('model_error', $e->errorCode);
            $files = array_column($e->diagnostics, 'file');
            $this->assertContains('bad.model', $files);
            $this->assertContains('worse.model', $files);
            $this->assertSame(2, $e->diagnostics[array_search('bad.model', $files, true)]['line']);
        }
    }

    /** @return array<string, array{class-string, string, callable(Domain): mixed, ?string}> */
    public static function errors(): array
    {
        return [
            'invalid_json' => [Exception\InvalidJsonException::class, 'invalid_json', fn (Domain $d) => $d->propose('Counter', null, '{"type":'), null],
            'invalid_command' => [Exception\InvalidCommandException::class, 'invalid_command', fn (Domain $d) => $d->propose('Counter', null, ['type' => 'bump', 'data' => ['by' => 'x']]), 'data.by'],
            'unknown_command' => [Exception\UnknownCommandException::class, 'unknown_command', fn (Domain $d) => $d->propose('Counter', null, ['type' => 'nope']), null],
            'invalid_event' => [Exception\InvalidEventException::class, 'invalid_event', fn (Domain $d) => $d->accept('Counter', null, ['type' => 'bumped', 'data' => []]), 'data.by'],
            'unknown_event' => [Exception\UnknownEventException::class, 'unknown_event', fn (Domain $d) => $d->accept('Counter', null, ['type' => 'nope']), null],
            'unknown_model' => [Exception\UnknownModelException::class, 'unknown_model', fn (Domain $d) => $d->initialState('Nope'), null],
            'unknown_query' => [Exception\UnknownQueryException::class, 'unknown_query', fn (Domain $d) => $d->query('Counter', null, 'nope'), null],
            'evaluation_error' => [Exception\EvaluationErrorException::class, 'evaluation_error', fn (Domain $d) => $d->accept('Counter', ['count' => PHP_INT_MAX, 'by_user' => [], 'notes' => []], ['type' => 'bumped', 'data' => ['by' => 1, 'user' => 'a']]), null],
            'upcast: a schema that is text' => [Exception\InvalidEventException::class, 'invalid_event', fn (Domain $d) => $d->upcast('Counter', ['type' => 'bumped', 'schema' => '1', 'data' => ['by' => 1, 'user' => 'a']]), 'schema'],
            'upcast: schema 0' => [Exception\InvalidEventException::class, 'invalid_event', fn (Domain $d) => $d->upcast('Counter', ['type' => 'bumped', 'schema' => 0, 'data' => ['by' => 1, 'user' => 'a']]), 'schema'],
            'upcast: a float schema' => [Exception\InvalidEventException::class, 'invalid_event', fn (Domain $d) => $d->upcast('Counter', ['type' => 'bumped', 'schema' => 1.0, 'data' => ['by' => 1, 'user' => 'a']]), 'schema'],
            'upcast: data of the wrong shape' => [Exception\InvalidEventException::class, 'invalid_event', fn (Domain $d) => $d->upcast('Counter', ['type' => 'bumped', 'data' => ['by' => 'x', 'user' => 'a']]), 'data.by'],
            'upcast: an undeclared version' => [Exception\UnknownEventException::class, 'unknown_event', fn (Domain $d) => $d->upcast('Counter', ['type' => 'bumped', 'schema' => 2, 'data' => ['by' => 1, 'user' => 'a']]), null],
            'upcast: an unknown model' => [Exception\UnknownModelException::class, 'unknown_model', fn (Domain $d) => $d->upcast('Nope', ['type' => 'bumped']), null],
            'accept: a negative schema' => [Exception\InvalidEventException::class, 'invalid_event', fn (Domain $d) => $d->accept('Counter', null, ['type' => 'bumped', 'schema' => -1, 'data' => ['by' => 1, 'user' => 'a']]), 'schema'],
            'project: an unknown projection' => [Exception\UnknownProjectionException::class, 'unknown_projection', fn (Domain $d) => $d->project('nope', []), null],
            'invalid state' => [Exception\InvalidCommandException::class, 'invalid_command', fn (Domain $d) => $d->propose('Counter', ['count' => 'x'], ['type' => 'bump']), 'state.count'],
        ];
    }

    /** @dataProvider errors */
    public function testEveryErrorIsItsOwnClass(string $class, string $code, callable $call, ?string $path): void
    {
        try {
            $call(self::domain());
            $this->fail("no $code");
        } catch (EventfoldException $e) {
            $this->assertInstanceOf($class, $e, $e->getMessage());
            $this->assertSame($code, $e->errorCode);
            $this->assertSame($code, $e->details['code']);
            if ($path !== null) {
                $this->assertSame($path, $e->path);
            }
        }
    }
}
