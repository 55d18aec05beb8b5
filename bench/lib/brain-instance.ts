import { BrainAI } from '../../src/brain/brain-ai.service';
import type { BrainConfig } from '../../src/config/brain.config';
import { ContextSyncService } from '../../src/context-sync/context-sync.service';
import { startTestApp } from '../../test/support/test-app';

export interface BrainInstance {
  contextSync: ContextSyncService;
  brain: BrainAI;
  registerAgent(agentId: string): Promise<void>;
  close(): Promise<void>;
}

/** The whole app in this process, with its real Redis, Postgres and archiver (HTTP server listening but unused). */
export async function startBrainInProcess(config: BrainConfig): Promise<BrainInstance> {
  const { app } = await startTestApp(config);
  const brain = app.get(BrainAI);
  return {
    contextSync: app.get(ContextSyncService),
    brain,
    registerAgent: async (agentId) => {
      await brain.registerAgent({ id: agentId });
    },
    close: () => app.close(),
  };
}
