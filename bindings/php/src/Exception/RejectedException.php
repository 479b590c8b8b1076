<?php

declare(strict_types=1);

namespace Eventfold\Exception;

/** `rejected`: A `reject` fired, or an invariant failed: see `reason` (`invariant` for an invariant) and the message. */
final class RejectedException extends EventfoldException
{
}
