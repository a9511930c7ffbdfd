/**
 * Temporal's remote codec protocol: `{ "payloads": [...] }`, each payload in proto3 JSON form, so the
 * `data` and every `metadata` value are base64 strings (standard or URL-safe, padding optional).
 */
import { z } from '@hono/zod-openapi';

const Base64 = z
  .string()
  .regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'expected a base64 string')
  .refine((value) => value.replace(/=+$/, '').length % 4 !== 1, 'expected a base64 string')
  .openapi({ format: 'byte' });

export const CodecPayloadSchema = z
  .object({
    metadata: z
      .record(z.string(), Base64)
      .nullish()
      .openapi({ description: 'metadata values, base64', example: { encoding: 'anNvbi9wbGFpbg==' } }),
    data: Base64.nullish().openapi({ description: 'the payload bytes, base64', example: 'InNsdWljZSI=' }),
  })
  .openapi('CodecPayload');

export const CodecPayloadsSchema = z
  .object({ payloads: z.array(CodecPayloadSchema) })
  .openapi('CodecPayloads', {
    description: 'payloads as the Temporal Web UI and CLI send them to a codec server',
  });

export type CodecPayloadJson = z.infer<typeof CodecPayloadSchema>;
