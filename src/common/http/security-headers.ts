import helmet from 'helmet';

type Middleware = (
  req: unknown,
  res: { setHeader(name: string, value: string): void; removeHeader(name: string): void },
  next: () => void,
) => void;

/**
 * helmet's headers, worked out once. With the content security policy off (the API serves JSON; the pages set their
 * own) every header helmet sets is the same on every response, yet helmet runs its eleven middlewares per request —
 * a measured 1 % of a hold's CPU. So helmet runs once at start against a recorder, and each response gets what it set.
 */
export function securityHeaders(options: Parameters<typeof helmet>[0]): Middleware {
  const set: [string, string][] = [];
  const removed: string[] = [];
  helmet(options)(
    {} as never,
    {
      setHeader: (name: string, value: string) => void set.push([name, value]),
      removeHeader: (name: string) => void removed.push(name),
    } as never,
    () => {},
  );
  if (set.length === 0) throw new Error('helmet set no header: its middleware is no longer synchronous');
  return (_req, res, next) => {
    for (const [name, value] of set) res.setHeader(name, value);
    for (const name of removed) res.removeHeader(name);
    next();
  };
}
