<?php

declare(strict_types=1);

namespace Eventfold\Exception;

/** `unknown_projection`: The domain has no projection of that name. */
final class UnknownProjectionException extends EventfoldException
{
}
