/**
 * Runs a benchmark command's `main` and exits with its code (0 when it returns none); a crash prints its stack and
 * exits with `crashCode`, which commands that answer 1 for a failed check set apart (2).
 */
export function runMain(main: () => Promise<number | void>, crashCode = 1): void {
  main().then(
    (code) => process.exit(code ?? 0),
    (e) => {
      console.error(e instanceof Error ? (e.stack ?? e.message) : e);
      process.exit(crashCode);
    },
  );
}
