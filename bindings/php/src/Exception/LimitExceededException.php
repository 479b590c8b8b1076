<?php

declare(strict_types=1);

namespace Eventfold\Exception;

/** `limit_exceeded`: Input or work past a configured limit: see `limit`. */
final class LimitExceededException extends EventfoldException
{
}
