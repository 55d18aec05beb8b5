import { unavailableDependency } from '../common/dependency-errors';
import { DependencyUnavailableError } from '../common/errors';

/** Awaits a query, turning a Postgres outage into DependencyUnavailableError (503 "try again"). */
export async function postgres<T>(query: Promise<T>): Promise<T> {
  try {
    return await query;
  } catch (error) {
    if (unavailableDependency(error) === 'postgres') throw new DependencyUnavailableError('postgres', error);
    throw error;
  }
}
