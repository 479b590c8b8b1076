<?php

declare(strict_types=1);

namespace Eventfold\Tests;

use Eventfold\Domain;
use Eventfold\Engine;
use Eventfold\Exception;
use PHPUnit\Framework\TestCase;

/**
 * Issue 14: event versions read through upcasts, raw reads, migrate plan and
 * apply, and what an older engine does once the store runs a newer model.
 * Each test on a SQLite file of its own; nothing waits on time.
 */
final class ModelChangeTest extends TestCase
{
    /** The first version: a todo is an id and a text. */
    private const V1 = <<<'MODEL'
        model Todos {
          record Todo { id: string; text: string }
          state { todos: map<string, Todo> }
          command add(id: string, text: string) {
            reject duplicate "todo ${id} already exists" if id in todos
            emit created(id, text)
          }
          event created(id: string, text: string) {
            set todos[id] = Todo{id, text}
          }
        }
        MODEL;

    /**
     * The second: a todo has a priority; `created` as stored by V1 reads as
     * `created@2` with the priority normal. `add` keeps V1's shape (a new
     * todo is high), so an engine still holding V1 can send it.
     */
    private const V2 = <<<'MODEL'
        model Todos {
          enum Priority { low, normal, high }
          record Todo { id: string; text: string; priority: Priority }
          state { todos: map<string, Todo> }
          command add(id: string, text: string, priority: Priority = Priority.high) {
            reject duplicate "todo ${id} already exists" if id in todos
            emit created(id, text, priority)
          }
          event created@2(id: string, text: string, priority: Priority) {
            set todos[id] = Todo{id, text, priority}
          }
          upcast created@1(id: string, text: string) {
            emit created@2(id, text, priority: Priority.normal)
          }
        }
        MODEL;

    private string $dir;
    private string $store;

    protected function setUp(): void
    {
        $this->dir = sys_get_temp_dir() . '/eventfold-php-' . bin2hex(random_bytes(6));
        mkdir($this->dir);
        $this->store = "sqlite:$this->dir/events.db";
    }

    protected function tearDown(): void
    {
        foreach (glob("$this->dir/*") ?: [] as $f) {
            unlink($f);
        }
        rmdir($this->dir);
    }

    private static function v1(): Domain
    {
        return Domain::compile(['todos.model' => self::V1]);
    }

    private static function v2(): Domain
    {
        return Domain::compile(['todos.model' => self::V2]);
    }

    /** V2 without its upcast: a stored `created@1` is unreadable. */
    private static function v3Source(): string
    {
        return (string) preg_replace('/^ *upcast created@1.*?\n *}\n/ms', '', self::V2);
    }

    private static function v3(): Domain
    {
        return Domain::compile(['todos.model' => self::v3Source()]);
    }

    private static function add(string $id, string $text): array
    {
        return ['type' => 'add', 'data' => ['id' => $id, 'text' => $text]];
    }

    /** Two lists written with V1: Todos-home (two todos), Todos-work (one). */
    private function writeV1(): void
    {
        $engine = Engine::open($this->store, self::v1());
        $engine->execute('Todos', 'home', self::add('a', 'Buy milk'));
        $engine->execute('Todos', 'home', self::add('b', 'Walk'));
        $engine->execute('Todos', 'work', self::add('c', 'Mail'));
        $engine->close();
    }

    /** @return list<array> the active registered versions of Todos */
    /** The version of `created` in the domain `$engine` runs now. */
    private static function createdVersion(Engine $engine): int
    {
        $todos = array_values(array_filter($engine->domain()->describe()['models'], static fn ($m) => $m['name'] === 'Todos'))[0];
        return array_column($todos['events'], 'version', 'name')['created'];
    }

    private static function active(Engine $engine): array
    {
        return array_values(array_filter(
            $engine->modelVersions(),
            static fn (array $v) => $v['model'] === 'Todos' && $v['active'],
        ));
    }

    public function testV3ReallyDropsTheUpcast(): void
    {
        $this->assertStringNotContainsString('upcast', self::v3Source());
        $this->assertStringContainsString('event created@2', self::v3Source());
    }

    public function testV1EventsReadThroughV2Upcasts(): void
    {
        $this->writeV1();
        $engine = Engine::open($this->store, self::v2());

        $loaded = $engine->load('Todos', 'home');
        $this->assertSame(2, $loaded['version']);
        $this->assertSame(['id' => 'a', 'text' => 'Buy milk', 'priority' => 'normal'], $loaded['state']['todos']['a']);

        $events = $engine->readStream('Todos-home');
        $this->assertSame([['created', 2], ['created', 2]], array_map(static fn ($e) => [$e['type'], $e['schema']], $events));
        $this->assertSame(['id' => 'a', 'text' => 'Buy milk', 'priority' => 'normal'], $events[0]['data']);

        $raw = $engine->readStream('Todos-home', ['raw' => true]);
        $this->assertSame([1, 1], array_column($raw, 'schema'));
        $this->assertSame(['id' => 'a', 'text' => 'Buy milk'], $raw[0]['data']);
        $this->assertSame([1, 1, 1], array_column($engine->readAll(['raw' => true]), 'schema'));

        $written = $engine->execute('Todos', 'home', ['type' => 'add', 'data' => ['id' => 'd', 'text' => 'Cook', 'priority' => 'low']]);
        $this->assertSame(2, $written['events'][0]['schema']);
        $last = $engine->readStream('Todos-home', ['fromVersion' => 3, 'raw' => true]);
        $this->assertSame([[2, ['id' => 'd', 'text' => 'Cook', 'priority' => 'low']]], array_map(static fn ($e) => [$e['schema'], $e['data']], $last));
        $this->assertSame('low', $engine->load('Todos', 'home')['state']['todos']['d']['priority']);
        $engine->close();
    }

    public function testPlanOfAReadableAndOfABlockingModel(): void
    {
        $this->writeV1();
        $running = self::v1();
        $engine = Engine::open($this->store, $running);

        $plan = $engine->migratePlan(self::v2());
        $this->assertTrue($plan['ok'], json_encode($plan));
        $this->assertSame(['Todos'], array_column($plan['models'], 'model'));
        $this->assertSame([], $plan['blocking']);
        $this->assertSame(2, $plan['replay']['streams']);
        $this->assertSame(3, $plan['replay']['events']);
        $this->assertSame([], $plan['replay']['failed']);
        $this->assertNotEmpty(
            array_filter($plan['language'], static fn ($c) => $c['model'] === 'Todos' && $c['kind'] === 'event' && $c['name'] === 'created@2'),
            json_encode($plan['language']),
        );
        // Every replayed stream gains a priority: both differ, one shown.
        $this->assertSame(2, $plan['replay']['different']);
        $this->assertCount(1, $engine->migratePlan(self::v2(), ['differences' => 1])['replay']['differences']);
        try {
            $engine->migratePlan(self::v2(), ['differences' => 'all']);
            $this->fail('a bad option passed');
        } catch (Exception\InvalidCommandException $e) {
            $this->assertStringStartsWith('options.differences', (string) $e->path);
        }

        $blocked = $engine->migratePlan(self::v3());
        $this->assertFalse($blocked['ok']);
        $items = array_values(array_filter($blocked['blocking'], static fn ($b) => $b['type'] === 'created'));
        $this->assertCount(1, $items, json_encode($blocked['blocking']));
        $this->assertSame(['Todos', 1, 3, 'unknown_event'], [$items[0]['model'], $items[0]['schema'], $items[0]['events'], $items[0]['code']]);

        $before = $engine->modelVersions();
        try {
            $engine->migrateApply(self::v3());
            $this->fail('a blocking plan applied');
        } catch (Exception\UnknownEventException $e) {
            $this->assertStringStartsWith('migrate apply refused:', $e->getMessage());
            $this->assertStringContainsString('migrate plan', $e->getMessage());
        }
        $this->assertSame($before, $engine->modelVersions());
        $this->assertCount(1, self::active($engine));
        // Nothing switched: this engine still runs V1, and so does the store.
        $this->assertSame(1, self::createdVersion($engine));
        $this->assertSame($running->describe(), $engine->domain()->describe());
        $engine->execute('Todos', 'home', self::add('e', 'Still v1'));
        $this->assertSame(1, $engine->readStream('Todos-home', ['fromVersion' => 3, 'raw' => true])[0]['schema']);
        $engine->close();
    }

    public function testApplyAndTheEnginesStillOnTheOldModel(): void
    {
        $this->writeV1();
        $runner = Engine::open($this->store, self::v1());
        $failing = Engine::open($this->store, self::v1(), ['onModelChange' => 'fail']);
        $following = Engine::open($this->store, self::v1(), ['on_model_change' => 'follow']);
        // Each has read the stream with V1 (its cache holds V1's state).
        foreach ([$runner, $failing, $following] as $e) {
            $this->assertSame(2, $e->load('Todos', 'home')['version']);
        }
        $v1Revision = self::active($runner)[0]['revision'];

        $next = self::v2();
        $applied = $runner->migrateApply($next);
        $this->assertSame(['Todos'], array_column($applied['models'], 'model'));
        $this->assertSame($v1Revision, $applied['models'][0]['from']);
        $v2Revision = $applied['models'][0]['to'];
        $this->assertNotSame($v1Revision, $v2Revision);
        $this->assertIsNumeric($applied['pause_millis']);
        $this->assertSame(3, $applied['position']);
        $this->assertSame($next->describe(), $runner->domain()->describe());
        $this->assertNotSame($runner->domain(), $runner->domain(), 'a new Domain each call');
        $this->assertSame(2, self::createdVersion($runner));
        // The others run V1 until their next command.
        $this->assertSame(1, self::createdVersion($failing));
        $this->assertSame(1, self::createdVersion($following));

        $versions = array_values(array_filter($runner->modelVersions(), static fn ($v) => $v['model'] === 'Todos'));
        $this->assertCount(2, $versions);
        $active = array_column($versions, 'active', 'revision');
        $this->assertFalse($active[$v1Revision]);
        $this->assertTrue($active[$v2Revision]);
        $this->assertNotNull(self::active($runner)[0]['activated_at']);

        // The runner itself now runs V2.
        $this->assertSame('normal', $runner->load('Todos', 'home')['state']['todos']['a']['priority']);

        try {
            $failing->execute('Todos', 'home', self::add('x', 'Lost'));
            $this->fail('no model_changed');
        } catch (Exception\ModelChangedException $e) {
            $this->assertSame('Todos', $e->model);
            $this->assertSame('model_changed', $e->errorCode);
        }
        $this->assertCount(3, $runner->readAll(['raw' => true]), 'nothing written');

        $written = $following->execute('Todos', 'home', self::add('y', 'Followed'));
        $this->assertSame(3, $written['version']);
        $stored = $runner->readStream('Todos-home', ['fromVersion' => 3, 'raw' => true]);
        $this->assertSame([[2, ['id' => 'y', 'text' => 'Followed', 'priority' => 'high']]], array_map(static fn ($e) => [$e['schema'], $e['data']], $stored));
        $this->assertSame('high', $following->load('Todos', 'home')['state']['todos']['y']['priority']);
        // The follower now runs V2; the one that failed still runs V1.
        $this->assertSame(2, self::createdVersion($following));
        $this->assertSame(1, self::createdVersion($failing));

        // A store at V2 does not go back to V1 when an engine opens with it again.
        $again = Engine::open($this->store, self::v1());
        $this->assertSame($v2Revision, self::active($again)[0]['revision']);
        foreach ([$again, $runner, $failing, $following] as $e) {
            $e->close();
        }
    }

    /**
     * A deploy without migrateApply: an engine opened with files the store
     * has never seen makes them active, and the older engines learn it at
     * their next append.
     */
    public function testOpeningNewFilesMakesThemActive(): void
    {
        $this->writeV1();
        $failing = Engine::open($this->store, self::v1());
        $following = Engine::open($this->store, self::v1(), ['onModelChange' => 'follow']);
        foreach ([$failing, $following] as $e) {
            $this->assertSame(2, $e->load('Todos', 'home')['version']);
        }
        $deployed = Engine::open($this->store, self::v2());
        try {
            $failing->execute('Todos', 'home', self::add('x', 'Lost'));
            $this->fail('no model_changed');
        } catch (Exception\ModelChangedException $e) {
            $this->assertSame('Todos', $e->model);
        }
        $this->assertCount(3, $deployed->readAll(['raw' => true]), 'nothing written');

        $this->assertSame(1, self::createdVersion($following));
        $following->execute('Todos', 'work', self::add('y', 'Followed'));
        $this->assertSame(2, self::createdVersion($following), 'the follower runs V2 after its command');
        $this->assertSame(2, self::createdVersion($deployed));
        $stored = $deployed->readStream('Todos-work', ['fromVersion' => 2, 'raw' => true]);
        $this->assertSame([[2, 'high']], array_map(static fn ($e) => [$e['schema'], $e['data']['priority']], $stored));
        // The one that failed still fails: it does not follow by itself.
        $this->expectException(Exception\ModelChangedException::class);
        try {
            $failing->execute('Todos', 'work', self::add('z', 'Lost'));
        } finally {
            foreach ([$deployed, $failing, $following] as $e) {
                $e->close();
            }
        }
    }

    public function testEveryModelChangeCallAfterCloseThrows(): void
    {
        $engine = Engine::open($this->store, self::v1());
        $domain = $engine->domain();
        $engine->close();
        // A Domain taken before close stays usable on its own.
        $this->assertSame(['Todos'], $domain->models());
        $calls = [
            fn () => $engine->domain(),
            fn () => $engine->migratePlan(self::v2()),
            fn () => $engine->migrateApply(self::v2()),
            fn () => $engine->modelVersions(),
        ];
        foreach ($calls as $i => $call) {
            try {
                $call();
                $this->fail("call $i after close did not throw");
            } catch (Exception\StoreErrorException $e) {
                $this->assertSame('closed', $e->kind);
            }
        }
    }

    public function testOnModelChangeIsCheckedByTheCore(): void
    {
        try {
            Engine::open($this->store, self::v1(), ['onModelChange' => 'ignore']);
            $this->fail('a bad on_model_change passed');
        } catch (Exception\InvalidCommandException $e) {
            $this->assertSame('options.on_model_change', $e->path);
        }
    }
}
