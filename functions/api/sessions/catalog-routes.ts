/** The catalog routes: sessions, restore views, activity, events, reports, agents' events, and the OpenAPI document. */
import { z } from 'zod';
import { PostEventsRequest } from '../../../core/event.js';
import { Session } from '../../../core/session.js';
import { ActivityPage, ActivityQuery } from '../activity/schemas.js';
import { EventPage, EventsQuery, PostEventsResponse } from '../events/schemas.js';
import {
  DifferenceReport,
  JobReport,
  ReplicationReport,
  ScenarioReport,
  ScenarioReportQuery,
  SynchronizationReport,
} from '../reports/schemas.js';
import {
  QueryView,
  RestoreQueryQuery,
  RestoreSessionsQuery,
  RestoreSessionsView,
  RestoreTreeQuery,
  TreeView,
} from '../restore-views/schemas.js';
import type { Route } from '../routes.js';
import { ListSessionsQuery, SessionPage } from './schemas.js';

/** Requests per second (and burst) for the two routes that read name indexes. */
const INDEX_READER_THROTTLE = { rateLimit: 5, burstLimit: 10 };

export const CATALOG_ROUTES: readonly Route[] = [
  {
    method: 'GET',
    path: '/sessions',
    handler: 'functions/api/sessions/list-sessions.ts',
    access: 'viewer',
    doc: {
      summary:
        'Committed sessions newest first: all, of a scenario (id or name), or on a media location s3://bucket/prefix',
      query: ListSessionsQuery,
      response: SessionPage,
    },
  },
  {
    method: 'GET',
    path: '/sessions/{number}',
    handler: 'functions/api/sessions/get-session.ts',
    access: 'viewer',
    doc: { summary: 'One committed session by number', response: Session },
  },
  {
    method: 'GET',
    path: '/restore/sessions',
    handler: 'functions/api/restore-views/by-session.ts',
    access: 'viewer',
    doc: {
      summary: "Restore by session: the scenario's committed sessions, newest first",
      query: RestoreSessionsQuery,
      response: RestoreSessionsView,
    },
  },
  {
    method: 'GET',
    path: '/restore/tree',
    handler: 'functions/api/restore-views/by-tree.ts',
    access: 'viewer',
    // Both read and decode whole name indexes (up to a million names each).
    throttle: INDEX_READER_THROTTLE,
    doc: {
      summary:
        'Restore by tree: the recovery points of a master path and its children at one of them (newest by default)',
      query: RestoreTreeQuery,
      response: TreeView,
    },
  },
  {
    method: 'GET',
    path: '/restore/query',
    handler: 'functions/api/restore-views/by-query.ts',
    access: 'viewer',
    // Both read and decode whole name indexes (up to a million names each).
    throttle: INDEX_READER_THROTTLE,
    doc: {
      summary:
        'Restore by query: file names matching a wildcard pattern (* and ?; a pattern with / matches whole paths) across committed sessions',
      query: RestoreQueryQuery,
      response: QueryView,
    },
  },
  {
    method: 'GET',
    path: '/jobs/{jobId}/activity',
    handler: 'functions/api/activity/list-activity.ts',
    access: 'viewer',
    doc: { summary: "A job's activity log in time order", query: ActivityQuery, response: ActivityPage },
  },
  {
    method: 'GET',
    path: '/scenarios/{scenarioId}/events',
    handler: 'functions/api/events/list-events.ts',
    access: 'viewer',
    doc: { summary: "A scenario's events, newest first", query: EventsQuery, response: EventPage },
  },
  {
    method: 'POST',
    path: '/agent/events',
    handler: 'functions/api/agent/post-events.ts',
    access: 'agent',
    doc: {
      summary:
        'An agent posts events and alerts of scenarios its host is master or replica of (403 otherwise); alerts go to the alert topic',
      body: PostEventsRequest,
      response: PostEventsResponse,
      status: 201,
    },
  },
  {
    method: 'GET',
    path: '/reports/scenarios/{scenarioId}',
    handler: 'functions/api/reports/scenario-report.ts',
    access: 'viewer',
    doc: { summary: "Scenario report: each host's latest statistics", response: ScenarioReport },
  },
  {
    method: 'GET',
    path: '/reports/replication',
    handler: 'functions/api/reports/replication-report.ts',
    access: 'viewer',
    doc: {
      summary: 'Replication report: bytes and files created/changed/removed/renamed per root, errors',
      query: ScenarioReportQuery,
      response: ReplicationReport,
    },
  },
  {
    method: 'GET',
    path: '/reports/synchronization',
    handler: 'functions/api/reports/synchronization-report.ts',
    access: 'viewer',
    doc: {
      summary: "Synchronization report: each host's last synchronization",
      query: ScenarioReportQuery,
      response: SynchronizationReport,
    },
  },
  {
    method: 'GET',
    path: '/reports/difference',
    handler: 'functions/api/reports/difference-report.ts',
    access: 'viewer',
    doc: {
      summary: "Difference report: what replicas lack (the master's spool), e.g. while suspended",
      query: ScenarioReportQuery,
      response: DifferenceReport,
    },
  },
  {
    method: 'GET',
    path: '/reports/jobs/{jobId}',
    handler: 'functions/api/reports/job-report.ts',
    access: 'viewer',
    doc: {
      summary: 'Backup job summary: sessions, bytes, files, throughput, result, errors and warnings',
      response: JobReport,
    },
  },
  {
    method: 'GET',
    path: '/openapi.json',
    handler: 'functions/api/openapi/get-openapi.ts',
    access: 'viewer',
    doc: {
      summary: 'This API as an OpenAPI 3.1 document, generated from the route table',
      response: z.record(z.string(), z.unknown()),
    },
  },
];
