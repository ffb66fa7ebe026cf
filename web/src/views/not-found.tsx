export function NotFound({ path }: { path: string }) {
  return (
    <>
      <h1 tabIndex={-1}>Not found</h1>
      <p>
        This console has no page <code>{path}</code>. <a href="#/heals">Go to the heals</a>.
      </p>
    </>
  );
}
