<?php

declare(strict_types=1);

namespace Eventfold\Tests;

use Eventfold\Domain;
use Eventfold\Engine;
use Eventfold\Exception;
use PHPUnit\Framework\TestCase;

final class EngineTest extends TestCase
{
    private string $dir;

    protected function setUp(): void
    {
        $this->dir = sys_get_temp_dir() . '/eventfold-php-' . bin2hex(random_bytes(6));
        mkdir($this->dir);
    }

    protected function tearDown(): void
    {
        foreach (glob("$this->dir/*") ?: [] as $f) {
            unlink($f);
        }
        rmdir($this->dir);
    }

    private static function todos(): Domain
    {
        return Domain::fromFiles(dirname(__DIR__, 3) . '/examples/todos/todos.model');
    }

    private function open(array $options = []): Engine
    {
        return Engine::open("sqlite:$this->dir/events.db", self::todos(), $options);
    }

    public function testExecuteLoadQueryRead(): void
    {
        $engine = $this->open(['snapshotEvery' => 2]);
        $r = $engine->execute('Todos', 'home', ['type' => 'create-new', 'data' => ['id' => 't1', 'text' => 'Buy milk']]);
        $this->assertSame('Todos-home', $r['stream']);
        $this->assertSame(1, $r['version']);
        $this->assertSame('created', $r['events'][0]['type']);
        $this->assertSame(1, $r['events'][0]['position']);

        $r = $engine->execute('Todos', 'home', ['type' => 'create-new', 'data' => ['id' => 't2', 'text' => 'Walk']],
            ['expectedVersion' => 1, 'commandId' => 'cmd-2', 'metadata' => ['user' => 'ann'], 'correlation_id' => 'corr']);
        $this->assertSame(2, $r['version']);
        $this->assertSame('ann', $r['events'][0]['metadata']['user']);
        $this->assertSame('corr', $r['events'][0]['metadata']['correlation_id']);
        // The same command id again: the first result, nothing appended.
        $again = $engine->execute('Todos', 'home', ['type' => 'create-new', 'data' => ['id' => 't2', 'text' => 'Walk']], ['command_id' => 'cmd-2']);
        $this->assertSame(2, $again['version']);

        $loaded = $engine->load('Todos', 'home');
        $this->assertSame(2, $loaded['version']);
        $this->assertSame(['t1', 't2'], array_keys($loaded['state']['todos']));
        $this->assertSame(2, $engine->query('Todos', 'home', 'remaining'));
        $this->assertTrue($engine->query('Todos', 'home', 'has-todo', ['id' => 't1']));

        $this->assertCount(2, $engine->readStream('Todos-home'));
        $this->assertSame(2, $engine->readStream('Todos-home', ['fromVersion' => 2])[0]['version']);
        $this->assertCount(1, $engine->readAll(['limit' => 1]));
        $this->assertSame([['stream' => 'Todos-home', 'version' => 2]], $engine->streams());
        $this->assertSame([['stream' => 'Todos-home', 'version' => 2]], $engine->streams('Todos'));
        // Stored events replay through the domain to the same state.
        $this->assertSame($loaded['state'], $engine->domain()->replay('Todos', $engine->readStream('Todos-home')));
        $engine->close();

        // The events are on disk.
        $reopened = $this->open();
        $this->assertSame(2, $reopened->load('Todos', 'home')['version']);
        $this->assertSame(0, $reopened->load('Todos', 'elsewhere')['version']);
        $reopened->close();
    }

    public function testExecuteMany(): void
    {
        $engine = $this->open();
        $results = $engine->executeMany([
            ['model' => 'Todos', 'id' => 'a', 'command' => ['type' => 'create-new', 'data' => ['id' => '1', 'text' => 'x']]],
            ['model' => 'Todos', 'id' => 'b', 'command' => ['type' => 'clear-done', 'data' => []], 'options' => ['metadata' => []]],
        ]);
        $this->assertSame('Todos-a', $results[0]['stream']);
        $this->assertSame(0, $results[1]['version']);
        try {
            $engine->executeMany([
                ['model' => 'Todos', 'id' => 'c', 'command' => ['type' => 'create-new', 'data' => ['id' => '1', 'text' => 'x']]],
                ['model' => 'Todos', 'id' => 'a', 'command' => ['type' => 'create-new', 'data' => ['id' => '1', 'text' => 'x']]],
            ]);
            $this->fail('no rejection');
        } catch (Exception\RejectedException $e) {
            $this->assertSame('duplicate', $e->reason);
        }
        $this->assertSame(0, $engine->load('Todos', 'c')['version'], 'all or none');
    }

    public function testErrors(): void
    {
        $engine = $this->open();
        $engine->execute('Todos', 'x', ['type' => 'create-new', 'data' => ['id' => '1', 'text' => 'x']]);
        try {
            $engine->execute('Todos', 'x', ['type' => 'delete', 'data' => ['id' => '1']], ['expected_version' => 0]);
            $this->fail('no conflict');
        } catch (Exception\VersionConflictException $e) {
            $this->assertSame(0, $e->expected);
            $this->assertSame(1, $e->actual);
        }
        $this->expectException(Exception\RejectedException::class);
        $engine->execute('Todos', 'x', ['type' => 'delete', 'data' => ['id' => 'nope']]);
    }

    public function testBadOptionsAndStores(): void
    {
        // The core's fault for any bad option, as in every skin.
        $this->expectException(Exception\InvalidCommandException::class);
        $this->open(['cacheSize' => 1]);
    }

    public function testUnopenableStore(): void
    {
        $this->expectException(Exception\StoreErrorException::class);
        Engine::open('sqlite:/nonexistent/dir/x.db', self::todos());
    }

    public function testEveryCallAfterCloseThrows(): void
    {
        $engine = $this->open();
        $engine->close();
        $engine->close(); // twice is fine
        $calls = [
            fn () => $engine->execute('Todos', 'a', ['type' => 'clear-done']),
            fn () => $engine->executeMany([]),
            fn () => $engine->load('Todos', 'a'),
            fn () => $engine->query('Todos', 'a', 'remaining'),
            fn () => $engine->readStream('Todos-a'),
            fn () => $engine->readAll(),
            fn () => $engine->streams(),
        ];
        foreach ($calls as $i => $call) {
            try {
                $call();
                $this->fail("call $i after close did not throw");
            } catch (Exception\StoreErrorException $e) {
                $this->assertStringContainsString('closed', $e->getMessage());
            }
        }
    }

    public function testMemoryStore(): void
    {
        $engine = Engine::open('memory:', self::todos());
        $engine->execute('Todos', 'm', ['type' => 'create-new', 'data' => ['id' => '1', 'text' => 'x']]);
        $this->assertSame(1, $engine->load('Todos', 'm')['version']);
    }
}
