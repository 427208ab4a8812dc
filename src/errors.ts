/**
 * The error family of vczdepot: every error the library or the CLI throws on
 * purpose is a {@link VczdepotError} with a literal, kebab-case `code` that
 * never changes between releases (`'duplicate-sample'`, `'vcf-syntax'`,
 * `'chunk-corrupt'`, ...) and typed fields naming the file, line, sample or
 * variant concerned. {@link isVczdepotError}`(err, ...codes)` narrows to the
 * classes with those codes, as zarrita's `isZarritaError` does:
 *
 *   if (isVczdepotError(err, 'duplicate-sample')) err.sampleId; // DuplicateSampleError
 *
 * This module sits below every layer and imports nothing of ours. Each
 * area's errors module registers its classes in {@link VczdepotErrorMap} by
 * declaration merging:
 *
 *   declare module '../errors.ts' {
 *     interface VczdepotErrorMap extends ErrorsByCode<FooError | BarError> {}
 *   }
 *
 * so that the map, and the code union {@link VczdepotErrorCode}, list every
 * class without this module importing any (two classes with one code fail
 * to compile: the merged interface cannot extend both).
 */

/**
 * Every concrete error class, by its code (filled in by declaration merging,
 * see the module comment). Type-level only.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface VczdepotErrorMap {}

/** The literal union of every error code. */
export type VczdepotErrorCode = keyof VczdepotErrorMap;

/** `{ [code]: class }` for a union of error classes (to register them in {@link VczdepotErrorMap}). */
export type ErrorsByCode<E extends { readonly code: string }> = { [K in E as K['code']]: K };

/**
 * Base class of every vczdepot error. Subclasses set a literal `code` and
 * their own `name` (the class name, as `err.name` and in stack traces).
 */
export abstract class VczdepotError extends Error {
  /** Stable, kebab-case, unique across the family. */
  abstract readonly code: VczdepotErrorCode;
}

/**
 * True when `err` is a vczdepot error and, if codes are given, has one of
 * them; narrows to the classes with those codes (every class without codes).
 * Anything else (a plain `Error`, a Node system error, a non-error) is false.
 */
export function isVczdepotError<C extends VczdepotErrorCode = VczdepotErrorCode>(
  err: unknown,
  ...codes: readonly C[]
): err is VczdepotErrorMap[C] {
  return err instanceof VczdepotError && (codes.length === 0 || (codes as readonly VczdepotErrorCode[]).includes(err.code));
}

/**
 * Makes an area's guard (`isDepotError`, `isSchunkError`, ...) for the
 * classes `E` (a union) deriving from `base`: true when `err` is an instance
 * of `base` (with the given code, if one is given), narrowing to the class
 * with that code (every class of `E` without).
 */
export function areaGuard<E extends VczdepotError>(base: abstract new (...args: never[]) => VczdepotError) {
  return <C extends E['code'] = E['code']>(err: unknown, code?: C): err is Extract<E, { readonly code: C }> =>
    err instanceof base && (code === undefined || err.code === code);
}

/**
 * Names error classes: sets each one's `prototype.name` to its key, so that
 * `err.name` (and the first line of `err.stack`) is the class name, as
 * `Error.prototype.name` is `'Error'`. One call per module, after its
 * classes, instead of `this.name = '...'` in every constructor; the keys are
 * literal text, so a bundler renaming a class does not change its name.
 */
export function nameErrors(classes: Readonly<Record<string, abstract new (...args: never[]) => Error>>): void {
  for (const [name, cls] of Object.entries(classes)) {
    Object.defineProperty(cls.prototype, 'name', { value: name, writable: true, enumerable: false, configurable: true });
    namedClasses.set(name, cls);
  }
}

const namedClasses = new Map<string, abstract new (...args: never[]) => Error>();

/**
 * The error class named `name` by {@link nameErrors} (in a module loaded in
 * this thread), or undefined: how an error thrown in a worker thread is
 * rebuilt as its own class on the main thread (src/vcz/export-threads.ts).
 */
export function namedErrorClass(name: string): (abstract new (...args: never[]) => Error) | undefined {
  return namedClasses.get(name);
}
