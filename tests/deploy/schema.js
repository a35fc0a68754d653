'use strict';
// Offline validation against the Kubernetes OpenAPI schemas (npm
// kubernetes-models) and the Prometheus Operator CRD schemas
// (@kubernetes-models/prometheus-operator): types, required fields, enums
// and formats through the packages' validators, and unknown fields through
// their declarations (unknown_fields.js), as `kubectl apply
// --validate=strict` would. An object of a kind not listed here is an
// error, so a new resource cannot slip in unvalidated.

const {unknownFields} = require('./unknown_fields');

// apiVersion/kind → the module exporting class <Kind> and interface I<Kind>.
const MODELS = {
  'v1/Namespace': 'kubernetes-models/v1/Namespace',
  'v1/ServiceAccount': 'kubernetes-models/v1/ServiceAccount',
  'v1/ConfigMap': 'kubernetes-models/v1/ConfigMap',
  'v1/Secret': 'kubernetes-models/v1/Secret',
  'v1/Service': 'kubernetes-models/v1/Service',
  'apps/v1/Deployment': 'kubernetes-models/apps/v1/Deployment',
  'policy/v1/PodDisruptionBudget': 'kubernetes-models/policy/v1/PodDisruptionBudget',
  'autoscaling/v2/HorizontalPodAutoscaler': 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler',
  'networking.k8s.io/v1/NetworkPolicy': 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy',
  'scheduling.k8s.io/v1/PriorityClass': 'kubernetes-models/scheduling.k8s.io/v1/PriorityClass',
  'monitoring.coreos.com/v1/ServiceMonitor': '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor',
  'monitoring.coreos.com/v1/PrometheusRule': '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule',
};

// Validates one object; returns [] or a list of "Kind/name: message".
function validateObject(obj) {
  const key = `${obj.apiVersion}/${obj.kind}`;
  const where = `${obj.kind}/${obj.metadata && obj.metadata.name}`;
  const module = MODELS[key];
  if (!module) return [`${where}: no schema for ${key} (add it to tests/deploy/schema.js)`];
  const Model = require(module)[obj.kind];
  const errors = unknownFields(obj, module, `I${obj.kind}`);
  try {
    new Model(obj).validate();
  } catch (e) {
    errors.push(`${where}: ${e.message}`);
  }
  return errors;
}

module.exports = {validateObject, MODELS};
