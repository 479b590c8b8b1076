<?php

declare(strict_types=1);

namespace Eventfold\Exception;

/** `unknown_command`: The model has no command of that type. */
final class UnknownCommandException extends EventfoldException
{
}
