import { Controller, Get, HttpStatus, Res } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { FastifyReply } from 'fastify';
import { QueueRegistry } from '../../common/queue/queue-registry.service';
import { Env } from '../../config/env';
import { Public } from '../auth/auth.decorators';

const PROBE_TIMEOUT_MS = 2_000;
const SERVICE_NAMES: Record<string, string> = { postgresql: 'PostgreSQL', redis: 'Redis' };

interface ReadinessReport {
  status: string;
  detail?: string;
  [key: string]: unknown;
}

@ApiTags('health')
@Controller('health')
@Public()
@SkipThrottle()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly queues: QueueRegistry,
    private readonly env: Env,
  ) {}

  /** Email is optional: its state is reported, and never makes Lifeline unready. */
  private email(): { status: 'on' | 'off'; detail: string } {
    return this.env.SMTP_URL
      ? { status: 'on', detail: 'Email notifications go out over SMTP_URL' }
      : { status: 'off', detail: 'Email notifications are off: SMTP_URL is not set' };
  }

  /** The process is up (it checks nothing else). */
  @Get('live')
  @ApiOkResponse({ schema: { example: { status: 'ok' } } })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /**
   * One dependency's check, with a timeout of our own: terminus' withTimeout() leaves its
   * timer running after the check answers.
   */
  private probe(key: 'postgresql' | 'redis', ping: () => Promise<unknown>) {
    return this.indicators.check(key).attempt(async () => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          ping(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error('no answer within 2 s')), PROBE_TIMEOUT_MS);
          }),
        ]);
      } finally {
        clearTimeout(timer);
      }
    });
  }

  /** PostgreSQL and Redis both answer; 503 names the one that does not. */
  @Get('ready')
  @ApiOkResponse({
    schema: {
      example: {
        status: 'ok',
        info: { postgresql: { status: 'up' } },
        email: { status: 'off', detail: 'Email notifications are off: SMTP_URL is not set' },
      },
    },
  })
  @ApiServiceUnavailableResponse({
    schema: {
      example: {
        status: 'error',
        detail: 'Redis is unreachable',
        error: { redis: { status: 'down', message: 'Connection is closed.' } },
      },
    },
  })
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<ReadinessReport> {
    if ((reply.server as { shutdown?: { draining: boolean } }).shutdown?.draining) {
      reply.status(HttpStatus.SERVICE_UNAVAILABLE);
      return {
        status: 'shutting_down',
        detail: 'Lifeline is shutting down: send traffic elsewhere',
      };
    }
    try {
      const report = await this.health.check([
        () => this.probe('postgresql', () => this.dataSource.query('SELECT 1')),
        () => this.probe('redis', () => this.queues.connection.ping()),
      ]);
      return { ...report, email: this.email() };
    } catch (error) {
      const report = (error as { getResponse?: () => unknown }).getResponse?.() as
        (ReadinessReport & { error?: Record<string, unknown> }) | undefined;
      if (!report?.error) throw error;
      reply.status(HttpStatus.SERVICE_UNAVAILABLE);
      const down = Object.keys(report.error).map((key) => SERVICE_NAMES[key] ?? key);
      return {
        ...report,
        email: this.email(),
        detail: `${down.join(' and ')} ${down.length > 1 ? 'are' : 'is'} unreachable`,
      };
    }
  }
}
