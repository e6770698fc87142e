import { createHash } from 'node:crypto';
import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type {} from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { DomainError, fieldError } from '../../common/errors/domain-error';
import { MAX_IMPORT_BYTES } from './sheet-reader';

export type UploadRequest = FastifyRequest & { upload?: { name: string; content: Buffer } };

/**
 * Reads the one file of a multipart upload (field `file`) once the caller is authenticated,
 * keeps it on the request, and makes the request's body its name, size and SHA-256: an
 * Idempotency-Key then guards this exact file, and the same key with another file is refused.
 */
@Injectable()
export class UploadGuard implements CanActivate {
  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<UploadRequest>();
    if (!request.isMultipart?.()) {
      throw fieldError(
        'file',
        'send the spreadsheet as multipart/form-data, in a field named file',
      );
    }
    let part;
    try {
      part = await request.file();
    } catch (error) {
      throw fieldError('file', `could not be read: ${(error as Error).message}`);
    }
    if (!part || part.fieldname !== 'file') {
      throw fieldError('file', 'is missing: send the spreadsheet in a field named file');
    }
    let content: Buffer;
    try {
      content = await part.toBuffer();
    } catch (error) {
      if ((error as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') {
        throw new DomainError(
          'payload_too_large',
          `The file is larger than ${MAX_IMPORT_BYTES / 1024 / 1024} MiB: split it.`,
        );
      }
      throw fieldError('file', `could not be read: ${(error as Error).message}`);
    }
    request.upload = { name: part.filename, content };
    (request as { body: unknown }).body = {
      file: {
        name: part.filename,
        size: content.length,
        sha256: createHash('sha256').update(content).digest('hex'),
      },
    };
    return true;
  }
}
