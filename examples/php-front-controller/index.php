<?php

declare(strict_types=1);

/*
 * A todo app's HTTP API as one plain PHP front controller, on the classes
 * `eventfold generate --lang php --package App` writes. Every request is a
 * fresh PHP process state (php -S, php-fpm): it opens the engine on the
 * SQLite file, runs one command or read, and answers JSON.
 *
 *   eventfold generate --lang php examples/todos/todos.model -o examples/php-front-controller/generated --package App
 *   EVENTFOLD_STORE=sqlite:/tmp/todos.db php -d ffi.enable=true -S 127.0.0.1:8080 examples/php-front-controller/index.php
 *
 * Routes:
 *   POST /lists/{list}/todos                {"id", "text"}   201, or 409 duplicate / 422 blank
 *   POST /lists/{list}/todos/{id}/complete                   200, or 404 missing
 *   GET  /lists/{list}/todos                                 the list's rows of todo_rows
 *   GET  /lists/{list}                                       the stream's state and remaining
 *   GET  /health                                             200 "ok"
 */

use App\TodoRowsRow;
use App\TodoRowsTable;
use App\Todos\ChangeCompleted;
use App\Todos\CreateNew;
use App\Todos\TodosModel;
use App\Todos\TodosRejection;
use Eventfold\Domain;
use Eventfold\Engine;
use Eventfold\Exception\EventfoldException;
use Eventfold\Exception\RejectedException;

$root = dirname(__DIR__, 2);
spl_autoload_register(static function (string $class) use ($root): void {
    $file = "$root/bindings/php/src/" . str_replace('\\', '/', substr($class, strlen('Eventfold\\'))) . '.php';
    if (str_starts_with($class, 'Eventfold\\') && is_file($file)) {
        require $file;
    }
});
require (getenv('EVENTFOLD_GENERATED') ?: __DIR__ . '/generated') . '/autoload.php';

/** @param array<string, mixed>|list<mixed>|string $body */
function respond(int $status, array|string $body): void
{
    http_response_code($status);
    header('Content-Type: application/json');
    echo json_encode($body, JSON_UNESCAPED_SLASHES | JSON_PRESERVE_ZERO_FRACTION), "\n";
}

/** @return array<string, mixed> */
function body(): array
{
    $data = json_decode((string) file_get_contents('php://input'), true);
    if (!is_array($data)) {
        throw new InvalidArgumentException('the body must be a JSON object');
    }
    return $data;
}

/** A rejection as HTTP: a conflict with what is there (409), or input the model refuses (422). */
function rejected(RejectedException $e): void
{
    $reason = TodosRejection::of($e);
    $status = match ($reason) {
        TodosRejection::Duplicate => 409,
        TodosRejection::Missing => 404,
        default => 422,
    };
    respond($status, ['error' => 'rejected', 'reason' => $e->reason, 'message' => $e->getMessage()]);
}

$method = $_SERVER['REQUEST_METHOD'] ?? 'GET';
$path = parse_url($_SERVER['REQUEST_URI'] ?? '/', PHP_URL_PATH) ?: '/';

try {
    if ($path === '/health') {
        respond(200, 'ok');
        return;
    }
    $engine = Engine::open(getenv('EVENTFOLD_STORE') ?: 'sqlite:' . sys_get_temp_dir() . '/eventfold-todos.db',
        Domain::fromFiles("$root/examples/todos/todos.model"));
    $todos = new TodosModel($engine);

    if ($method === 'POST' && preg_match('#^/lists/([\w-]+)/todos$#', $path, $m)) {
        $b = body();
        // The generated class checks the fields: a wrong name or type is a 400.
        $done = $todos->stream($m[1])->createNew(new CreateNew(...$b));
        respond(201, ['version' => $done->version, 'events' => array_map(
            static fn ($e) => ['type' => $e::TYPE, 'data' => $e->toArray()], $done->events)]);
    } elseif ($method === 'POST' && preg_match('#^/lists/([\w-]+)/todos/([\w-]+)/complete$#', $path, $m)) {
        $done = $todos->stream($m[1])->changeCompleted(new ChangeCompleted(id: $m[2], completed: true));
        respond(200, ['version' => $done->version]);
    } elseif ($method === 'GET' && preg_match('#^/lists/([\w-]+)/todos$#', $path, $m)) {
        respond(200, array_map(static fn (TodoRowsRow $r) => $r->toArray(), (new TodoRowsTable($engine))->rows($m[1])));
    } elseif ($method === 'GET' && preg_match('#^/lists/([\w-]+)$#', $path, $m)) {
        $stream = $todos->stream($m[1]);
        respond(200, ['state' => $stream->state()->toArray(), 'remaining' => $stream->remaining()]);
    } else {
        respond(404, ['error' => 'not_found', 'message' => "no route for $method $path"]);
    }
} catch (RejectedException $e) {
    rejected($e);
} catch (EventfoldException $e) {
    respond(400, ['error' => $e->errorCode, 'message' => $e->getMessage()]);
} catch (LogicException $e) {
    // A setup problem, e.g. FFI off under php -S or php-fpm: the message
    // says which php.ini line to add.
    respond(500, ['error' => 'setup', 'message' => $e->getMessage()]);
} catch (TypeError | ArgumentCountError | InvalidArgumentException | Error $e) {
    // new CreateNew(...$body) with a wrong field name (Error: Unknown named
    // parameter), a missing one (ArgumentCountError) or a wrong type (TypeError).
    respond(400, ['error' => 'bad_request', 'message' => $e->getMessage()]);
}
