'use strict';
// Unknown-field check (what `kubectl apply --validate=strict` rejects): the
// schema validators of kubernetes-models accept fields they do not know, so
// a typo such as `readinesProbe` would pass them. This walks an object
// along the field lists of the same packages' TypeScript declarations
// (.d.ts, generated from the same OpenAPI / CRD schemas) and reports every
// key that its type does not declare.
//
// The .d.ts subset used by those packages: `export interface I { "f"?: T; }`,
// `export type A = T;`, imports and `export { A as B }` aliases; types are
// names, string literals, `Array<T>`, `T[]`, unions, object literals and
// `{ [key: string]: T; }` maps.

const fs = require('node:fs');
const path = require('node:path');

function tokenize(text) {
  const src = text.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, ' ');
  const re = /\s*("(?:[^"\\]|\\.)*"|[A-Za-z_$][\w$]*|\d+|=>|[{}<>[\]():;?|,.=&*])/gy;
  const tokens = [];
  let m;
  while ((m = re.exec(src)) !== null) tokens.push(m[1]);
  return tokens;
}

class Parser {
  constructor(tokens) {
    this.t = tokens;
    this.i = 0;
  }
  peek(k = 0) { return this.t[this.i + k]; }
  next() { return this.t[this.i++]; }
  eat(tok) {
    if (this.t[this.i] !== tok) throw new Error(`expected ${tok} at token ${this.i}, got ${this.t[this.i]}`);
    this.i++;
  }
  skipBalanced(open, close) {
    let depth = 0;
    do {
      const tok = this.next();
      if (tok === open) depth++;
      else if (tok === close) depth--;
    } while (depth > 0 && this.i < this.t.length);
  }
  type() {
    const options = [this.primary()];
    while (this.peek() === '|' || this.peek() === '&') {
      this.next();
      options.push(this.primary());
    }
    return options.length === 1 ? options[0] : {kind: 'union', options};
  }
  primary() {
    let t;
    const tok = this.next();
    if (tok === '(') {
      t = this.type();
      this.eat(')');
    } else if (tok === '{') {
      t = this.objectBody();
    } else if (tok === 'Array' && this.peek() === '<') {
      this.next();
      t = {kind: 'array', item: this.type()};
      this.eat('>');
    } else if (tok.startsWith('"') || /^\d/.test(tok)) {
      t = {kind: 'leaf'};
    } else {
      let name = tok;
      while (this.peek() === '.') { this.next(); name = this.next(); }
      if (this.peek() === '<') this.skipBalanced('<', '>');
      t = {kind: 'ref', name};
    }
    while (this.peek() === '[' && this.peek(1) === ']') {
      this.next(); this.next();
      t = {kind: 'array', item: t};
    }
    return t;
  }
  // After "{": members up to the matching "}".
  objectBody() {
    if (this.peek() === '[') {
      this.skipBalanced('[', ']');
      this.eat(':');
      const value = this.type();
      if (this.peek() === ';') this.next();
      this.eat('}');
      return {kind: 'map', value};
    }
    const fields = {};
    while (this.peek() !== '}') {
      const raw = this.next();
      const name = raw.startsWith('"') ? JSON.parse(raw) : raw;
      if (this.peek() === '?') this.next();
      this.eat(':');
      fields[name] = this.type();
      if (this.peek() === ';' || this.peek() === ',') this.next();
    }
    this.eat('}');
    return {kind: 'object', fields};
  }
}

const files = new Map();  // .d.ts path → {imports, types, aliases}

function parseFile(file) {
  if (files.has(file)) return files.get(file);
  const p = new Parser(tokenize(fs.readFileSync(file, 'utf8')));
  const info = {file, imports: {}, types: {}, aliases: {}};
  files.set(file, info);
  while (p.i < p.t.length) {
    const tok = p.next();
    if (tok === 'import' && p.peek() === '{') {
      p.next();
      const names = [];
      while (p.peek() !== '}') {
        const name = p.next();
        let local = name;
        if (p.peek() === 'as') { p.next(); local = p.next(); }
        names.push([name, local]);
        if (p.peek() === ',') p.next();
      }
      p.eat('}');
      p.eat('from');
      const from = JSON.parse(p.next());
      for (const [name, local] of names) info.imports[local] = {from, name};
    } else if (tok === 'interface') {
      const name = p.next();
      while (p.peek() !== '{') p.next();  // extends ...
      p.next();
      info.types[name] = p.objectBody();
    } else if (tok === 'type' && p.peek(1) === '=') {
      const name = p.next();
      p.next();
      info.types[name] = p.type();
    } else if (tok === 'class') {
      while (p.peek() !== '{') p.next();
      p.skipBalanced('{', '}');
    } else if (tok === 'export' && p.peek() === '{') {
      p.next();
      while (p.peek() !== '}') {
        const name = p.next();
        if (p.peek() === 'as') { p.next(); info.aliases[p.next()] = name; }
        if (p.peek() === ',') p.next();
      }
      p.next();
    }
  }
  return info;
}

function moduleFile(from, fromFile) {
  const base = from.startsWith('.') ? path.resolve(path.dirname(fromFile), from)
                                    : require.resolve(from).replace(/\.c?js$/, '');
  for (const f of [`${base}.d.ts`, path.join(base, 'index.d.ts')]) if (fs.existsSync(f)) return f;
  throw new Error(`no declarations for ${from} (from ${fromFile})`);
}

const BUILTIN = new Set(['string', 'number', 'boolean', 'any', 'unknown', 'object', 'null', 'undefined', 'never']);

// The structural type a name means in `file`: object, map, array, union or leaf.
function resolve(type, file, depth = 0) {
  if (depth > 50) throw new Error('type alias loop');
  if (type.kind !== 'ref') return {type, file};
  if (BUILTIN.has(type.name)) return {type: {kind: 'leaf'}, file};
  const info = parseFile(file);
  const local = info.aliases[type.name] || type.name;
  if (info.types[local]) return resolve(info.types[local], file, depth + 1);
  const imp = info.imports[type.name];
  if (imp) return resolve({kind: 'ref', name: imp.name}, moduleFile(imp.from, file), depth + 1);
  return {type: {kind: 'leaf'}, file};  // a name outside the subset: no check below it
}

function walk(value, type, file, where, errors) {
  const r = resolve(type, file);
  let t = r.type;
  if (t.kind === 'union') {
    const structured = t.options.map((o) => resolve(o, r.file))
        .find((o) => ['object', 'map', 'array'].includes(o.type.kind) &&
                     (o.type.kind === 'array') === Array.isArray(value));
    if (!structured) return;
    return walk(value, structured.type, structured.file, where, errors);
  }
  if (value === null || typeof value !== 'object') return;
  if (t.kind === 'array' && Array.isArray(value)) {
    value.forEach((v, i) => walk(v, t.item, r.file, `${where}[${i}]`, errors));
  } else if (t.kind === 'map') {
    for (const [k, v] of Object.entries(value)) walk(v, t.value, r.file, `${where}.${k}`, errors);
  } else if (t.kind === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (!(k in t.fields)) errors.push(`${where}.${k}: unknown field`);
      else walk(v, t.fields[k], r.file, `${where}.${k}`, errors);
    }
  }
}

// Unknown fields of `obj` against the model exported by `modulePath` (e.g.
// "kubernetes-models/apps/v1/Deployment", interface "IDeployment").
function unknownFields(obj, modulePath, interfaceName) {
  const file = moduleFile(modulePath, __filename);
  const errors = [];
  walk(obj, {kind: 'ref', name: interfaceName}, file, `${obj.kind}/${obj.metadata && obj.metadata.name}`, errors);
  return errors;
}

module.exports = {unknownFields};
