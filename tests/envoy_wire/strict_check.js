'use strict';
// Strict proto3-JSON check of a plain JS object against a protobufjs Type:
// every key must be a field of the message (proto name or JSON name), values
// must have the field's type, oneofs at most one member, enums by a defined
// name or number, deprecated fields are flagged, and google.protobuf.Any is
// followed through its "@type" (loading that type's package on demand).
// protobufjs's own fromObject() silently drops unknown fields, which is what
// this replaces.

const protobuf = require('protobufjs');
const {loadPackageOf} = require('./envoy_protos');

const INT32 = new Set(['int32', 'uint32', 'sint32', 'fixed32', 'sfixed32']);
const INT64 = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);
const WRAPPERS = {
  '.google.protobuf.BoolValue': 'bool',
  '.google.protobuf.StringValue': 'string',
  '.google.protobuf.BytesValue': 'bytes',
  '.google.protobuf.Int32Value': 'int32',
  '.google.protobuf.UInt32Value': 'uint32',
  '.google.protobuf.Int64Value': 'int64',
  '.google.protobuf.UInt64Value': 'uint64',
  '.google.protobuf.DoubleValue': 'double',
  '.google.protobuf.FloatValue': 'float',
};

function isPlainObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function checkScalar(kind, v, where, errors) {
  const bad = (what) => errors.push(`${where}: expected ${what}, got ${JSON.stringify(v)}`);
  if (kind === 'string') {
    if (typeof v !== 'string') bad('a string');
  } else if (kind === 'bool') {
    if (typeof v !== 'boolean') bad('true/false');
  } else if (kind === 'bytes') {
    if (typeof v !== 'string') bad('base64 bytes');
  } else if (INT32.has(kind) || INT64.has(kind)) {
    const ok = (typeof v === 'number' && Number.isInteger(v)) ||
        (typeof v === 'string' && /^-?\d+$/.test(v));
    if (!ok) bad(`an integer (${kind})`);
    else if (kind.startsWith('u') || kind.startsWith('fixed')) {
      if (Number(v) < 0) bad(`a non-negative integer (${kind})`);
    }
  } else if (kind === 'double' || kind === 'float') {
    const ok = typeof v === 'number' ||
        (typeof v === 'string' && /^(-?\d+(\.\d+)?([eE][-+]?\d+)?|NaN|-?Infinity)$/.test(v));
    if (!ok) bad(`a number (${kind})`);
  } else {
    errors.push(`${where}: unsupported scalar type ${kind}`);
  }
}

function checkEnum(enumType, v, where, errors) {
  if (typeof v === 'string') {
    if (!(v in enumType.values)) {
      errors.push(`${where}: "${v}" is not a value of ${enumType.fullName}`);
    }
  } else if (!(typeof v === 'number' && Number.isInteger(v))) {
    errors.push(`${where}: expected an enum name of ${enumType.fullName}`);
  }
}

function findField(type, key) {
  if (Object.prototype.hasOwnProperty.call(type.fields, key)) return type.fields[key];
  for (const f of type.fieldsArray) {
    const json = (f.options && f.options.json_name) || protobuf.util.camelCase(f.name);
    if (json === key) return f;
  }
  return null;
}

function checkFieldValue(root, field, v, where, errors) {
  if (v === null) return;  // proto3 JSON: null means "default"
  const t = field.resolvedType;
  if (t instanceof protobuf.Type) checkMessage(root, t, v, where, errors);
  else if (t instanceof protobuf.Enum) checkEnum(t, v, where, errors);
  else checkScalar(field.type, v, where, errors);
}

function lookupAnyType(root, typeUrl, where, errors) {
  const slash = typeUrl.lastIndexOf('/');
  const name = typeUrl.slice(slash + 1);
  if (slash < 0 || !name) {
    errors.push(`${where}["@type"]: malformed type URL ${JSON.stringify(typeUrl)}`);
    return null;
  }
  let t = root.lookup(name);
  if (!(t instanceof protobuf.Type)) {
    loadPackageOf(root, name);
    t = root.lookup(name);
  }
  if (!(t instanceof protobuf.Type)) {
    errors.push(`${where}["@type"]: unknown type ${name}`);
    return null;
  }
  return t;
}

function checkMessage(root, type, v, where, errors) {
  const name = type.fullName;
  if (WRAPPERS[name]) return checkScalar(WRAPPERS[name], v, where, errors);
  switch (name) {
    case '.google.protobuf.Duration':
      if (typeof v !== 'string' || !/^-?\d+(\.\d{1,9})?s$/.test(v)) {
        errors.push(`${where}: expected a duration like "1.5s", got ${JSON.stringify(v)}`);
      }
      return;
    case '.google.protobuf.Timestamp':
      if (typeof v !== 'string' || Number.isNaN(Date.parse(v))) {
        errors.push(`${where}: expected an RFC 3339 timestamp`);
      }
      return;
    case '.google.protobuf.FieldMask':
      if (typeof v !== 'string') errors.push(`${where}: expected a field mask string`);
      return;
    case '.google.protobuf.Value':
      return;  // any JSON
    case '.google.protobuf.Struct':
      if (!isPlainObject(v)) errors.push(`${where}: expected an object (Struct)`);
      return;
    case '.google.protobuf.ListValue':
      if (!Array.isArray(v)) errors.push(`${where}: expected a list (ListValue)`);
      return;
    case '.google.protobuf.Any': {
      if (!isPlainObject(v) || typeof v['@type'] !== 'string') {
        errors.push(`${where}: Any needs "@type"`);
        return;
      }
      const inner = lookupAnyType(root, v['@type'], where, errors);
      if (!inner) return;
      const rest = Object.assign({}, v);
      delete rest['@type'];
      const special = inner.fullName.startsWith('.google.protobuf.') &&
          inner.fullName !== '.google.protobuf.Empty';
      if (special) {
        // Well-known types with a special JSON form carry it in "value".
        const keys = Object.keys(rest);
        if (keys.some((k) => k !== 'value')) {
          errors.push(`${where}: Any of ${inner.fullName} takes only "value"`);
        }
        checkMessage(root, inner, rest.value, `${where}.value`, errors);
      } else {
        checkMessage(root, inner, rest, where, errors);
      }
      return;
    }
    default:
      break;
  }
  if (!isPlainObject(v)) {
    errors.push(`${where}: expected an object of type ${name}`);
    return;
  }
  const oneofSeen = new Map();
  for (const [key, value] of Object.entries(v)) {
    const field = findField(type, key);
    const at = `${where}.${key}`;
    if (!field) {
      errors.push(`${at}: unknown field of ${name}`);
      continue;
    }
    if (field.options && field.options.deprecated) {
      errors.push(`${at}: deprecated field of ${name}`);
    }
    if (field.partOf && value !== null) {
      const prev = oneofSeen.get(field.partOf.name);
      if (prev) {
        errors.push(`${at}: oneof ${field.partOf.name} already set by ${prev}`);
      }
      oneofSeen.set(field.partOf.name, key);
    }
    if (field.map) {
      if (!isPlainObject(value)) {
        errors.push(`${at}: expected a map (object)`);
        continue;
      }
      for (const [mk, mv] of Object.entries(value)) {
        checkFieldValue(root, field, mv, `${at}[${JSON.stringify(mk)}]`, errors);
      }
    } else if (field.repeated) {
      if (!Array.isArray(value)) {
        errors.push(`${at}: expected a list`);
        continue;
      }
      value.forEach((item, i) => checkFieldValue(root, field, item, `${at}[${i}]`, errors));
    } else {
      checkFieldValue(root, field, value, at, errors);
    }
  }
}

// Returns the list of problems (empty = valid).
function strictCheck(root, typeName, object) {
  const type = root.lookupType(typeName);
  const errors = [];
  checkMessage(root, type, object, type.name, errors);
  return errors;
}

module.exports = {strictCheck};
