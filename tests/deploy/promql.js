'use strict';
// PromQL syntax check with Prometheus' own Lezer grammar
// (@prometheus-io/lezer-promql, the parser of the Prometheus UI): returns
// the error positions of an expression ([] when it parses cleanly).

const {parser} = require('@prometheus-io/lezer-promql');

function promqlErrors(expr) {
  const errors = [];
  const tree = parser.parse(expr);
  tree.iterate({
    enter(node) {
      if (node.type.isError) {
        errors.push(`syntax error at ${node.from}: ...${expr.slice(Math.max(0, node.from - 20), node.from + 20)}...`);
      }
    },
  });
  return errors;
}

// Metric names an expression selects (identifiers followed by a selector,
// a range or an operator), for checks that a query reads what it should.
function metricNames(expr) {
  const names = new Set();
  const tree = parser.parse(expr);
  tree.iterate({
    enter(node) {
      if (node.type.name === 'Identifier' && node.node.parent &&
          node.node.parent.type.name === 'VectorSelector') {
        names.add(expr.slice(node.from, node.to));
      }
    },
  });
  return names;
}

module.exports = {promqlErrors, metricNames};
