<?php

declare(strict_types=1);

namespace Eventfold\Exception;

/** `internal`: A bug in eventfold (a caught panic): please report it. */
final class InternalException extends EventfoldException
{
}
