/** The scenario routes (operators) and the agents' status report, with their OpenAPI docs. */
import { z } from 'zod';
import { RewindOutput } from '../../../core/agent-commands.js';
import { Command } from '../../../core/command.js';
import { CreateScenarioRequest, UpdateScenarioRequest } from '../../../core/scenario.js';
import { ScenarioStatusReport, ScenarioView } from '../../../core/scenario-status.js';
import type { Route } from '../routes.js';
import { ListScenariosQuery } from './scenario-params.js';

const ScenarioPage = z.object({ scenarios: z.array(ScenarioView), next: z.string().optional() });
const ActionResult = z.object({
  scenario: ScenarioView,
  commands: z.array(Command.pick({ id: true, hostId: true, kind: true }).extend({ host: z.string() })),
});

export const SCENARIO_ROUTES: readonly Route[] = [
  {
    method: 'POST',
    path: '/scenarios',
    handler: 'functions/api/scenarios/create-scenario.ts',
    access: 'admin',
    doc: {
      summary:
        'Define a scenario (stopped) over enrolled hosts; 400 AE0467 names a host that is not enrolled',
      body: CreateScenarioRequest,
      response: ScenarioView,
      status: 201,
    },
  },
  {
    method: 'GET',
    path: '/scenarios',
    handler: 'functions/api/scenarios/list-scenarios.ts',
    access: 'viewer',
    doc: { summary: 'Scenarios by name, paged', query: ListScenariosQuery, response: ScenarioPage },
  },
  {
    method: 'GET',
    path: '/scenarios/{scenarioId}',
    handler: 'functions/api/scenarios/get-scenario.ts',
    access: 'viewer',
    doc: {
      summary: 'One scenario by id or unique name, with each host’s latest report',
      response: ScenarioView,
    },
  },
  {
    method: 'PATCH',
    path: '/scenarios/{scenarioId}',
    handler: 'functions/api/scenarios/update-scenario.ts',
    access: 'operator',
    doc: {
      summary: 'Change options, roots or replicas of a stopped scenario (409 otherwise)',
      body: UpdateScenarioRequest,
      response: ScenarioView,
    },
  },
  {
    method: 'DELETE',
    path: '/scenarios/{scenarioId}',
    handler: 'functions/api/scenarios/delete-scenario.ts',
    access: 'operator',
    doc: { summary: 'Delete a stopped scenario (409 otherwise)', status: 204 },
  },
  {
    method: 'POST',
    path: '/scenarios/{scenarioId}/run',
    handler: 'functions/api/scenarios/run-scenario.ts',
    access: 'operator',
    doc: {
      summary: 'Start replication: stopped or problem → synchronizing; start commands to every host',
      response: ActionResult,
      status: 202,
    },
  },
  {
    method: 'POST',
    path: '/scenarios/{scenarioId}/stop',
    handler: 'functions/api/scenarios/stop-scenario.ts',
    access: 'operator',
    doc: {
      summary: 'Stop replication: → stopped; stop commands to every host',
      response: ActionResult,
      status: 202,
    },
  },
  {
    method: 'POST',
    path: '/scenarios/{scenarioId}/discover',
    handler: 'functions/api/scenarios/discover-scenario.ts',
    access: 'operator',
    doc: {
      summary: 'Discover entities: a discover command to the master',
      response: ActionResult,
      status: 202,
    },
  },
  {
    method: 'GET',
    path: '/scenarios/{scenarioId}/commands/{commandId}',
    handler: 'functions/api/scenarios/get-scenario-command.ts',
    access: 'viewer',
    doc: {
      summary: "A command sent for the scenario: status, output (a rewind's RewindOutput) or error",
      response: Command.omit({ args: true }).extend({ output: RewindOutput.or(z.unknown()).optional() }),
    },
  },
  {
    method: 'POST',
    path: '/agent/scenarios/{scenarioId}/status',
    handler: 'functions/api/agent/report-scenario-status.ts',
    access: 'agent',
    doc: {
      summary: 'An agent of the master or a replica reports state, statistics and discovered entities',
      body: ScenarioStatusReport,
      response: ScenarioView,
    },
  },
];
