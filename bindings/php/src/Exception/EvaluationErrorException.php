<?php

declare(strict_types=1);

namespace Eventfold\Exception;

/** `evaluation_error`: An expression failed at run time (overflow, missing map key, ...). */
final class EvaluationErrorException extends EventfoldException
{
}
