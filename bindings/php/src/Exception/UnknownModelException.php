<?php

declare(strict_types=1);

namespace Eventfold\Exception;

/** `unknown_model`: The domain has no model of that name. */
final class UnknownModelException extends EventfoldException
{
}
