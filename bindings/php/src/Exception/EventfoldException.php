<?php

declare(strict_types=1);

namespace Eventfold\Exception;

/**
 * The base of every error eventfold raises: one subclass per error code
 * (`RejectedException` for `rejected`, ...), with the fields of that code.
 * `getCode()` is the C status number; `errorCode` is the code's name.
 *
 * The codes and their fields are the core's table (`eventfold_error_table`);
 * the tests check this class and its subclasses against it.
 */
class EventfoldException extends \RuntimeException
{
    /** The class of each code, in the order of the C statuses (status = index + 1). */
    public const CLASSES = [
        'rejected' => RejectedException::class,
        'invalid_json' => InvalidJsonException::class,
        'invalid_command' => InvalidCommandException::class,
        'unknown_command' => UnknownCommandException::class,
        'invalid_event' => InvalidEventException::class,
        'unknown_event' => UnknownEventException::class,
        'unknown_model' => UnknownModelException::class,
        'unknown_query' => UnknownQueryException::class,
        'model_error' => ModelErrorException::class,
        'evaluation_error' => EvaluationErrorException::class,
        'version_conflict' => VersionConflictException::class,
        'limit_exceeded' => LimitExceededException::class,
        'store_error' => StoreErrorException::class,
        'internal' => InternalException::class,
        'model_changed' => ModelChangedException::class,
        'unknown_table' => UnknownTableException::class,
        'unknown_projection' => UnknownProjectionException::class,
        'io_error' => IoErrorException::class,
    ];

    /** The code's name, as in every binding: `rejected`, `invalid_json`, ... */
    public readonly string $errorCode;
    /** `rejected`: the reason the model gave (`invariant` for an invariant), or null. */
    public readonly ?string $reason;
    /** `invalid_command`, `invalid_event`: where the input is wrong, e.g. `data.text`; `io_error`: the file that cannot be read. */
    public readonly ?string $path;
    /** `model_error`: `[['file', 'line', 'column', 'message'], ...]`, every one. */
    public readonly array $diagnostics;
    /** `version_conflict`: the version the command expected. */
    public readonly ?int $expected;
    /** `version_conflict`: the version the stream is at. */
    public readonly ?int $actual;
    /** `limit_exceeded`: which limit, e.g. `max_input_depth`. */
    public readonly ?string $limit;
    /** `store_error`: why: `busy`, `unavailable`, `corrupt`, `closed` or `io`. */
    public readonly ?string $kind;
    /** `model_changed`: the model the store runs a newer version of. */
    public readonly ?string $model;
    /** The whole error as it crossed the boundary: `['code' => ..., 'message' => ..., ...]`. */
    public readonly array $details;

    final public function __construct(string $message, int $status, array $details, ?\Throwable $previous = null)
    {
        parent::__construct($message, $status, $previous);
        $this->details = $details;
        $this->errorCode = (string) ($details['code'] ?? 'internal');
        $this->reason = isset($details['reason']) ? (string) $details['reason'] : null;
        $this->path = isset($details['path']) ? (string) $details['path'] : null;
        $this->diagnostics = is_array($details['diagnostics'] ?? null) ? $details['diagnostics'] : [];
        $this->expected = isset($details['expected']) ? (int) $details['expected'] : null;
        $this->actual = isset($details['actual']) ? (int) $details['actual'] : null;
        $this->limit = isset($details['limit']) ? (string) $details['limit'] : null;
        $this->kind = isset($details['kind']) ? (string) $details['kind'] : null;
        $this->model = isset($details['model']) ? (string) $details['model'] : null;
    }

    /** The exception of the code in `$details['code']`. */
    public static function fromDetails(array $details, ?\Throwable $previous = null): self
    {
        $code = (string) ($details['code'] ?? 'internal');
        $class = self::CLASSES[$code] ?? InternalException::class;
        $status = array_search($code, array_keys(self::CLASSES), true);
        $details['code'] = $code;
        return new $class((string) ($details['message'] ?? $code), $status === false ? 14 : $status + 1, $details, $previous);
    }

    /** @internal */
    public static function of(string $code, string $message, array $extra = [], ?\Throwable $previous = null): self
    {
        return self::fromDetails(['code' => $code, 'message' => $message] + $extra, $previous);
    }
}
