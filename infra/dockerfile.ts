// A small Dockerfile reader for the infra tests: instructions with their line numbers, build
// stages, and ARG defaults substituted into FROM, enough to check facts without a Docker engine.

export interface DockerInstruction {
  /** Upper-case keyword, e.g. "FROM", "COPY". */
  keyword: string;
  /** Everything after the keyword, continuation lines joined with a space. */
  args: string;
  /** 1-based line of the keyword. */
  line: number;
}

export interface DockerStage {
  image: string;
  name: string | undefined;
  instructions: DockerInstruction[];
}

export interface Dockerfile {
  instructions: DockerInstruction[];
  stages: DockerStage[];
}

/** Splits a Dockerfile into instructions; comments and parser directives are dropped. */
export function parseDockerfileInstructions(text: string): DockerInstruction[] {
  const lines = text.split(/\r?\n/);
  const instructions: DockerInstruction[] = [];
  let pending: { text: string; line: number } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    const trimmed = raw.trim();
    // Comment lines inside a continued instruction are skipped by Docker as well.
    if (trimmed.startsWith("#") || (trimmed === "" && pending === undefined)) continue;
    const continued = trimmed.endsWith("\\");
    const body = continued ? trimmed.slice(0, -1).trim() : trimmed;
    pending =
      pending === undefined
        ? { text: body, line: i + 1 }
        : { ...pending, text: `${pending.text} ${body}`.trim() };
    if (continued) continue;
    const match = /^(\S+)\s*(.*)$/s.exec(pending.text);
    if (match)
      instructions.push({
        keyword: match[1].toUpperCase(),
        args: match[2].trim(),
        line: pending.line,
      });
    pending = undefined;
  }
  if (pending !== undefined) {
    throw new Error(`line ${pending.line}: instruction ends with a line continuation`);
  }
  return instructions;
}

/** Parses a Dockerfile into stages, resolving `${ARG}` in FROM from ARGs declared before it. */
export function parseDockerfile(text: string): Dockerfile {
  const instructions = parseDockerfileInstructions(text);
  const globalArgs = new Map<string, string>();
  const stages: DockerStage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === "ARG" && stages.length === 0) {
      const [name, value = ""] = instruction.args.split("=", 2);
      globalArgs.set(name.trim(), value.trim());
      continue;
    }
    if (instruction.keyword === "FROM") {
      const words = instruction.args.split(/\s+/).filter((word) => !word.startsWith("--"));
      const image = words[0].replace(/\$\{(\w+)\}|\$(\w+)/g, (_, braced, bare) => {
        const value = globalArgs.get(braced ?? bare);
        if (value === undefined) {
          throw new Error(`line ${instruction.line}: FROM uses undeclared ARG ${braced ?? bare}`);
        }
        return value;
      });
      const name = words[1]?.toUpperCase() === "AS" ? words[2] : undefined;
      stages.push({ image, name, instructions: [instruction] });
      continue;
    }
    const current = stages.at(-1);
    if (current === undefined) {
      throw new Error(`line ${instruction.line}: ${instruction.keyword} before the first FROM`);
    }
    current.instructions.push(instruction);
  }
  return { instructions, stages };
}

/** The arguments of an exec-form instruction (`CMD ["a", "b"]`), or undefined for shell form. */
export function execFormArguments(instruction: DockerInstruction): string[] | undefined {
  const json = instruction.args.replace(/^(--\S+\s+)*CMD\s+/i, "").trim();
  if (!json.startsWith("[")) return undefined;
  const parsed: unknown = JSON.parse(json);
  if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === "string")) {
    throw new Error(`line ${instruction.line}: exec form must be a JSON array of strings`);
  }
  return parsed;
}

/** Source paths of a COPY/ADD without --from (files taken from the build context). */
export function contextSources(instruction: DockerInstruction): string[] | undefined {
  const words = instruction.args.split(/\s+/);
  if (words.some((word) => word.startsWith("--from="))) return undefined;
  const paths = words.filter((word) => !word.startsWith("--"));
  return paths.slice(0, -1);
}
