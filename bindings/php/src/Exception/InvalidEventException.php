<?php

declare(strict_types=1);

namespace Eventfold\Exception;

/** `invalid_event`: An event given to accept or replay has the wrong shape: see `path`. */
final class InvalidEventException extends EventfoldException
{
}
