/**
 * Lattice's public API. Component modules import only from here (as `lattice`).
 */
import 'reflect-metadata';

export { Container } from './container/Container.js';
export type { ContainerEvent } from './container/ContainerEvents.js';
export type { ContainerOptions } from './container/ContainerOptions.js';
export { Component, type ComponentOptions } from './component/decorators/Component.js';
export { Reference, type ReferenceOptions } from './component/decorators/Reference.js';
export { Activate, CheckConfiguration, Deactivate, Modified } from './component/decorators/lifecycle.js';
export { serviceToken, tokenName, isServiceToken, type ServiceToken } from './component/ServiceToken.js';
export { ComponentFactoryService, COMPONENT_FACTORY, type ComponentFactory, type ComponentInstance } from './component/ComponentFactory.js';
export type { ComponentClass, ComponentDescription, ConfigurationPolicy } from './component/ComponentDescription.js';
export type { Cardinality, ReferencePolicy, ReferencePolicyOption } from './component/ReferenceDescription.js';
export { getComponentDescription } from './component/describeComponentClass.js';
export { componentClassesOf } from './component/componentClassesOf.js';
export type { ComponentContext, ContainerFacts, DeactivationContext } from './runtime/ComponentContext.js';
export type { ComponentInfo, ReferenceInfo, BoundServiceInfo } from './runtime/ComponentInfo.js';
export { COMPONENT_STATES, type ComponentState, type DeactivationReason } from './runtime/ComponentState.js';
export type { ServiceRegistration } from './runtime/ExternalServiceRegistration.js';
export { SERVICE_ID, SERVICE_RANKING, OBJECT_CLASS, COMPONENT_NAME, COMPONENT_ID, type ServiceProperties } from './runtime/ServiceRecord.js';
export { parseFilter } from './filter/parseFilter.js';
export { matchFilter } from './filter/matchFilter.js';
export type { Filter } from './filter/Filter.js';
export { HealthCheckService, HEALTH_NAME, type HealthCheck, type HealthResult } from './health/HealthCheck.js';
export type { Readiness, CheckOutcome, UnreadyComponent } from './health/Readiness.js';
export { MetricsService } from './metrics/MetricsService.js';
export type { OtelTracer, OtelSpan } from './tracing/traceInstalls.js';
export type { ContainerMetrics } from './metrics/ContainerMetrics.js';
export { ConfigAdmin } from './config/ConfigAdmin.js';
export { ConfigurationAdminService, type ConfigurationAdmin } from './component/ConfigurationAdminService.js';
export type { ConfigurationEntry, ConfigurationValues } from './config/ConfigurationEntry.js';
export type { StandardSchemaV1 } from './config/StandardSchema.js';
export type { ConfigDirectory, ReloadOutcome } from './config/ConfigDirectory.js';
export type { FeatureService } from './features/FeatureService.js';
export type { FeatureInfo, FeatureDetails, FeatureTree, InstallReport, UninstallReport, InstallProgress } from './features/FeatureReports.js';
export type { DeployWatcher, DeployEvent } from './deploy/DeployWatcher.js';
export { CommandService, CommandUsageError, type Command, type CommandArgument, type CommandOption, type CommandResult } from './shell/Command.js';
export { LatticeError, type ErrorDetails } from './errors/LatticeError.js';
export { ErrorCode } from './errors/ErrorCode.js';
export { createLogger, type Logger, type LogLevel } from './logging/createLogger.js';
