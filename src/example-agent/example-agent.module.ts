import { Module } from '@nestjs/common';
import { BrainModule } from '../brain/brain.module';
import { EchoAgent } from './echo.agent';

/**
 * An in-process agent is a module like this one: import BrainModule (for BrainAI) and provide a @BrainAgent class.
 * The agent runs only where BRAIN_EXAMPLE_AGENT=on.
 */
@Module({
  imports: [BrainModule],
  providers: [EchoAgent],
})
export class ExampleAgentModule {}
