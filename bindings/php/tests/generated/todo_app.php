<?php

declare(strict_types=1);

/*
 * The typed todo app on the generated classes (GeneratedTest runs it with
 * the output of `eventfold generate --lang php --package App`):
 *   php -d ffi.enable=true todo_app.php GENERATED_DIR
 */

require __DIR__ . '/../bootstrap.php';
require $argv[1] . '/autoload.php';

use App\TodoRowsTable;
use App\Todos\ChangeCompleted;
use App\Todos\CreateNew;
use App\Todos\Created;
use App\Todos\TodosModel;
use App\Todos\TodosRejection;
use Eventfold\Domain;
use Eventfold\Engine;
use Eventfold\Exception\RejectedException;

$engine = Engine::open('memory:', Domain::fromFiles(__DIR__ . '/../../../../examples/todos/todos.model'));
$kitchen = (new TodosModel($engine))->stream('kitchen');

$done = $kitchen->createNew(new CreateNew(id: 'kettle', text: 'Descale the kettle'));
$created = $done->events[0];
assert($created instanceof Created);
echo "created {$created->id}: {$created->text} (completed: ", var_export($created->completed, true), ")\n";
$kitchen->createNew(new CreateNew(id: 'bins', text: 'Take the bins out'));
$kitchen->changeCompleted(new ChangeCompleted(id: 'kettle', completed: true));

try {
    $kitchen->createNew(new CreateNew(id: 'kettle', text: 'Again'));
} catch (RejectedException $e) {
    echo 'rejected: ', TodosRejection::of($e)?->name, "\n";
}

$state = $kitchen->state();
echo 'state: ', count($state->todos), ' todos, kettle done: ', var_export($state->todos['kettle']->completed, true), "\n";
echo 'remaining: ', $kitchen->remaining(), "\n";
echo 'get-todo bins: ', $kitchen->getTodo('bins')?->text, "\n";
echo 'get-todo nope: ', var_export($kitchen->getTodo('nope'), true), "\n";
foreach ((new TodoRowsTable($engine))->rows('kitchen') as $row) {
    echo "row {$row->list_id}/{$row->id}: ", $row->completed ? 'done' : 'open', $row->done_at === null ? '' : ' at a time', "\n";
}
echo 'version: ', $kitchen->version(), "\n";
