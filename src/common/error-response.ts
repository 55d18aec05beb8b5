import { ApiProperty } from '@nestjs/swagger';

/**
 * The contract's error shape (NestJS's): every 4xx and 5xx answer has it (BrainExceptionFilter writes it). Here
 * rather than in brain/, because routes of other modules (/metrics) answer it too.
 */
export class ErrorResponse {
  @ApiProperty({ type: 'integer', minimum: 400, maximum: 599, example: 404 })
  statusCode: number;

  @ApiProperty({ example: 'Not Found' })
  error: string;

  @ApiProperty({ example: "agent 'zed' is not registered" })
  message: string;

  @ApiProperty({ required: false, description: 'correlation id, on 5xx answers', example: 'b3f1c2d4-...' })
  requestId?: string;
}
