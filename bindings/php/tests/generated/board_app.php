<?php

declare(strict_types=1);

/*
 * The board of the v1 scenarios on its generated classes (package
 * Board\Gen): enums, defaults, a query returning a record, lists, and a
 * table whose rows hold an enum, timestamps and optionals.
 *   php -d ffi.enable=true board_app.php GENERATED_DIR BOARD_MODEL
 */

require __DIR__ . '/../bootstrap.php';
require $argv[1] . '/autoload.php';

use Board\Gen\Board\AddCard;
use Board\Gen\Board\BoardModel;
use Board\Gen\Board\CardAdded;
use Board\Gen\Board\Priority;
use Board\Gen\Board\SetPriority;
use Board\Gen\CardRowsTable;
use Eventfold\Domain;
use Eventfold\Engine;

$engine = Engine::open('memory:', Domain::fromFiles($argv[2]));
$board = (new BoardModel($engine))->stream('b1');
$added = $board->addCard(new AddCard(id: 'c1', title: 'Write the guide'))->events[0];
assert($added instanceof CardAdded);
echo "added {$added->id} in {$added->lane} at {$added->priority->name}\n";
$board->addCard(new AddCard(id: 'c2', title: 'Ship it', lane: 'doing', priority: Priority::High));
$board->setPriority(new SetPriority(id: 'c1', priority: Priority::Low));
echo 'urgent: ', implode(',', $board->urgent()), "\n";
echo 'card c1: ', $board->card('c1')?->priority->value, "\n";
echo 'in doing: ', implode(',', $board->inLane('doing')), "\n";
foreach ((new CardRowsTable($engine))->rows('b1') as $row) {
    echo "row {$row->card_id}: {$row->priority->value}, labels ", count($row->labels),
        ', moved ', var_export($row->moved_at, true), ', added ', strlen($row->added_at) > 0 ? 'yes' : 'no', "\n";
}
