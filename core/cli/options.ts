import { InvalidArgumentError } from 'commander';

/** commander helper for repeatable options such as --set. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** A commander option parser for integers ≥ `min`; `what` completes "must be …" in the usage error. */
export function integerOption(min: number, what: string): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`must be ${what}.`);
    return n;
  };
}
