import { Pipeline } from 'ioredis';
import type { RedisClient } from './redis.constants';

/** What ioredis keeps on a client about its custom commands (not in its public types). */
interface ScriptedClient {
  scriptsSet: Record<string, { sha: string }>;
  addedBuiltinSet: Set<string>;
  pipeline(commands?: unknown[][]): Pipeline;
  defineCommand: (this: unknown, ...args: unknown[]) => void;
  addBuiltinCommand: (this: unknown, ...args: unknown[]) => void;
}

const NO_SCRIPTS: Record<string, { sha: string }> = Object.freeze({});
const NO_BUILTINS: Set<string> = new Set();

/**
 * Auto-pipelining builds a `Pipeline` for every batch (every tick with a command), and ioredis' Pipeline constructor
 * copies each defined script, and its Buffer twin, onto the new object: with Brain's ~17 scripts that is ~35
 * property writes and ~60 µs per batch, often one batch per request. Here the client's pipelines are built with
 * no scripts to copy and find them on a prototype shared by every pipeline of the client, rebuilt only when a script
 * is defined. Everything else about a pipeline (queueing, NOSCRIPT recovery through `_shaToScript`, Cluster
 * routing) is ioredis' own; `shared-pipeline-scripts.spec.ts` holds this to ioredis' behaviour.
 */
export function sharePipelineScripts(client: RedisClient): void {
  const scripted = client as unknown as ScriptedClient;
  let ScriptedPipeline: (new (redis: RedisClient) => Pipeline) | undefined;
  let shaToScript: Record<string, unknown> = {};
  for (const method of ['defineCommand', 'addBuiltinCommand'] as const) {
    const define = scripted[method];
    scripted[method] = function (...args: unknown[]) {
      ScriptedPipeline = undefined;
      return define.apply(this, args);
    };
  }

  // A subclass, not Reflect.construct with another prototype: V8 builds those objects on a slow path (13 µs
  // against 4 µs per pipeline, measured).
  const build = () => {
    const ScriptedPipelineClass = class ScriptedPipeline extends Pipeline {};
    const prototype = ScriptedPipelineClass.prototype as unknown as Record<string, unknown>;
    const commands = client as unknown as Record<string, unknown>;
    shaToScript = {};
    for (const name of [...Object.keys(scripted.scriptsSet), ...scripted.addedBuiltinSet]) {
      prototype[name] = commands[name];
      prototype[`${name}Buffer`] = commands[`${name}Buffer`];
    }
    for (const script of Object.values(scripted.scriptsSet)) shaToScript[script.sha] = script;
    return ScriptedPipelineClass;
  };

  scripted.pipeline = function (commands?: unknown[][]): Pipeline {
    ScriptedPipeline ??= build();
    const scripts = scripted.scriptsSet;
    const builtins = scripted.addedBuiltinSet;
    scripted.scriptsSet = NO_SCRIPTS;
    scripted.addedBuiltinSet = NO_BUILTINS;
    let pipeline: Pipeline;
    try {
      pipeline = new ScriptedPipeline(client);
    } finally {
      scripted.scriptsSet = scripts;
      scripted.addedBuiltinSet = builtins;
    }
    (pipeline as unknown as { _shaToScript: Record<string, unknown> })._shaToScript = shaToScript;
    if (Array.isArray(commands)) pipeline.addBatch(commands);
    return pipeline;
  };
}
