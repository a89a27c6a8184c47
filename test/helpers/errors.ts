import { LatticeError } from '@lattice-scr/lattice';

/** The LatticeError a promise rejects with; fails the test if it resolves or rejects with something else. */
export async function rejectionOf(promise: Promise<unknown>): Promise<LatticeError> {
  try {
    await promise;
  } catch (error) {
    if (LatticeError.is(error)) return error;
    throw error;
  }
  throw new Error('expected the promise to reject with a LatticeError, but it resolved');
}
