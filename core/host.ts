import { z } from 'zod';

/** RFC 1123 host name: what the agent reports as its identity and what scenarios name. */
export const HostName = z
  .string()
  .min(1)
  .max(253)
  .regex(
    /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/,
    'must be a host name (letters, digits, hyphens and dots)',
  );

export const HostAddress = z.union([z.ipv4(), z.ipv6(), HostName], {
  error: 'must be an IPv4 address, an IPv6 address or a host name',
});

export const EnrollHostRequest = z.strictObject({
  name: HostName,
  addresses: z.array(HostAddress).max(16).default([]),
  os: z.string().min(1).max(100).optional(),
  agentVersion: z.string().min(1).max(50).optional(),
});
export type EnrollHostRequest = z.infer<typeof EnrollHostRequest>;

export const Host = z.object({
  id: z.string(),
  name: HostName,
  addresses: z.array(z.string()),
  os: z.string().optional(),
  agentVersion: z.string().optional(),
  enrolledAt: z.iso.datetime(),
  enrolledBy: z.string(),
  lastHeartbeatAt: z.iso.datetime().optional(),
  /** The TCP port the agent's replication data listener is on, as its heartbeat reports. */
  dataPort: z.number().int().min(1).max(65_535).optional(),
});
export type Host = z.infer<typeof Host>;

export const AgentHeartbeatRequest = z.strictObject({
  agentVersion: z.string().min(1).max(50).optional(),
  os: z.string().min(1).max(100).optional(),
  addresses: z.array(HostAddress).max(16).optional(),
  /** Where peers reach this agent's replication data listener. */
  dataPort: z.number().int().min(1).max(65_535).optional(),
});
