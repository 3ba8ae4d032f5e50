/**
 * One business transaction: everything `work` writes through the module's repositories commits
 * together, or not at all. (Placing an order needs none: it is a single statement.)
 */
export abstract class UnitOfWork {
  abstract run<T>(work: () => Promise<T>): Promise<T>;
}
