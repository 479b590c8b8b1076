<?php

declare(strict_types=1);

namespace Eventfold\Exception;

/** `unknown_query`: The model has no query of that name. */
final class UnknownQueryException extends EventfoldException
{
}
