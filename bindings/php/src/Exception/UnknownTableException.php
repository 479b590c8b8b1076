<?php

declare(strict_types=1);

namespace Eventfold\Exception;

/** `unknown_table`: The domain has no table of that name. */
final class UnknownTableException extends EventfoldException
{
}
