import { BadRequestException, Body, Controller, HttpCode, HttpStatus, Inject, Post } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Public } from './access';
import { DevelopmentIssuer } from './development-issuer';

const TokenRequest = z.strictObject({
  subject: z
    .string()
    .min(1)
    .max(100)
    .regex(/^[\x21-\x7E]+$/, { error: 'must be printable ASCII without spaces' }),
  roles: z.array(z.string().min(1).max(64)).max(20).default([]),
  lifetimeSeconds: z.int().min(10).max(86_400).default(3_600),
});

/** The development issuer's token route (see DevelopmentIssuer): mounted only when that issuer runs. */
@ApiTags('development issuer (local development only)')
@Controller('dev')
export class DevelopmentTokenController {
  constructor(@Inject(DevelopmentIssuer) private readonly issuer: DevelopmentIssuer) {}

  @Post('token')
  @Public()
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'DEVELOPMENT ONLY: a token for any subject and roles',
    description: 'Mounted only by the development issuer, which the configuration refuses in production.',
  })
  @ApiBody({ schema: z.toJSONSchema(TokenRequest, { io: 'input' }) as object })
  @ApiOkResponse({ description: 'An OAuth 2.0 token response: access_token, token_type, expires_in' })
  async token(@Body() body: unknown): Promise<{ access_token: string; token_type: 'Bearer'; expires_in: number }> {
    const parsed = TokenRequest.safeParse(body ?? {});
    if (!parsed.success) {
      throw new BadRequestException(z.prettifyError(parsed.error));
    }
    const request = parsed.data;
    return {
      access_token: await this.issuer.issue(request),
      token_type: 'Bearer',
      expires_in: request.lifetimeSeconds,
    };
  }
}
