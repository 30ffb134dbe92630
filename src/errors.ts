/**
 * Every error the library throws on bad input is a WasmlaError; the subclass (and `code`) says
 * what kind of mistake it was. After any of them the backend stays usable: nothing is allocated
 * until the inputs have been checked, and temporaries are freed on the way out.
 */
export class WasmlaError extends Error {
  /** Stable machine-readable kind, e.g. "SHAPE". */
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Operand shapes don't fit the operation, e.g. `matmul: [3,5] @ [3,4]: inner dimensions 5 and 3 differ`. */
export class ShapeError extends WasmlaError {
  constructor(message: string) { super("SHAPE", message); }
}

/** The data does not match the declared shape (too many or too few values, a ragged row). */
export class LengthError extends WasmlaError {
  constructor(message: string) { super("LENGTH", message); }
}

/** A value is not usable: not a number, an invalid shape entry, an unknown option. */
export class InputError extends WasmlaError {
  constructor(message: string) { super("INPUT", message); }
}

/** A tensor was used after `dispose()` (or after the scope that owned it ended). */
export class DisposedError extends WasmlaError {
  constructor(message: string) { super("DISPOSED", message); }
}

/** An allocation would pass wasm32's 4 GiB limit, or the engine refused to grow memory. */
export class MemoryLimitError extends WasmlaError {
  constructor(message: string) { super("MEMORY", message); }
}

/** A backend is unavailable here, not initialised yet, or tensors from two backends were mixed. */
export class BackendError extends WasmlaError {
  constructor(message: string) { super("BACKEND", message); }
}

/** A file is not what it claims to be: truncated, corrupt header, offsets out of bounds, wrong dtype. */
export class FormatError extends WasmlaError {
  constructor(message: string) { super("FORMAT", message); }
}

/** An embeddings endpoint failed: unreachable, an HTTP error (after retries), or a malformed answer. */
export class EmbeddingError extends WasmlaError {
  /** The HTTP status, when the server answered. */
  readonly status?: number;
  constructor(message: string, status?: number) {
    super("EMBEDDING", message);
    this.status = status;
  }
}
