import { randomUUID } from 'node:crypto';
import { PublishCommand } from '@aws-sdk/client-sns';
import { clients } from '../../../core/aws-clients.js';
import { ENV, requireEnv } from '../../../core/environment.js';
import { TidemarkError } from '../../../core/error-catalogue.js';
import { PostEventsRequest } from '../../../core/event.js';
import type { ScenarioView } from '../../../core/scenario-status.js';
import { appendEvents, type NewEvent } from '../../repositories/events.js';
import { requireHost } from '../../repositories/hosts.js';
import { requireScenario } from '../../repositories/scenarios.js';
import { agentHostId } from '../../shared/agent-principal.js';
import { httpHandler } from '../../shared/http-handler.js';

/**
 * POST /agent/events: an agent posts its engines' numbered events and
 * alerts. Every scenario named must have the agent's host as its master or
 * a replica (else 403 naming the field); events are stored with their
 * scenario's next sequence numbers, alerts published to the alert topic.
 */
export const handler = httpHandler({ body: PostEventsRequest }, async ({ body, principal }) => {
  const host = await requireHost(agentHostId(principal));
  const scenarios = new Map<string, ScenarioView>();
  const named = [
    ...body.events.map((event, i) => [event.scenarioId, `events.${i}.scenarioId`] as const),
    ...(body.alerts ?? []).map((alert, i) => [alert.scenarioId, `alerts.${i}.scenarioId`] as const),
  ];
  for (const [scenarioId, field] of named) {
    if (scenarios.has(scenarioId)) continue;
    const scenario = await requireScenario(scenarioId, field);
    if (scenario.master !== host.name && !scenario.replicas.some((replica) => replica.host === host.name)) {
      throw new TidemarkError(
        'Forbidden',
        `host '${host.name}' is neither the master nor a replica of scenario '${scenario.name}'`,
        403,
        field,
      );
    }
    scenarios.set(scenarioId, scenario);
  }

  const byScenario = new Map<string, NewEvent[]>();
  for (const event of body.events) {
    const scenarioId = (scenarios.get(event.scenarioId) as ScenarioView).id;
    const list = byScenario.get(scenarioId) ?? [];
    list.push({
      scenarioId,
      eventId: event.eventId,
      severity: event.severity,
      host: host.name,
      text: event.text,
      time: event.at,
    });
    byScenario.set(scenarioId, list);
  }
  const stored = (await Promise.all([...byScenario].map(([id, events]) => appendEvents(id, events)))).flat();

  const topicArn = body.alerts?.length ? requireEnv(ENV.alertsTopicArn) : '';
  for (const alert of body.alerts ?? []) {
    const scenario = scenarios.get(alert.scenarioId) as ScenarioView;
    const message = {
      id: randomUUID(),
      kind: alert.kind,
      at: new Date().toISOString(),
      text: alert.text,
      scenarioId: scenario.id,
      hostId: host.id,
    };
    await clients.sns().send(
      new PublishCommand({
        TopicArn: topicArn,
        Subject: `Tidemark ${alert.kind.replace('_', ' ')}: ${scenario.name}`.slice(0, 100),
        Message: JSON.stringify(message),
        MessageAttributes: { kind: { DataType: 'String', StringValue: alert.kind } },
      }),
    );
  }
  return { statusCode: 201, body: { events: stored, alertsPublished: body.alerts?.length ?? 0 } };
});
