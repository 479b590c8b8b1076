<?php

declare(strict_types=1);

namespace Eventfold\Exception;

/** `invalid_command`: A command, or a query's arguments, of the wrong shape: see `path`. */
final class InvalidCommandException extends EventfoldException
{
}
