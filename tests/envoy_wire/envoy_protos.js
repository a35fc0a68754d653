'use strict';
// Locates Envoy's real protos as shipped in the npm package
// @grpc/grpc-js-xds (deps/envoy-api plus the include roots it imports from),
// and loads them with protobufjs. Shared by the *.test.js files.

const fs = require('node:fs');
const path = require('node:path');
const protobuf = require('protobufjs');

const XDS_DIR = path.dirname(require.resolve('@grpc/grpc-js-xds/package.json'));
const DEPS = path.join(XDS_DIR, 'deps');
const INCLUDE_DIRS = [
  path.join(DEPS, 'envoy-api'),
  path.join(DEPS, 'xds'),
  path.join(DEPS, 'googleapis'),
  path.join(DEPS, 'protoc-gen-validate'),
  // google/protobuf/descriptor.proto (the other well-known types are bundled
  // into protobufjs itself).
  path.dirname(require.resolve('protobufjs/package.json')),
];

function resolveInclude(target) {
  if (path.isAbsolute(target) && fs.existsSync(target)) return target;
  for (const dir of INCLUDE_DIRS) {
    const p = path.join(dir, target);
    if (fs.existsSync(p)) return p;
  }
  return null;
}

// A protobufjs Root that resolves imports against INCLUDE_DIRS, with proto
// field names kept as written (snake_case, as Envoy's YAML uses).
function newRoot() {
  const root = new protobuf.Root();
  root.resolvePath = (origin, target) => {
    const found = resolveInclude(target);
    if (found) return found;
    // Well-known types bundled with protobufjs: let it resolve them itself.
    return protobuf.util.path.resolve(origin, target);
  };
  return root;
}

function loadSync(files) {
  const root = newRoot();
  root.loadSync(files, {keepCase: true});
  root.resolveAll();
  return root;
}

// Loads every .proto in the directory that holds the package of a fully
// qualified message name (envoy.extensions.x.v3.Foo → envoy/extensions/x/v3/).
function loadPackageOf(root, typeName) {
  const parts = typeName.split('.');
  for (let n = parts.length - 1; n > 0; n--) {
    const rel = parts.slice(0, n).join('/');
    for (const dir of INCLUDE_DIRS) {
      const abs = path.join(dir, rel);
      if (fs.existsSync(abs) && fs.statSync(abs).isDirectory()) {
        const files = fs.readdirSync(abs).filter((f) => f.endsWith('.proto'));
        if (files.length > 0) {
          root.loadSync(files.map((f) => path.join(abs, f)), {keepCase: true});
          root.resolveAll();
          return true;
        }
      }
    }
  }
  return false;
}

module.exports = {XDS_DIR, DEPS, INCLUDE_DIRS, resolveInclude, newRoot, loadSync, loadPackageOf};
