/**
 * aws-local-stepfunctions 3 calls `Promise.withResolvers` (ES2024) in every
 * Task state, and Node 20 does not have it. Importing this module installs a
 * spec-shaped stand-in, only when the runtime lacks the real one, before any
 * state machine runs.
 */

interface Resolvers<T> {
  promise: Promise<T>;
  resolve: (value: T | PromiseLike<T>) => void;
  reject: (reason?: unknown) => void;
}

// Typed locally rather than through a global declaration: the project's `lib` is ES2023, and a
// global augmentation would clash the day it moves to ES2024.
const promiseConstructor = Promise as unknown as { withResolvers?: <T>() => Resolvers<T> };

if (typeof promiseConstructor.withResolvers !== 'function') {
  promiseConstructor.withResolvers = <T>(): Resolvers<T> => {
    let resolve!: Resolvers<T>['resolve'];
    let reject!: Resolvers<T>['reject'];
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}
