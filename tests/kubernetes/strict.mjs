// Unknown fields: the Kubernetes OpenAPI schemas (and so kubernetes-models' validators) accept properties they do not
// define, as the API server does without strict field validation, so a misspelt field (`replica:`, `queuName:`) would
// pass them silently. This walks each object along the TypeScript declarations that ship with those same packages
// (one interface per API type, KEDA's CRD types inline) and reports every property its type does not declare, as
// `kubectl apply --validate=strict` and kubeconform -strict do.
import { readFileSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const parsed = new Map();   // declaration file → { imports, main }

function packageFile(specifier, from) {
  if (specifier.startsWith(".")) return resolve(dirname(from), specifier) + ".d.ts";
  const parts = specifier.split("/");
  const name = specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
  const rest = parts.slice(name.split("/").length).join("/");
  const root = dirname(require.resolve(`${name}/package.json`));
  return join(root, rest) + ".d.ts";
}

function parseFile(file) {
  if (parsed.has(file)) return parsed.get(file);
  const text = readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
  const imports = new Map();
  for (const m of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*"([^"]+)"/g))
    for (const n of m[1].split(",").map((s) => s.trim()).filter(Boolean)) imports.set(n.split(/\s+as\s+/).pop(), { name: n.split(/\s+as\s+/)[0], from: m[2] });
  const entry = { file, imports, interfaces: new Map(), exported: new Map() };
  parsed.set(file, entry);
  // export { IProbe as IIoK8sApiCoreV1Probe, ... }: the long names other files import.
  for (const m of text.matchAll(/export\s*\{([^}]*)\}/g))
    for (const part of m[1].split(",").map((x) => x.trim()).filter(Boolean)) {
      const [local, , alias] = part.split(/\s+/);
      if (alias) entry.exported.set(alias, local);
    }
  // export declare type IIntOrString = string | number;
  for (const m of text.matchAll(/export (?:declare )?type (\w+)\s*=/g)) {
    const [node] = parseType(text, m.index + m[0].length);
    entry.interfaces.set(m[1], node);
  }
  for (const m of text.matchAll(/export interface (\w+)(?:\s+extends\s+([\w, ]+))?\s*\{/g)) {
    const [node] = parseObject(text, m.index + m[0].length - 1);
    if (m[2]?.includes("TypeMeta")) { node.props.set("apiVersion", { kind: "other" }); node.props.set("kind", { kind: "other" }); }
    entry.interfaces.set(m[1], node);
  }
  return entry;
}

const ws = (s, i) => { while (i < s.length && /\s/.test(s[i])) i++; return i; };

// An object type starting at s[i] === "{": its properties, or a map when it has an index signature.
function parseObject(s, i) {
  const node = { kind: "object", props: new Map(), map: null };
  i++;
  for (;;) {
    i = ws(s, i);
    if (s[i] === "}") return [node, i + 1];
    if (s[i] === ";" || s[i] === ",") { i++; continue; }
    if (s[i] === "[") {
      const close = s.indexOf("]", i);
      i = ws(s, close + 1) + 1;   // past ':'
      const [type, next] = parseType(s, i);
      node.map = type;
      i = next;
      continue;
    }
    const m = /^"?([\w$-]+)"?\??\s*:/.exec(s.slice(i));
    if (!m) throw new Error(`cannot read a declaration at: ${s.slice(i, i + 60)}`);
    const [type, next] = parseType(s, i + m[0].length);
    node.props.set(m[1], type);
    i = next;
  }
}

// A type: an object, Array<T>, T[], a named type, a union (the first object or named part is walked), or other.
function parseType(s, i) {
  const parts = [];
  for (;;) {
    i = ws(s, i);
    let part;
    if (s[i] === "{") [part, i] = parseObject(s, i);
    else if (s.startsWith("Array<", i)) {
      let of;
      [of, i] = parseType(s, i + 6);
      i = ws(s, i) + 1;   // past '>'
      part = { kind: "array", of };
    } else if (s[i] === "(") {
      [part, i] = parseType(s, i + 1);
      i = ws(s, i) + 1;
    } else {
      const m = /^("[^"]*"|'[^']*'|[\w$.]+)/.exec(s.slice(i));
      if (!m) throw new Error(`cannot read a type at: ${s.slice(i, i + 60)}`);
      i += m[0].length;
      part = /^[A-Z]/.test(m[0]) && !["Array", "Record"].includes(m[0]) ? { kind: "ref", name: m[0] } : { kind: "other" };
      if (s[i] === "<") { let depth = 0; do { if (s[i] === "<") depth++; if (s[i] === ">") depth--; i++; } while (depth > 0); }
    }
    i = ws(s, i);
    while (s.startsWith("[]", i)) { part = { kind: "array", of: part }; i = ws(s, i + 2); }
    parts.push(part);
    if (s[i] !== "|" && s[i] !== "&") break;
    i++;
  }
  return [parts.find((p) => p.kind !== "other") ?? parts[0], i];
}

// Types with nothing to walk: the models' base types.
const opaque = new Set(["TypeMeta", "ModelData", "Model"]);

// A named type's declaration; a name that cannot be resolved is an error, not a pass (the walk would check nothing below it).
function resolveRef(name, entry) {
  if (entry.interfaces.has(name)) return { node: entry.interfaces.get(name), entry };
  if (opaque.has(name)) return null;
  const imported = entry.imports.get(name);
  if (!imported) throw new Error(`the type ${name} in ${entry.file} is neither declared nor imported there`);
  const file = packageFile(imported.from, entry.file);
  if (!existsSync(file)) throw new Error(`the type ${name} comes from ${file}, which does not exist`);
  const target = parseFile(file);
  // A file declares I<Kind> and exports it under its long name too (IProbe as IIoK8sApiCoreV1Probe): the same type.
  const found = target.interfaces.get(imported.name) ?? target.interfaces.get(target.exported.get(imported.name));
  if (!found) throw new Error(`${file} declares no ${imported.name}`);
  return { node: found, entry: target };
}

function walk(value, node, entry, path, report) {
  if (value === null || value === undefined || node === undefined) return;
  if (node.kind === "ref") {
    const target = resolveRef(node.name, entry);
    if (target) walk(value, target.node, target.entry, path, report);
  } else if (node.kind === "array" && Array.isArray(value)) {
    value.forEach((v, i) => walk(v, node.of, entry, `${path}/${i}`, report));
  } else if (node.kind === "object" && typeof value === "object" && !Array.isArray(value)) {
    for (const [key, v] of Object.entries(value)) {
      if (node.props.has(key)) walk(v, node.props.get(key), entry, `${path}/${key}`, report);
      else if (node.map) walk(v, node.map, entry, `${path}/${key}`, report);
      else report(`${path || "/"}: unknown field "${key}"`);
    }
  }
}

/** Every property of the object that its kind's declaration does not define. */
export function unknownFields(object, declarationModule) {
  const file = packageFile(declarationModule, fileURLToPath(import.meta.url));
  const entry = parseFile(file);
  const kind = `I${object.kind}`;
  const root = entry.interfaces.get(kind);
  if (!root) return [`no declaration of ${object.kind} in ${declarationModule}`];
  const problems = [];
  try {
    walk(object, root, entry, "", (p) => problems.push(p));
  } catch (e) {
    problems.push(`the declarations could not be read to check for unknown fields: ${e.message}`);
  }
  return problems;
}
