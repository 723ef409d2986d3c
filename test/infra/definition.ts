/**
 * Reads a state machine's Amazon States Language out of the template. The
 * DefinitionString is an Fn::Join of JSON text and intrinsics (function
 * ARNs, the partition); every intrinsic sits inside a JSON string, so it is
 * replaced by a readable placeholder naming its resource.
 */
import type { CfnResource } from './synth.js';

export interface AslState {
  Type: string;
  Next?: string;
  End?: boolean;
  Resource?: string;
  Parameters?: Record<string, unknown>;
  ResultPath?: string;
  TimeoutSecondsPath?: string;
  Catch?: { ErrorEquals: string[]; Next: string; ResultPath?: string }[];
  ItemsPath?: string;
  MaxConcurrency?: number;
  ItemProcessor?: AslDefinition;
  ErrorPath?: string;
  CausePath?: string;
  [field: string]: unknown;
}

export interface AslDefinition {
  StartAt: string;
  States: Record<string, AslState>;
}

export function definitionOf(stateMachine: CfnResource): AslDefinition {
  const raw = stateMachine.Properties?.DefinitionString as { 'Fn::Join': [string, unknown[]] } | string;
  const text =
    typeof raw === 'string'
      ? raw
      : raw['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : placeholder(part))).join('');
  return JSON.parse(text) as AslDefinition;
}

function placeholder(intrinsic: unknown): string {
  const getAtt = (intrinsic as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
  if (getAtt) return `<${getAtt[0]}>`;
  const ref = (intrinsic as { Ref?: string }).Ref;
  return ref ? `<${ref}>` : '<intrinsic>';
}

/** Every state in the definition, nested Map processors included, as [name, state] pairs. */
export function allStates(definition: AslDefinition): [string, AslState][] {
  return Object.entries(definition.States).flatMap(([name, state]) => [
    [name, state] as [string, AslState],
    ...(state.ItemProcessor ? allStates(state.ItemProcessor) : []),
  ]);
}
