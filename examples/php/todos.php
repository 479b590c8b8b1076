<?php

declare(strict_types=1);

/*
 * The todo list of examples/todos from PHP: the pure Domain API, then an
 * engine on SQLite, and errors as exceptions.
 *
 *   EVENTFOLD_LIB=target/debug/libeventfold.so php examples/php/todos.php /tmp/todos.db
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
$engine = Engine::open('sqlite:' . ($argv[1] ?? 'todos.db'), $domain);
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
$engine->close();
