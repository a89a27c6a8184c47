import { redactSecrets, secretMarksOf } from '../config/secrets.js';
import { tokenName } from '../component/ServiceToken.js';
import type { BoundServiceInfo, ComponentInfo } from './ComponentInfo.js';
import type { ComponentManager } from './ComponentManager.js';
import { explainComponent, type ComponentDirectory } from './explainComponent.js';
import type { ServiceRecord } from './ServiceRecord.js';

/** A snapshot of a component as plain data, secrets masked. */
export function describeComponent(manager: ComponentManager, directory: ComponentDirectory): ComponentInfo {
  const d = manager.description;
  const instance = manager.currentInstance;
  const failure = manager.failure;
  const secrets = secretMarksOf(d.configSchema);
  return {
    name: d.name,
    id: manager.id,
    implementation: d.implementation.name,
    state: manager.state,
    enabled: manager.isEnabled,
    immediate: d.immediate,
    services: d.services.map(tokenName),
    ...(manager.serviceRecord && { serviceId: manager.serviceRecord.id }),
    properties: redactSecrets(manager.properties, secrets),
    configurationPid: d.configurationPid,
    configurationPolicy: d.configurationPolicy,
    ...(manager.delivered?.present && { configuration: redactSecrets(manager.delivered.raw, secrets) }),
    ...(manager.configProblem !== undefined && { configurationProblem: manager.configProblem }),
    references: manager.references.map((ref) => ({
      name: ref.name,
      service: tokenName(ref.description.service),
      cardinality: ref.description.cardinality,
      policy: ref.description.policy,
      policyOption: ref.description.policyOption,
      ...(ref.target !== undefined && { target: ref.target }),
      satisfied: ref.isSatisfied(),
      bound: (instance?.bindings.get(ref) ?? []).map((b) => serviceInfo(b.record)),
      candidates: ref.candidates().map(serviceInfo),
    })),
    useCount: manager.useCount,
    ...(failure && {
      failure: { code: failure.code, message: failure.message, ...(failure.stack !== undefined && { stack: failure.stack }), at: failure.at.toISOString() },
    }),
    ...(instance && { activatedAt: new Date(instance.activatedAt).toISOString(), activationMs: Math.round(instance.activationMs * 100) / 100 }),
    ...(manager.lastDeactivationReason && { lastDeactivationReason: manager.lastDeactivationReason }),
    ...factoryInfo(manager),
    why: explainComponent(manager, directory),
  };
}

function serviceInfo(record: ServiceRecord): BoundServiceInfo {
  const component = record.provider.componentName;
  return { serviceId: record.id, ...(component !== undefined && { component }), properties: redactSecrets(record.properties, secretMarksOf(record.provider.propertySchema)) };
}

function factoryInfo(manager: ComponentManager): Pick<ComponentInfo, 'factory' | 'instanceOf'> {
  const role = manager.factoryRole;
  if (!role) return {};
  if (role.role === 'instance') return { instanceOf: role.factory.name };
  return { factory: { kind: role.factory.kind, id: role.factory.id, instances: role.factory.instanceNames() } };
}
