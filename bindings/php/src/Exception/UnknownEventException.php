<?php

declare(strict_types=1);

namespace Eventfold\Exception;

/** `unknown_event`: The model has no event of that type. */
final class UnknownEventException extends EventfoldException
{
}
