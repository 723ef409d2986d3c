/**
 * Gives a data command's failure its catalogue code: an error that already
 * carries one (AE0463 from the engine, AE0468 for bad arguments) keeps it,
 * argument errors stay argument errors, anything else (S3, KMS, disk) gets
 * the step's own code with what failed, so the job result names the step.
 */
import { ZodError } from 'zod';
import { type CatalogueCode, isCatalogueCode, TidemarkError } from '../../core/error-catalogue.js';
import { isNoSpace } from '../fs/no-space.js';

export function asCatalogueFailure(code: CatalogueCode, what: string): (error: unknown) => never {
  return (error) => {
    if (error instanceof ZodError) throw error;
    if (error instanceof TidemarkError && isCatalogueCode(error.code)) throw error;
    // Kept as it is: the dispatcher gives a full disk its own code (AE0473), whichever step met it.
    if (isNoSpace(error)) throw error;
    const detail = error instanceof Error ? error.message : String(error);
    throw new TidemarkError(code, `${what} failed: ${detail}`);
  };
}
