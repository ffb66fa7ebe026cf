/** Who made an API request, as the audit log names callers: `token:<name>` (anonymous without auth). */
export const actorOf = (request: { principal: { name: string } | null }) =>
  `token:${request.principal?.name ?? 'anonymous'}`;
