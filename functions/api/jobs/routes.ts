/** The job routes, with their OpenAPI docs. */
import { z } from 'zod';
import { Job, ListJobsQuery, SubmitJobRequest } from '../../../core/job.js';
import type { Route } from '../routes.js';

const JobPage = z.object({ jobs: z.array(Job), next: z.string().optional() });

export const JOB_ROUTES: readonly Route[] = [
  {
    method: 'POST',
    path: '/jobs',
    handler: 'functions/api/jobs/submit-job.ts',
    access: 'operator',
    doc: {
      summary:
        'Submit a backup (run now or on a cron/rate schedule) or a restore; 403 AE0459 when the credential lacks a master',
      body: SubmitJobRequest,
      response: Job,
      status: 201,
    },
  },
  {
    method: 'GET',
    path: '/jobs',
    handler: 'functions/api/jobs/list-jobs.ts',
    access: 'viewer',
    doc: {
      summary: 'The job queue, newest first, optionally by status',
      query: ListJobsQuery,
      response: JobPage,
    },
  },
  {
    method: 'GET',
    path: '/jobs/{jobId}',
    handler: 'functions/api/jobs/get-job.ts',
    access: 'viewer',
    doc: { summary: 'One job, brought up to date with its execution', response: Job },
  },
  {
    method: 'POST',
    path: '/jobs/{jobId}/hold',
    handler: 'functions/api/jobs/hold-job.ts',
    access: 'operator',
    doc: { summary: 'Hold a scheduled job: schedule disabled, status hold', response: Job },
  },
  {
    method: 'POST',
    path: '/jobs/{jobId}/release',
    handler: 'functions/api/jobs/release-job.ts',
    access: 'operator',
    doc: { summary: 'Release a held job: schedule enabled, status ready', response: Job },
  },
  {
    method: 'POST',
    path: '/jobs/{jobId}/cancel',
    handler: 'functions/api/jobs/cancel-job.ts',
    access: 'operator',
    doc: {
      summary: 'Cancel a job: stop its execution, disable its schedule; result canceled',
      response: Job,
    },
  },
  {
    method: 'DELETE',
    path: '/jobs/{jobId}',
    handler: 'functions/api/jobs/delete-job.ts',
    access: 'operator',
    doc: { summary: 'Delete a job that is not running, and its schedule', status: 204 },
  },
];
