<?php

declare(strict_types=1);

/*
 * The todo list of examples/todos from PHP: the pure Domain API, then an
 * engine on SQLite, errors as exceptions, the projection's table read back
 * with PDO, and a subscription. See README.md next to this file.
 *
 *   EVENTFOLD_LIB=target/debug/libeventfold.so php examples/php/todos.php "$(mktemp -d)/todos.db"
 *
 * With Composer, `require 'vendor/autoload.php';` replaces the autoloader below.
 */

spl_autoload_register(static function (string $class): void {
    $file = __DIR__ . '/../../bindings/php/src/' . str_replace('\\', '/', substr($class, strlen('Eventfold\\'))) . '.php';
    if (str_starts_with($class, 'Eventfold\\') && is_file($file)) {
        require $file;
    }
});

use Eventfold\Domain;
use Eventfold\Engine;
use Eventfold\Exception\EventfoldException;
use Eventfold\Exception\RejectedException;

$domain = Domain::fromFiles(__DIR__ . '/../todos/todos.model');

// Pure: what would this command emit on an empty list?
$state = $domain->initialState('Todos');
$events = $domain->propose('Todos', $state, ['type' => 'create-new', 'data' => ['id' => 't1', 'text' => 'Buy milk']]);
$state = $domain->replay('Todos', $events, $state);
printf("pure: %d todo(s) remaining\n", $domain->query('Todos', $state, 'remaining'));

// An engine on SQLite: the events are kept, in order, with their metadata.
$path = $argv[1] ?? 'todos.db';
$engine = Engine::open('sqlite:' . $path, $domain);
$engine->execute('Todos', 'home', ['type' => 'create-new', 'data' => ['id' => 't1', 'text' => 'Buy milk']],
    ['commandId' => 'req-1', 'metadata' => ['user' => 'ann']]);
$engine->execute('Todos', 'home', ['type' => 'create-new', 'data' => ['id' => 't2', 'text' => 'Walk the dog']]);
$result = $engine->execute('Todos', 'home', ['type' => 'change-completed', 'data' => ['id' => 't1', 'completed' => true]]);
printf("stream %s is at version %d\n", $result['stream'], $result['version']);

foreach ($engine->load('Todos', 'home')['state']['todos'] as $todo) {
    printf("[%s] %s\n", $todo['completed'] ? 'x' : ' ', $todo['text']);
}

try {
    $engine->execute('Todos', 'home', ['type' => 'create-new', 'data' => ['id' => 't1', 'text' => 'Again']]);
} catch (RejectedException $e) {
    printf("rejected (%s): %s\n", $e->reason, $e->getMessage());
} catch (EventfoldException $e) {
    printf("%s: %s\n", $e->errorCode, $e->getMessage());
}

// The inline projection `todo-board` kept the table `todo_rows` in the same
// transaction as the events. It is a real SQL table: PDO reads it like any
// other (a bool is an INTEGER 0 or 1, a timestamp TEXT).
$pdo = new PDO('sqlite:' . $path, options: [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION]);
$select = $pdo->prepare('SELECT id, text, completed, done_at FROM todo_rows WHERE list_id = ? ORDER BY id');
$select->execute(['home']);
foreach ($select->fetchAll(PDO::FETCH_ASSOC) as $row) {
    printf("row %s: %s, %s%s\n", $row['id'], $row['text'], $row['completed'] ? 'done' : 'open',
        $row['done_at'] === null ? '' : " at {$row['done_at']}");
}
$pdo = null;
// The same rows through the engine, in key order.
printf("%d row(s) through the engine\n", count($engine->rows('todo_rows', key: ['home'])));

// A subscription: every event, at least once, from a durable checkpoint.
// Each event is acked when the loop asks for the next one; close() ends it.
$subscription = $engine->subscribe('printer');
foreach ($subscription as $position => $event) {
    printf("event %d: %s on %s\n", $position, $event['type'], $event['stream']);
    if ($position >= $result['position']) {
        $subscription->close();
    }
}
$engine->close();
