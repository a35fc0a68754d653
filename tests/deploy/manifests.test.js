'use strict';
// deploy/k8s rendered by the real `kubectl kustomize` (every overlay, with
// and without the monitoring component), validated offline against the
// Kubernetes and Prometheus Operator schemas, and checked for the
// properties a component on the request path needs: probes on ports that
// exist and match the config's listen addresses, the restricted
// securityContext, replicas, spread, PDB/HPA/NetworkPolicy, Services.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const yaml = require('js-yaml');
const {
  REPO, OVERLAYS, render, find, one, deploymentOf, configOf, durationSeconds,
  quantityBytes, portOf, referencedFiles,
} = require('./deploy_lib');
const {validateObject} = require('./schema');

const MIN_REPLICAS = {dev: 2, production: 3};
const COMMON_LABELS = {
  'app.kubernetes.io/name': 'jwtauth',
  'app.kubernetes.io/instance': 'jwtauth',
  'app.kubernetes.io/part-of': 'jwtauth',
  'app.kubernetes.io/managed-by': 'kustomize',
};
// Container port name → the config key that sets its listen address.
const PORT_KEYS = {grpc: 'listen', admin: 'admin_listen', public: 'public_listen'};
const CLUSTER_SCOPED = new Set(['Namespace', 'PriorityClass']);

const rendered = {};
function objectsOf(overlay, monitoring = false) {
  const key = `${overlay}${monitoring ? '+monitoring' : ''}`;
  if (!rendered[key]) rendered[key] = render(overlay, {monitoring});
  return rendered[key];
}

function selects(selector, labels) {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

function containerPort(container, port) {
  return container.ports.find((p) => p.name === port || p.containerPort === port);
}

test('the validation rejects an unknown field, a wrong type and an unknown kind', () => {
  const objects = objectsOf('production', true);
  const typo = structuredClone(one(objects, 'Deployment'));
  typo.spec.template.spec.containers[0].readinesProbe = {grpc: {port: 50051}};
  assert.deepEqual(validateObject(typo),
      ['Deployment/jwtauth.spec.template.spec.containers[0].readinesProbe: unknown field']);
  const badType = structuredClone(one(objects, 'Service', 'jwtauth'));
  badType.spec.ports[0].port = '50051';
  assert.match(validateObject(badType).join('\n'), /port must be integer/);
  const rule = structuredClone(one(objects, 'PrometheusRule'));
  rule.spec.groups[0].rules[0].fro = '1m';
  assert.match(validateObject(rule).join('\n'), /rules\[0\]\.fro: unknown field/);
  assert.match(validateObject({apiVersion: 'v1', kind: 'Pod', metadata: {name: 'x'}}).join(''), /no schema for v1\/Pod/);
});

for (const overlay of OVERLAYS) {
  for (const monitoring of [false, true]) {
    const name = `${overlay}${monitoring ? ' + components/monitoring' : ''}`;
    test(`${name}: every object validates against its schema`, (t) => {
      const objects = objectsOf(overlay, monitoring);
      const errors = objects.flatMap(validateObject);
      assert.deepEqual(errors, []);
      const kinds = objects.map((o) => o.kind).sort();
      t.diagnostic(`${objects.length} objects validated: ${kinds.join(', ')}`);
      assert.ok(objects.length >= (monitoring ? 12 : 10), `only ${objects.length} objects`);
    });
  }

  test(`${overlay}: labels and namespace on every object`, () => {
    const objects = objectsOf(overlay, true);
    const ns = one(objects, 'Namespace');
    assert.equal(ns.metadata.labels['pod-security.kubernetes.io/enforce'], 'restricted');
    for (const o of objects) {
      const where = `${o.kind}/${o.metadata.name}`;
      if (o.kind !== 'Namespace') {
        for (const [k, v] of Object.entries(COMMON_LABELS)) {
          assert.equal((o.metadata.labels || {})[k], v, `${where} label ${k}`);
        }
      }
      if (!CLUSTER_SCOPED.has(o.kind)) {
        assert.equal(o.metadata.namespace, ns.metadata.name, `${where} namespace`);
      }
    }
  });

  test(`${overlay}: Deployment replicas, pod settings and restricted securityContext`, () => {
    const objects = objectsOf(overlay);
    const {deployment, pod, container} = deploymentOf(objects);
    assert.ok(deployment.spec.replicas >= MIN_REPLICAS[overlay],
        `replicas ${deployment.spec.replicas} < ${MIN_REPLICAS[overlay]}`);
    assert.equal(deployment.spec.strategy.rollingUpdate.maxUnavailable, 0);
    const podLabels = deployment.spec.template.metadata.labels;
    assert.ok(selects(deployment.spec.selector.matchLabels, podLabels));

    const sa = one(objects, 'ServiceAccount', pod.serviceAccountName);
    assert.equal(sa.automountServiceAccountToken, false);
    assert.equal(pod.automountServiceAccountToken, false);
    assert.ok(pod.priorityClassName, 'priorityClassName set');
    one(objects, 'PriorityClass', pod.priorityClassName);

    // Pod Security Standard "restricted".
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.ok(pod.securityContext.runAsUser > 0);
    assert.equal(pod.securityContext.seccompProfile.type, 'RuntimeDefault');
    assert.ok(!pod.hostNetwork && !pod.hostPID && !pod.hostIPC);
    for (const c of pod.containers) {
      const sc = c.securityContext;
      assert.equal(sc.allowPrivilegeEscalation, false, `${c.name} allowPrivilegeEscalation`);
      assert.deepEqual(sc.capabilities.drop, ['ALL'], `${c.name} drops ALL capabilities`);
      assert.equal(sc.readOnlyRootFilesystem, true, `${c.name} readOnlyRootFilesystem`);
      assert.notEqual(sc.privileged, true);
      assert.ok(!sc.capabilities.add, `${c.name} adds no capability`);
    }

    // Spread over nodes and zones, selecting exactly these pods.
    const keys = pod.topologySpreadConstraints.map((s) => s.topologyKey).sort();
    assert.deepEqual(keys, ['kubernetes.io/hostname', 'topology.kubernetes.io/zone']);
    for (const s of pod.topologySpreadConstraints) {
      assert.ok(selects(s.labelSelector.matchLabels, podLabels), `${s.topologyKey} selector`);
    }
    if (overlay === 'production') {
      const host = pod.topologySpreadConstraints.find((s) => s.topologyKey === 'kubernetes.io/hostname');
      assert.equal(host.whenUnsatisfiable, 'DoNotSchedule', 'production: one pod per node');
    }

    // Resources: requests for scheduling and the HPA, a memory limit above
    // the verification cache's bound (config cache.max_bytes) plus headroom.
    const {config} = configOf(objects);
    assert.ok(container.resources.requests.cpu && container.resources.requests.memory);
    const limit = quantityBytes(container.resources.limits.memory);
    const cache = config.cache.max_bytes;
    assert.ok(limit >= cache + 128 * 1024 * 1024,
        `memory limit ${container.resources.limits.memory} < cache.max_bytes ${cache} + 128Mi`);
  });

  test(`${overlay}: terminationGracePeriodSeconds outlasts the server's drain`, () => {
    const objects = objectsOf(overlay);
    const {pod} = deploymentOf(objects);
    const {config} = configOf(objects);
    const drain = durationSeconds(config.server.drain_delay || '0');
    const grace = durationSeconds(config.server.shutdown_grace || '20s');
    assert.ok(drain > 0, 'server.drain_delay set, so endpoints update before the listener closes');
    assert.ok(pod.terminationGracePeriodSeconds > drain + grace,
        `terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds} <= drain_delay ${drain}s + shutdown_grace ${grace}s`);
  });

  test(`${overlay}: container ports and probes match the config's listen addresses`, () => {
    const objects = objectsOf(overlay);
    const {container} = deploymentOf(objects);
    const {config} = configOf(objects);
    for (const p of container.ports) {
      const key = PORT_KEYS[p.name];
      assert.ok(key, `container port ${p.name} maps to no config listen key`);
      assert.equal(portOf(config.server[key]), p.containerPort,
          `port ${p.name} ${p.containerPort} vs server.${key} ${config.server[key]}`);
    }
    for (const [name, key] of Object.entries(PORT_KEYS)) {
      if (config.server[key]) assert.ok(containerPort(container, name), `server.${key} set but no container port "${name}"`);
    }

    for (const kind of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
      const probe = container[kind];
      assert.ok(probe, `${kind} present`);
      const port = probe.httpGet ? probe.httpGet.port : probe.grpc ? probe.grpc.port : undefined;
      assert.ok(containerPort(container, port), `${kind} port ${port} is a container port`);
    }
    // Liveness never depends on key sources: /healthz on the admin port.
    for (const kind of ['startupProbe', 'livenessProbe']) {
      assert.deepEqual(container[kind].httpGet, {path: '/healthz', port: 'admin'}, kind);
    }
    const readiness = container.readinessProbe;
    if (config.server.tls) {
      // The kubelet's gRPC probe has no TLS: readiness asks /readyz.
      assert.deepEqual(readiness.httpGet, {path: '/readyz', port: 'admin'});
      assert.equal(readiness.grpc, undefined);
    } else {
      assert.equal(readiness.grpc.port, containerPort(container, 'grpc').containerPort,
          'native gRPC readiness probe on the gRPC port');
      assert.equal(readiness.grpc.service, undefined, 'overall health ("")');
    }
    assert.equal(overlay === 'production', Boolean(config.server.tls), 'production (only) serves TLS');
  });

  test(`${overlay}: config from the ConfigMap, keys from Secret volumes`, () => {
    const objects = objectsOf(overlay);
    const {pod, container} = deploymentOf(objects);
    const {configPath, config} = configOf(objects);
    const files = referencedFiles(config);
    assert.ok(files.some((f) => f.kind === 'private_key'), 'a signing key file');
    for (const f of files) {
      const mount = container.volumeMounts.find((m) => f.path.startsWith(m.mountPath + '/'));
      assert.ok(mount, `${f.path} is under a volumeMount`);
      assert.equal(mount.subPath, undefined, `${mount.mountPath}: subPath mounts never see Secret updates`);
      assert.equal(mount.readOnly, true);
      const volume = pod.volumes.find((v) => v.name === mount.name);
      assert.ok(volume.secret, `${f.path} comes from a Secret`);
      assert.equal(volume.secret.items, undefined, `${mount.mountPath}: the whole Secret, so new keys appear`);
    }
    assert.ok(configPath.startsWith('/etc/jwtauth/'));
  });

  test(`${overlay}: Services, the headless Service for Envoy, ports match the pods`, () => {
    const objects = objectsOf(overlay);
    const {deployment, container} = deploymentOf(objects);
    const podLabels = deployment.spec.template.metadata.labels;
    const services = find(objects, 'Service');
    assert.deepEqual(services.map((s) => s.metadata.name).sort(), ['jwtauth', 'jwtauth-headless']);
    for (const s of services) {
      assert.ok(selects(s.spec.selector, podLabels), `${s.metadata.name} selects the pods`);
      for (const p of s.spec.ports) {
        const target = containerPort(container, p.targetPort);
        assert.ok(target, `${s.metadata.name} port ${p.name} → container port ${p.targetPort}`);
        assert.equal(p.name, target.name);
        assert.equal(p.port, target.containerPort, `${s.metadata.name} ${p.name} keeps the container's number`);
      }
    }
    const main = one(objects, 'Service', 'jwtauth');
    assert.deepEqual(main.spec.ports.map((p) => p.name).sort(), container.ports.map((p) => p.name).sort(),
        'Service jwtauth publishes every container port');
    const headless = one(objects, 'Service', 'jwtauth-headless');
    assert.equal(headless.spec.clusterIP, 'None');
    assert.notEqual(headless.spec.publishNotReadyAddresses, true);
    assert.deepEqual(headless.spec.ports.map((p) => p.name), ['grpc'], 'gRPC only');
  });

  test(`${overlay}: PodDisruptionBudget and HorizontalPodAutoscaler`, () => {
    const objects = objectsOf(overlay);
    const {deployment} = deploymentOf(objects);
    const podLabels = deployment.spec.template.metadata.labels;
    const pdb = one(objects, 'PodDisruptionBudget');
    assert.ok(selects(pdb.spec.selector.matchLabels, podLabels));
    assert.equal(pdb.spec.maxUnavailable, 1);
    const hpa = one(objects, 'HorizontalPodAutoscaler');
    assert.deepEqual(hpa.spec.scaleTargetRef, {apiVersion: 'apps/v1', kind: 'Deployment', name: 'jwtauth'});
    assert.equal(hpa.spec.minReplicas, deployment.spec.replicas, 'HPA minimum = Deployment replicas');
    assert.ok(hpa.spec.maxReplicas > hpa.spec.minReplicas);
    const cpu = hpa.spec.metrics.find((m) => m.type === 'Resource' && m.resource.name === 'cpu');
    assert.equal(cpu.resource.target.type, 'Utilization');
    assert.ok(cpu.resource.target.averageUtilization <= 80);
  });

  test(`${overlay}: NetworkPolicy admits gRPC from client namespaces, admin from monitoring`, () => {
    const objects = objectsOf(overlay);
    const {deployment, container} = deploymentOf(objects);
    const np = one(objects, 'NetworkPolicy');
    assert.ok(selects(np.spec.podSelector.matchLabels, deployment.spec.template.metadata.labels));
    assert.deepEqual(np.spec.policyTypes, ['Ingress']);
    const rulesFor = (name) => np.spec.ingress.filter((r) => r.ports.some((p) => p.port === name));
    for (const r of np.spec.ingress) {
      assert.ok(r.ports && r.ports.length > 0, 'no rule opens every port');
      assert.ok(r.from && r.from.length > 0, 'no rule admits every source');
      for (const p of r.ports) assert.ok(containerPort(container, p.port), `policy port ${p.port} exists`);
    }
    const grpc = rulesFor('grpc');
    assert.equal(grpc.length, 1);
    assert.ok(grpc[0].from.every((f) => f.namespaceSelector && Object.keys(f.namespaceSelector.matchLabels).length > 0));
    const admin = rulesFor('admin');
    assert.equal(admin.length, 1);
    assert.deepEqual(admin[0].from, [{namespaceSelector: {matchLabels: {'kubernetes.io/metadata.name': 'monitoring'}}}]);
    assert.deepEqual(admin[0].ports.map((p) => p.port), ['admin'], 'monitoring reaches the admin port only');
    for (const p of container.ports) {
      assert.equal(rulesFor(p.name).length, 1, `container port ${p.name} has exactly one ingress rule`);
    }
  });

  test(`${overlay} + components/monitoring: the ServiceMonitor scrapes the admin port once`, () => {
    const objects = objectsOf(overlay, true);
    const sm = one(objects, 'ServiceMonitor');
    const scraped = find(objects, 'Service').filter((s) =>
      selects(sm.spec.selector.matchLabels, s.metadata.labels) &&
      s.spec.ports.some((p) => sm.spec.endpoints.some((e) => e.port === p.name)));
    assert.deepEqual(scraped.map((s) => s.metadata.name), ['jwtauth']);
    assert.equal(sm.spec.endpoints[0].path, '/metrics');
    one(objects, 'PrometheusRule');
  });
}

// deploy/envoy (decoded against Envoy's protos by tests/envoy_wire) must
// reach what the production overlay deploys.
for (const file of ['gateway.yaml', 'sidecar.yaml']) {
  test(`envoy/${file} targets the production overlay's headless Service, port, TLS and routes`, () => {
    const envoy = yaml.load(fs.readFileSync(path.join(REPO, 'deploy', 'envoy', file), 'utf8'));
    const objects = objectsOf('production');
    const headless = one(objects, 'Service', 'jwtauth-headless');
    const ns = headless.metadata.namespace;
    const {config} = configOf(objects);

    const cluster = envoy.static_resources.clusters.find((c) => c.name === 'jwtauth');
    const addr = cluster.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address;
    assert.equal(addr.address, `${headless.metadata.name}.${ns}.svc.cluster.local`);
    assert.equal(addr.port_value, headless.spec.ports.find((p) => p.name === 'grpc').port);

    const tls = cluster.transport_socket.typed_config;
    assert.ok(config.server.tls, 'production serves TLS, Envoy speaks TLS');
    assert.equal(tls.sni, `${headless.metadata.name}.${ns}.svc`);
    assert.equal(Boolean(config.server.tls.require_client_cert),
        (tls.common_tls_context.tls_certificates || []).length > 0,
        'Envoy presents a client certificate exactly when jwtauth requires one');

    const hcm = envoy.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
    const named = hcm.route_config.virtual_hosts.flatMap((v) => v.routes)
        .filter((r) => r.typed_per_filter_config)
        .map((r) => r.typed_per_filter_config['envoy.filters.http.ext_authz'].check_settings.context_extensions.jwtauth_route);
    for (const overlay of OVERLAYS) {
      const routes = configOf(objectsOf(overlay)).config.ext_authz.routes.map((r) => r.name);
      for (const n of named) assert.ok(routes.includes(n), `${overlay} config has ext_authz route "${n}"`);
    }
  });
}
