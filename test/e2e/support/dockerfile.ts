export type Instruction = { op: string; args: string };
export type Stage = { name: string; from: string; instructions: Instruction[] };

/** Instructions of a Dockerfile, continuation lines joined, comments dropped (parser directives too). */
export function parseDockerfile(text: string): { args: Record<string, string>; stages: Stage[] } {
  const logical: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#') || (line === '' && current === '')) continue;
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1).trim()} `;
      continue;
    }
    logical.push((current + line).trim());
    current = '';
  }
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of logical.filter((l) => l !== '')) {
    const [op, ...rest] = line.split(/\s+/);
    const instruction = { op: op!.toUpperCase(), args: rest.join(' ') };
    if (instruction.op === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.args);
      stages.push({ name: m?.[2] ?? String(stages.length), from: m?.[1] ?? '', instructions: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (stage) stage.instructions.push(instruction);
    else if (instruction.op === 'ARG') {
      const [name, value = ''] = instruction.args.split('=');
      args[name!] = value;
    }
  }
  return { args, stages };
}

/** The values of a stage's ENV instructions (KEY=VALUE pairs, several per instruction). */
export function stageEnv(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const i of stage.instructions.filter((x) => x.op === 'ENV')) {
    for (const m of i.args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S+)/g))
      env[m[1]!] = m[2]!.replace(/^"|"$/g, '');
  }
  return env;
}
