'use strict';
// Offline validation against the Kubernetes OpenAPI schemas (npm
// kubernetes-models) and the Prometheus Operator CRD schemas
// (@kubernetes-models/prometheus-operator): types, required fields, enums
// and formats. An object of a kind not listed here is an error, so a new
// resource cannot slip in unvalidated.

const MODELS = {
  'v1/Namespace': () => require('kubernetes-models/v1/Namespace').Namespace,
  'v1/ServiceAccount': () => require('kubernetes-models/v1/ServiceAccount').ServiceAccount,
  'v1/ConfigMap': () => require('kubernetes-models/v1/ConfigMap').ConfigMap,
  'v1/Secret': () => require('kubernetes-models/v1/Secret').Secret,
  'v1/Service': () => require('kubernetes-models/v1/Service').Service,
  'apps/v1/Deployment': () => require('kubernetes-models/apps/v1/Deployment').Deployment,
  'policy/v1/PodDisruptionBudget': () => require('kubernetes-models/policy/v1/PodDisruptionBudget').PodDisruptionBudget,
  'autoscaling/v2/HorizontalPodAutoscaler': () => require('kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler').HorizontalPodAutoscaler,
  'networking.k8s.io/v1/NetworkPolicy': () => require('kubernetes-models/networking.k8s.io/v1/NetworkPolicy').NetworkPolicy,
  'scheduling.k8s.io/v1/PriorityClass': () => require('kubernetes-models/scheduling.k8s.io/v1/PriorityClass').PriorityClass,
  'monitoring.coreos.com/v1/ServiceMonitor': () => require('@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor').ServiceMonitor,
  'monitoring.coreos.com/v1/PrometheusRule': () => require('@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule').PrometheusRule,
};

// Validates one object; returns [] or a list of "Kind/name: message".
function validateObject(obj) {
  const key = `${obj.apiVersion}/${obj.kind}`;
  const where = `${obj.kind}/${obj.metadata && obj.metadata.name}`;
  const model = MODELS[key];
  if (!model) return [`${where}: no schema for ${key} (add it to tests/deploy/schema.js)`];
  const Model = model();
  try {
    new Model(obj).validate();
    return [];
  } catch (e) {
    return [`${where}: ${e.message}`];
  }
}

module.exports = {validateObject, MODELS};
